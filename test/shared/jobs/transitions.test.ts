import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJobRecord, type JobRecord } from '../../../shared/jobs/job';
import { cancel, claimCall, failPoisoned, finish, handOver, liveClaimOfAnother, markEnqueued, recordCallSucceeded, recordWait, start, type Worker } from '../../../shared/jobs/transitions';

const t0 = Date.parse('2026-11-25T12:00:00Z');
const notStarted: JobRecord = {
  id: '0b6d2f4e-5b7a-4c1e-9f7d-1b2c3d4e5f60',
  tenantId: 'school-a',
  status: 'NotStarted',
  createdDateTime: new Date(t0).toISOString(),
  lastUpdatedDateTime: new Date(t0).toISOString(),
  request: { prompt: 'a cat', n: 1, orientation: 'square', size: '1024x1024', outputFormat: 'png' },
  model: 'gpt-image-2',
  metapromptVersion: 'child-safe-v1',
  attempts: 0,
};
const worker = (messageId: string, now = t0): Worker => ({ messageId, now, claimUntil: now + 60_000 });
const error = { code: 'ProviderUnavailable', message: 'The image service answered 500.' };

function must(job: JobRecord | undefined): JobRecord {
  assert.ok(job, 'expected a change');
  return parseJobRecord(job); // every transition's result is a valid stored record
}

describe('job state machine (pure, no storage)', () => {
  it('starts a job: Running, one attempt, claimed by the message', () => {
    const running = must(start(notStarted, worker('m1')));
    assert.equal(running.status, 'Running');
    assert.equal(running.attempts, 1);
    assert.deepEqual(running.status === 'Running' && running.claim, { messageId: 'm1', until: new Date(t0 + 60_000).toISOString() });
  });

  it('lets the same message resume, and defers another message while the claim holds', () => {
    const running = must(start(notStarted, worker('m1')));
    assert.equal(must(start(running, worker('m1', t0 + 1000))).attempts, 2);
    assert.equal(start(running, worker('m2', t0 + 1000)), undefined);
    assert.equal(liveClaimOfAnother(running, 'm2', t0 + 1000), new Date(t0 + 60_000).toISOString());
    assert.equal(must(start(running, worker('m2', t0 + 61_000))).attempts, 2, 'an expired claim can be taken over');
  });

  it('counts calls, records waits and clears the wait and the failing time in their place', () => {
    const running = must(start(notStarted, worker('m1')));
    const waiting = must(recordWait(must(claimCall(running, worker('m1'))), worker('m1'), { error, until: t0 + 2000, failedForMs: 2500, claimTtlMs: 60_000 }));
    assert.ok(waiting.status === 'Running');
    assert.deepEqual([waiting.providerCalls, waiting.failingForMs, waiting.waitingUntil, waiting.lastError], [1, 2500, new Date(t0 + 2000).toISOString(), error]);
    const again = must(claimCall(waiting, worker('m1', t0 + 2000)));
    assert.ok(again.status === 'Running');
    assert.deepEqual([again.providerCalls, again.waitingUntil, again.failingForMs], [2, undefined, 2500]);
    const ok = must(recordCallSucceeded(again));
    assert.ok(ok.status === 'Running' && ok.failingForMs === undefined);
    assert.equal(recordCallSucceeded(ok), undefined, 'no change when nothing was failing');
  });

  it('hands over only its own claim', () => {
    const running = must(start(notStarted, worker('m1')));
    assert.equal(handOver(running, 'm2'), undefined);
    const released = must(handOver(running, 'm1'));
    assert.ok(released.status === 'Running' && released.claim === undefined);
  });

  it('finishes once, leaving no temporary fields behind', () => {
    const waiting = must(recordWait(must(start(notStarted, worker('m1'))), worker('m1'), { error, until: t0 + 1, failedForMs: 1, claimTtlMs: 1 }));
    const images = [{ index: 0, blobName: 'x/0.png', width: 1024, height: 1024, format: 'png' as const, contentType: 'image/png' }];
    const done = must(finish(waiting, { status: 'Succeeded', images, usage: { textInputTokens: 1, imageInputTokens: 0, outputTokens: 2 } }, t0 + 5));
    assert.deepEqual(Object.keys(done).filter((key) => ['claim', 'lastError', 'failingForMs', 'waitingUntil'].includes(key)), []);
    assert.equal(done.status, 'Succeeded');
    assert.equal(finish(done, { status: 'Failed', error }, t0 + 6), undefined, 'a finished job keeps its first outcome');
    assert.equal(cancel(done, t0 + 6), undefined);
    assert.equal(failPoisoned(done, t0 + 6), undefined);
    assert.equal(claimCall(done, worker('m1')), undefined, 'no call after the end');
    assert.equal(start(done, worker('m9')), undefined);
  });

  it('cancels a job that has not ended, once', () => {
    const canceled = must(cancel(must(start(notStarted, worker('m1'))), t0 + 1));
    assert.ok(canceled.status === 'Canceled');
    assert.deepEqual(canceled.error, { code: 'Canceled', message: 'The job was canceled.' });
    assert.equal(cancel(canceled, t0 + 2), undefined);
    assert.equal(must(cancel(notStarted, t0)).status, 'Canceled');
  });

  it('fails a poisoned job with the last reason the worker recorded', () => {
    const waiting = must(recordWait(must(start(notStarted, worker('m1'))), worker('m1'), { error, until: t0, claimTtlMs: 0 }));
    const failed = must(failPoisoned(waiting, t0));
    assert.ok(failed.status === 'Failed');
    assert.deepEqual(failed.error, { code: 'ProviderUnavailable', message: 'Gave up after 1 attempts. The image service answered 500.' });
    const never = must(failPoisoned(notStarted, t0));
    assert.ok(never.status === 'Failed' && never.error.code === 'ProcessingFailed');
  });

  it('marks the enqueue once', () => {
    const enqueued = must(markEnqueued(notStarted, t0));
    assert.equal(enqueued.enqueuedDateTime, new Date(t0).toISOString());
    assert.equal(markEnqueued(enqueued, t0 + 1), undefined);
  });

  it('refuses a corrupt record with a clear error instead of a cast', () => {
    assert.throws(() => parseJobRecord({ ...notStarted, status: 'Succeeded' }), /images/);
    assert.throws(() => parseJobRecord({ ...notStarted, status: 'Exploded' }), /not a valid record/);
    assert.equal(parseJobRecord({ ...notStarted, request: { ...notStarted.request, outputFormat: undefined } }).request.outputFormat, 'png', 'older records were PNG');
  });
});
