import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { TableClient } from '@azure/data-tables';
import { startStack, tenantA, tenantB, type JsonObject, type Stack } from '../../local/harness/stack';
import { rowKeyFor } from '../../shared/storage/jobIndex';
import { storageNames } from '../../shared/storage/storageNames';

/**
 * GET /api/jobs through the local host, on Azurite's Table service: paging, filters, tenants kept apart,
 * DELETE removing the entry, and the sweep (every second here) repairing the index after a crash between a
 * job record and its entry, in both directions.
 */

interface Summary {
  id: string;
  status: string;
  createdDateTime: string;
  user?: string;
  classId?: string;
  assignmentId?: string;
  url: string;
}

describe('listing jobs', () => {
  let stack: Stack;
  const mine: string[] = [];
  let theirs = '';

  async function list(query: string, key = tenantA.key): Promise<{ status: number; body: JsonObject }> {
    const response = await fetch(`${stack.url}/api/jobs${query}`, { headers: { 'api-key': key } });
    return { status: response.status, body: (await response.json()) as JsonObject };
  }

  /** Every page, following nextLink. */
  async function listAll(query: string, key = tenantA.key): Promise<{ items: Summary[]; pages: number }> {
    const items: Summary[] = [];
    let pages = 0;
    let url: string | undefined = `${stack.url}/api/jobs${query}`;
    while (url) {
      const response = await fetch(url, { headers: { 'api-key': key } });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { value: Summary[]; nextLink?: string };
      items.push(...body.value);
      pages++;
      url = body.nextLink;
    }
    return { items, pages };
  }

  before(async () => {
    stack = await startStack({ env: { SWEEP_SCHEDULE: '* * * * * *' } });
    const plans = [
      { user: 'student-1', metadata: { classId: '4B', assignmentId: 'monuments' } },
      { user: 'student-2', metadata: { classId: '4B', assignmentId: 'animals' } },
      { user: 'student-1', metadata: { classId: '5A', assignmentId: 'monuments' } },
      { user: 'student-3', metadata: { classId: '4B', assignmentId: 'monuments' } },
      { user: 'student-2' },
    ];
    for (const plan of plans) {
      const { body } = await stack.submit({ prompt: 'a bridge over a river', ...plan });
      mine.push(String(body.id));
      // Distinct creation times, so the order is certain.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    theirs = String((await stack.submit({ prompt: 'a bridge', metadata: { classId: '4B' } }, { 'api-key': tenantB.key })).body.id);
    for (const id of mine) await stack.waitForJob(id);
  });
  after(() => stack.stop());

  it('lists only the caller\'s jobs, newest first, in pages of top', async () => {
    const { items, pages } = await listAll('?top=2');
    assert.deepEqual(items.map((item) => item.id), [...mine].reverse());
    assert.equal(pages, 3);
    assert.ok(!items.some((item) => item.id === theirs));
    assert.equal(items[0]?.url, `${stack.url}/api/jobs/${mine[4]}`);
    const other = await listAll('', tenantB.key);
    assert.deepEqual(other.items.map((item) => item.id), [theirs]);
  });

  it('filters by class, assignment, user, status and since', async () => {
    assert.deepEqual((await listAll('?classId=4B')).items.map((i) => i.id), [mine[3], mine[1], mine[0]]);
    assert.deepEqual((await listAll('?classId=4B&assignmentId=monuments')).items.map((i) => i.id), [mine[3], mine[0]]);
    assert.deepEqual((await listAll('?user=student-1')).items.map((i) => i.id), [mine[2], mine[0]]);
    const succeeded = await listAll('?status=Succeeded');
    assert.equal(succeeded.items.length, 5, 'the index follows the worker\'s finish');
    assert.equal((await listAll('?status=Running')).items.length, 0);
    const since = (await stack.getJob(mine[3] ?? '')).body['createdDateTime'];
    assert.deepEqual((await listAll(`?since=${encodeURIComponent(String(since))}`)).items.map((i) => i.id), [mine[4], mine[3]]);
  });

  it('lists everything since the epoch or before it, and nothing since a far-future time', async () => {
    const all = [...mine].reverse();
    for (const since of ['1970-01-01T00:00:00Z', '1970-01-01T00:00:00.000+00:00', '1969-12-31T23:59:59+01:00', '0001-01-01T00:00:00Z']) {
      assert.deepEqual((await listAll(`?since=${encodeURIComponent(since)}`)).items.map((i) => i.id), all, since);
    }
    assert.deepEqual((await listAll(`?since=${encodeURIComponent('9999-12-31T23:59:59Z')}`)).items, []);
  });

  it('refuses a bad query, naming the parameter', async () => {
    for (const [query, target] of [['?top=0', 'top'], ['?top=1000', 'top'], ['?status=Done', 'status'], ['?since=yesterday', 'since'], ['?user=a@b.example', 'user'], ['?color=red', 'color'], ['?continuationToken=%25%25', 'continuationToken']] as const) {
      const { status, body } = await list(query);
      assert.equal(status, 400, query);
      assert.equal(body.error?.target, target, query);
    }
    assert.equal((await fetch(`${stack.url}/api/jobs`)).status, 401);
  });

  it('removes a deleted job from the listing', async () => {
    const { body } = await stack.submit({ prompt: 'a short-lived picture', metadata: { classId: 'erase-me' } });
    assert.equal((await listAll('?classId=erase-me')).items.length, 1);
    const deleted = await fetch(`${stack.url}/api/jobs/${String(body.id)}`, { method: 'DELETE', headers: { 'api-key': tenantA.key } });
    assert.equal(deleted.status, 204);
    assert.equal((await listAll('?classId=erase-me')).items.length, 0);
  });

  it('repairs a crash between a job record and its index entry (the sweep)', async () => {
    // A record stored without its entry: a copy of a finished job under a new id, as a crash would leave it.
    const template = await stack.blobService.getContainerClient(storageNames.jobsContainer).getBlockBlobClient(`${mine[0]}.json`).downloadToBuffer();
    const id = randomUUID();
    const record = { ...(JSON.parse(template.toString('utf8')) as Record<string, unknown>), id, createdDateTime: new Date().toISOString(), request: { prompt: 'restored', n: 1, orientation: 'square', size: '1024x1024', outputFormat: 'png', metadata: { classId: 'crash' } } };
    const text = JSON.stringify(record);
    await stack.blobService
      .getContainerClient(storageNames.jobsContainer)
      .getBlockBlobClient(`${id}.json`)
      .upload(text, Buffer.byteLength(text), { metadata: { status: 'Succeeded', enqueued: 'yes' }, blobHTTPHeaders: { blobContentType: 'application/json' } });
    // An entry left behind by a job whose record is gone.
    const table = TableClient.fromConnectionString(stack.azurite.connectionString, storageNames.jobIndexTable, { allowInsecureConnection: true });
    const ghost = randomUUID();
    const created = new Date().toISOString();
    await table.upsertEntity({ partitionKey: tenantA.id, rowKey: rowKeyFor(created, ghost), jobId: ghost, status: 'Running', createdDateTime: created, classId: 'crash' });

    const deadline = Date.now() + 15_000;
    let ids: string[] = [];
    while (Date.now() < deadline) {
      ids = (await listAll('?classId=crash')).items.map((item) => item.id);
      if (ids.length === 1 && ids[0] === id) break;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    assert.deepEqual(ids, [id]);
  });
});
