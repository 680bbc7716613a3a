import type { CounterStore } from '../storage/counterStore';

/**
 * Paces provider calls to the deployment's quota across every instance, with a shared budget in storage:
 * time is cut into windows of about a second (longer when the quota allows less than a call a second) and
 * each window admits its share of calls, counted under ETags. Calls are spread evenly instead of bursting
 * into 429s. It is exact about what it admits, but the provider counts arrivals over its own sliding window
 * (Azure: a sixth of the quota per 10 s), and calls reach it a little early or late: paced at exactly the
 * quota, a call that arrives 50 ms early ten slots after one that arrived late makes eleven in ten seconds,
 * a 429, and that job loses its turn. So the pace keeps 2 % below the quota, and where a window holds one
 * call, a call that starts well into it (the first after a quiet spell, at 0.7 s into a 1 s window) takes
 * the next window too, as the next call would otherwise follow it within 0.3 s. A rare 429 can still come
 * back, and is then waited out as the provider asks.
 */
export interface ProviderPacer {
  /**
   * Takes a slot for one call, or says when the next window opens (its start: the callers spread their
   * retries, worker/retryPolicy.ts decideSlotWait). A granted slot says when its call may start
   * (`startAt`): the window's calls are spread across it, not sent together at its start.
   */
  tryAcquire(now?: Date): Promise<{ granted: true; startAt: Date } | { granted: false; retryAt: Date }>;
  /** The average spacing of calls, for estimates. */
  readonly secondsPerCall: number;
}

/** The pace against the quota: 2 % slower, room for 200 ms of drift across a 10-second window. */
const headroom = 1.02;

/**
 * How late into its slot a call may start before it takes the next slot as well: less than the drift the
 * headroom leaves room for (200 ms in 10 s), less the 20 ms a waiting ticket adds (worker/retryPolicy.ts).
 */
const lateMs = (headroom - 1) * 10_000 - 20;

export function createProviderPacer(counters: CounterStore, budgetName: string, requestsPerMinute: number): ProviderPacer {
  const spacingMs = (60_000 / requestsPerMinute) * headroom;
  // Whole slots per window, so a window never admits more than its time allows (90 a minute is not 2 a second).
  const callsPerWindow = Math.max(1, Math.floor(1000 / spacingMs));
  const windowMs = callsPerWindow * spacingMs;
  const counterOf = (window: number) => `pacing/${budgetName}/${window}`;
  return {
    secondsPerCall: spacingMs / 1000,
    async tryAcquire(now = new Date()) {
      const window = Math.floor(now.getTime() / windowMs);
      const { added, count } = await counters.tryAdd(counterOf(window), 1, callsPerWindow);
      // Rounded up: a window need not be a whole number of ms, and a retry at its truncated start would still be in this one.
      if (!added) return { granted: false, retryAt: new Date(Math.ceil((window + 1) * windowMs)) };
      // The provider counts over sliding windows (Azure: per 10 s), so calls bunched at each window's start
      // overshoot it: the second slot of a window starts half-way through, and so on.
      const slotAt = window * windowMs + (count - 1) * spacingMs;
      // Only where a slot is a whole window (quotas below about two calls a second, as image models have): with
      // several calls a window the headroom covers the drift, and a second write per call would cost more.
      if (callsPerWindow === 1 && now.getTime() - slotAt > Math.min(lateMs, spacingMs / 4)) {
        // Taken if still free; if another call has it, that call is already due and nothing more can be done.
        await counters.tryAdd(counterOf(window + 1), 1, callsPerWindow).catch(() => undefined);
      }
      return { granted: true, startAt: new Date(slotAt) };
    },
  };
}
