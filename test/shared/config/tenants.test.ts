import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createStatusTokens } from '../../../shared/access/statusTokens';
import { authenticateTenant, defaultQuotas, hashApiKey, parseTenants, weightOf } from '../../../shared/config/tenants';

describe('tenants and API keys', () => {
  const tenants = parseTenants(
    JSON.stringify([
      { id: 'school-a', apiKeyHashes: [hashApiKey('old-key-a'), hashApiKey('new-key-a')] },
      { id: 'school-b', apiKeyHashes: [hashApiKey('key-b')] },
    ]),
  );

  it('stores only hashes', () => {
    assert.match(hashApiKey('k'), /^sha256:[0-9a-f]{64}$/);
    const stored = JSON.stringify(tenants);
    assert.ok(stored.includes(hashApiKey('key-b')));
    assert.ok(!stored.includes('"key-b"') && !stored.includes('old-key-a'));
  });

  it('accepts either of two keys while one is rotated out', () => {
    assert.equal(authenticateTenant(tenants, 'old-key-a')?.id, 'school-a');
    assert.equal(authenticateTenant(tenants, 'new-key-a')?.id, 'school-a');
    assert.equal(authenticateTenant(tenants, 'key-b')?.id, 'school-b');
  });

  it('takes a school\'s safeguarding contact, a text or a safe link, and refuses any other link', () => {
    const key = hashApiKey('k');
    const [school] = parseTenants(JSON.stringify([{ id: 's', apiKeyHashes: [key], safeguarding: { contact: 'Mevrouw Jansen, vertrouwenspersoon (kamer 12)', contactUrl: 'https://school.example/zorg' } }]));
    assert.deepEqual(school?.safeguarding, { contact: 'Mevrouw Jansen, vertrouwenspersoon (kamer 12)', contactUrl: 'https://school.example/zorg' });
    for (const contactUrl of ['mailto:zorg@school.example', 'tel:+31201234567']) {
      assert.equal(parseTenants(JSON.stringify([{ id: 's', apiKeyHashes: [key], safeguarding: { contactUrl } }]))[0]?.safeguarding?.contactUrl, contactUrl);
    }
    const refused: Array<[unknown, RegExp]> = [
      [{ contactUrl: 'javascript:alert(1)' }, /safeguarding\.contactUrl must be an https:, mailto: or tel: URL/],
      [{ contactUrl: 'http://school.example' }, /safeguarding\.contactUrl must be/],
      [{}, /safeguarding needs a contact, a contactUrl, or both/],
      [{ contact: 'x'.repeat(201) }, /at most 200 characters/],
      [{ contact: 'Juf Anna', phone: '112' }, /phone/],
    ];
    for (const [safeguarding, message] of refused) {
      assert.throws(() => parseTenants(JSON.stringify([{ id: 's', apiKeyHashes: [key], safeguarding }])), message, JSON.stringify(safeguarding));
    }
  });

  it("takes a school's weight in the turns, 1 unless set, and stops start-up naming a weight that is not a number above 0", () => {
    const key = hashApiKey('k');
    const weights = weightOf(parseTenants(JSON.stringify([{ id: 'big', apiKeyHashes: [key], weight: 2.5 }, { id: 'small', apiKeyHashes: [hashApiKey('k2')] }])));
    assert.deepEqual([weights('big'), weights('small'), weights('gone-since')], [2.5, 1, 1]);
    for (const bad of [0, -1, 1e-320, 0.0009, '2', 1001, null]) {
      assert.throws(() => parseTenants(JSON.stringify([{ id: 's', apiKeyHashes: [key], weight: bad }])), /TENANTS\[0\.weight\]: weight must be a number above 0/, String(bad));
    }
  });

  it('refuses a missing, wrong, or absurdly long key', () => {
    for (const key of [undefined, null, '', 'key-c', 'key-b ', 'KEY-B', 'x'.repeat(10_000)]) {
      assert.equal(authenticateTenant(tenants, key), undefined, String(key).slice(0, 20));
    }
  });
});

