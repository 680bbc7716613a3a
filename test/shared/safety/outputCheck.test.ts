import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobRecord } from '../../../shared/jobs/job';
import { outputCheckFailure, outputRefusal, picturesWithheld } from '../../../shared/safety/outputCheck';

describe('the output check\'s decisions (pure)', () => {
  it('words a refused picture as the provider\'s output filter does: ContentFiltered, source output, its categories', () => {
    assert.deepEqual(outputRefusal(['violence', 'selfHarm']), {
      code: 'ContentFiltered',
      message: 'The safety check blocked the picture made for this prompt (categories: violence, self_harm). Please describe the picture differently.',
      source: 'output',
      categories: ['violence', 'self_harm'],
    });
  });

  it('retries what waiting can mend (timeout, network, unreadable answer, 408, 429, 5xx) and fails the rest closed at once', () => {
    for (const fault of [{ kind: 'timeout' }, { kind: 'network' }, { kind: 'malformed' }, { kind: 'status', status: 408 }, { kind: 'status', status: 429, retryAfterInSeconds: 3 }, { kind: 'status', status: 500 }, { kind: 'status', status: 503 }] as const) {
      const { failure, misconfigured } = outputCheckFailure(fault);
      assert.equal(failure.retryable, true, JSON.stringify(fault));
      assert.equal(failure.code, 'SafetyCheckUnavailable');
      assert.equal(misconfigured, false);
    }
    for (const status of [400, 401, 403, 404]) {
      const { failure, misconfigured } = outputCheckFailure({ kind: 'status', status });
      assert.equal(failure.retryable, false, String(status));
      assert.equal(failure.code, 'SafetyCheckUnavailable');
      assert.equal(misconfigured, status !== 400, 'a wrong endpoint or role is an operator\'s to fix');
    }
    assert.equal(outputCheckFailure({ kind: 'status', status: 500 }).failure.message, 'The safety check for pictures could not be done (the content safety service answered 500), so no picture is shown.');
  });

  it('deletes the pictures of a job that ended on the output check, and of no other', () => {
    const base = { id: 'j', tenantId: 't', createdDateTime: '', lastUpdatedDateTime: '', request: { prompt: 'a cat', n: 1, size: '1024x1024', outputFormat: 'png' }, model: 'gpt-image-2', metapromptVersion: 'v1', attempts: 1 };
    const failed = (error: Extract<JobRecord, { status: 'Failed' }>['error']) => ({ ...base, status: 'Failed', error }) as JobRecord;
    assert.equal(picturesWithheld(failed(outputRefusal(['sexual']))), true);
    assert.equal(picturesWithheld(failed({ code: 'SafetyCheckUnavailable', message: 'x' })), true);
    assert.equal(picturesWithheld(failed({ code: 'ContentFiltered', message: 'x', source: 'output' })), true, 'the provider\'s own output filter too');
    assert.equal(picturesWithheld(failed({ code: 'ContentFiltered', message: 'x', source: 'prompt' })), false);
    assert.equal(picturesWithheld(failed({ code: 'ProviderUnavailable', message: 'x' })), false);
    assert.equal(picturesWithheld({ ...base, status: 'Running' } as JobRecord), false);
  });
});
