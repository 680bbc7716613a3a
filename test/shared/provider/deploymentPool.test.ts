import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDeploymentPool, type PoolDeployment } from '../../../shared/provider/deploymentPool';
import type { ProviderPacer } from '../../../shared/provider/pacer';

/** A pacer with `free` slots per 1 s window, in memory: the pool's own logic under test, not storage's. */
function fakePacer(requestsPerMinute: number, free = Number.POSITIVE_INFINITY): ProviderPacer & { taken: number } {
  const pacer = {
    taken: 0,
    secondsPerCall: 60 / requestsPerMinute,
    tryAcquire(now = new Date()) {
      if (pacer.taken >= free) return Promise.resolve({ granted: false as const, retryAt: new Date(now.getTime() + 1000) });
      pacer.taken++;
      return Promise.resolve({ granted: true as const, startAt: now });
    },
  };
  return pacer;
}

function deployment(name: string, priority = 1, pacer = fakePacer(60)): PoolDeployment<string> {
  return { name, priority, pacer, provider: `provider of ${name}` };
}

const breaker = { faultsToOpen: 2, coolDownMs: 10_000, maxCoolDownMs: 60_000, probeTimeoutMs: 60_000 };
const at = (ms: number) => new Date(ms);

async function namesOfSlots(pool: ReturnType<typeof createDeploymentPool<string>>, count: number, now = at(0)): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const slot = await pool.acquire(now);
    names.push(slot.granted ? slot.deployment.name : 'none');
  }
  return names;
}

describe('deployment pool', () => {
  it('refuses to be empty', () => {
    assert.throws(() => createDeploymentPool([]));
  });

  it('takes turns within a priority group', async () => {
    const pool = createDeploymentPool([deployment('west'), deployment('north')]);
    const names = await namesOfSlots(pool, 4);
    assert.deepEqual([...names].sort(), ['north', 'north', 'west', 'west']);
  });

  it('prefers the first priority group, and spills over to the next when its deployments have no slot', async () => {
    const busy = fakePacer(60, 2);
    const pool = createDeploymentPool([deployment('spare', 2), deployment('main', 1, busy)]);
    assert.deepEqual(await namesOfSlots(pool, 4), ['main', 'main', 'spare', 'spare']);
  });

  it('says when to ask again when no deployment has a slot', async () => {
    const pool = createDeploymentPool([deployment('a', 1, fakePacer(60, 0)), deployment('b', 1, fakePacer(60, 0))]);
    const slot = await pool.acquire(at(5_000));
    assert.deepEqual(slot, { granted: false, retryAt: at(6_000), reason: 'busy' });
  });

  it('takes a failing deployment out, sends calls to the others, and probes it after the cool-down', async () => {
    const changes: string[] = [];
    const pool = createDeploymentPool([deployment('a'), deployment('b')], { breaker, onStateChange: (name, health) => changes.push(`${name}:${health.state}`) });
    pool.report('a', 'deploymentFault', at(0));
    assert.equal(pool.hasOtherThan(new Set(['b']), at(0)), true);
    pool.report('a', 'deploymentFault', at(0));
    assert.equal(pool.hasOtherThan(new Set(['b']), at(0)), false, 'a is out');
    assert.equal(pool.hasOtherThan(new Set(['a']), at(0)), true, 'b still takes calls');
    assert.deepEqual(await namesOfSlots(pool, 3, at(1_000)), ['b', 'b', 'b']);
    assert.deepEqual(pool.health().map((health) => health.state), ['coolingDown', 'available']);
    // After the cool-down one probe goes to a, the rest to b until the probe answers.
    const names = await namesOfSlots(pool, 4, at(10_000));
    assert.equal(names.filter((name) => name === 'a').length, 1);
    pool.report('a', 'succeeded', at(11_000));
    assert.deepEqual(pool.health().map((health) => health.state), ['available', 'available']);
    assert.deepEqual(changes, ['a:coolingDown', 'a:probing', 'a:available']);
  });

  it('leaves out the deployments that failed the job in hand', async () => {
    const pool = createDeploymentPool([deployment('a'), deployment('b', 2)], { breaker });
    assert.deepEqual(await namesOfSlots(pool, 1), ['a']);
    const slot = await pool.acquire(at(0), new Set(['a']));
    assert.ok(slot.granted && slot.deployment.name === 'b');
    assert.equal(pool.hasOtherThan(new Set(['a', 'b']), at(0)), false);
  });

  it('waits for the first cool-down to end when every deployment is out', async () => {
    const pool = createDeploymentPool([deployment('a'), deployment('b')], { breaker });
    pool.report('a', 'deploymentMisconfigured', at(0));
    pool.report('b', 'deploymentMisconfigured', at(3_000));
    assert.deepEqual(await pool.acquire(at(4_000)), { granted: false, retryAt: at(10_000), reason: 'out' });
    const probe = await pool.acquire(at(10_000));
    assert.ok(probe.granted && probe.deployment.name === 'a');
  });

  it('never takes out the only deployment: the retry policy alone decides', async () => {
    const pool = createDeploymentPool([deployment('only')], { breaker });
    pool.report('only', 'deploymentMisconfigured', at(0));
    assert.deepEqual(pool.health().map((health) => health.state), ['available']);
    assert.ok((await pool.acquire(at(1))).granted);
  });

  it('estimates with the rate of the deployments that take calls', () => {
    const pool = createDeploymentPool([deployment('a', 1, fakePacer(60)), deployment('b', 2, fakePacer(30))], { breaker });
    assert.equal(pool.secondsPerCall(at(0)), 60 / 90);
    pool.report('a', 'deploymentMisconfigured', at(0));
    assert.equal(pool.secondsPerCall(at(1)), 2);
    pool.report('b', 'deploymentMisconfigured', at(0));
    assert.equal(pool.secondsPerCall(at(1)), 60 / 90, 'with all out, as they were');
  });
});
