import type { JobRecord } from '../jobs/job';
import { forecastPlaceOf, type Presence } from '../jobs/lineForecast';
import { lineEntryFor, type LineEntry } from '../jobs/turns';
import type { LineStore } from './lineStore';

/**
 * A waiting job's place in line for its status: where the fair order (jobs/turns.ts) puts it among the
 * jobs waiting now and the classmates' jobs forecast from who opened the studio (jobs/lineForecast.ts), so
 * the position and the estimate follow the turns, not the order of arrival.
 */
export interface LinePositions {
  /**
   * The job's place (1: next), or undefined when a ticket has claimed it already. `messageSent` says whether
   * its message is on the queue already; a submit's answer is made before its output binding sends it.
   */
  position(job: JobRecord, options?: { messageSent?: boolean }): Promise<number | undefined>;
  /**
   * A job this instance has just put in line: counted until a read of the line (and of the queue) made after
   * it shows it, so the answers of a burst of submits see each other instead of a line a second old.
   */
  noteAdded(entry: Omit<LineEntry, 'state'>): void;
}

/**
 * The line and the queue's length may be this old: under load every submit and every status read of a
 * waiting job would otherwise read both for a number that is an estimate anyway. After a burst they are
 * fresh again within a second.
 */
const estimateMaxAgeInMs = 1000;

interface Read<T> {
  /** When the read started: what changed after it may be missing from it. */
  readonly at: number;
  readonly value: Promise<T>;
}

/** A value read at most once per `maxAgeInMs` in this process; concurrent callers share one read. */
function recentValue<T>(read: () => Promise<T>, maxAgeInMs: number): () => Read<T> {
  let last: Read<T> | undefined;
  return () => {
    if (!last || Date.now() - last.at > maxAgeInMs) {
      const value = read();
      const current = { at: Date.now(), value };
      last = current;
      // A failed read is not kept: the next caller reads again.
      value.catch(() => {
        if (last === current) last = undefined;
      });
    }
    return last;
  };
}

/** How long a noted add is kept: well past the next read of the line. */
const noteKeptInMs = 10 * estimateMaxAgeInMs;

/**
 * A job's place from the line and the presence marks as last read (at most a second ago). A job not in that
 * read (submitted since, or from before the line) is placed as a waiting entry of its own. The queue's length
 * bounds the place in the line as it stands: each waiting job has a message there, so a line that still holds
 * entries of jobs that will never start (a crash between a job's end and its entry's) cannot push a job back.
 * The forecast classmates' jobs come on top; without the marks (a failed read) there is no forecast.
 */
export function createLinePositions(parts: {
  readonly line: Pick<LineStore, 'list'>;
  /** Who opened the studio lately (storage/presenceStore.ts). */
  readonly present: () => Promise<readonly Presence[]>;
  readonly queueLength: () => Promise<number>;
  readonly weightOf: (tenantId: string) => number;
  readonly studentKey: (tenantId: string, user: string) => string;
}): LinePositions {
  const entries = recentValue(() => parts.line.list(), estimateMaxAgeInMs);
  const queued = recentValue(parts.queueLength, estimateMaxAgeInMs);
  const present = recentValue(parts.present, estimateMaxAgeInMs);
  let noted: { readonly at: number; readonly entry: LineEntry }[] = [];
  return {
    noteAdded(entry) {
      const now = Date.now();
      noted = [...noted.filter((note) => now - note.at < noteKeptInMs), { at: now, entry: { ...entry, state: 'waiting' } }];
    },
    async position(job, options = {}) {
      const lineRead = entries();
      const queueRead = queued();
      const [line, waiting, marks] = await Promise.all([lineRead.value, queueRead.value.catch(() => undefined), present().value.catch(() => [])]);
      // This instance's adds since the reads began, which the reads may not show yet.
      const newer = (since: number) => noted.filter((note) => note.at >= since).map((note) => note.entry);
      const known = new Set(line.map((entry) => entry.jobId));
      const added = newer(lineRead.at).filter((entry) => !known.has(entry.jobId));
      const withAdds = [...line, ...added];
      const withOwn: LineEntry[] = withAdds.some((entry) => entry.jobId === job.id) ? withAdds : [...withAdds, { ...lineEntryFor(job, parts.studentKey), state: 'waiting' }];
      const place = forecastPlaceOf(job.id, withOwn, marks, Date.now(), parts.weightOf);
      if (place === undefined) return undefined;
      const onQueue = waiting === undefined ? place.now : waiting + newer(queueRead.at).length + (options.messageSent === false ? 1 : 0);
      return Math.max(1, Math.min(place.now, onQueue)) + (place.forecast - place.now);
    },
  };
}
