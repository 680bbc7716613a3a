/**
 * Turns: the order in which waiting jobs get their calls when calls are paced, as a pure policy over the
 * line's entries. Schools take turns first, each in proportion to its weight (TENANTS `weight`, default 1);
 * within a school, students take turns: a student's next job waits until each waiting classmate has had as
 * many jobs started (everyone's first picture before anyone's second). The LMS's jobs without a student are
 * one more "student". Ties go to the job accepted first, so one student alone is served first come first served.
 *
 * Starts count while their entries are kept (a finished job's entry is kept for the fairness window, then
 * removed), so a school that had its share a minute ago does not start again as if it had had none.
 */

import type { JobRecord } from './job';

export type TurnState = 'waiting' | 'started' | 'done';

/**
 * The longest a finished job's entry stays in the line, from its end: its start counts in the turns while it
 * is there, so a class's recent pictures weigh against a school that arrives a few minutes later; short, as
 * the line holds pseudonymous student keys.
 */
export const fairnessWindowInMs = 10 * 60_000;

/**
 * Finished entries leave in batches, not one request per job: once the oldest reaches the window's end, it
 * goes with every one within this much of it. So a start counts for 5 to 10 minutes, and the sweep (every 5
 * minutes) removing the same keeps any entry from outstaying the window when no ticket comes.
 */
export const removalBatchInMs = 5 * 60_000;

export interface LineEntry {
  readonly jobId: string;
  readonly tenantId: string;
  /** The student's pseudonym, or '' for the LMS's own jobs. */
  readonly student: string;
  readonly acceptedAt: number;
  readonly state: TurnState;
  /** For a started job: the ticket (queue message) that claimed it, and until when its claim holds. */
  readonly claimedBy?: string;
  readonly claimedUntil?: number;
  /** For a done job: when it ended (its start counts until fairnessWindowInMs after). */
  readonly endedAt?: number;
}

/**
 * A job's entry as submit adds it: the student is their pseudonymous key (`studentKey`, never the LMS's
 * id), '' for the LMS's own jobs, which take their turns as one more student.
 */
export function lineEntryFor(job: Pick<JobRecord, 'id' | 'tenantId' | 'createdDateTime' | 'request'>, studentKey: (tenantId: string, user: string) => string): Omit<LineEntry, 'state'> {
  return {
    jobId: job.id,
    tenantId: job.tenantId,
    student: job.request.user === undefined ? '' : studentKey(job.tenantId, job.request.user),
    acceptedAt: Date.parse(job.createdDateTime),
  };
}

/**
 * Finished entries to remove now: none until the oldest reaches the window's end (or `always`, for the
 * sweep), then each within removalBatchInMs of it. An entry done without an end time goes at once.
 */
export function finishedToRemove<T extends LineEntry>(entries: readonly T[], now: number, options: { always?: boolean } = {}): T[] {
  const done = entries.filter((entry) => entry.state === 'done');
  const age = (entry: LineEntry) => now - (entry.endedAt ?? 0);
  if (!options.always && !done.some((entry) => age(entry) >= fairnessWindowInMs)) return [];
  return done.filter((entry) => age(entry) >= fairnessWindowInMs - removalBatchInMs);
}

/** A started job whose ticket's claim ran out without the job ending: its ticket died, and it waits again. */
export function isOrphaned(entry: LineEntry, now: number): boolean {
  return entry.state === 'started' && (entry.claimedUntil ?? 0) <= now;
}

const isWaiting = (entry: LineEntry, now: number) => entry.state === 'waiting' || isOrphaned(entry, now);

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

const studentKey = (entry: LineEntry) => `${entry.tenantId}\n${entry.student}`;

/**
 * The waiting jobs in the order they will get their calls, if nothing else arrives. `weightOf` gives a
 * school's weight (a positive number; a school no longer in TENANTS gets 1).
 */
