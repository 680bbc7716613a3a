import { weightOf } from '../config/tenants';
import { decideTicket, finishedToRemove } from '../jobs/turns';
import type { JobMessage } from '../storage/jobMessage';
import { lineClaimInMs, runClock, type NotBegun, type ProcessContext, type WorkerDeps } from './jobRun';
import { decideSlotWait, defaultRetryPolicy } from './retryPolicy';

/**
 * A queue message is a ticket to run one waiting job: the fairest in the line when its call can start
 * (jobs/turns.ts), not necessarily the job it names. The queue hands a worker whatever message comes next,
 * so the order is kept in the line (storage/lineStore.ts), and a ticket claims its job there with a
 * conditional write that only one ticket can win.
 *
 * A ticket first takes its slot in the shared pace, and only then picks its job: tickets waiting for their
 * slots hold no job, so a job that arrives meanwhile (another school's, a classmate's first) can still go
 * first, and the instances' concurrency does not decide the order. The run then uses that slot for its
 * first call.
 *
 * Nothing lost: every accepted job has a ticket on the queue, and a ticket that ends without running a job
 * that waits hands its turn to a fresh one. Nothing doubled: a claim is won once, and the job record's own
 * claim (jobRun.ts beginRun) still guards the run. Nothing stuck: a redelivered ticket resumes the job it
 * claimed (the host died, or the run threw to be retried); a poisoned one fails that job (completion.ts);
 * a claim whose ticket is gone for good runs out (lineClaimInMs) and the job waits again.
 */

/** What one run of a job came to: it ran (whatever its outcome), or why it did not begin. */
export type RunOutcome = { readonly kind: 'ran' } | NotBegun;

/**
 * The jobs one ticket looks at before it gives its turn to a fresh ticket: lost claims (another instance
 * took the job first) and jobs that ended while they waited. Each costs a listing and a write.
 */
const maxTurnsPerTicket = 10;

/** Finished entries one ticket removes on its way (one request; jobs/turns.ts finishedToRemove says which). */
const maxRemovedPerTicket = 100;

type Pool = WorkerDeps['imagePool'];
type GrantedSlot = Extract<Awaited<ReturnType<Pool['acquire']>>, { granted: true }>;

/** The pool as a run sees it: the slot the ticket took first (unless its deployment has failed the job), then the pool as usual. */
function slotFirst(pool: Pool, slot: GrantedSlot): Pool {
  let held: GrantedSlot | undefined = slot;
  return {
    ...pool,
    acquire(now, excluded) {
      const first = held;
      held = undefined;
      return first && !excluded?.has(first.deployment.name) ? Promise.resolve(first) : pool.acquire(now, excluded);
    },
  };
}

/**
 * Uses one ticket: a slot, then the fairest waiting job (or the one this ticket claimed before), run by
 * `runJob`. A message sent before the line existed runs the job it names, as it did then. A ticket whose own
 * job is not in the line (it failed to join) runs that job when nothing in the line waits; otherwise the
 * sweep puts the job in line (upkeep/recovery.ts).
 */
