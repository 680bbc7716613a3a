/**
 * A quota like a deployment's: at most requestsPerMinute / 6 requests in any 10-second window (Azure enforces
 * per-minute quotas over short windows too).
 */
export interface Quota {
  /** Seconds until the quota admits another request, or 0 if it admits (and counts) this one now. */
  wait(): number;
}

const windowMs = 10_000;

export function createQuota(requestsPerMinute: number | undefined): Quota {
  const admitted: number[] = [];
  return {
    wait() {
      if (!requestsPerMinute) return 0;
      const limit = Math.max(1, Math.floor(requestsPerMinute / 6));
      const now = Date.now();
      while (admitted.length > 0 && (admitted[0] ?? 0) <= now - windowMs) admitted.shift();
      if (admitted.length >= limit) return Math.max(1, Math.ceil(((admitted[0] ?? now) + windowMs - now) / 1000));
      admitted.push(now);
      return 0;
    },
  };
}
