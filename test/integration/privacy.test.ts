import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../shared/config/config';
import { deleteExpiredJobs } from '../../shared/upkeep/retention';
import { consoleLogger } from '../../shared/logger';
import { createServices } from '../../functions/lib/services';
import { storageNames } from '../../shared/storage/storageNames';
import { createPresenceStore } from '../../shared/storage/presenceStore';
import { TableClient } from '@azure/data-tables';
import { tenantA, tenantB, type JsonObject } from '../../local/harness/stack';
import { dayInMs, pseudonyms, startPrivacyStack, type PrivacyStack } from '../helpers/privacyStack';

/**
 * Issue 24: a school's privacy officer's questions about erasure, export and retention, asked of a real stack
 * (test/helpers/privacyStack.ts). The record of access is in accessLog.test.ts, an erasure through a host
 * crash in privacyErasureCrash.test.ts.
 */
describe("children's data: erasure, export and retention", () => {
  let privacy: PrivacyStack;
  before(async () => {
    privacy = await startPrivacyStack();
  });
  after(async () => {
    await privacy?.stop();
  });

  it('erases only with the school key: a session token is 401, contact details are 400, and a student it never had gets the same 202', async () => {
    const { stack, api, erase, finished } = privacy;
    const session = await stack.openSession({ user: 'student-s1' });
    assert.equal(session.status, 201);
    const token = session.token ?? '';
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
    const { stack, api, run, refused } = privacy;
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
    const { stack, receiverUrl, api, run, refused, erase, finished, picture, traces } = privacy;
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
    // The studio opened for them leaves a presence mark (the estimates' forecast) until the window ends.
    const opened = await stack.openSession({ user });
    assert.equal(opened.status, 201, JSON.stringify(opened.body));
    const presence = createPresenceStore(TableClient.fromConnectionString(stack.azurite.connectionString, storageNames.lineTable, { allowInsecureConnection: true }), storageNames.jobQueue);
    const studentKey = pseudonyms.studentKey(tenantA.id, user);
    assert.ok((await presence.list()).some((mark) => mark.student === studentKey), 'a presence mark to erase');
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
    assert.ok(!(await presence.list()).some((mark) => mark.student === studentKey), 'the presence mark is gone');
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

  it("deletes each school's jobs, pictures and safety events at its own retention", async () => {
    const { stack, api, run, refused } = privacy;
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
