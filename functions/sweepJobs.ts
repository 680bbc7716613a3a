import { app, type InvocationContext, type TimerHandler } from '@azure/functions';
import { repairJobIndex, repairStrandedJobs, type RecoveryServices } from '../shared/jobs/recovery';
import { deleteExpiredSafetyEvents } from '../shared/jobs/retention';
import { getServices, type Services } from '../shared/services';

/**
 * On the schedule in the app setting SWEEP_SCHEDULE (NCRONTAB; infra/ and the example settings use every
 * 5 minutes): enqueue jobs that a crash left stored but never queued, and repair the listing index (and
 * webhooks) where a crash left it behind the records, and delete safety events past RETENTION_DAYS. A binding expression, so tests can run it every
 * second without a code change.
 */
export function sweepJobsHandler(services: RecoveryServices & Pick<Services, 'config' | 'safetyEvents'>): TimerHandler {
  return async (_timer: unknown, context: InvocationContext) => {
    const repaired = await repairStrandedJobs(services, context);
    if (repaired > 0) context.warn(`Sweep: enqueued ${repaired} stranded jobs.`);
    const indexRepairs = await repairJobIndex(services, context);
    if (indexRepairs > 0) context.warn(`Sweep: repaired ${indexRepairs} listing-index entries.`);
    // Table entities have no lifecycle rule: safety events (children's prompts) are deleted here after RETENTION_DAYS.
    await deleteExpiredSafetyEvents(services, context);
  };
}

app.timer('sweepJobs', { schedule: '%SWEEP_SCHEDULE%', handler: sweepJobsHandler(getServices()) });