describe('tenant quotas', () => {
  const quotasOf = (quotas: Record<string, unknown>) => parseTenants(JSON.stringify([{ id: 'school-a', apiKeyHashes: [hashApiKey('k')], quotas }]))[0]?.quotas;

  it("gives each student a submit rate of their own, below the school's", () => {
    assert.equal(defaultQuotas.submitsPerUserPerMinute, 10);
    assert.equal(quotasOf({ submitsPerMinute: 600 })?.submitsPerUserPerMinute, 10);
    assert.equal(quotasOf({ submitsPerMinute: 4 })?.submitsPerUserPerMinute, 4, "never more than the school's, when left to the default");
    assert.equal(quotasOf({ submitsPerMinute: 60, submitsPerUserPerMinute: 60 })?.submitsPerUserPerMinute, 60);
    assert.throws(
      () => quotasOf({ submitsPerMinute: 30, submitsPerUserPerMinute: 31 }),
      /TENANTS\[0\.quotas\.submitsPerUserPerMinute\]: submitsPerUserPerMinute \(31\) must not be more than the school's submitsPerMinute \(30\)/,
    );
    assert.throws(() => quotasOf({ submitsPerUserPerMinute: 0 }), /submitsPerUserPerMinute must be a whole number from 1/);
  });

  it('has money budgets off unless set, and refuses ones that are not an amount above 0', () => {
    assert.equal(defaultQuotas.usdPerUserPerDay, undefined);
    assert.equal(defaultQuotas.usdPerDay, undefined);
    assert.equal(defaultQuotas.usdPerMonth, undefined);
    assert.deepEqual(
      [quotasOf({ usdPerUserPerDay: 0.5, usdPerDay: 10, usdPerMonth: 150.25 })].map((q) => [q?.usdPerUserPerDay, q?.usdPerDay, q?.usdPerMonth]),
      [[0.5, 10, 150.25]],
    );
    for (const bad of [0, -1, '5', 2_000_000]) {
      assert.throws(() => quotasOf({ usdPerDay: bad }), /TENANTS\[0\.quotas\.usdPerDay\]: usdPerDay must be an amount in US dollars above 0/, String(bad));
    }
  });
});

describe('status tokens', () => {
  const jobId = '0b6d2f4c-8a8e-4c1b-9d2e-3f4a5b6c7d8e';
  const otherJob = '1c7e3a5d-9b9f-4d2c-8e3f-4a5b6c7d8e9f';
  const tokens = createStatusTokens(['first-secret-of-at-least-32-characters!'], 60);

  it('verifies a token for its own job only, until it expires', () => {
    const now = new Date('2026-11-25T10:00:00Z');
    const { token, expiresOn } = tokens.create(jobId, now);
    assert.equal(expiresOn.toISOString(), '2026-11-25T11:00:00.000Z');
    assert.equal(tokens.verify(jobId, token, now), true);
    assert.equal(tokens.verify(otherJob, token, now), false);
    assert.equal(tokens.verify(jobId, token, new Date('2026-11-25T10:59:59Z')), true);
    assert.equal(tokens.verify(jobId, token, new Date('2026-11-25T11:00:00Z')), false, 'expired');
  });

  it('refuses edited or malformed tokens', () => {
    const { token } = tokens.create(jobId);
    const [expiry, mac] = token.split('.') as [string, string];
    // Change the MAC's first character (its last one partly encodes padding bits).
    const edited = `${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
    for (const bad of [`${Number(expiry) + 60}.${mac}`, `${expiry}.${edited}`, `${expiry}.`, '', 'x'.repeat(5000), `${expiry}.${mac}.extra`]) {
      assert.equal(tokens.verify(jobId, bad), false, bad.slice(0, 30));
    }
  });

  it('accepts only the canonical spelling of a token, and tells an expired one from a forged one', () => {
    const now = new Date('2026-11-25T10:00:00Z');
    const { token } = tokens.create(jobId, now);
    const [expiry, mac] = token.split('.') as [string, string];
    assert.equal(tokens.check(jobId, `0${expiry}.${mac}`, now), 'invalid', 'a leading zero in the expiry');
    const last = mac.at(-1) ?? 'A';
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twins = [...alphabet].filter((c) => c !== last && Buffer.from(`${mac.slice(0, -1)}${c}`, 'base64url').equals(Buffer.from(mac, 'base64url')));
    assert.ok(twins.length > 0, 'the last character has spellings that decode to the same bytes');
    for (const twin of twins) assert.equal(tokens.check(jobId, `${expiry}.${mac.slice(0, -1)}${twin}`, now), 'invalid', twin);
    assert.equal(tokens.check(jobId, token, now), 'valid');
    assert.equal(tokens.check(jobId, token, new Date(now.getTime() + 48 * 3600_000)), 'expired');
    assert.equal(tokens.check('another-job', token, new Date(now.getTime() + 48 * 3600_000)), 'invalid', 'expired and forged is forged');
  });

  it('keeps verifying after a secret rotation', () => {
    const { token } = tokens.create(jobId);
    const rotated = createStatusTokens(['second-secret-of-at-least-32-characters', 'first-secret-of-at-least-32-characters!'], 60);
    assert.equal(rotated.verify(jobId, token), true);
    const retired = createStatusTokens(['second-secret-of-at-least-32-characters'], 60);
    assert.equal(retired.verify(jobId, token), false);
  });
});
