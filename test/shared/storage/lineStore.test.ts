import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TableClient } from '@azure/data-tables';
import { startAzurite, type Azurite } from '../../../local/azurite/azurite';
import { createLineStore, type LineStore } from '../../../shared/storage/lineStore';

/** The line in a real Azurite: a claim is won by exactly one ticket, and each change keeps the job's place. */
describe('line store', () => {
  let azurite: Azurite;
  let line: LineStore;

  before(async () => {
    azurite = await startAzurite({ quiet: true });
    line = createLineStore(TableClient.fromConnectionString(azurite.connectionString, 'jobline', { allowInsecureConnection: true }), 'default');
    await line.createIfNotExists();
    await line.createIfNotExists();
  });
  after(async () => {
    await azurite?.stop();
  });

  it('adds a job once, however often it is added', async () => {
    await line.add({ jobId: 'job-1', tenantId: 'school-a', student: 'p1', acceptedAt: 1000 });
    await line.add({ jobId: 'job-1', tenantId: 'school-a', student: 'p1', acceptedAt: 1000 });
    const entries = await line.list();
    assert.equal(entries.length, 1);
    assert.deepEqual({ ...entries[0], etag: undefined }, { jobId: 'job-1', tenantId: 'school-a', student: 'p1', acceptedAt: 1000, state: 'waiting', etag: undefined });
  });

  it('lets exactly one of ten racing tickets claim a job', async () => {
    await line.add({ jobId: 'job-2', tenantId: 'school-a', student: '', acceptedAt: 2000 });
    const entry = (await line.list()).find((candidate) => candidate.jobId === 'job-2');
    assert.ok(entry);
    const won = await Promise.all(Array.from({ length: 10 }, (_, ticket) => line.claim(entry, `ticket-${ticket}`, 9_999)));
    assert.equal(won.filter(Boolean).length, 1);
    const claimed = (await line.list()).find((candidate) => candidate.jobId === 'job-2');
    assert.equal(claimed?.state, 'started');
    assert.equal(claimed?.claimedBy, `ticket-${won.indexOf(true)}`);
    assert.equal(claimed?.claimedUntil, 9_999);
  });

  it('gives a claimed job back with its place, marks it done, and removes it', async () => {
    await line.release('job-2');
    let entry = (await line.list()).find((candidate) => candidate.jobId === 'job-2');
    assert.equal(entry?.state, 'waiting');
    assert.equal(entry?.acceptedAt, 2000);
    await line.markDone('job-2', 5000);
    entry = (await line.list()).find((candidate) => candidate.jobId === 'job-2');
    assert.equal(entry?.state, 'done');
    assert.equal(entry?.endedAt, 5000);
    await line.remove(['job-2', 'never-there']);
    assert.deepEqual((await line.list()).map((candidate) => candidate.jobId), ['job-1']);
  });

  it('does not bring back an erased job when a late claim or change comes', async () => {
    const entry = (await line.list()).find((candidate) => candidate.jobId === 'job-1');
    assert.ok(entry);
    await line.remove(['job-1']);
    assert.equal(await line.claim(entry, 'ticket-late', 1), false);
    await line.markDone('job-1', 1);
    await line.release('job-1');
    await line.hold('job-1', 'ticket-late', 1);
    assert.deepEqual(await line.list(), []);
  });

  it('gives a running job back to the message that holds it', async () => {
    await line.add({ jobId: 'job-3', tenantId: 'school-a', student: 'p1', acceptedAt: 3000 });
    await line.hold('job-3', 'ticket-holder', 7000);
    const entry = (await line.list()).find((candidate) => candidate.jobId === 'job-3');
    assert.deepEqual([entry?.state, entry?.claimedBy, entry?.claimedUntil], ['started', 'ticket-holder', 7000]);
    await line.remove(['job-3']);
  });

  it('removes many entries in one go, some of them gone already', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => `many-${i}`);
    for (const jobId of ids) await line.add({ jobId, tenantId: 'school-a', student: 'p1', acceptedAt: 1 });
    await line.remove(['many-0']);
    await line.remove(ids);
    assert.deepEqual(await line.list(), []);
  });
});
