import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimitError } from '../../../shared/errors';
import { createSessionReads, takeFromBucket } from '../../../shared/sessions/sessionReads';

describe('session reads', () => {
  const budget = { burst: 10, perSecond: 2 };

  it('starts full, takes the cost, and refills at the rate', () => {
    const first = takeFromBucket(undefined, 4, 0, budget);
    assert.deepEqual(first, { bucket: { tokens: 6, at: 0 } });
    const empty = takeFromBucket({ tokens: 0, at: 0 }, 1, 0, budget);
    assert.deepEqual(empty, { retryAfterInMs: 500 });
    const later = takeFromBucket({ tokens: 0, at: 0 }, 1, 500, budget);
    assert.deepEqual(later, { bucket: { tokens: 0, at: 500 } });
    assert.deepEqual(takeFromBucket({ tokens: 9, at: 0 }, 1, 60_000, budget), { bucket: { tokens: 9, at: 60_000 } }, 'never above the burst');
  });

  it('lets a read dearer than the bucket through from a full bucket only', () => {
    assert.deepEqual(takeFromBucket(undefined, 31, 0, budget), { bucket: { tokens: 0, at: 0 } });
    assert.deepEqual(takeFromBucket({ tokens: 9, at: 0 }, 31, 0, budget), { retryAfterInMs: 500 });
  });

  it('answers a session that reads in a loop with 429 RateLimited, and leaves other sessions alone', () => {
    let now = 0;
    const reads = createSessionReads(budget, () => now);
    for (let i = 0; i < 10; i++) reads.take('looping');
    assert.throws(
      () => reads.take('looping'),
      (error: unknown) => error instanceof RateLimitError && error.code === 'RateLimited' && error.retryAfterInSeconds === 0.5,
    );
    reads.take('classmate');
    now = 1000;
    reads.take('looping', 2);
  });

  it('a page polling its job once a second is never limited', () => {
    let now = 0;
    const reads = createSessionReads({ burst: 120, perSecond: 3 }, () => now);
    reads.take('studio', 31); // opening the page: the gallery of 30 jobs
    for (let second = 0; second < 600; second++, now += 1000) reads.take('studio');
  });
});
