import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { afterCall, breakerAdmits, closedBreaker, describeBreaker, probeStarted, type BreakerOptions, type BreakerState } from '../../../shared/provider/circuitBreaker';

const options: BreakerOptions = { faultsToOpen: 3, coolDownMs: 10_000, maxCoolDownMs: 25_000, probeTimeoutMs: 60_000 };

function faults(count: number, state: BreakerState = closedBreaker, now = 0): BreakerState {
  let current = state;
  for (let i = 0; i < count; i++) current = afterCall(current, 'deploymentFault', now, options);
  return current;
}

describe('circuit breaker', () => {
  it('stays closed below the fault count, and a success forgets earlier faults', () => {
    assert.deepEqual(faults(2), { kind: 'closed', consecutiveFaults: 2 });
    assert.deepEqual(afterCall(faults(2), 'succeeded', 0, options), closedBreaker);
    assert.deepEqual(faults(2, afterCall(faults(2), 'succeeded', 0, options)), { kind: 'closed', consecutiveFaults: 2 });
  });

  it('takes a deployment out after the fault count, for the cool-down', () => {
    const open = faults(3, closedBreaker, 1_000);
    assert.deepEqual(open, { kind: 'open', until: 11_000, coolDownMs: 10_000 });
    assert.equal(breakerAdmits(open, 10_999, options), 'no');
    assert.equal(breakerAdmits(open, 11_000, options), 'probe');
  });

  it('takes a deployment out at once when it refuses credentials or is not found', () => {
    assert.equal(afterCall(closedBreaker, 'deploymentMisconfigured', 0, options).kind, 'open');
  });

  it("says nothing of the deployment on a job's own fault", () => {
    assert.deepEqual(afterCall(faults(2), 'jobFault', 0, options), { kind: 'closed', consecutiveFaults: 2 });
  });

  it('lets one probe through after the cool-down: back on success, out twice as long (capped) on a fault', () => {
    const probing = probeStarted(faults(3), 10_000);
    assert.equal(breakerAdmits(probing, 10_001, options), 'no', 'only one probe at a time');
    assert.deepEqual(afterCall(probing, 'succeeded', 12_000, options), closedBreaker);
    assert.deepEqual(afterCall(probing, 'jobFault', 12_000, options), closedBreaker, 'an answer of any kind shows it is back');
    const again = afterCall(probing, 'deploymentFault', 12_000, options);
    assert.deepEqual(again, { kind: 'open', until: 32_000, coolDownMs: 20_000 });
    const capped = afterCall(probeStarted(again, 32_000), 'deploymentFault', 33_000, options);
    assert.deepEqual(capped, { kind: 'open', until: 58_000, coolDownMs: 25_000 });
  });

  it('frees a probe whose answer never came (its instance died) after the probe timeout', () => {
    const probing = probeStarted(faults(3), 10_000);
    assert.equal(breakerAdmits(probing, 69_999, options), 'no');
    assert.equal(breakerAdmits(probing, 70_000, options), 'probe');
  });

  it('ignores a late fault from a call that started before the deployment was taken out', () => {
    const open = faults(3);
    assert.deepEqual(afterCall(open, 'deploymentFault', 5_000, options), open);
  });

  it('describes its state for health and logs', () => {
    assert.deepEqual(describeBreaker(closedBreaker), { state: 'available' });
    assert.deepEqual(describeBreaker(faults(3)), { state: 'coolingDown', until: new Date(10_000).toISOString() });
    assert.deepEqual(describeBreaker(probeStarted(faults(3), 10_000)), { state: 'probing' });
  });
});
