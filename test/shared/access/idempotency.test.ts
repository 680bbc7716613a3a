import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { idempotencyBlobName } from '../../../shared/access/idempotency';

describe('Idempotency-Key record names', () => {
  const sessionId = '3f2b8c1e-9d4a-4e7b-8c6d-5a1b2c3d4e5f';
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');

  it('keeps the name the LMS\'s records always had, so keys stored before still work', () => {
    assert.equal(idempotencyBlobName('school-a', { kind: 'tenant' }, 'k1'), `school-a/${sha('k1')}.json`);
  });

  it('gives a session names no LMS key can spell, the old session:<id>:<key> one included', () => {
    const sessionName = idempotencyBlobName('school-a', { kind: 'session', sessionId }, 'k1');
    assert.equal(sessionName, `school-a/sessions/${sessionId}/${sha('k1')}.json`);
    assert.notEqual(sessionName, idempotencyBlobName('school-a', { kind: 'tenant' }, `session:${sessionId}:k1`));
    assert.notEqual(sessionName, idempotencyBlobName('school-a', { kind: 'session', sessionId: '00000000-0000-4000-8000-000000000000' }, 'k1'), 'nor another session\'s');
    // An LMS name is always <tenant>/<64 hex>.json: one slash, so never under sessions/.
    for (const key of ['k1', `session:${sessionId}:k1`, `sessions/${sessionId}/k1`, '../x']) {
      assert.match(idempotencyBlobName('school-a', { kind: 'tenant' }, key), /^school-a\/[0-9a-f]{64}\.json$/);
    }
  });
});
