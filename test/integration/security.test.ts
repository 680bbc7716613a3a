import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../shared/config/config';
import { consoleLogger } from '../../shared/logger';
import { deleteExpiredJobs } from '../../shared/upkeep/retention';
import { createServices } from '../../functions/lib/services';
import { storageNames } from '../../shared/storage/storageNames';
import { startStack, tenantA, tenantB, type JsonObject, type Stack } from '../../local/harness/stack';

/** Who may see and do what: API keys, tenants, status tokens, CORS, erasure, retention, logs. */
describe('access control', () => {
  let stack: Stack;
  const secretMarker = `secret-prompt-words-${Date.now()}`;
  const seenTokens: string[] = [];

  before(async () => {
    stack = await startStack({ env: { CORS_ALLOWED_ORIGINS: 'https://lms.school-a.example' } });
  });
  after(async () => {
    await stack?.stop();
  });

  async function finishedJob(body: Record<string, unknown>, key = tenantA.key): Promise<JsonObject & { statusUrl: string }> {
    const submitted = await stack.submit(body, { 'api-key': key });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    seenTokens.push(new URL(String(submitted.body['statusUrl'])).searchParams.get('token') ?? '');
    await stack.waitForJob(String(submitted.body.id), 30_000).catch(() => undefined);
    return submitted.body as JsonObject & { statusUrl: string };
  }

  const routes = (id: string) => [
    { method: 'POST', path: '/api/jobs', body: '{"prompt":"a cat"}' },
    { method: 'GET', path: `/api/jobs/${id}` },
    { method: 'DELETE', path: `/api/jobs/${id}` },
    { method: 'GET', path: '/api/usage' },
  ];

  it('answers 401 without a key or with a wrong one, the same way, on every route', async () => {
    const job = await finishedJob({ prompt: 'A red kite' });
    for (const route of routes(String(job.id))) {
      const answers = [];
      const attempts: Record<string, string>[] = [{}, { 'api-key': 'wrong-key' }, { 'api-key': `${tenantA.key}x` }, { 'api-key': '' }];
      for (const headers of attempts) {
        const response = await fetch(`${stack.url}${route.path}`, {
          method: route.method,
          headers: { 'content-type': 'application/json', ...headers },
          ...(route.body ? { body: route.body } : {}),
        });
        assert.equal(response.status, 401, `${route.method} ${route.path}`);
        answers.push(await response.json());
      }
      assert.deepEqual(answers[0], { error: { code: 'Unauthorized', message: "A valid API key is required in the 'api-key' header (or a status token in a status URL)." } });
      for (const answer of answers) assert.deepEqual(answer, answers[0], 'no hint about which part was wrong');
    }
  });

  it("hides one tenant's jobs from another exactly as if they did not exist", async () => {
    const job = await finishedJob({ prompt: 'A blue kite', metadata: { classId: '4B' } });
    const id = String(job.id);
    const missing = '6f1c1e4e-5b7a-4c1e-9f7d-1b2c3d4e5f60';
    for (const method of ['GET', 'DELETE']) {
      const foreign = await fetch(`${stack.url}/api/jobs/${id}`, { method, headers: { 'api-key': tenantB.key } });
      const absent = await fetch(`${stack.url}/api/jobs/${missing}`, { method, headers: { 'api-key': tenantB.key } });
      assert.equal(foreign.status, 404);
      assert.equal(absent.status, 404);
      const foreignBody = (await foreign.json()) as JsonObject;
      const absentBody = (await absent.json()) as JsonObject;
      assert.deepEqual(foreignBody.error?.code, absentBody.error?.code);
      assert.equal(foreignBody.error?.message?.replace(id, 'ID'), absentBody.error?.message?.replace(missing, 'ID'));
    }
    assert.equal((await stack.getJob(id)).status, 200, "tenant B's DELETE did nothing");
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a random (v4) UUID');
  });

  it("lets a browser poll one job with its status URL, and nothing else", async () => {
    const job = await finishedJob({ prompt: `A green kite ${secretMarker}`, user: 'student-1', metadata: { classId: '4B' } });
    const statusUrl = new URL(job.statusUrl);
    assert.equal(statusUrl.pathname, `/api/jobs/${String(job.id)}`);
    assert.ok(Date.parse(String(job['statusUrlExpiresOn'])) > Date.now() + 23 * 3600_000);

    const polled = await fetch(statusUrl);
    assert.equal(polled.status, 200);
    const body = (await polled.json()) as JsonObject & { request: Record<string, unknown> };
    assert.equal(body.id, job.id);
    assert.equal(body.status, 'Succeeded');
    assert.equal(body.result?.images?.length, 1);
    assert.equal(body.request['user'], undefined, 'the student id is for the LMS only');
    assert.equal(body.request['metadata'], undefined, 'metadata is for the LMS only');
    assert.equal(body['statusUrl'], undefined, 'a token does not mint tokens');

    const other = await finishedJob({ prompt: 'A yellow kite' });
    const otherWithThisToken = new URL(statusUrl);
    otherWithThisToken.pathname = `/api/jobs/${String(other.id)}`;
    assert.equal((await fetch(otherWithThisToken)).status, 401, "another job's id");
    const tampered = new URL(statusUrl);
    tampered.searchParams.set('token', (statusUrl.searchParams.get('token') ?? '').replace(/^\d+/, (expiry) => String(Number(expiry) + 3600)));
    assert.equal((await fetch(tampered)).status, 401, 'a longer expiry');
    assert.equal((await fetch(statusUrl, { method: 'DELETE' })).status, 401, 'a token cannot delete');
    const submitWithToken = await fetch(`${stack.url}/api/jobs?${statusUrl.searchParams.toString()}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"prompt":"a cat"}',
    });
    assert.equal(submitWithToken.status, 401, 'a token cannot submit');
    assert.equal((await fetch(`${stack.url}/api/usage?${statusUrl.searchParams.toString()}`)).status, 401, 'a token cannot read usage');
  });

  it('allows CORS only for the configured LMS origins', async () => {
    const job = await finishedJob({ prompt: 'A purple kite' });
    const allowed = await fetch(job.statusUrl, { headers: { origin: 'https://lms.school-a.example' } });
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://lms.school-a.example');
    const foreign = await fetch(job.statusUrl, { headers: { origin: 'https://evil.example' } });
    assert.equal(foreign.status, 200);
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
    const unauthorized = await fetch(`${stack.url}/api/jobs/${String(job.id)}`, { headers: { origin: 'https://lms.school-a.example' } });
    assert.equal(unauthorized.status, 401);
    assert.equal(unauthorized.headers.get('access-control-allow-origin'), 'https://lms.school-a.example', 'so the page can read the error');
  });

  it("erases a job and its images at once when its tenant deletes it", async () => {
    const job = await finishedJob({ prompt: 'An orange kite', n: 2 });
    const id = String(job.id);
    const links = (await stack.getJob(id)).body.result?.images?.map((image) => image.url) ?? [];
    assert.equal(links.length, 2);
    const deleted = await fetch(`${stack.url}/api/jobs/${id}`, { method: 'DELETE', headers: { 'api-key': tenantA.key } });
    assert.equal(deleted.status, 204);
    assert.equal((await stack.getJob(id)).status, 404);
    for (const link of links) assert.equal((await fetch(link)).status, 404, 'the image is gone');
    assert.equal((await fetch(`${stack.url}/api/jobs/${id}`, { method: 'DELETE', headers: { 'api-key': tenantA.key } })).status, 404);
  });

  it('leaves no images behind when a job is deleted while it is being generated', async () => {
    const marker = `slow-${Date.now()}`;
    stack.imageService.addRule({ match: marker, fault: { kind: 'delay', ms: 1500 }, times: 1 });
    const submitted = await stack.submit({ prompt: `A slow kite ${marker}` });
    const id = String(submitted.body.id);
    await stack.waitForStatus(id, 'Running');
    const deleted = await fetch(`${stack.url}/api/jobs/${id}`, { method: 'DELETE', headers: { 'api-key': tenantA.key } });
    assert.equal(deleted.status, 204);
    // The worker still has the call in hand (1.5 s, longer on a busy machine): look once it has put its images away.
    await stack.waitForLog(`Job ${id}: deleted while running; its images were removed.`);
    const left = [];
    for await (const blob of stack.blobService.getContainerClient(storageNames.imagesContainer).listBlobsFlat({ prefix: `${id}/` })) left.push(blob.name);
    assert.deepEqual(left, []);
    assert.equal((await stack.getJob(id)).status, 404);
  });

  it('deletes jobs and images past the retention period', async () => {
    const job = await finishedJob({ prompt: 'A white kite' });
    const id = String(job.id);
    const services = createServices(loadConfig(stack.env));
    const inRetention = await deleteExpiredJobs(services, consoleLogger);
    assert.equal(inRetention.jobs, 0, 'nothing is old yet');
    const later = new Date(Date.now() + 31 * 24 * 3600_000);
    assert.ok((await deleteExpiredJobs(services, consoleLogger, later)).jobs >= 1);
    assert.equal((await stack.getJob(id)).status, 404);
    const left = [];
    for await (const blob of stack.blobService.getContainerClient(storageNames.imagesContainer).listBlobsFlat({ prefix: `${id}/` })) left.push(blob.name);
    assert.deepEqual(left, []);
  });

  it('never logs keys, tokens, SAS signatures or prompts', () => {
    const logs = stack.hosts.map((host) => host.logs()).join('\n');
    assert.ok(logs.includes('accepted for tenant school-a'), 'the logs were captured');
    for (const secret of [tenantA.key, tenantB.key, secretMarker, 'sig=', 'A green kite', ...seenTokens.filter(Boolean)]) {
      assert.ok(!logs.includes(secret), `the logs contain ${secret.slice(0, 12)}…`);
    }
  });
});
