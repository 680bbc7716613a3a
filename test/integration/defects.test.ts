import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../shared/config/config';
import { createServices } from '../../functions/lib/services';
import { storageNames } from '../../shared/storage/storageNames';
import { startStack, tenantA, type Stack } from '../../local/harness/stack';

/**
 * Defects found when the service was tried as a newcomer and attacked as a security tester would; each
 * test failed before its fix. Pacing is one call a minute here, so a second job stays unstarted.
 */
describe('defects found by a newcomer and an attacker', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ env: { IMAGE_REQUESTS_PER_MINUTE: '1', CORS_ALLOWED_ORIGINS: 'https://lms.example.org' } });
  });
  after(async () => {
    await stack?.stop();
  });

  it('keeps an erased job erased: a retried Idempotency-Key gets 410 and stores nothing', async () => {
    const key = `erase-${Date.now()}`;
    const first = await stack.submit({ prompt: `A red tram ${key}` }, { 'Idempotency-Key': key });
    assert.equal(first.status, 202);
    const id = String(first.body.id);
    const deleted = await fetch(`${stack.url}/api/jobs/${id}`, { method: 'DELETE', headers: { 'api-key': tenantA.key } });
    assert.equal(deleted.status, 204);
    const again = await stack.submit({ prompt: `A red tram ${key}` }, { 'Idempotency-Key': key });
    assert.equal(again.status, 410, JSON.stringify(again.body));
    assert.equal(again.body.error?.code, 'JobErased');
    assert.equal((await stack.getJob(id)).status, 404, 'the old status URL stays dead');
    assert.equal(await stack.blobService.getContainerClient(storageNames.jobsContainer).getBlobClient(`${id}.json`).exists(), false);
  });

  function rawRequest(path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
    const { port } = new URL(stack.url);
    return new Promise((resolve, reject) => {
      const request = http.request({ host: '127.0.0.1', port, path, method: body ? 'POST' : 'GET', headers, setHost: false }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }));
      });
      request.on('error', reject);
      request.end(body);
    });
  }

  it('answers a malformed Host with 400, and never reflects a foreign Host into links', async () => {
    const body = JSON.stringify({ prompt: 'a cat' });
    const send = (host: string) => rawRequest('/api/jobs', { host, 'content-type': 'application/json', 'api-key': tenantA.key, 'content-length': String(Buffer.byteLength(body)) }, body);
    // A Host with user info (`localhost:1@evil`) parsed as a URL whose host is `evil`, and failed with a 500.
    for (const host of ['[::1', 'localhost:1@evil', 'user@localhost', 'localhost/evil', 'localhost:99999999', 'local host']) {
      const malformed = await send(host);
      assert.equal(malformed.status, 400, `${host}: ${malformed.text}`);
      assert.equal((JSON.parse(malformed.text) as { error: { code: string } }).error.code, 'InvalidHost', host);
    }
    const foreign = await send('evil.example');
    assert.equal(foreign.status, 400, foreign.text);
    assert.ok(!foreign.text.includes('evil.example/api'), 'no link to the foreign host');
    const served = await send(`localhost:${new URL(stack.url).port}`);
    assert.equal(served.status, 202, served.text);
    assert.match(String(served.headers['operation-location']), /^http:\/\/localhost:\d+\/api\/jobs\//);
  });

  it('tells an expired status URL from a missing key, with its own code', async () => {
    const submitted = await stack.submit({ prompt: `A lighthouse ${Date.now()}` });
    const id = String(submitted.body.id);
    const services = createServices(loadConfig(stack.env));
    const { token } = services.statusTokens.create(id, new Date(Date.now() - 3 * 24 * 3600_000));
    const expired = await fetch(`${stack.url}/api/jobs/${id}?token=${token}`);
    assert.equal(expired.status, 401);
    const body = (await expired.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'StatusUrlExpired');
    assert.match(body.error.message, /expired/);
    const [expiry, mac] = token.split('.') as [string, string];
    const padded = await fetch(`${stack.url}/api/jobs/${id}?token=0${expiry}.${mac}`);
    assert.equal(padded.status, 401);
    assert.equal(((await padded.json()) as { error: { code: string } }).error.code, 'Unauthorized');
  });

  it('names students in counters with a keyed hash, never a plain hash of their id', async () => {
    const user = `student-${Date.now()}`;
    assert.equal((await stack.submit({ prompt: 'A windmill', user })).status, 202);
    const plain = createHash('sha256').update(user).digest('hex').slice(0, 32);
    const names: string[] = [];
    for await (const blob of stack.blobService.getContainerClient(storageNames.usageContainer).listBlobsFlat()) names.push(blob.name);
    assert.ok(names.some((name) => name.includes('/user/')), 'a student counter exists');
    assert.ok(!names.some((name) => name.includes(plain) || name.includes(user)));
  });

  it('gives the quota back for a job canceled before any provider call', async () => {
    const user = `canceler-${Date.now()}`;
    const usage = async () => ((await (await fetch(`${stack.url}/api/usage?user=${user}`, { headers: { 'api-key': tenantA.key } })).json()) as { user: { used: number } }).user.used;
    const first = await stack.submit({ prompt: `A tulip ${user}`, user });
    const second = await stack.submit({ prompt: `A windmill ${user}`, n: 2, user });
    assert.equal(second.status, 202);
    assert.equal(await usage(), 3);
    // One call a minute: whichever job waits for the pacing window has made no call yet.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const waiting = stack.imageService.calls().some((call) => call.prompt.includes(`A windmill ${user}`)) ? first : second;
    const canceled = await fetch(`${stack.url}/api/jobs/${String(waiting.body.id)}:cancel`, { method: 'POST', headers: { 'api-key': tenantA.key } });
    assert.equal(canceled.status, 200);
    assert.equal(await usage(), waiting === second ? 1 : 2, 'the canceled job\'s images are given back');
  });

  it('accepts JSON in UTF-8 only, naming the charset it refuses', async () => {
    const response = await fetch(`${stack.url}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-16', 'api-key': tenantA.key },
      body: JSON.stringify({ prompt: 'a cat' }),
    });
    assert.equal(response.status, 415);
    assert.match(((await response.json()) as { error: { message: string } }).error.message, /utf-16/);
    const utf8 = await stack.submit(JSON.stringify({ prompt: 'a cat' }), { 'content-type': 'application/json; charset=UTF-8' });
    assert.equal(utf8.status, 202);
  });

  it('answers CORS preflights: status reads for allowed origins, a reason for everything else', async () => {
    const preflight = (path: string, origin: string, method: string, requestHeaders?: string) =>
      fetch(`${stack.url}${path}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': method, ...(requestHeaders ? { 'access-control-request-headers': requestHeaders } : {}) },
      });
    const path = '/api/jobs/0b6d2f4e-5b7a-4c1e-9f7d-1b2c3d4e5f60';
    const ok = await preflight(path, 'https://lms.example.org', 'GET', 'content-type');
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://lms.example.org');
    assert.match(ok.headers.get('access-control-allow-methods') ?? '', /GET/);
    const post = await preflight('/api/jobs', 'https://lms.example.org', 'POST', 'api-key, content-type');
    assert.equal(post.status, 403);
    assert.equal(((await post.json()) as { error: { code: string } }).error.code, 'CorsMethodNotAllowed');
    const key = await preflight(path, 'https://lms.example.org', 'GET', 'api-key');
    assert.equal(((await key.json()) as { error: { code: string } }).error.code, 'CorsHeaderNotAllowed');
    const foreign = await preflight(path, 'https://evil.example', 'GET');
    assert.equal(foreign.status, 403);
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
    assert.equal((await fetch(`${stack.url}/api/no-such-route`)).status, 404, 'a preflight route does not make every path exist');
  });
});
