import { app, type InvocationContext, type TimerHandler } from '@azure/functions';
import { repairJobIndex, repairLine, repairStrandedJobs, type RecoveryDeps } from '../shared/upkeep/recovery';
import { deleteExpiredJobs } from '../shared/upkeep/retention';
import { deleteExpiredAccessLog } from '../shared/privacy/accessLog';
import { resumeStrandedErasures } from '../shared/privacy/studentErasure';
import { getServices, type Services } from './lib/services';
import { jobMetrics } from '../shared/telemetry/metrics';

/**
 * On the schedule in the app setting SWEEP_SCHEDULE (NCRONTAB; infra/ and the example settings use every
 * 5 minutes): enqueue jobs that a crash left stored but never queued, repair the listing index (and
 * webhooks) where a crash left it behind the records, bring the waiting line in step with the records
 * (and remove its finished entries past the fairness window), queue again a student's erasure whose message was
 * lost, and apply retention per school: jobs, pictures and safety events past their school's retentionDays
 * (the lifecycle rule cannot tell schools apart: shared/upkeep/retention.ts), and the access log past
 * ACCESS_LOG_RETENTION_DAYS. A binding expression, so tests can run it every second without a code change.
 */
export function sweepJobsHandler(
  services: RecoveryDeps & Pick<Services, 'config' | 'safetyEvents' | 'images' | 'idempotency' | 'uploads' | 'operations' | 'erasureQueue' | 'accessLog' | 'queueStats' | 'quotas'>,
): TimerHandler {
  return async (_timer: unknown, context: InvocationContext) => {
    // Queue depth and the oldest message's age, once a run: the alerts on a stuck queue and on poison read them.
    const stats = await services.queueStats.read().catch((error: unknown) => {
      context.warn(`Sweep: the queues could not be measured: ${String(error)}`);
      return [];
    });
    for (const stat of stats) jobMetrics.queue({ queue: stat.queue, depth: stat.depth, oldestAgeInSeconds: stat.oldestAgeInSeconds });
    // Each school's month so far, for the alert on spend near its budget (a few counter reads per school).
    for (const tenant of services.config.tenants) {
      const usage = await services.quotas.usage(tenant, undefined).catch(() => undefined);
      if (!usage) continue;
      const budget = usage.month.budget;
      jobMetrics.schoolMonth({ school: tenant.id, spentUsd: usage.month.estimatedCost.amount, ...(budget && budget.limit > 0 ? { budgetShare: budget.reserved / budget.limit } : {}) });
    }
    const repaired = await repairStrandedJobs(services, context);
    if (repaired > 0) context.warn(`Sweep: enqueued ${repaired} stranded jobs.`);
    const indexRepairs = await repairJobIndex(services, context);
    if (indexRepairs > 0) context.warn(`Sweep: repaired ${indexRepairs} listing-index entries.`);
    const lineRepairs = await repairLine(services, context);
    if (lineRepairs > 0) context.warn(`Sweep: repaired the line ${lineRepairs} times.`);
    await resumeStrandedErasures(services, context);
    await deleteExpiredJobs(services, context);
    await deleteExpiredAccessLog(services, context);
  };
}

app.timer('sweepJobs', { schedule: '%SWEEP_SCHEDULE%', handler: sweepJobsHandler(getServices()) });
