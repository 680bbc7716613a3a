import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { TableClient } from '@azure/data-tables';
import sharp from 'sharp';
import { hashApiKey } from '../../shared/config/tenants';
import { createPseudonyms } from '../../shared/access/pseudonyms';
import { loadConfig } from '../../shared/config/config';
import { deleteExpiredJobs } from '../../shared/upkeep/retention';
import { consoleLogger } from '../../shared/logger';
import { createServices } from '../../functions/lib/services';
import { storageNames } from '../../shared/storage/storageNames';
import { startStack, statusTokenSecret, tenantA, tenantB, webhookSecretA, type JsonObject, type Stack } from '../../local/harness/stack';
import { everythingStored } from '../helpers/storageTraces';

/**
 * Issue 24: a school's privacy officer's questions, asked of a real stack (Azurite, the local host, the
 * image service and the Content Safety stand-in). School A keeps data 7 days and has a second, named key;
 * school B keeps 60 days; the default is 30.
 */
const dashboardKey = 'dashboard-key-of-school-a';
const generous = { imagesPerUserPerDay: 10_000, imagesPerDay: 100_000, imagesPerMonth: 1_000_000, submitsPerMinute: 100_000, submitsPerUserPerMinute: 100_000 };
const tenants = JSON.stringify([
  { id: tenantA.id, apiKeyHashes: [hashApiKey(tenantA.key)], apiKeys: [{ label: 'dashboard', hash: hashApiKey(dashboardKey) }], quotas: generous, webhook: { secrets: [webhookSecretA] }, retentionDays: 7 },
  { id: tenantB.id, apiKeyHashes: [hashApiKey(tenantB.key)], quotas: generous, retentionDays: 60 },
]);
const pseudonyms = createPseudonyms(statusTokenSecret);
const dayInMs = 24 * 3600_000;

