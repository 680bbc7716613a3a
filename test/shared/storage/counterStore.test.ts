import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startAzurite, type Azurite } from '../../../local/azurite/azurite';
import { createCounterStore } from '../../../shared/storage/counterStore';

/**
 * Exact under concurrency, in one process and across several (each `createCounterStore` stands for a host:
 * its own combining and its own memory of ETags), against a real Azurite. Storage calls are counted where
 * they leave this process, on Node's `http.client.request.start` channel (Azurite runs in a child process).
 */
describe('counter store', () => {
  let azurite: Azurite;
  let container: ContainerClient;
  const requests: string[] = [];
  const countRequest = (message: unknown) => {
    const { request } = message as { request: ClientRequest };
    requests.push(`${request.method} ${request.path}`);
  };

  before(async () => {
    azurite = await startAzurite({ quiet: true });
    subscribe('http.client.request.start', countRequest);
    container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('usage');
    await container.createIfNotExists();
  });
  after(async () => {
    unsubscribe('http.client.request.start', countRequest);
    await azurite?.stop();
  });

  const addOne = (store: ReturnType<typeof createCounterStore>, name: string, limit: number) => store.tryAdd(name, 1, limit);
  const tally = (results: { added: boolean }[]) => ({ added: results.filter((r) => r.added).length, refused: results.filter((r) => !r.added).length });

  it('adds exactly up to the limit when 200 adds race in one process', async () => {
    const store = createCounterStore(container);
    const results = await Promise.all(Array.from({ length: 200 }, () => addOne(store, 'one-process', 150)));
    assert.deepEqual(tally(results), { added: 150, refused: 50 });
    assert.equal(await store.get('one-process'), 150);
    // Each add sees the count its own add made, as one at a time would: 1 to 150, each once.
    assert.deepEqual(results.filter((r) => r.added).map((r) => r.count).sort((a, b) => a - b), Array.from({ length: 150 }, (_, i) => i + 1));
    assert.ok(results.filter((r) => !r.added).every((r) => r.count === 150));
  });

  it('stays exact when the adds are split across three processes', async () => {
    const stores = [createCounterStore(container), createCounterStore(container), createCounterStore(container)];
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => addOne(stores[i % 3]!, 'three-processes', 150)));
    assert.deepEqual(tally(results), { added: 150, refused: 50 });
    assert.equal(await stores[0]!.get('three-processes'), 150);
  });

  it("does not refuse on a stale count after another process released images", async () => {
    const a = createCounterStore(container);
    const b = createCounterStore(container);
    for (let i = 0; i < 3; i++) assert.equal((await addOne(a, 'released', 3)).added, true);
    assert.deepEqual(await addOne(a, 'released', 3), { added: false, count: 3 });
    assert.deepEqual(await b.tryAdd('released', -1, Number.MAX_SAFE_INTEGER), { added: true, count: 2 });
    assert.deepEqual(await addOne(a, 'released', 3), { added: true, count: 3 });
    assert.equal(await b.get('released'), 3);
  });

  it('checks each add of one write against its own limit, never refuses a release and never goes below 0', async () => {
    const store = createCounterStore(container);
    const results = await Promise.all([
      store.tryAdd('mixed', 2, 10),
      store.tryAdd('mixed', 5, 10),
      store.tryAdd('mixed', 5, 6),
      store.tryAdd('mixed', -20, Number.MAX_SAFE_INTEGER),
      store.tryAdd('mixed', 4, 4),
    ]);
    assert.deepEqual(results, [
      { added: true, count: 2 },
      { added: true, count: 7 },
      { added: false, count: 7 },
      { added: true, count: 0 },
      { added: true, count: 4 },
    ]);
    assert.equal(await store.get('mixed'), 4);
  });

  it('makes a handful of storage calls, not two per add, for 50 concurrent adds', async () => {
    const store = createCounterStore(container);
    requests.length = 0;
    await Promise.all(Array.from({ length: 50 }, () => addOne(store, 'calls', 1000)));
    const first = requests.splice(0);
    await Promise.all(Array.from({ length: 50 }, () => addOne(store, 'calls', 1000)));
    const second = requests.splice(0);
    assert.equal(await store.get('calls'), 100);
    assert.ok(first.length >= 1, 'the calls are counted');
    assert.ok(first.length <= 10, `first 50 adds: ${first.length} calls\n${first.join('\n')}`);
    // Remembering the ETag: a counter this process wrote last needs no read before the next write.
    assert.ok(second.length >= 1 && second.every((call) => call.startsWith('PUT')), `next 50 adds:\n${second.join('\n')}`);
    assert.ok(second.length <= 10, `next 50 adds: ${second.length} calls`);
  });
});
