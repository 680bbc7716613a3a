import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Job-scoped, read-only, expiring tokens for status URLs, so a student's browser can poll its one job
 * without the school's API key. A token is `<expiry seconds>.<HMAC-SHA256(jobId.expiry)>` in base64url;
 * no table is needed. The first secret signs; every secret verifies, so secrets rotate without breaking
 * links in flight.
 */
export interface StatusTokens {
  create(jobId: string, now?: Date): { token: string; expiresOn: Date };
  /** Whether the token is a genuine one for this job and still valid, or genuine but expired. */
  check(jobId: string, token: string, now?: Date): 'valid' | 'expired' | 'invalid';
  verify(jobId: string, token: string, now?: Date): boolean;
}

function sign(secret: string, jobId: string, expiry: number): Buffer {
  return createHmac('sha256', secret).update(`${jobId}.${expiry}`).digest();
}

export function createStatusTokens(secrets: readonly string[], lifetimeInMinutes: number): StatusTokens {
  const [signing] = secrets;
  if (!signing) throw new Error('createStatusTokens needs at least one secret');
  return {
    create(jobId, now = new Date()) {
      const expiry = Math.floor(now.getTime() / 1000) + lifetimeInMinutes * 60;
      return { token: `${expiry}.${sign(signing, jobId, expiry).toString('base64url')}`, expiresOn: new Date(expiry * 1000) };
    },
    check(jobId, token, now = new Date()) {
      // Canonical form only: an expiry without leading zeros, and the one base64url spelling of the
      // signature (the last character carries two unused bits that must be zero).
      const match = /^([1-9]\d{0,11})\.([A-Za-z0-9_-]{43})$/.exec(token);
      if (!match) return 'invalid';
      const expiry = Number(match[1]);
      const signature = match[2] ?? '';
      const presented = Buffer.from(signature, 'base64url');
      if (presented.toString('base64url') !== signature) return 'invalid';
      let genuine = false;
      for (const secret of secrets) {
        const expected = sign(secret, jobId, expiry);
        if (expected.length === presented.length && timingSafeEqual(expected, presented)) genuine = true;
      }
      if (!genuine) return 'invalid';
      return expiry * 1000 <= now.getTime() ? 'expired' : 'valid';
    },
    verify(jobId, token, now = new Date()) {
      return this.check(jobId, token, now) === 'valid';
    },
  };
}
