import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { createStatusTokens } from '../../../shared/access/statusTokens';
import { createSessionTokens, type Session } from '../../../shared/sessions/sessionTokens';
import { sessionJobBody } from '../../../shared/sessions/sessions';
import { ForbiddenError } from '../../../shared/errors';

const now = new Date('2026-11-25T08:00:00Z');
const session: Session = {
  id: randomUUID(),
  tenantId: 'school-a',
  user: 'student-1',
  metadata: { classId: '4B' },
  locale: 'nl',
  issuedOn: now,
  expiresOn: new Date(now.getTime() + 120 * 60_000),
};

describe('session tokens', () => {
  const tokens = createSessionTokens(['secret-one-0123456789abcdef0123456789']);

  it('round-trips a session until it expires, then says expired', () => {
    const token = tokens.create(session);
    const checked = tokens.check(token, now);
    assert.equal(checked.verdict, 'valid');
    assert.deepEqual(checked.verdict === 'valid' ? checked.session : undefined, session);
    assert.equal(tokens.check(token, new Date(session.expiresOn.getTime() - 1000)).verdict, 'valid');
    assert.equal(tokens.check(token, session.expiresOn).verdict, 'expired');
  });

  it('verifies with every secret and signs with the first (rotation)', () => {
    const old = createSessionTokens(['secret-old-0123456789abcdef0123456789']).create(session);
    const rotated = createSessionTokens(['secret-new-0123456789abcdef0123456789', 'secret-old-0123456789abcdef0123456789']);
    assert.equal(rotated.check(old, now).verdict, 'valid');
    assert.equal(tokens.check(old, now).verdict, 'invalid');
  });

  it('refuses edited claims, a non-canonical spelling, status tokens and junk', () => {
    const token = tokens.create(session);
    const [payload = '', signature = ''] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const edited = Buffer.from(JSON.stringify({ ...claims, sub: 'student-2' })).toString('base64url');
    // The last base64url character of a 32-byte signature carries 2 unused bits: a second spelling of the same bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = `${signature.slice(0, -1)}${alphabet[alphabet.indexOf(signature.at(-1) ?? 'A') + 1] ?? 'B'}`;
    assert.deepEqual(Buffer.from(respelled, 'base64url'), Buffer.from(signature, 'base64url'), 'the same bytes');
    const statusToken = createStatusTokens(['secret-one-0123456789abcdef0123456789'], 60).create(session.id, now).token;
    for (const bad of [`${edited}.${signature}`, `${payload}.${respelled}`, `${payload}=.${signature}`, statusToken, '', '.', 'a'.repeat(7000), `${payload}.${signature}.x`]) {
      assert.equal(tokens.check(bad, now).verdict, 'invalid', bad.slice(0, 60));
    }
  });
});

describe('a job body from a studio session', () => {
  it('gets the session\'s student and metadata, and may repeat them but not change them', () => {
    assert.deepEqual(sessionJobBody(session, { prompt: 'a kite' }), { prompt: 'a kite', user: 'student-1', metadata: { classId: '4B' } });
    assert.deepEqual(sessionJobBody(session, { prompt: 'a kite', user: 'student-1', metadata: { classId: '4B' } }), { prompt: 'a kite', user: 'student-1', metadata: { classId: '4B' } });
    for (const [body, target] of [
      [{ prompt: 'a kite', user: 'student-2' }, 'user'],
      [{ prompt: 'a kite', metadata: { classId: '4B', extra: 'x' } }, 'metadata'],
      [{ prompt: 'a kite', metadata: null }, 'metadata'],
      [{ prompt: 'a kite', callbackUrl: 'https://example.org' }, 'callbackUrl'],
      [{ prompt: 'a kite', kind: 'edit' }, 'kind'],
      [{ prompt: 'a kite', mask: { uploadId: randomUUID() } }, 'mask'],
    ] as const) {
      assert.throws(() => sessionJobBody(session, body), (error: unknown) => error instanceof ForbiddenError && error.target === target, JSON.stringify(body));
    }
  });

  it('asks only for what the studio offers: a prompt, a shape and a count', () => {
    const offered = { prompt: 'a kite', orientation: 'portrait', n: 2, kind: 'generate' };
    assert.deepEqual(sessionJobBody(session, offered), { ...offered, user: 'student-1', metadata: { classId: '4B' } });
    for (const field of ['size', 'quality', 'aspectRatio', 'style', 'outputFormat', 'outputCompression', 'temperature']) {
      assert.throws(
        () => sessionJobBody(session, { prompt: 'a kite', [field]: 'x' }),
        (error: unknown) =>
          error instanceof ForbiddenError && error.code === 'NotAllowedInSession' && error.target === field && error.message.startsWith(`${field} is not offered in the studio`),
        field,
      );
    }
  });
});