export async function useTicket(
  services: WorkerDeps,
  message: JobMessage,
  context: ProcessContext,
  runJob: (services: WorkerDeps, jobId: string, context: ProcessContext) => Promise<RunOutcome>,
): Promise<void> {
  const ticket = message.ticket ?? context.messageId;
  const ticketContext: ProcessContext = { ...context, messageId: ticket };
  const { log } = context;
  const clock = runClock(services, context, defaultRetryPolicy);
  const slot = await waitForSlot(services, clock);
  if (!slot.granted) {
    // Waited as long as an invocation should: a fresh ticket goes on waiting.
    await services.jobQueue.enqueue(message.jobId, { delayInSeconds: Math.max(1, (slot.retryAt - clock.now()) / 1000) });
    log.log(`Ticket ${ticket}: no slot yet; handed to a new message.`);
    return;
  }
  const untilSlot = slot.startAt.getTime() - clock.now();
  if (untilSlot > 0) await clock.sleep(untilSlot);
  const runServices: WorkerDeps = { ...services, imagePool: slotFirst(services.imagePool, slot) };
  const weights = weightOf(services.config.tenants);
  let tidying: Promise<void> = Promise.resolve();
  try {
    for (let turn = 0; turn < maxTurnsPerTicket; turn++) {
      const entries = await services.line.list();
      const now = clock.now();
      if (turn === 0) {
        const expired = finishedToRemove(entries, now).slice(0, maxRemovedPerTicket);
        // Beside the run, not before it: tidying is no reason to start a job later.
        if (expired.length > 0) {
          tidying = services.line.remove(expired.map((entry) => entry.jobId)).catch((error: unknown) => log.warn(`Ticket ${ticket}: finished entries could not be removed: ${String(error)}`));
        }
      }
      // A message from before the line names a job that is not in it, and nothing else would run that job.
      if (message.ticket === undefined && !entries.some((entry) => entry.jobId === message.jobId)) {
        return await runOwnJob(services, runServices, message.jobId, ticketContext, runJob);
      }
      const decision = decideTicket(entries, ticket, now, weights);
      if (decision.kind === 'none') {
        if (entries.some((entry) => entry.jobId === message.jobId)) return log.log(`Ticket ${ticket}: nothing waits; a spare ticket.`);
        return await runOwnJob(services, runServices, message.jobId, ticketContext, runJob);
      }
      const { entry } = decision;
      // A claim, or for a redelivered ticket the renewal of its own: either way won only if nobody changed the entry since.
      if (!(await services.line.claim(entry, ticket, now + lineClaimInMs))) continue;
      const outcome = await runJob(runServices, entry.jobId, ticketContext);
      if (outcome.kind === 'ran') return;
      // Not a job to spend this ticket on: put the entry right, and take the next.
      if (outcome.kind === 'gone') await services.line.remove([entry.jobId]);
      else if (outcome.kind === 'ended') await services.line.markDone(entry.jobId, now);
      else await services.line.hold(entry.jobId, outcome.holder, outcome.until);
    }
    // Unlucky many times over (every claim lost, or every job dead): the turn passes to a fresh ticket.
    await services.jobQueue.enqueue(message.jobId, { delayInSeconds: 1 });
    log.warn(`Ticket ${ticket}: no job after ${maxTurnsPerTicket} tries; handed to a new message.`);
  } finally {
    await tidying;
  }
}

/**
 * A message whose job is not in the line, run as before the line: another message's worker may hold the
 * job (a duplicate message), and then it looks again when that claim runs out, with a new delayed message,
 * so the duplicate spends none of the job's dequeue attempts.
 */
async function runOwnJob(services: WorkerDeps, runServices: WorkerDeps, jobId: string, context: ProcessContext, runJob: (services: WorkerDeps, jobId: string, context: ProcessContext) => Promise<RunOutcome>): Promise<void> {
  const outcome = await runJob(runServices, jobId, context);
  if (outcome.kind !== 'busy') return;
  const now = context.now?.() ?? Date.now();
  await services.jobQueue.enqueue(jobId, { delayInSeconds: Math.min(600, Math.max(1, (outcome.until - now) / 1000)) });
  context.log.log(`Job ${jobId}: another worker holds it; looking again when its claim runs out.`);
}

/**
 * The ticket's slot on a deployment of the pool, waited for within the invocation's bounds (retryPolicy.ts
 * decideSlotWait); with every deployment out, until the first is due its probe.
 */
async function waitForSlot(services: Pick<WorkerDeps, 'imagePool'>, clock: ReturnType<typeof runClock>): Promise<GrantedSlot | { granted: false; retryAt: number }> {
  for (;;) {
    const slot = await services.imagePool.acquire(new Date(clock.now()));
    if (slot.granted) return slot;
    const decision = decideSlotWait(slot.retryAt.getTime(), { now: clock.now(), invocationStartedAt: clock.invocationStartedAt, ticket: true }, clock.policy);
    if (decision.kind === 'handOver') return { granted: false, retryAt: decision.at };
    await clock.sleep(decision.ms);
  }
}
