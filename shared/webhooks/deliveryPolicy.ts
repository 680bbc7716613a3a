/**
 * When to try a webhook again: a pure function of the outcome, the attempt and the clock, tested on a fake
 * clock. The schedule follows the Standard Webhooks guidance (quick retries first, then spaced out) and keeps
 * trying for a little over a day, so a receiver that is down overnight still gets its events: 5 s, 30 s,
 * 2 min, 10 min, 30 min, then every hour, until 25 hours after the first attempt. Each delay is jittered by
 * up to ±10% so that a receiver coming back is not hit by every retry at once.
 */

export type AttemptOutcome =
  | { readonly kind: 'delivered'; readonly statusCode: number }
  /** The receiver answered, but not with 2xx (a 3xx counts: redirects are never followed). */
  | { readonly kind: 'rejected'; readonly statusCode: number }
  /** No answer: timeout, connection refused or reset, DNS failure. */
  | { readonly kind: 'unreachable'; readonly reason: string }
  /** The target is not allowed (http outside local development, or a private address). */
  | { readonly kind: 'refused'; readonly reason: string };

export type DeliveryDecision =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'retry'; readonly at: number }
  | { readonly kind: 'giveUp'; readonly reason: string };

export interface DeliveryPolicyOptions {
  readonly delaysInSeconds: readonly number[];
  /** After the listed delays, every this many seconds. */
  readonly thenEveryInSeconds: number;
  /** No retry starts later than this after the first attempt. */
  readonly windowInMs: number;
  /** Fraction of a delay added or taken away at random. */
  readonly jitter: number;
}

export const defaultDeliveryPolicy: DeliveryPolicyOptions = {
  delaysInSeconds: [5, 30, 120, 600, 1800],
  thenEveryInSeconds: 3600,
  windowInMs: 25 * 3600_000,
  jitter: 0.1,
};

export interface AttemptContext {
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly firstAttemptAt: number;
  readonly now: number;
  /** In [0, 1); Math.random in production, fixed in tests. */
  readonly random: number;
}

export function decideDelivery(outcome: AttemptOutcome, context: AttemptContext, policy: DeliveryPolicyOptions = defaultDeliveryPolicy): DeliveryDecision {
  if (outcome.kind === 'delivered') return { kind: 'delivered' };
  if (outcome.kind === 'refused') return { kind: 'giveUp', reason: `target refused: ${outcome.reason}` };
  // 410 Gone is how a receiver says "this endpoint is no more" in the Standard Webhooks guidance.
  if (outcome.kind === 'rejected' && outcome.statusCode === 410) return { kind: 'giveUp', reason: 'the receiver answered 410 Gone' };
  const base = policy.delaysInSeconds[context.attempt - 1] ?? policy.thenEveryInSeconds;
  const delayInMs = base * 1000 * (1 + policy.jitter * (2 * context.random - 1));
  const at = context.now + Math.round(delayInMs);
  if (at - context.firstAttemptAt > policy.windowInMs) {
    return { kind: 'giveUp', reason: `no success within ${Math.round(policy.windowInMs / 3600_000)} hours` };
  }
  return { kind: 'retry', at };
}
