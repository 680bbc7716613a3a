import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffMs, decide, decideSlotWait, defaultRetryPolicy, type RetryContext, type RetryPolicyOptions } from '../../../shared/worker/retryPolicy';
import type { ProviderFailure } from '../../../shared/provider/providerFailure';

/** Every row of the policy docs/reliability.md describes, on a fake clock and a fixed jitter. */
const policy: RetryPolicyOptions = { ...defaultRetryPolicy, deadlineMs: 900_000, random: () => 0 };
const t0 = 1_000_000;
const context = (overrides: Partial<RetryContext> = {}): RetryContext => ({
  now: t0,
  invocationStartedAt: t0 - 10_000,
  callStartedAt: t0 - 500,
  transientFailures: 1,
  failingForMs: 0,
  ...overrides,
});
const rateLimited = (retryAfterMs?: number): ProviderFailure => ({
  retryable: true,
  code: 'ProviderRateLimited',
  message: 'The image service is busy (rate limited).',
  ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
});
const serverError: ProviderFailure = { retryable: true, code: 'ProviderUnavailable', message: 'The image service answered 500.' };

describe('retry policy (pure)', () => {
  it('waits out a 429 as long as the provider asks, without counting it against the deadline', () => {
    const decision = decide(rateLimited(7_000), context(), policy);
    assert.equal(decision.kind, 'wait');
    assert.ok(decision.kind === 'wait');
    assert.equal(decision.ms, 7_000);
    assert.equal(decision.record.failedForMs, undefined);
    assert.equal(decision.record.until, t0 + 7_000);
  });

  it('caps a 429 wait at a minute, and backs off briefly when the provider names no wait', () => {
    const capped = decide(rateLimited(600_000), context(), policy);
    assert.ok(capped.kind === 'wait' && capped.ms === 60_000);
    const unnamed = decide(rateLimited(), context(), policy);
    assert.ok(unnamed.kind === 'wait' && unnamed.ms === 500);
    const negative = decide(rateLimited(-5), context(), policy);
    assert.ok(negative.kind === 'wait' && negative.ms === 0);
  });

  it('backs off transient errors exponentially with jitter, at most 30 s', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 9].map((n) => backoffMs(n, policy)), [500, 1000, 2000, 4000, 8000, 15000, 15000]);
    assert.equal(backoffMs(9, { ...policy, random: () => 0.999 }), 15_000 + 14_985);
    const first = decide(serverError, context({ transientFailures: 1 }), policy);
    assert.ok(first.kind === 'wait');
    assert.equal(first.ms, 500);
    assert.equal(first.record.failedForMs, 500 + 500, 'the failed call and the back-off count');
  });

  it('hands the retry to the queue after two transient failures in one invocation', () => {
    const decision = decide(serverError, context({ transientFailures: 2 }), policy);
    assert.equal(decision.kind, 'retryLater');
  });

  it('fails the job as ProviderUnavailable once failing time passes the deadline', () => {
    const decision = decide(serverError, context({ failingForMs: 899_500 }), policy);
    assert.ok(decision.kind === 'fail');
    assert.equal(decision.error.code, 'ProviderUnavailable');
    assert.match(decision.error.message, /kept failing for 901 s/);
    assert.equal(decide(serverError, context({ failingForMs: 898_000 }), policy).kind, 'wait');
  });

  it('retries an output check that could not be done as any transient failure, and fails it closed as SafetyCheckUnavailable at the deadline', () => {
    const checkFailed: ProviderFailure = { retryable: true, code: 'SafetyCheckUnavailable', message: 'The content safety service answered 500.' };
    assert.equal(decide(checkFailed, context(), policy).kind, 'wait');
    assert.equal(decide(checkFailed, context({ transientFailures: 2 }), policy).kind, 'retryLater');
    const decision = decide(checkFailed, context({ failingForMs: 899_500 }), policy);
    assert.ok(decision.kind === 'fail');
    assert.equal(decision.error.code, 'SafetyCheckUnavailable');
    assert.match(decision.error.message, /^The safety check for pictures kept failing for 901 s\. The content safety service answered 500\.$/);
  });

  it('ends the job at once for permanent failures, keeping source and categories', () => {
    const decision = decide({ retryable: false, code: 'ContentFiltered', message: 'blocked', source: 'output', categories: ['violence'] }, context(), policy);
    assert.deepEqual(decision, { kind: 'fail', error: { code: 'ContentFiltered', message: 'blocked', source: 'output', categories: ['violence'] } });
  });

  it('hands the job to a new message when a wait would take the invocation past 20 minutes', () => {
    const late = context({ invocationStartedAt: t0 - 20 * 60_000 + 1_000 });
    const decision = decide(rateLimited(5_000), late, policy);
    assert.ok(decision.kind === 'handOver');
    assert.equal(decision.at, t0 + 5_000);
    assert.equal(decide(serverError, late, policy).kind, 'wait', 'a 0.5 s back-off still fits');
  });

  it('waits for the next pacing window, or hands over once the invocation is long', () => {
    assert.deepEqual(decideSlotWait(t0 + 300, { now: t0, invocationStartedAt: t0 - 1000 }, policy), { kind: 'wait', ms: 300 });
    assert.deepEqual(decideSlotWait(t0 + 300, { now: t0, invocationStartedAt: t0 - 21 * 60_000 }, policy), { kind: 'handOver', at: t0 + 300 });
  });

  it('lets a job under way ask for the next window before the tickets still looking for a job', () => {
    const ticket = decideSlotWait(t0 + 300, { now: t0, invocationStartedAt: t0 - 1000, ticket: true }, { ...policy, random: () => 0.5 });
    assert.deepEqual(ticket, { kind: 'wait', ms: 300 + 20 + 50 });
    assert.deepEqual(decideSlotWait(t0 + 300, { now: t0, invocationStartedAt: t0 - 1000 }, { ...policy, random: () => 0.5 }), { kind: 'wait', ms: 300 });
  });
});
