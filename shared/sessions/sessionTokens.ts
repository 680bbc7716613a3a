import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * Studio session tokens: signed, expiring, and stateless (nothing is stored, so there is no table of
 * students to keep or erase; a token lives at most 8 hours). A token is
 * `<base64url(JSON claims)>.<base64url(HMAC-SHA256(key, first part))>`.
 *
 * The key is derived from each status-token secret with a fixed label, so a status token can never pass
 * as a session token or the other way round, and the secrets rotate exactly as status tokens do: the first
 * secret signs, every secret verifies.
 */

export const sessionLocales = ['nl', 'en'] as const;
export type SessionLocale = (typeof sessionLocales)[number];

/** Short claim names: the token travels in a URL fragment and a header on every call. */
const claimsSchema = z.strictObject({
  v: z.literal(1),
  /** Session id: recorded on every job the session submits. */
  sid: z.uuid(),
  tid: z.string().min(1).max(32),
  /** The student, as the LMS named them. */
  sub: z.string().min(1).max(64),
  md: z.record(z.string(), z.string()).optional(),
  loc: z.enum(sessionLocales).optional(),
  /** Issued and expires, in seconds since the epoch. */
  iat: z.int().min(0),
  exp: z.int().min(0),
});

export interface Session {
  readonly id: string;
  readonly tenantId: string;
  readonly user: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly locale?: SessionLocale;
  readonly issuedOn: Date;
  readonly expiresOn: Date;
}

export type SessionCheck = { readonly verdict: 'valid'; readonly session: Session } | { readonly verdict: 'expired' | 'invalid' };

export interface SessionTokens {
  create(session: Session): string;
  check(token: string, now?: Date): SessionCheck;
}

/** Far more than any real token (8 metadata entries of 128 characters), far less than a header limit. */
const maxTokenChars = 6_000;
const keyLabel = 'edu4all/studio-session/v1';

/** A payload and a 32-byte signature, both base64url: the only form create() makes. */
const tokenPattern = /^([A-Za-z0-9_-]{16,})\.([A-Za-z0-9_-]{43})$/;

/** Whether a string has a session token's form (says nothing of whether it is genuine). */
export function looksLikeSessionToken(token: string): boolean {
  return token.length <= maxTokenChars && tokenPattern.test(token);
}

export function createSessionTokens(secrets: readonly string[]): SessionTokens {
  const keys = secrets.map((secret) => createHmac('sha256', secret).update(keyLabel).digest());
  const [signing] = keys;
  if (!signing) throw new Error('createSessionTokens needs at least one secret');
  const sign = (key: Buffer, payload: string) => createHmac('sha256', key).update(payload).digest();

  return {
    create(session) {
      const claims: z.infer<typeof claimsSchema> = {
        v: 1,
        sid: session.id,
        tid: session.tenantId,
        sub: session.user,
        ...(session.metadata && Object.keys(session.metadata).length > 0 ? { md: { ...session.metadata } } : {}),
        ...(session.locale ? { loc: session.locale } : {}),
        iat: Math.floor(session.issuedOn.getTime() / 1000),
        exp: Math.floor(session.expiresOn.getTime() / 1000),
      };
      const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
      return `${payload}.${sign(signing, payload).toString('base64url')}`;
    },
    check(token, now = new Date()) {
      // Canonical form only (one base64url spelling of each part), so a token has exactly one valid string.
      if (token.length > maxTokenChars) return { verdict: 'invalid' };
      const match = tokenPattern.exec(token);
      if (!match) return { verdict: 'invalid' };
      const payload = match[1] ?? '';
      const signature = match[2] ?? '';
      const presented = Buffer.from(signature, 'base64url');
      if (presented.toString('base64url') !== signature) return { verdict: 'invalid' };
      let genuine = false;
      for (const key of keys) {
        const expected = sign(key, payload);
        if (expected.length === presented.length && timingSafeEqual(expected, presented)) genuine = true;
      }
      if (!genuine) return { verdict: 'invalid' };
      const bytes = Buffer.from(payload, 'base64url');
      if (bytes.toString('base64url') !== payload) return { verdict: 'invalid' };
      let json: unknown;
      try {
        json = JSON.parse(bytes.toString('utf8'));
      } catch {
        return { verdict: 'invalid' };
      }
      const claims = claimsSchema.safeParse(json);
      if (!claims.success) return { verdict: 'invalid' };
      const { sid, tid, sub, md, loc, iat, exp } = claims.data;
      if (exp * 1000 <= now.getTime()) return { verdict: 'expired' };
      return {
        verdict: 'valid',
        session: {
          id: sid,
          tenantId: tid,
          user: sub,
          ...(md ? { metadata: md } : {}),
          ...(loc ? { locale: loc } : {}),
          issuedOn: new Date(iat * 1000),
          expiresOn: new Date(exp * 1000),
        },
      };
    },
  };
}
