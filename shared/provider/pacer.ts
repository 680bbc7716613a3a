import type { CounterStore } from '../storage/counterStore';

/**
 * Paces provider calls to the deployment's quota across every instance, with a shared budget in storage:
 * time is cut into windows of 60 / requestsPerMinute seconds (at least one second) and each window admits
 * its share of calls, counted under ETags. Calls are spread evenly instead of bursting into 429s. It is
 * exact about what it admits; the provider's own window may be aligned differently, so a rare 429 can
 * still come back, and is then waited out as the provider asks.
 */
export interface ProviderPacer {
  /**
   * Takes a slot for one call, or says when the next window opens. A granted slot says when its call may
   * start (`startAt`): the window's calls are spread across it, not sent together at its start.
   */
  tryAcquire(now?: Date): Promise<{ granted: true; startAt: Date } | { granted: false; retryAt: Date }>;
  /** The average spacing of calls, for estimates. */
  readonly secondsPerCall: number;
}

export function createProviderPacer(counters: CounterStore, budgetName: string, requestsPerMinute: number): ProviderPacer {
  const windowMs = Math.max(1000, Math.ceil(60_000 / requestsPerMinute));
  const callsPerWindow = Math.max(1, Math.round((requestsPerMinute * windowMs) / 60_000));
  return {
    secondsPerCall: 60 / requestsPerMinute,
    async tryAcquire(now = new Date()) {
      const window = Math.floor(now.getTime() / windowMs);
      const { added, count } = await counters.tryAdd(`pacing/${budgetName}/${window}`, 1, callsPerWindow);
      // The provider counts over sliding windows (Azure: per 10 s), so calls bunched at each window's start
      // overshoot it: the second slot of a window starts half-way through, and so on.
      return added
        ? { granted: true, startAt: new Date(window * windowMs + ((count - 1) * windowMs) / callsPerWindow) }
        : { granted: false, retryAt: new Date((window + 1) * windowMs + Math.random() * 100) };
    },
  };
}
