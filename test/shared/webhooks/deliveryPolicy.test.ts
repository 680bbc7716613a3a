import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideDelivery, defaultDeliveryPolicy } from '../../../shared/webhooks/deliveryPolicy';

const start = Date.parse('2026-11-25T08:00:00Z');
const failed = { kind: 'rejected', statusCode: 500 } as const;

describe('webhook delivery policy', () => {
  it('is done on a 2xx', () => {
    assert.deepEqual(decideDelivery({ kind: 'delivered', statusCode: 204 }, { attempt: 1, firstAttemptAt: start, now: start, random: 0.5 }), { kind: 'delivered' });
  });

  it('backs off 5 s, 30 s, 2 min, 10 min, 30 min, then hourly (no jitter at random 0.5)', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((attempt) => {
      const decision = decideDelivery(failed, { attempt, firstAttemptAt: start, now: start, random: 0.5 });
      assert.equal(decision.kind, 'retry');
      return decision.kind === 'retry' ? (decision.at - start) / 1000 : 0;
    });
    assert.deepEqual(delays, [5, 30, 120, 600, 1800, 3600, 3600]);
  });

  it('jitters each delay by at most 10%', () => {
    const low = decideDelivery(failed, { attempt: 6, firstAttemptAt: start, now: start, random: 0 });
    const high = decideDelivery(failed, { attempt: 6, firstAttemptAt: start, now: start, random: 0.999999 });
    assert.ok(low.kind === 'retry' && low.at - start === 3240_000);
    assert.ok(high.kind === 'retry' && high.at - start <= 3960_000 && high.at - start > 3959_000);
  });

  it('keeps trying for at least 24 hours on a fake clock, then gives up', () => {
    let now = start;
    let attempt = 1;
    for (;;) {
      const decision = decideDelivery({ kind: 'unreachable', reason: 'timeout' }, { attempt, firstAttemptAt: start, now, random: 0.5 });
      if (decision.kind !== 'retry') {
        assert.equal(decision.kind, 'giveUp');
        break;
      }
      now = decision.at;
      attempt++;
    }
    assert.ok(now - start >= 24 * 3600_000, `last attempt ${(now - start) / 3600_000} h after the first`);
    assert.ok(now - start <= defaultDeliveryPolicy.windowInMs);
    assert.ok(attempt > 20 && attempt < 40, `${attempt} attempts`);
  });

  it('gives up at once on a refused target or a 410 Gone', () => {
    assert.equal(decideDelivery({ kind: 'refused', reason: 'private' }, { attempt: 1, firstAttemptAt: start, now: start, random: 0.5 }).kind, 'giveUp');
    assert.equal(decideDelivery({ kind: 'rejected', statusCode: 410 }, { attempt: 1, firstAttemptAt: start, now: start, random: 0.5 }).kind, 'giveUp');
  });

  it('retries a redirect like any other failure (it is never followed)', () => {
    assert.equal(decideDelivery({ kind: 'rejected', statusCode: 302 }, { attempt: 1, firstAttemptAt: start, now: start, random: 0.5 }).kind, 'retry');
  });
});