export function fairOrder<T extends LineEntry>(entries: readonly T[], now: number, weightOf: (tenantId: string) => number = () => 1): T[] {
  const schoolStarts = new Map<string, number>();
  const studentStarts = new Map<string, number>();
  for (const entry of entries) {
    if (isWaiting(entry, now)) continue;
    increment(schoolStarts, entry.tenantId);
    increment(studentStarts, studentKey(entry));
  }
  // Each student's waiting jobs, oldest first; each school's students.
  const queues = new Map<string, T[]>();
  for (const entry of entries.filter((candidate) => isWaiting(candidate, now)).sort((a, b) => a.acceptedAt - b.acceptedAt || a.jobId.localeCompare(b.jobId))) {
    const queue = queues.get(studentKey(entry));
    if (queue) queue.push(entry);
    else queues.set(studentKey(entry), [entry]);
  }
  const order: T[] = [];
  while (queues.size > 0) {
    const key = nextStudent(queues, schoolStarts, studentStarts, weightOf);
    const queue = key === undefined ? undefined : queues.get(key);
    const next = queue?.shift();
    if (key === undefined || !queue || !next) break;
    if (queue.length === 0) queues.delete(key);
    order.push(next);
    increment(schoolStarts, next.tenantId);
    increment(studentStarts, key);
  }
  return order;
}

interface Turn {
  readonly key: string;
  readonly tenantId: string;
  readonly starts: number;
  readonly acceptedAt: number;
}

/** Whether `a` goes before `b`: fewer starts, then the older job, then the key (so every instance agrees). */
function before(a: Turn, aStarts: number, b: Turn, bStarts: number): boolean {
  if (aStarts !== bStarts) return aStarts < bStarts;
  if (a.acceptedAt !== b.acceptedAt) return a.acceptedAt < b.acceptedAt;
  return a.key < b.key;
}

/**
 * In two steps, so the order is total: each school's next student (fewest starts, then oldest job), then the
 * school furthest behind its weighted share (then the older of the schools' next jobs).
 */
function nextStudent(
  queues: ReadonlyMap<string, readonly LineEntry[]>,
  schoolStarts: ReadonlyMap<string, number>,
  studentStarts: ReadonlyMap<string, number>,
  weightOf: (tenantId: string) => number,
): string | undefined {
  const perSchool = new Map<string, Turn>();
  for (const [key, queue] of queues) {
    const first = queue[0];
    if (!first) continue;
    const turn: Turn = { key, tenantId: first.tenantId, starts: studentStarts.get(key) ?? 0, acceptedAt: first.acceptedAt };
    const current = perSchool.get(first.tenantId);
    if (!current || before(turn, turn.starts, current, current.starts)) perSchool.set(first.tenantId, turn);
  }
  const share = (tenantId: string) => {
    const weight = weightOf(tenantId);
    return ((schoolStarts.get(tenantId) ?? 0) + 1) / (weight > 0 ? weight : 1);
  };
  let best: Turn | undefined;
  for (const turn of perSchool.values()) {
    if (!best || before(turn, share(turn.tenantId), best, share(best.tenantId))) best = turn;
  }
  return best?.key;
}

export type TicketDecision<T extends LineEntry = LineEntry> =
  /** The ticket claimed this job before (its message was delivered again): go on with it. */
  | { readonly kind: 'resume'; readonly entry: T }
  /** Claim this job, the fairest waiting one. */
  | { readonly kind: 'claim'; readonly entry: T }
  /** Nothing waits: this ticket is spare (a job was canceled, or recovery sent one more). */
  | { readonly kind: 'none' };

/** What a ticket (one queue message) does with the line as it stands. */
export function decideTicket<T extends LineEntry>(entries: readonly T[], ticketId: string, now: number, weightOf?: (tenantId: string) => number): TicketDecision<T> {
  const own = entries.find((entry) => entry.state === 'started' && entry.claimedBy === ticketId);
  if (own) return { kind: 'resume', entry: own };
  const [next] = fairOrder(entries, now, weightOf);
  return next ? { kind: 'claim', entry: next } : { kind: 'none' };
}

/** A waiting job's place in the fair order (1: next), or undefined when it is not waiting. */
export function positionOf(jobId: string, entries: readonly LineEntry[], now: number, weightOf?: (tenantId: string) => number): number | undefined {
  const index = fairOrder(entries, now, weightOf).findIndex((entry) => entry.jobId === jobId);
  return index < 0 ? undefined : index + 1;
}
