import path from 'node:path';
import { loadConfig } from '../shared/config/config';
import { consoleLogger } from '../shared/logger';
import { deleteExpiredJobs } from '../shared/jobs/retention';
import { createServices } from '../shared/services';
import { applyLocalSettings } from './settings';

/** `npm run cleanup`: deletes jobs and images older than RETENTION_DAYS, as the Azure lifecycle rule does. */
applyLocalSettings(path.resolve(__dirname, '..', '..'));
deleteExpiredJobs(createServices(loadConfig()), consoleLogger).then(
  (count) => console.log(`Deleted ${count} expired jobs.`),
  (error: unknown) => {
    console.error(`Cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
