import path from 'node:path';
import { loadConfig } from '../shared/config/config';
import { consoleLogger } from '../shared/logger';
import { deleteExpiredJobs } from '../shared/upkeep/retention';
import { createServices } from '../functions/lib/services';
import { applyLocalSettings } from './settings';

/** `npm run cleanup`: deletes jobs and images older than RETENTION_DAYS, as the Azure lifecycle rule does. */
applyLocalSettings(path.resolve(__dirname, '..', '..'));
deleteExpiredJobs(createServices(loadConfig()), consoleLogger).then(
  (report) => {
    console.log(`Deleted ${report.jobs} expired jobs, ${report.uploads} uploads and ${report.safetyEvents} safety events.`);
    // Each failure was logged with its item; a non-zero exit lets a scheduler notice that some remain.
    if (report.failures.length > 0) {
      console.error(`${report.failures.length} could not be deleted (see above); the rest were.`);
      process.exit(1);
    }
  },
  (error: unknown) => {
    console.error(`Cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
