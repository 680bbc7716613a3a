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

/**
 * A long line is read less often: listing it costs storage (a request per thousand entries) and the storage
 * service's time for every instance's next submits, while a place among thousands moves little in a few
 * seconds (this instance's own adds are counted at once, noteAdded). Every second up to 500 entries, then
 * 2 ms per entry (2 s at 1,000), at most every 10 s.
 */
const lineMaxAgeInMs = (entries: readonly unknown[]) => Math.min(10 * estimateMaxAgeInMs, Math.max(estimateMaxAgeInMs, entries.length * 2));

/** A read not yet come is waited for this long before another starts. */
const pendingMaxAgeInMs = 5 * estimateMaxAgeInMs;

interface Read<T> {
  /** When the read started: what changed after it may be missing from it. */
  readonly at: number;
  readonly value: Promise<T>;
  /** How long it may be used once it has come; while it has not, up to pendingMaxAgeInMs. */
  maxAgeInMs: number;
}

/**
 * A value read at most once per `maxAgeInMs` (of the value last read) in this process; concurrent callers
 * share one read, and a read still under way is waited for rather than started again (a long line can take
 * over a second to list), up to 5 s: a read that hangs longer is left, and the next caller starts another.
 */
function recentValue<T>(read: () => Promise<T>, maxAgeInMs: (value: T) => number): () => Read<T> {
  let last: Read<T> | undefined;
  return () => {
    if (!last || Date.now() - last.at > last.maxAgeInMs) {
      const value = read();
      const current: Read<T> = { at: Date.now(), value, maxAgeInMs: pendingMaxAgeInMs };
      last = current;
      value.then(
        (result) => {
          current.maxAgeInMs = maxAgeInMs(result);
        },
        // A failed read is not kept: the next caller reads again.
        () => {
          if (last === current) last = undefined;
        },
      );
    }
    return last;
  };
}

/** How long a noted add is kept: well past the next read of the line. */
const noteKeptInMs = 20 * estimateMaxAgeInMs;

/**
 * A job's place from the line and the presence marks as last read (a second ago at most; a long line, up to
 * 10 s: lineMaxAgeInMs). A job not in that read (submitted since, or from before the line) is placed as a
 * waiting entry of its own. The queue's length bounds the place in the line as it stands: each waiting job
 * has a message there, so a line that still holds entries of jobs that will never start (a crash between a
 * job's end and its entry's) cannot push a job back. The forecast classmates' jobs come on top; without the
 * marks (a failed read) there is no forecast.
 */
export function createLinePositions(parts: {
  readonly line: Pick<LineStore, 'list'>;
  /** Who opened the studio lately (storage/presenceStore.ts). */
  readonly present: () => Promise<readonly Presence[]>;
  readonly queueLength: () => Promise<number>;
  readonly weightOf: (tenantId: string) => number;
  readonly studentKey: (tenantId: string, user: string) => string;
}): LinePositions {
  // With the read, its job ids, made once per read rather than once per submit.
  const entries = recentValue(
    () => parts.line.list().then((list) => ({ list, ids: new Set(list.map((entry) => entry.jobId)) })),
    (read) => lineMaxAgeInMs(read.list),
  );
  const queued = recentValue(parts.queueLength, () => estimateMaxAgeInMs);
  const present = recentValue(parts.present, () => estimateMaxAgeInMs);
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
      const added = newer(lineRead.at).filter((entry) => !line.ids.has(entry.jobId));
      const own = line.ids.has(job.id) || added.some((entry) => entry.jobId === job.id) ? [] : [{ ...lineEntryFor(job, parts.studentKey), state: 'waiting' as const }];
      const withOwn: LineEntry[] = [...line.list, ...added, ...own];
      const place = forecastPlaceOf(job.id, withOwn, marks, Date.now(), parts.weightOf);
      if (place === undefined) return undefined;
      const onQueue = waiting === undefined ? place.now : waiting + newer(queueRead.at).length + (options.messageSent === false ? 1 : 0);
      return Math.max(1, Math.min(place.now, onQueue)) + (place.forecast - place.now);
    },
  };
}
