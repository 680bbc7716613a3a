import { app, type InvocationContext, type Timer } from '@azure/functions';
import { getServices } from '../shared/services';
import { repairStrandedJobs } from '../shared/jobs/sweep';

const services = getServices();

/** Every 5 minutes: enqueue jobs that a crash left stored but never queued. */
app.timer('sweepJobs', {
  schedule: '0 */5 * * * *',
  handler: async (_timer: Timer, context: InvocationContext) => {
    const repaired = await repairStrandedJobs(services, context);
    if (repaired > 0) context.warn(`Sweep: enqueued ${repaired} stranded jobs.`);
  },
});
