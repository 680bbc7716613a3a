/**
 * A deployment's circuit breaker, as pure transitions over a small record (the pool keeps one per deployment,
 * per instance). A deployment that keeps failing in a way that is its own fault, not the job's (5xx, timeouts,
 * refused credentials, a deployment not found, or 429s beyond its pace), is taken out for a cool-down; after
 * it one call is let through as a probe, and the deployment is back when the probe succeeds, out again (for
 * twice as long, up to a cap) when it fails. Azure API Management's backend circuit breaker works the same way.
 */

/**
 * What a call on a deployment ended as, from the deployment's point of view: `deploymentFault` (5xx, timeout,
 * a 429 beyond its pace) counts towards taking it out; `deploymentMisconfigured` (credentials refused, the
 * deployment not found) takes it out at once, as no retry can mend it; `jobFault` (a content filter, a bad
 * request) says nothing of the deployment.
 */
export type CallOutcome = 'succeeded' | 'deploymentFault' | 'deploymentMisconfigured' | 'jobFault';

export type BreakerState =
  | { readonly kind: 'closed'; readonly consecutiveFaults: number }
  | { readonly kind: 'open'; readonly until: number; readonly coolDownMs: number }
  /** The cool-down is over and one probe call is out; others wait for its answer. */
  | { readonly kind: 'probing'; readonly since: number; readonly coolDownMs: number };

export interface BreakerOptions {
  /** Faults in a row that take a deployment out. */
  readonly faultsToOpen: number;
  readonly coolDownMs: number;
  /** Each failed probe doubles the cool-down, up to this. */
  readonly maxCoolDownMs: number;
  /** A probe that never reports (its instance died) frees the deployment for another probe after this. */
  readonly probeTimeoutMs: number;
}

export const defaultBreakerOptions: BreakerOptions = {
  faultsToOpen: 3,
  coolDownMs: 30_000,
  maxCoolDownMs: 5 * 60_000,
  probeTimeoutMs: 120_000,
};

export const closedBreaker: BreakerState = { kind: 'closed', consecutiveFaults: 0 };

/** For a deployment that is out: when it takes its (next) probe, at the cool-down's end or when a probe that never answered is given up. */
export function probeDueAt(state: Exclude<BreakerState, { kind: 'closed' }>, options: BreakerOptions = defaultBreakerOptions): number {
  return state.kind === 'open' ? state.until : state.since + options.probeTimeoutMs;
}

/** Whether a call may go to the deployment now: a plain call, the one probe, or none. */
export function breakerAdmits(state: BreakerState, now: number, options: BreakerOptions = defaultBreakerOptions): 'call' | 'probe' | 'no' {
  if (state.kind === 'closed') return 'call';
  return now >= probeDueAt(state, options) ? 'probe' : 'no';
}

/** The state once a probe has been let through. */
export function probeStarted(state: BreakerState, now: number): BreakerState {
  return state.kind === 'closed' ? state : { kind: 'probing', since: now, coolDownMs: state.coolDownMs };
}

/** The state after a call's outcome. A job's fault during a probe still shows the deployment answers. */
export function afterCall(state: BreakerState, outcome: CallOutcome, now: number, options: BreakerOptions = defaultBreakerOptions): BreakerState {
  if (outcome === 'jobFault') return state.kind === 'probing' ? closedBreaker : state;
  if (outcome === 'succeeded') return closedBreaker;
  switch (state.kind) {
    case 'closed': {
      const consecutiveFaults = outcome === 'deploymentMisconfigured' ? options.faultsToOpen : state.consecutiveFaults + 1;
      return consecutiveFaults >= options.faultsToOpen ? { kind: 'open', until: now + options.coolDownMs, coolDownMs: options.coolDownMs } : { kind: 'closed', consecutiveFaults };
    }
    case 'probing': {
      const coolDownMs = Math.min(options.maxCoolDownMs, state.coolDownMs * 2);
      return { kind: 'open', until: now + coolDownMs, coolDownMs };
    }
    case 'open':
      // A call that started before the deployment was taken out and failed after: it is out already.
      return state;
  }
}

/** For health and logs: `available`, `coolingDown` (out, until when) or `probing`. */
export function describeBreaker(state: BreakerState): { state: 'available' | 'coolingDown' | 'probing'; until?: string } {
  switch (state.kind) {
    case 'closed':
      return { state: 'available' };
    case 'open':
      return { state: 'coolingDown', until: new Date(state.until).toISOString() };
    case 'probing':
      return { state: 'probing' };
  }
}
