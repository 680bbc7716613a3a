import { afterCall, breakerAdmits, closedBreaker, defaultBreakerOptions, describeBreaker, probeDueAt, probeStarted, type BreakerOptions, type BreakerState, type CallOutcome } from './circuitBreaker';
import type { ProviderPacer } from './pacer';

/**
 * One or more deployments of the same image model (IMAGE_DEPLOYMENTS), each with its own pacer, since Azure's
 * quota is per deployment's region, and its own circuit breaker. A call goes to the most preferred group
 * (lowest `priority`, as Azure API Management's backend pools order theirs) that has a slot now, round robin
 * within the group; a group whose deployments are all out or all busy spills over to the next. Breakers are
 * per instance: each instance learns of a failing deployment from its own calls, within a few of them.
 */

export interface PoolDeployment<Provider> {
  /** Unique in the pool; in logs, health and the job's record of where its call went. */
  readonly name: string;
  readonly region?: string;
  /** 1 is tried first. */
  readonly priority: number;
  readonly pacer: ProviderPacer;
  readonly provider: Provider;
}

export type PoolSlot<Provider> =
  | { readonly granted: true; readonly deployment: PoolDeployment<Provider>; readonly startAt: Date }
  /** `out`: every deployment it could use is taken out (not merely busy), so waiting is failing. */
  | { readonly granted: false; readonly retryAt: Date; readonly reason: 'busy' | 'out' };

export interface DeploymentHealth {
  readonly name: string;
  readonly region?: string;
  readonly priority: number;
  readonly state: 'available' | 'coolingDown' | 'probing';
  readonly until?: string;
}

export interface DeploymentPool<Provider> {
  readonly deployments: readonly PoolDeployment<Provider>[];
  /** The first listed: where one deployment stands for all (the health check's credentials). */
  readonly primary: PoolDeployment<Provider>;
  /** A slot on the best deployment that has one (leaving out `excluded`, which failed the job in hand), or when to ask again. */
  acquire(now?: Date, excluded?: ReadonlySet<string>): Promise<PoolSlot<Provider>>;
  /** What a call on `name` ended as; feeds its breaker. */
  report(name: string, outcome: CallOutcome, now?: Date): void;
  /** Whether a deployment not in `excluded` takes calls now (busy or not): a job failed by one deployment tries another. */
  hasOtherThan(excluded: ReadonlySet<string>, now?: Date): boolean;
  /** The average spacing of calls over the deployments that take calls, for estimates. */
  secondsPerCall(now?: Date): number;
  health(): DeploymentHealth[];
}

export interface DeploymentPoolOptions {
  readonly breaker?: BreakerOptions;
  /** Told when a deployment is taken out or comes back. */
  readonly onStateChange?: (deployment: string, health: DeploymentHealth) => void;
}

export function createDeploymentPool<Provider>(deployments: readonly PoolDeployment<Provider>[], options: DeploymentPoolOptions = {}): DeploymentPool<Provider> {
  const [primary] = deployments;
  if (!primary) throw new Error('A deployment pool needs at least one deployment.');
  const breakerOptions = options.breaker ?? defaultBreakerOptions;
  // With one deployment there is nowhere to send its calls: the worker's retry policy alone decides.
  const breakersOn = deployments.length > 1;
  const breakers = new Map<string, BreakerState>(deployments.map((deployment) => [deployment.name, closedBreaker]));
  const priorities = [...new Set(deployments.map((deployment) => deployment.priority))].sort((a, b) => a - b);
  let turn = 0;

  const breakerOf = (name: string) => breakers.get(name) ?? closedBreaker;
  const healthOf = (deployment: PoolDeployment<Provider>): DeploymentHealth => ({
    name: deployment.name,
    ...(deployment.region ? { region: deployment.region } : {}),
    priority: deployment.priority,
    ...describeBreaker(breakerOf(deployment.name)),
  });
  const setBreaker = (deployment: PoolDeployment<Provider>, next: BreakerState) => {
    const before = breakerOf(deployment.name);
    breakers.set(deployment.name, next);
    if (before.kind !== next.kind) options.onStateChange?.(deployment.name, healthOf(deployment));
  };
  const admitting = (now: number) => deployments.filter((deployment) => breakerAdmits(breakerOf(deployment.name), now, breakerOptions) !== 'no');

  return {
    deployments,
    primary,
    async acquire(at = new Date(), excluded = new Set<string>()) {
      const now = at.getTime();
      let retryAt = Number.POSITIVE_INFINITY;
      let anyAdmitted = false;
      turn++;
      for (const priority of priorities) {
        const group = deployments.filter((deployment) => deployment.priority === priority && !excluded.has(deployment.name));
        for (let offset = 0; offset < group.length; offset++) {
          const deployment = group[(turn + offset) % group.length];
          if (!deployment) continue;
          const breaker = breakerOf(deployment.name);
          const admits = breakerAdmits(breaker, now, breakerOptions);
          if (admits === 'no') {
            if (breaker.kind !== 'closed') retryAt = Math.min(retryAt, probeDueAt(breaker, breakerOptions));
            continue;
          }
          anyAdmitted = true;
          const slot = await deployment.pacer.tryAcquire(at);
          if (!slot.granted) {
            retryAt = Math.min(retryAt, slot.retryAt.getTime());
            continue;
          }
          if (admits === 'probe') setBreaker(deployment, probeStarted(breakerOf(deployment.name), now));
          return { granted: true, deployment, startAt: slot.startAt };
        }
      }
      return { granted: false, retryAt: new Date(Number.isFinite(retryAt) ? retryAt : now + 1000), reason: anyAdmitted ? 'busy' : 'out' };
    },
    report(name, outcome, at = new Date()) {
      const deployment = deployments.find((candidate) => candidate.name === name);
      if (deployment && breakersOn) setBreaker(deployment, afterCall(breakerOf(name), outcome, at.getTime(), breakerOptions));
    },
    hasOtherThan(excluded, at = new Date()) {
      return admitting(at.getTime()).some((deployment) => !excluded.has(deployment.name));
    },
    secondsPerCall(at = new Date()) {
      const open = admitting(at.getTime());
      // With every deployment out, estimates assume they come back as they were.
      const counted = open.length > 0 ? open : deployments;
      return 1 / counted.reduce((callsPerSecond, deployment) => callsPerSecond + 1 / deployment.pacer.secondsPerCall, 0);
    },
    health() {
      return deployments.map(healthOf);
    },
  };
}

/** What the logs say when a deployment is taken out, probed, or back: an operator sees which and until when. */
export function deploymentStateMessage(health: DeploymentHealth): { readonly level: 'log' | 'warn'; readonly message: string } {
  const which = `Image deployment ${health.name}${health.region ? ` (${health.region})` : ''}`;
  switch (health.state) {
    case 'coolingDown':
      return { level: 'warn', message: `${which} is taken out until ${health.until ?? 'its cool-down ends'}: it kept failing calls; its calls go to the other deployments.` };
    case 'probing':
      return { level: 'log', message: `${which}: one probe call, to see whether it is back.` };
    case 'available':
      return { level: 'log', message: `${which} is back: its probe call was answered.` };
  }
}
