import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { storageNames } from '../../shared/storage/storageNames';
import { tenantA, type JsonObject } from '../../local/harness/stack';
import { pseudonyms, startPrivacyStack, type PrivacyStack } from '../helpers/privacyStack';

/**
 * Issue 24: a student's erasure is a queue of steps, so it finishes even when the host running it dies in the
 * middle (test/helpers/privacyStack.ts). Its own file and stack: the 60 jobs it erases take the longest of the
 * privacy tests, and run beside the others.
 */
describe("children's data: an erasure through a host crash", () => {
  let privacy: PrivacyStack;
  before(async () => {
    privacy = await startPrivacyStack();
  });
  after(async () => {
    await privacy?.stop();
  });

  it('finishes an erasure after the host running it is killed in the middle', async () => {
    const { stack, api, run, erase, finished, traces } = privacy;
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
});