describe("children's data: erasure, export, retention and the record of access", () => {
  let stack: Stack;
  let receiver: http.Server;
  let receiverUrl = '';
  before(async () => {
    stack = await startStack({ env: { TENANTS: tenants, RETENTION_DAYS: '30' } });
    receiver = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(204).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  after(async () => {
    await stack?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  /** `key` null sends no api-key. A full URL is asked of the host that runs now (an Operation-Location may name a killed one). */
  async function api(method: string, path: string, key: string | null = tenantA.key, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: JsonObject }> {
    const url = `${stack.url}${path.startsWith('http') ? new URL(path).pathname : path}`;
    const response = await fetch(url, { method, headers: { ...(key !== null ? { 'api-key': key } : {}), ...headers } });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as JsonObject };
  }

  async function run(body: Record<string, unknown>, key = tenantA.key, headers: Record<string, string> = {}): Promise<JsonObject> {
    const submitted = await stack.submit(body, { 'api-key': key, ...headers });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const id = String(submitted.body.id);
    for (;;) {
      const { body: job } = await stack.getJob(id, { 'api-key': key });
      if (job.status === 'Succeeded' || job.status === 'Failed') return job;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function refused(prompt: string, user: string, key = tenantA.key): Promise<void> {
    const response = await stack.submit({ prompt, user }, { 'api-key': key });
    assert.equal(response.status, 400, JSON.stringify(response.body));
    assert.equal(response.body.error?.code, 'PromptBlocked');
  }

  async function erase(user: string, key = tenantA.key): Promise<{ location: string; operation: JsonObject }> {
    const answer = await api('DELETE', `/api/students/${encodeURIComponent(user)}`, key);
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    assert.equal(answer.body.status, 'NotStarted');
    assert.ok(Number(answer.headers.get('retry-after')) >= 1);
    const location = answer.headers.get('operation-location') ?? '';
    assert.match(location, /\/api\/operations\/[0-9a-f-]{36}$/);
    return { location, operation: answer.body };
  }

  async function finished(location: string, key = tenantA.key): Promise<JsonObject> {
    for (;;) {
      const { status, body } = await api('GET', location, key);
      assert.equal(status, 200, JSON.stringify(body));
      if (body.status === 'Succeeded' || body.status === 'Failed') return body;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function picture(): Promise<string> {
    const created = await api('POST', '/api/uploads');
    assert.equal(created.status, 201);
    const bytes = await sharp({ create: { width: 256, height: 256, channels: 3, background: { r: 90, g: 160, b: 220 } } }).png().toBuffer();
    const put = await fetch(String(created.body['uploadUrl']), { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: new Uint8Array(bytes) });
    assert.equal(put.status, 201);
    return String(created.body.id);
  }

  /** What is left in storage of these needles, outside the places named by `allowed`. */
  async function traces(needles: readonly string[], allowed: (where: string, needle: string) => boolean = () => false): Promise<string[]> {
    const found: string[] = [];
    for (const thing of await everythingStored(stack.azurite.connectionString)) {
      for (const needle of needles) if (thing.text.includes(needle) && !allowed(thing.where, needle)) found.push(`${thing.where} holds ${needle}`);
    }
    return found;
  }

  it('erases only with the school key: a session token is 401, contact details are 400, and a student it never had gets the same 202', async () => {
    const session = await fetch(`${stack.url}/api/sessions`, { method: 'POST', headers: { 'api-key': tenantA.key, 'content-type': 'application/json' }, body: JSON.stringify({ user: 'student-s1' }) });
    assert.equal(session.status, 201);
    const token = new URLSearchParams(new URL(String(((await session.json()) as { studioUrl: string }).studioUrl)).hash.slice(1)).get('session') ?? '';
    for (const path of ['/api/students/student-s1', '/api/students/student-s1/export']) {
      const method = path.endsWith('export') ? 'GET' : 'DELETE';
      assert.equal((await api(method, path, null, { authorization: `Bearer ${token}` })).status, 401, `${method} ${path} with a session token`);
    }
    for (const user of ['pupil@example.org', '+31612345678', '06-12345678']) {
      const answer = await api('DELETE', `/api/students/${encodeURIComponent(user)}`);
      assert.equal(answer.status, 400, user);
      assert.deepEqual([answer.body.error?.code, answer.body.error?.target], ['InvalidField', 'user']);
      assert.equal((await api('GET', `/api/students/${encodeURIComponent(user)}/export`)).status, 400);
    }
    const { location } = await erase(`never-here-${Date.now()}`);
    const done = await finished(location);
    assert.equal(done.status, 'Succeeded');
    assert.deepEqual(done['result'], { jobs: 0, safetyEvents: 0, idempotencyRecords: 0, counters: 0, listingEntries: 0 });
    assert.equal((await api('GET', location, tenantB.key)).status, 404, "another school cannot read the operation");
  });

  it('exports what the API shows about a student: their jobs as GET /api/jobs/{id}, their safety events as the listing', async () => {
    const user = `export-${Date.now()}`;
    const first = await run({ prompt: `A lighthouse ${user}`, user, metadata: { classId: '6B' } });
    const second = await run({ prompt: `A tulip field ${user}`, user });
    await refused(`a knight with a sword ${user}`, user);
    const exported = await api('GET', `/api/students/${user}/export`);
    assert.equal(exported.status, 200, JSON.stringify(exported.body));
    assert.equal(exported.body['nextLink'], undefined, 'one page for a student with a few jobs');
    assert.equal(exported.body['retentionDays'], 7, "the school's own retention");
    const usage: unknown = exported.body['usage'];
    assert.ok(typeof usage === 'object' && usage !== null && 'used' in usage && usage.used === 2, JSON.stringify(usage));
    const stable = (job: JsonObject) => {
      const { statusUrl: _statusUrl, statusUrlExpiresOn: _expires, result, ...rest } = job;
      return { ...rest, images: (result?.images ?? []).map((image) => ({ ...image, url: image.url.split('?')[0], downloadUrl: undefined, expiresOn: undefined, thumbnail: undefined })) };
    };
    const jobs = exported.body['jobs'] as JsonObject[];
    assert.deepEqual(jobs.map((job) => job.id), [second.id, first.id], 'newest first');
    for (const job of jobs) {
      const shown = await stack.getJob(String(job.id));
      assert.deepEqual(stable(job), stable(shown.body));
      assert.equal(job['statusUrl'], undefined, 'no status URL: an export is handed on');
      const link = job.result?.images?.[0]?.url ?? '';
      assert.equal((await fetch(link)).status, 200, 'the picture link reads');
      assert.equal((await fetch(link, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'x' })).status, 403, 'and only reads');
    }
    const listed = await api('GET', `/api/safety-events?user=${user}`);
    assert.deepEqual(exported.body['safetyEvents'], listed.body['value']);
    assert.equal((exported.body['safetyEvents'] as unknown[]).length, 1);
    // Another school's export of the same id finds nothing.
    const other = await api('GET', `/api/students/${user}/export`, tenantB.key);
    assert.deepEqual([other.body['jobs'], other.body['safetyEvents']], [[], []]);
  });

  it("erases every trace of a student of one school, refusals at submit included, and nothing of anyone else's", async () => {
    const user = `pupil-${Date.now()}`;
    const other = `classmate-${Date.now()}`;
    const key = `erase-key-${user}`;
    const prompts = [`A red tram ${user}`, `My garden ${user}`, `A windmill ${user}`];
    const withKey = await run({ prompt: prompts[0], user, metadata: { classId: '7A' } }, tenantA.key, { 'Idempotency-Key': key });
    const uploadId = await picture();
    const edit = await run({ kind: 'edit', prompt: prompts[1], user, images: [{ uploadId }] });
    const withHook = await run({ prompt: prompts[2], user, callbackUrl: receiverUrl });
    for (let i = 0; i < 100 && !(await stack.getJob(String(withHook.id))).body['webhooks']; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok((await stack.getJob(String(withHook.id))).body['webhooks'], 'a webhook log to erase');
    await refused(`a knight with a sword ${user}`, user);
    await refused(`a knight stabbing a dragon ${user}`, user);
    const events = (await api('GET', `/api/safety-events?user=${user}`)).body['value'] as JsonObject[];
    assert.equal(events.length, 2);
    const classmate = await run({ prompt: `A classmate's boat ${other}`, user: other });
    const namesake = await run({ prompt: `A namesake in school B ${user}`, user }, tenantB.key);
    await refused(`a sword in school B ${user}`, user, tenantB.key);
    const jobIds = [withKey, edit, withHook].map((job) => String(job.id));

    const { location } = await erase(user);
    const done = await finished(location);
    assert.equal(done.status, 'Succeeded', JSON.stringify(done));
    assert.deepEqual(done['result'], { jobs: 3, safetyEvents: 2, idempotencyRecords: 1, counters: (done['result'] as { counters: number }).counters, listingEntries: 0 });
    assert.ok((done['result'] as { counters: number }).counters >= 1, 'the counters were reset');

    const needles = [user, ...jobIds, ...prompts, ...events.map((event) => String(event.id)), uploadId, pseudonyms.counterKey(tenantA.id, user)];
    const namesakeJob = String(namesake.id);
    const left = await traces(needles, (where, needle) =>
      // School B's student of the same id is another child, kept.
      where.includes(`${tenantB.id}/`) || where.includes(` ${tenantB.id}/`) || where.includes(namesakeJob) ||
      // The access log keeps the ids of the jobs that were read (ids that name nothing once erased), never the student id.
      (where.startsWith(`table ${storageNames.accessLogTable} `) && jobIds.includes(needle)),
    );
    assert.deepEqual(left, []);
    // What stays of the student is a pseudonym: in the operation record and the access log, by design (docs/privacy.md).
    assert.equal((await stack.getJob(String(classmate.id))).status, 200, 'a classmate keeps their job');
    assert.equal((await stack.getJob(namesakeJob, { 'api-key': tenantB.key })).status, 200, "school B's student keeps theirs");
    assert.equal(((await api('GET', `/api/safety-events?user=${user}`, tenantB.key)).body['value'] as unknown[]).length, 1);

    // The erasure holds: the old key cannot bring the job back; a new submit is a new job.
    const retried = await stack.submit({ prompt: prompts[0], user, metadata: { classId: '7A' } }, { 'Idempotency-Key': key });
    assert.equal(retried.status, 410, JSON.stringify(retried.body));
    assert.equal(retried.body.error?.code, 'JobErased');
    const again = await run({ prompt: `A new picture ${user}`, user });
    assert.ok(!jobIds.includes(String(again.id)));
    assert.deepEqual(((await api('GET', `/api/jobs?user=${user}`)).body['value'] as JsonObject[]).map((job) => job.id), [again.id]);
  });

  it('records every read of children\'s data by key label, with the student as a pseudonym and never a prompt, and never fails a read for it', async () => {
    const user = `read-${Date.now()}`;
    const job = await run({ prompt: `A secret drawing ${user}`, user });
    const since = new Date().toISOString();
    assert.equal((await api('GET', `/api/jobs?user=${user}&top=5`, dashboardKey)).status, 200);
    assert.equal((await api('GET', `/api/jobs/${String(job.id)}`, dashboardKey)).status, 200);
    assert.equal((await api('GET', `/api/safety-events?classId=9Z`, dashboardKey)).status, 200);
    assert.equal((await api('GET', `/api/students/${user}/export`, dashboardKey)).status, 200);
    const log = await api('GET', `/api/access-log?keyLabel=dashboard&since=${encodeURIComponent(since)}`);
    assert.equal(log.status, 200, JSON.stringify(log.body));
    const entries = log.body['value'] as Array<Record<string, string>>;
    assert.deepEqual(entries.map((entry) => entry['action']), ['exportStudent', 'listSafetyEvents', 'getJob', 'listJobs']);
    const student = pseudonyms.studentKey(tenantA.id, user);
    assert.deepEqual(entries[3], { ...entries[3], method: 'GET', path: '/api/jobs', query: 'user={student}&top=5', keyLabel: 'dashboard', student });
    assert.equal(entries[0]?.['path'], '/api/students/{student}/export');
    assert.equal(entries[2]?.['path'], `/api/jobs/${String(job.id)}`);
    const text = JSON.stringify(log.body);
    assert.ok(!text.includes(user) && !text.includes('secret drawing') && !text.includes(dashboardKey) && !text.includes(hashApiKey(dashboardKey)), 'no student id, prompt or key');
    const byStudent = await api('GET', `/api/access-log?user=${user}`);
    assert.deepEqual((byStudent.body['value'] as Array<Record<string, string>>).map((entry) => entry['action']).sort(), ['exportStudent', 'listJobs']);
    assert.ok((await api('GET', '/api/access-log?top=100')).body['value'], 'key-1 (apiKeyHashes) is recorded too');
    assert.ok(((await api('GET', '/api/access-log?top=100')).body['value'] as Array<Record<string, string>>).some((entry) => entry['keyLabel'] === 'key-1'));
    const fromB = (await api('GET', '/api/access-log?top=100', tenantB.key)).body['value'] as Array<Record<string, string>>;
    assert.ok(!fromB.some((entry) => entries.some((mine) => mine['id'] === entry['id'])), "school B never sees school A's log");
    assert.equal((await api('GET', '/api/access-log?keyLabel=no%20such')).status, 400);

    // A log that cannot be written does not fail the read: it is logged as an error instead.
    const table = TableClient.fromConnectionString(stack.azurite.connectionString, storageNames.accessLogTable, { allowInsecureConnection: true });
    await table.deleteTable();
    try {
      const read = await api('GET', `/api/jobs?user=${user}`);
      assert.equal(read.status, 200, JSON.stringify(read.body));
      for (let i = 0; i < 50 && !stack.hosts[0]!.logs().includes('could not be recorded'); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.match(stack.hosts[0]!.logs(), /Access log: a listJobs by tenant school-a \(key key-1\) could not be recorded/);
    } finally {
      // Azurite may refuse the name for a moment after a delete.
      for (let i = 0; i < 100; i++) {
        try {
          await table.createTable();
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    }
  });

  it('finishes an erasure after the host running it is killed in the middle', async () => {
    const user = `crash-${Date.now()}`;
    const jobs = await Promise.all(Array.from({ length: 60 }, (_, i) => run({ prompt: `A kite number ${i} ${user}`, user })));
    assert.ok(jobs.every((job) => job.status === 'Succeeded'));
    const { location, operation } = await erase(user);
    let seen: JsonObject = operation;
    while (!(seen.status === 'Running' && (seen['result'] as { jobs: number }).jobs >= 1)) {
      assert.notEqual(seen.status, 'Succeeded', 'the erasure finished before the host could be killed');
      seen = (await api('GET', location)).body;
    }
    await stack.hosts[0]!.kill('SIGKILL');
    stack.hosts.shift();
    await stack.startHost();
    const done = await finished(location);
    assert.equal(done.status, 'Succeeded');
    assert.equal((done['result'] as { jobs: number }).jobs, 60, 'each job counted once across both runs');
    const record = JSON.parse((await stack.blobService.getContainerClient(storageNames.operationsContainer).getBlobClient(`${String(done.id)}.json`).downloadToBuffer()).toString('utf8')) as { attempts: number; user?: string };
    assert.ok(record.attempts >= 2, `resumed by a second delivery (attempts ${record.attempts})`);
    assert.equal(record.user, undefined, 'the finished operation no longer names the student');
    const jobIds = jobs.map((job) => String(job.id));
    assert.deepEqual(await traces([user, ...jobIds, pseudonyms.counterKey(tenantA.id, user)], (where, needle) => where.startsWith(`table ${storageNames.accessLogTable} `) && jobIds.includes(needle)), []);
  });

  it("deletes each school's jobs, pictures and safety events at its own retention", async () => {
    const user = `kept-${Date.now()}`;
    const inA = await run({ prompt: `A bridge ${user}`, user });
    const inB = await run({ prompt: `A bridge in B ${user}`, user }, tenantB.key);
    await refused(`a sword ${user}`, user);
    await refused(`a sword in B ${user}`, user, tenantB.key);
    const services = createServices(loadConfig(stack.env));
    const eventsOf = async (key: string) => ((await api('GET', `/api/safety-events?user=${user}`, key)).body['value'] as unknown[]).length;
    const imagesOf = async (id: string) => {
      const names: string[] = [];
      for await (const blob of stack.blobService.getContainerClient(storageNames.imagesContainer).listBlobsFlat({ prefix: id })) names.push(blob.name);
      return names.length;
    };
    // 10 days on: past A's 7 days, within the default 30 and B's 60.
    await deleteExpiredJobs(services, consoleLogger, new Date(Date.now() + 10 * dayInMs));
    assert.equal((await stack.getJob(String(inA.id))).status, 404);
    assert.equal(await imagesOf(String(inA.id)), 0);
    assert.equal(await eventsOf(tenantA.key), 0);
    assert.equal((await stack.getJob(String(inB.id), { 'api-key': tenantB.key })).status, 200);
    assert.ok((await imagesOf(String(inB.id))) > 0);
    assert.equal(await eventsOf(tenantB.key), 1);
    // 61 days on: past B's too.
    await deleteExpiredJobs(services, consoleLogger, new Date(Date.now() + 61 * dayInMs));
    assert.equal((await stack.getJob(String(inB.id), { 'api-key': tenantB.key })).status, 404);
    assert.equal(await imagesOf(String(inB.id)), 0);
    assert.equal(await eventsOf(tenantB.key), 0);
  });
});
