import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeJobMessage, parseJobMessage } from '../../../shared/storage/jobMessage';

describe('queue message', () => {
  const jobId = '0b6d2f4c-8a8e-4c1b-9d2e-3f4a5b6c7d8e';

  it('holds only the job id, far below the 48 KiB base64 payload limit', () => {
    const encoded = encodeJobMessage({ jobId });
    assert.ok(encoded.length < 100, `${encoded.length} characters`);
    assert.deepEqual(JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')), { jobId });
  });

  it('is checked when it arrives, as JSON or text', () => {
    assert.deepEqual(parseJobMessage({ jobId }), { jobId });
    assert.deepEqual(parseJobMessage(JSON.stringify({ jobId })), { jobId });
    for (const bad of [undefined, null, 'x', '{"jobId":"x"}', { jobId, extra: 1 }, { jobId: 42 }, []]) {
      assert.equal(parseJobMessage(bad), undefined, JSON.stringify(bad));
    }
  });
});
