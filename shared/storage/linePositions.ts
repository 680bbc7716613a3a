import type { JobRecord } from '../jobs/job';
import { lineEntryFor, positionOf, type LineEntry } from '../jobs/turns';
import type { LineStore } from './lineStore';

/**
 * A waiting job's place in line for its status: where the fair order (jobs/turns.ts) puts it among the
 * jobs waiting now, so the position and the estimate follow the turns, not the order of arrival.
 */
export interface LinePositions {
  /**
   * The job's place (1: next), or undefined when a ticket has claimed it already. `messageSent` says whether
   * its message is on the queue already; a submit's answer is made before its output binding sends it.
   */
  position(job: JobRecord, options?: { messageSent?: boolean }): Promise<number | undefined>;
}

/**
 * The line and the queue's length may be this old: under load every submit and every status read of a
 * waiting job would otherwise read both for a number that is an estimate anyway. After a burst they are
 * fresh again within a second.
 */
const estimateMaxAgeInMs = 1000;

/** A value read at most once per `maxAgeInMs` in this process; concurrent callers share one read. */
function recentValue<T>(read: () => Promise<T>, maxAgeInMs: number): () => Promise<T> {
  let last: { readonly at: number; readonly value: Promise<T> } | undefined;
  return () => {
    if (!last || Date.now() - last.at > maxAgeInMs) {
      const value = read();
      last = { at: Date.now(), value };
      // A failed read is not kept: the next caller reads again.
      value.catch(() => {
        if (last?.value === value) last = undefined;
      });
    }
    return last.value;
  };
}

/**
 * A job's place from the line as last read (at most a second ago). A job not in that read (submitted since,
 * or from before the line) is placed as a waiting entry of its own. The queue's length bounds the place:
 * each waiting job has a message there, so a line that still holds entries of jobs that will never start
 * (a crash between a job's end and its entry's) cannot push a job back.
 */
export function createLinePositions(parts: {
  readonly line: Pick<LineStore, 'list'>;
  readonly queueLength: () => Promise<number>;
  readonly weightOf: (tenantId: string) => number;
  readonly studentKey: (tenantId: string, user: string) => string;
}): LinePositions {
  const entries = recentValue(() => parts.line.list(), estimateMaxAgeInMs);
  const queued = recentValue(parts.queueLength, estimateMaxAgeInMs);
  return {
    async position(job, options = {}) {
      const [line, waiting] = await Promise.all([entries(), queued().catch(() => undefined)]);
      const own = line.some((entry) => entry.jobId === job.id);
      const withOwn: LineEntry[] = own ? line : [...line, { ...lineEntryFor(job, parts.studentKey), state: 'waiting' }];
      const place = positionOf(job.id, withOwn, Date.now(), parts.weightOf);
      if (place === undefined) return undefined;
      const onQueue = waiting === undefined ? place : waiting + (options.messageSent === false ? 1 : 0);
      return Math.max(1, Math.min(place, onQueue));
    },
  };
}
