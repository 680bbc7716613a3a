import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createSessionTokens } from '../../shared/sessions/sessionTokens';
import { startStack, statusTokenSecret, tenantA, tenantB, tenantsSetting, type JsonObject, type Stack } from '../../local/harness/stack';

/**
 * Studio sessions: what an LMS opens for one student, and everything a session token may not do: read
 * another student's (or another session's) job, pass the student's quota, change the session's user or
 * metadata, outlive its expiry, or call any route but its own.
 */
describe('studio sessions', () => {
  let stack: Stack;
  const openedTokens: string[] = [];

  before(async () => {
    stack = await startStack({ env: { TENANTS: tenantsSetting({ imagesPerUserPerDay: 4 }) } });
  });
  after(async () => {
    await stack?.stop();
  });

  async function api(method: string, path: string, options: { key?: string; token?: string; body?: unknown } = {}): Promise<{ status: number; headers: Headers; body: JsonObject }> {
    const headers: Record<string, string> = {};
    if (options.key) headers['api-key'] = options.key;
    if (options.token) headers['authorization'] = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${stack.url}${path}`, { method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as JsonObject };
  }

  async function openSession(body: Record<string, unknown>, key = tenantA.key): Promise<{ token: string; body: JsonObject }> {
    const created = await api('POST', '/api/sessions', { key, body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const studioUrl = new URL(String(created.body['studioUrl']));
    assert.equal(studioUrl.pathname, '/api/studio');
    assert.equal(studioUrl.search, '', 'nothing in the query string, which servers log');
    const token = new URLSearchParams(studioUrl.hash.slice(1)).get('session') ?? '';
    assert.ok(token.length > 40);
    openedTokens.push(token);
    return { token, body: created.body };
  }

  it('opens a session for a student with the school key, and checks the request', async () => {
    const { body } = await openSession({ user: 'student-1', metadata: { classId: '7b', assignmentId: 'kites' }, locale: 'nl' });
    assert.equal(body['user'], 'student-1');
    assert.deepEqual(body['metadata'], { classId: '7b', assignmentId: 'kites' });
    assert.equal(body['locale'], 'nl');
    const lifetime = Date.parse(String(body['expiresDateTime'])) - Date.now();
    assert.ok(lifetime > 115 * 60_000 && lifetime <= 120 * 60_000, `default lifetime 2 hours, got ${lifetime} ms`);

    assert.equal((await api('POST', '/api/sessions', { body: { user: 'student-1' } })).status, 401, 'no key');
    const cases: Array<[unknown, number, string, string]> = [
      [{}, 400, 'MissingField', 'user'],
      [{ user: 'pupil@example.org' }, 400, 'InvalidField', 'user'],
      [{ user: 'student-1', lifetimeMinutes: 481 }, 400, 'InvalidField', 'lifetimeMinutes'],
      [{ user: 'student-1', lifetimeMinutes: 4 }, 400, 'InvalidField', 'lifetimeMinutes'],
      [{ user: 'student-1', locale: 'de' }, 400, 'InvalidField', 'locale'],
      [{ user: 'student-1', metadata: { classId: 7 } }, 400, 'InvalidField', 'metadata.classId'],
      [{ user: 'student-1', role: 'teacher' }, 400, 'UnknownField', 'role'],
    ];
    for (const [request, status, code, target] of cases) {
      const answer = await api('POST', '/api/sessions', { key: tenantA.key, body: request });
      assert.equal(answer.status, status, JSON.stringify(request));
      assert.deepEqual([answer.body.error?.code, answer.body.error?.target], [code, target], JSON.stringify(request));
    }
  });

  it('submits for its own student with the session\'s metadata, and reads and lists only this session\'s jobs', async () => {
    const { token } = await openSession({ user: 'student-2', metadata: { classId: '7b' } });
    const info = await api('GET', '/api/sessions/current', { token });
    assert.equal(info.status, 200);
    assert.equal(info.body['placeholderPictures'], true, 'the stack draws with the local image service');
    assert.equal(typeof info.body['maxImagesPerJob'], 'number');

    const submitted = await api('POST', '/api/jobs', { token, body: { prompt: 'A red kite', n: 1 } });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const id = String(submitted.body.id);
    assert.equal(submitted.body['statusUrl'], undefined, 'a session has no use for status URLs');
    assert.equal((submitted.body['request'] as Record<string, unknown>)['user'], undefined, 'the page sees the job, not the LMS\'s bookkeeping');

    const asLms = await stack.waitForJob(id);
    assert.equal(asLms.status, 'Succeeded');
    const request = (await stack.getJob(id)).body['request'] as Record<string, unknown>;
    assert.equal(request['user'], 'student-2');
    assert.deepEqual(request['metadata'], { classId: '7b' });

    const read = await api('GET', `/api/jobs/${id}`, { token });
    assert.equal(read.status, 200);
    assert.equal(read.body.result?.images?.length, 1);

    // The same student's job made by the LMS, and one from another session of the same student: not this session's.
    const byLms = await stack.submit({ prompt: 'A blue kite', user: 'student-2' });
    const other = await openSession({ user: 'student-2', metadata: { classId: '7b' } });
    const otherJob = await api('POST', '/api/jobs', { token: other.token, body: { prompt: 'A green kite' } });
    for (const foreign of [String(byLms.body.id), String(otherJob.body.id)]) {
      const answer = await api('GET', `/api/jobs/${foreign}`, { token });
      assert.equal(answer.status, 404, 'answered as if it did not exist');
      assert.equal(answer.body.error?.code, 'NotFound');
    }
    const listed = await api('GET', '/api/sessions/current/jobs', { token });
    assert.equal(listed.status, 200);
    const value = listed.body['value'] as JsonObject[];
    assert.deepEqual(value.map((job) => job.id), [id]);
    assert.equal(value[0]?.result?.images?.length, 1);
  });

  it('keeps the LMS\'s Idempotency-Keys apart from a session\'s, in both directions', async () => {
    const { token, body } = await openSession({ user: 'student-idem' });
    const sessionId = String(body['id']);
    // The same request from both: the session adds its student, the LMS names them.
    const fromSession = async (key: string) => {
      const response = await fetch(`${stack.url}/api/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'Idempotency-Key': key },
        body: JSON.stringify({ prompt: 'A kite over the dunes' }),
      });
      return { status: response.status, body: (await response.json()) as JsonObject };
    };
    const fromLms = (key: string) => stack.submit({ prompt: 'A kite over the dunes', user: 'student-idem' }, { 'Idempotency-Key': key });
    const idOf = (answer: { status: number; body: JsonObject }) => {
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
      return String(answer.body.id);
    };

    // The LMS first, with a key that spells the session's: the session's own key makes its own job.
    const lmsFirst = idOf(await fromLms(`session:${sessionId}:k1`));
    const sessionSecond = idOf(await fromSession('k1'));
    assert.notEqual(sessionSecond, lmsFirst, 'the session\'s k1 is not the LMS\'s session:<id>:k1');
    assert.equal((await api('GET', `/api/jobs/${sessionSecond}`, { token })).status, 200, 'and the session can read it');
    // The session first: the LMS's look-alike key makes its own job.
    const sessionFirst = idOf(await fromSession('k2'));
    const lmsSecond = idOf(await fromLms(`session:${sessionId}:k2`));
    assert.notEqual(lmsSecond, sessionFirst, 'the LMS\'s session:<id>:k2 is not the session\'s k2');
    // Each caller's retries still answer with its own job.
    assert.equal(idOf(await fromSession('k1')), sessionSecond);
    assert.equal(idOf(await fromSession('k2')), sessionFirst);
    assert.equal(idOf(await fromLms(`session:${sessionId}:k1`)), lmsFirst);
    assert.equal(idOf(await fromLms(`session:${sessionId}:k2`)), lmsSecond);
  });

  it("refuses a body that names another student or other metadata, or asks for what only the LMS may", async () => {
    const { token } = await openSession({ user: 'student-3', metadata: { classId: '7b' } });
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ prompt: 'A kite', user: 'student-4' }, 'SessionFieldFixed', 'user'],
      [{ prompt: 'A kite', metadata: { classId: '8a' } }, 'SessionFieldFixed', 'metadata'],
      [{ prompt: 'A kite', callbackUrl: 'https://example.org/hook' }, 'NotAllowedInSession', 'callbackUrl'],
      [{ prompt: 'A kite', kind: 'variation', image: { jobId: randomUUID(), index: 0 } }, 'NotAllowedInSession', 'kind'],
    ];
    for (const [body, code, target] of cases) {
      const answer = await api('POST', '/api/jobs', { token, body });
      assert.equal(answer.status, 403, JSON.stringify(body));
      assert.deepEqual([answer.body.error?.code, answer.body.error?.target], [code, target]);
    }
    // Naming the session's own student and metadata is fine.
    const same = await api('POST', '/api/jobs', { token, body: { prompt: 'A kite', user: 'student-3', metadata: { classId: '7b' } } });
    assert.equal(same.status, 202, JSON.stringify(same.body));
  });

  it('asks only for what the studio offers, as the page learns it from the session', async () => {
    const { token } = await openSession({ user: 'student-10' });
    const info = await api('GET', '/api/sessions/current', { token });
    assert.deepEqual(info.body['orientations'], ['square', 'landscape', 'portrait']);
    const maxImagesPerJob = Number(info.body['maxImagesPerJob']);
    // Issue 21: this was accepted, at about $0.99 a picture against $0.04 for the studio's own.
    const cases: Array<[Record<string, unknown>, number, string, string]> = [
      [{ prompt: 'A kite', n: 4, size: '3840x2160', quality: 'high' }, 403, 'NotAllowedInSession', 'size'],
      [{ prompt: 'A kite', quality: 'high' }, 403, 'NotAllowedInSession', 'quality'],
      [{ prompt: 'A kite', aspectRatio: '16:9' }, 403, 'NotAllowedInSession', 'aspectRatio'],
      [{ prompt: 'A kite', outputFormat: 'jpeg' }, 403, 'NotAllowedInSession', 'outputFormat'],
      [{ prompt: 'A kite', orientation: 'diagonal' }, 400, 'InvalidField', 'orientation'],
      [{ prompt: 'A kite', n: maxImagesPerJob + 1 }, 400, 'InvalidField', 'n'],
    ];
    for (const [body, status, code, target] of cases) {
      const answer = await api('POST', '/api/jobs', { token, body });
      assert.equal(answer.status, status, JSON.stringify(body));
      assert.deepEqual([answer.body.error?.code, answer.body.error?.target], [code, target], JSON.stringify(body));
      if (status === 403) assert.match(String(answer.body.error?.message), /not offered in the studio: a studio session sends prompt, orientation \(square, landscape, portrait\) and n/);
    }
    const offered = await api('POST', '/api/jobs', { token, body: { prompt: 'A kite', orientation: 'landscape', n: 2 } });
    assert.equal(offered.status, 202, JSON.stringify(offered.body));
    assert.equal((offered.body['request'] as Record<string, unknown>)['size'], '1536x864', "the shape's own size");
  });

  it("counts against the student's quota, together with the LMS's own jobs for them", async () => {
    const { token } = await openSession({ user: 'student-5' });
    assert.equal((await stack.submit({ prompt: 'A kite', user: 'student-5', n: 2 })).status, 202);
    assert.equal((await api('POST', '/api/jobs', { token, body: { prompt: 'A kite', n: 2 } })).status, 202);
    const over = await api('POST', '/api/jobs', { token, body: { prompt: 'A kite', n: 1 } });
    assert.equal(over.status, 429);
    assert.equal(over.body.error?.code, 'QuotaExceeded');
    // Another student's session is not affected.
    const { token: other } = await openSession({ user: 'student-6' });
    assert.equal((await api('POST', '/api/jobs', { token: other, body: { prompt: 'A kite' } })).status, 202);
  });

  it('does not outlive its expiry, and a changed or foreign token is refused', async () => {
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
    for (const [method, path] of [['POST', '/api/jobs'], ['GET', '/api/sessions/current'], ['GET', `/api/jobs/${randomUUID()}`]] as const) {
      const answer = await api(method, path, { token: tenantA.key, ...(method === 'POST' ? { body: { prompt: 'A kite' } } : {}) });
      assert.equal(answer.status, 401, path);
      assert.equal(answer.body.error?.code, 'SessionInvalid', path);
      assert.match(String(answer.body.error?.message), /'api-key' header/, path);
      assert.doesNotMatch(String(answer.body.error?.message), /studio link/, path);
    }
  });

  it('is refused by every route that is not a session\'s, and a session of one school sees nothing of another', async () => {
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
