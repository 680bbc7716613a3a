import type { Logger } from '../logger';
import type { JobRequest } from '../jobs/jobRequest';
import type { SafetyEvent, SafetyEventStore, SafetyLayer } from '../storage/safetyEventStore';
import { jobMetrics } from '../telemetry/metrics';

/**
 * Where a recorded refusal is reported, as a job's status changes are (storage/jobEvents.ts): wired in the
 * composition root (functions/lib/services.ts) to the school's webhooks (webhooks/outbox/outbox.ts
 * `queueSafetyWebhookFor`, webhooks/delivery.ts `sendUrgentSafetyWebhook`).
 */
export interface RefusalReports {
  /** Queues the event's safety.refused webhook, when its school has a receiver. */
  refused(event: SafetyEvent): Promise<void>;
  /** Sends the event's safety.urgent webhook at once (a backup message queued first). */
  urgent(event: SafetyEvent, log: Logger): Promise<void>;
}

export interface RefusalDeps {
  readonly safetyEvents: Pick<SafetyEventStore, 'record'>;
  readonly refusalReports: RefusalReports;
}

/**
 * Records a refusal as a safety event for the school's teachers, from any layer: the screen and the
 * classifier at submit, the provider's prompt and output filters in the worker. Recording must never turn a
 * refusal into a 5xx or a failed job into a retried one: a storage fault is logged (without the prompt or
 * the student) and the refusal goes on as it would have. The recorded event is then reported
 * (`refusalReports`): a school with a webhook.url gets a `safety.refused` webhook; for an urgent event (a
 * self-harm signal in the first person, safety/safeguarding.ts) a `safety.urgent` webhook first, sent before
 * this returns.
 */
export async function recordRefusal(
  services: RefusalDeps,
  refusal: {
    readonly tenantId: string;
    readonly layer: SafetyLayer;
    readonly categories: readonly string[];
    readonly request: Pick<JobRequest, 'prompt' | 'user' | 'metadata'>;
    readonly jobId?: string;
    readonly urgent?: boolean;
  },
  log: Logger,
): Promise<SafetyEvent | undefined> {
  const { request } = refusal;
  // Counted whether or not the event can be stored: the alert on refusals must not depend on Table storage.
  jobMetrics.refusal({ school: refusal.tenantId, layer: refusal.layer });
  const classId = request.metadata?.['classId'];
  const assignmentId = request.metadata?.['assignmentId'];
  try {
    const event = await services.safetyEvents.record({
      tenantId: refusal.tenantId,
      layer: refusal.layer,
      categories: refusal.categories,
      prompt: request.prompt,
      ...(request.user !== undefined ? { user: request.user } : {}),
      ...(classId !== undefined ? { classId } : {}),
      ...(assignmentId !== undefined ? { assignmentId } : {}),
      ...(refusal.jobId !== undefined ? { jobId: refusal.jobId } : {}),
      ...(refusal.urgent ? { urgent: true } : {}),
    });
    log.log(`Safety event ${event.id} (${refusal.layer}: ${refusal.categories.join(', ') || 'no category'}) for tenant ${refusal.tenantId}${event.repeated ? ', repeated' : ''}${event.urgent ? ', URGENT' : ''}.`);
    if (event.urgent) {
      // An error, not a warning: a child may be at risk and the school was not told at once (the event is still listed).
      await services.refusalReports.urgent(event, log).catch((error: unknown) => {
        log.error(`Safety event ${event.id} is urgent, and its webhook could not be sent or queued: ${error instanceof Error ? error.message : String(error)}`);
      });
    } else {
      await services.refusalReports.refused(event).catch((error: unknown) => {
        log.warn(`Safety event ${event.id}: its webhook could not be queued: ${error instanceof Error ? error.message : String(error)}`);
      });
    }
    return event;
  } catch (error) {
    log.warn(`A ${refusal.layer} refusal for tenant ${refusal.tenantId} could not be recorded as a safety event: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}
