import type { CounterStore } from './counterStore';

/**
 * A waiting line for estimates: each accepted job takes a ticket, each started job counts. A job's position
 * is its ticket minus the started count; approximate when jobs start out of order or a ticket is wasted.
 * Tickets taken for jobs that never start (a failed submit, a cancel before the start, a crash) would push
 * every later job back for good, so the queue's own length bounds the position: an idle service says
 * "first in line" whatever its tickets say.
 */
export interface WaitingLine {
  join(): Promise<number>;
  markStarted(): Promise<void>;
  /**
   * The position of the job holding `ticket` (1: next). `messageSent` says whether its message is on the
   * queue already; a submit's answer is made before its output binding sends it.
   */
  position(ticket: number, options?: { messageSent?: boolean }): Promise<number>;
}

/**
 * A job's place in line (1: next) from its ticket and the started count, bounded by the messages on the
 * queue: the tickets drift, the queue's length does not. `queued` is absent when the queue could not be read.
 */
export function positionInLine(line: { ticket: number; started: number; queued?: number; messageSent: boolean }): number {
  const fromTickets = line.ticket - line.started;
  const onQueue = line.queued === undefined ? fromTickets : line.queued + (line.messageSent ? 0 : 1);
  return Math.max(1, Math.min(fromTickets, onQueue));
}

/**
 * The started count and the queue's length may be this old: under load every submit and every status read
 * of a waiting job would otherwise read both (two storage calls of a submit's eight) for a number that is an
 * estimate anyway. After a burst they are fresh again within a second.
 */
const estimateMaxAgeInMs = 1000;

/** A value read at most once per `maxAgeInMs` in this process; concurrent callers share one read. */
function recentValue(read: () => Promise<number>, maxAgeInMs: number): () => Promise<number> {
  let last: { readonly at: number; readonly value: Promise<number> } | undefined;
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

export function createWaitingLine(counters: CounterStore, lineName: string, queueLength: () => Promise<number>): WaitingLine {
  const started = recentValue(() => counters.get(`line/${lineName}/started`), estimateMaxAgeInMs);
  const queued = recentValue(queueLength, estimateMaxAgeInMs);
  return {
    async join() {
      return (await counters.tryAdd(`line/${lineName}/tickets`, 1, Number.MAX_SAFE_INTEGER)).count;
    },
    async markStarted() {
      await counters.tryAdd(`line/${lineName}/started`, 1, Number.MAX_SAFE_INTEGER);
    },
    async position(ticket, options = {}) {
      const [startedCount, waiting] = await Promise.all([started(), queued().catch(() => undefined)]);
      return positionInLine({ ticket, started: startedCount, ...(waiting !== undefined ? { queued: waiting } : {}), messageSent: options.messageSent ?? true });
    },
  };
}
