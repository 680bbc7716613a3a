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

/** Who takes a turn: a student of a school (a job's entry, or a presence mark, jobs/lineForecast.ts). */
export const turnKeyOf = (entry: Pick<LineEntry, 'tenantId' | 'student'>) => `${entry.tenantId}\n${entry.student}`;

/** Code-unit order, as every instance sorts the same (no locale). */
export const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface Ranked<T> {
  readonly entry: T;
  readonly key: string;
  /** Within a school: the student's starts when this job's turn comes. Across schools: the school's share then. */
  readonly rank: number;
}

const byRank = <T extends LineEntry>(a: Ranked<T>, b: Ranked<T>) => a.rank - b.rank || a.entry.acceptedAt - b.entry.acceptedAt || byCodeUnits(a.key, b.key);

/**
 * The waiting jobs in the order they will get their calls, if nothing else arrives. `weightOf` gives a
 * school's weight (a positive number; a school no longer in TENANTS gets 1).
 *
 * The turns are a merge, so they are computed as sorts (n log n; the line can hold thousands of jobs and
 * every submit asks for a place in it): a student's waiting jobs, oldest first, come at their starts so far,
 * +1, +2, …; within a school the student with the fewest starts goes first (then the older job, then the
 * student key), so the school's order is its jobs sorted by that; and the school's j-th job goes when the
 * school's share, (its starts + j + 1) / weight, is the lowest (then the older job, then the student key),
 * so the whole order is every job sorted by its school's share at its turn.
 */
export function fairOrder<T extends LineEntry>(entries: readonly T[], now: number, weightOf: (tenantId: string) => number = () => 1): T[] {
  return ranked(entries, now, weightOf)
    .sort(byRank)
    .map((entry) => entry.entry);
}

/** Every waiting job with the key the fair order sorts by: its school's share when its turn comes. */
function ranked<T extends LineEntry>(entries: readonly T[], now: number, weightOf: (tenantId: string) => number): Ranked<T>[] {
  const schoolStarts = new Map<string, number>();
  const studentStarts = new Map<string, number>();
  const waiting = new Map<string, T[]>();
  for (const entry of entries) {
    const key = turnKeyOf(entry);
    if (isWaiting(entry, now)) {
      const queue = waiting.get(key);
      if (queue) queue.push(entry);
      else waiting.set(key, [entry]);
      continue;
    }
    increment(schoolStarts, entry.tenantId);
    increment(studentStarts, key);
  }
  const bySchool = new Map<string, Ranked<T>[]>();
  for (const [key, queue] of waiting) {
    queue.sort((a, b) => a.acceptedAt - b.acceptedAt || byCodeUnits(a.jobId, b.jobId));
    const starts = studentStarts.get(key) ?? 0;
    queue.forEach((entry, index) => {
      const ranked = { entry, key, rank: starts + index };
      const school = bySchool.get(entry.tenantId);
      if (school) school.push(ranked);
      else bySchool.set(entry.tenantId, [ranked]);
    });
  }
  const all: Ranked<T>[] = [];
  for (const [tenantId, school] of bySchool) {
    school.sort(byRank);
    const weight = weightOf(tenantId);
    const starts = schoolStarts.get(tenantId) ?? 0;
    school.forEach((ranked, index) => all.push({ ...ranked, rank: (starts + index + 1) / (weight > 0 ? weight : 1) }));
  }
  return all;
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

/**
 * A waiting job's place in the fair order (1: next), or undefined when it is not waiting: the jobs that sort
 * before it, counted (every submit asks this of the whole line, so no sort of all of it).
 */
export function positionOf(jobId: string, entries: readonly LineEntry[], now: number, weightOf: (tenantId: string) => number = () => 1): number | undefined {
  const all = ranked(entries, now, weightOf);
  const target = all.find((candidate) => candidate.entry.jobId === jobId);
  if (!target) return undefined;
  let ahead = 0;
  for (const candidate of all) if (byRank(candidate, target) < 0) ahead++;
  return ahead + 1;
}
