import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createSessionTokens } from '../../shared/sessions/sessionTokens';
import { statusTokenSecret, tenantA, tenantB } from '../../local/harness/stack';
import { startSessionStack, type SessionStack } from '../helpers/sessionStack';

/**
 * Everything a studio session token may not do: outlive its expiry, be changed, read the gallery in a loop,
 * stand in for the API key, call any route but its own, or reach the logs.
 */
describe('studio sessions: what a token may not do', () => {
  let sessions: SessionStack;
  before(async () => {
    sessions = await startSessionStack();
  });
  after(async () => {
    await sessions?.stop();
  });

  it('does not outlive its expiry, and a changed or foreign token is refused', async () => {
    const { api, openSession } = sessions;
    const tokens = createSessionTokens([statusTokenSecret]);
    const issuedOn = new Date(Date.now() - 3 * 3600_000);
    const expired = tokens.create({ id: randomUUID(), tenantId: tenantA.id, user: 'student-7', issuedOn, expiresOn: new Date(Date.now() - 1000) });
    for (const [method, path] of [['GET', '/api/sessions/current'], ['POST', '/api/jobs'], ['GET', '/api/sessions/current/jobs']] as const) {
      const answer = await api(method, path, { token: expired, ...(method === 'POST' ? { body: { prompt: 'A kite' } } : {}) });
      assert.equal(answer.status, 401, path);
      assert.equal(answer.body.error?.code, 'SessionExpired', path);
      assert.equal(answer.headers.get('www-authenticate'), 'Bearer');
    }
    const { token } = await openSession({ user: 'student-7' });
    const [payload = '', signature = ''] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const longer = Buffer.from(JSON.stringify({ ...claims, exp: Number(claims['exp']) + 86_400 })).toString('base64url');
    const otherStudent = Buffer.from(JSON.stringify({ ...claims, sub: 'student-8' })).toString('base64url');
    const foreignKey = createSessionTokens(['another-secret-0123456789abcdef0123456789']).create({ id: randomUUID(), tenantId: tenantA.id, user: 'student-7', issuedOn: new Date(), expiresOn: new Date(Date.now() + 3600_000) });
    for (const forged of [`${longer}.${signature}`, `${otherStudent}.${signature}`, foreignKey, `${payload}.${signature.slice(0, -2)}AA`, 'not-a-token']) {
      const answer = await api('GET', '/api/sessions/current', { token: forged });
      assert.equal(answer.status, 401);
      assert.equal(answer.body.error?.code, 'SessionInvalid');
    }
  });

  it('pages the gallery, and answers a page that reads it in a loop with 429 while other sessions go on', async () => {
    const { api, openSession } = sessions;
    const { token } = await openSession({ user: 'student-gallery' });
    for (const prompt of ['A red kite', 'A blue kite', 'A green kite']) {
      assert.equal((await api('POST', '/api/jobs', { token, body: { prompt, n: 1 } })).status, 202);
    }
    const first = await api('GET', '/api/sessions/current/jobs?top=2', { token });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal((first.body['value'] as unknown[]).length, 2);
    const nextLink = new URL(String(first.body['nextLink']));
    const second = await api('GET', `${nextLink.pathname}${nextLink.search}`, { token });
    assert.equal((second.body['value'] as unknown[]).length, 1);
    assert.equal(second.body['nextLink'], undefined, 'the last page');
    for (const [query, target] of [['top=0', 'top'], ['top=31', 'top'], ['top=x', 'top'], ['skip=1', 'skip'], ['continuationToken=forged', 'continuationToken']] as const) {
      const bad = await api('GET', `/api/sessions/current/jobs?${query}`, { token });
      assert.equal(bad.status, 400, `${query}: ${JSON.stringify(bad.body)}`);
      assert.equal(bad.body.error?.target, target, query);
    }

    // A gallery read of its 3 jobs costs 4 of the 120-read burst: a loop is stopped within about 30 reads.
    let limited: Awaited<ReturnType<typeof api>> | undefined;
    for (let i = 0; i < 100 && !limited; i++) {
      const answer = await api('GET', '/api/sessions/current/jobs', { token });
      if (answer.status === 429) limited = answer;
      else assert.equal(answer.status, 200);
    }
    assert.ok(limited, 'a session reading the gallery in a loop is limited');
    assert.equal(limited.body.error?.code, 'RateLimited');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    const classmate = await openSession({ user: 'student-gallery-2' });
    assert.equal((await api('GET', '/api/sessions/current/jobs', { token: classmate.token })).status, 200, 'another session still reads');
    assert.equal((await api('GET', '/api/jobs', { key: tenantA.key })).status, 200, 'the LMS still reads');
  });

  it("tells an integrator who sends the API key as 'Authorization: Bearer' that it goes in 'api-key'", async () => {
    const { api } = sessions;
    for (const [method, path] of [['POST', '/api/jobs'], ['GET', '/api/sessions/current'], ['GET', `/api/jobs/${randomUUID()}`]] as const) {
      const answer = await api(method, path, { token: tenantA.key, ...(method === 'POST' ? { body: { prompt: 'A kite' } } : {}) });
      assert.equal(answer.status, 401, path);
      assert.equal(answer.body.error?.code, 'SessionInvalid', path);
      assert.match(String(answer.body.error?.message), /'api-key' header/, path);
      assert.doesNotMatch(String(answer.body.error?.message), /studio link/, path);
    }
  });

  it('is refused by every route that is not a session\'s, and a session of one school sees nothing of another', async () => {
    const { stack, api, openSession } = sessions;
    const { token } = await openSession({ user: 'student-9' });
    const job = await stack.submit({ prompt: 'A kite', user: 'student-9' });
    const id = String(job.body.id);
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/api/jobs'],
      ['GET', '/api/usage'],
      ['DELETE', `/api/jobs/${id}`],
      ['POST', `/api/jobs/${id}:cancel`],
      ['POST', '/api/uploads', { contentType: 'image/png' }],
      ['POST', '/api/sessions', { user: 'student-9' }],
    ];
    for (const [method, path, body] of routes) {
      const answer = await api(method, path, { token, ...(body !== undefined ? { body } : {}) });
      assert.equal(answer.status, 401, `${method} ${path}`);
    }
    assert.equal((await stack.getJob(id)).status, 200, 'the job is still there');

    const { token: schoolB } = await openSession({ user: 'student-9' }, tenantB.key);
    const mine = await api('POST', '/api/jobs', { token, body: { prompt: 'A kite' } });
    assert.equal((await api('GET', `/api/jobs/${String(mine.body.id)}`, { token: schoolB })).status, 404);
  });

  it('serves the studio page with its security headers, and keeps tokens out of the logs', async () => {
    const { stack, openedTokens } = sessions;
    const page = await fetch(`${stack.url}/api/studio`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy') ?? '';
    const blobOrigin = new URL(stack.azurite.blobUrl).origin;
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/, 'no inline script');
    assert.ok(csp.includes(`img-src 'self' ${blobOrigin} blob: data:`), csp);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.doesNotMatch(await page.text(), /<script>|\son\w+=/i, 'no inline script or handlers');

    const script = await fetch(`${stack.url}/api/studio/studio.js`);
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
    const etag = script.headers.get('etag') ?? '';
    assert.equal((await fetch(`${stack.url}/api/studio/studio.js`, { headers: { 'if-none-match': etag } })).status, 304);
    assert.equal((await fetch(`${stack.url}/api/studio/..%2Flocal.settings.json`)).status, 404);
    assert.equal((await fetch(`${stack.url}/api/studio/secret.txt`)).status, 404);

    const logs = stack.hosts.map((host) => host.logs()).join('\n');
    assert.ok(openedTokens.length > 3);
    for (const token of openedTokens) {
      assert.ok(!logs.includes(token.slice(-43)), 'a session token reached the log');
    }
  });
});
