import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { QueueServiceClient } from '@azure/storage-queue';
import { startAzurite, type Azurite } from '../../../local/azurite/azurite';
import type { RegisteredFunction } from '../../../local/host/functionsCore';
import type { QueueSettings } from '../../../local/host/hostConfig';
import { createQueueOutputs, SharedQueueWatcher } from '../../../local/host/queueOutput';

/** Queue output bindings against a real Azurite: what lands on the queue, and whom the watcher wakes. */
describe('local host queue output bindings', () => {
  let azurite: Azurite;
  let queues: QueueServiceClient;
  const settings: QueueSettings = { batchSize: 2, newBatchThreshold: 1, maxPollingIntervalInMs: 2000, visibilityTimeoutInMs: 30_000, maxDequeueCount: 5, messageEncoding: 'base64' };

  before(async () => {
    azurite = await startAzurite({ quiet: true });
    queues = QueueServiceClient.fromConnectionString(azurite.connectionString);
  });
  after(async () => {
    await azurite?.stop();
  });

  const submitLike = (queueName: string): RegisteredFunction => ({
    metadata: {
      name: 'submitJob',
      bindings: {
        httpTrigger1: { type: 'httpTrigger', direction: 'in' },
        $return: { type: 'http', direction: 'out' },
        queueOut1: { type: 'queue', direction: 'out', queueName, connection: 'AzureWebJobsStorage' },
      },
    },
    callback: () => undefined,
  });

  async function messagesOn(queueName: string): Promise<string[]> {
    const peeked = await queues.getQueueClient(queueName).peekMessages({ numberOfMessages: 32 });
    return peeked.peekedMessageItems.map((item) => Buffer.from(item.messageText, 'base64').toString('utf8'));
  }

  it('sends each output as a base64 message, creating the queue, then wakes the listeners of that queue only', async () => {
    const watcher = new SharedQueueWatcher();
    const woken: string[] = [];
    watcher.register('jobs-a', { notify: () => woken.push('jobs-a listener') });
    watcher.register('other', { notify: () => woken.push('other listener') });
    const send = createQueueOutputs(submitLike('jobs-a'), { env: { AzureWebJobsStorage: azurite.connectionString }, settings, watcher });
    assert.ok(send, 'a function with a queue output has a sender');

    await send({ outputData: [{ name: 'queueOut1', data: { json: JSON.stringify({ jobId: 'one' }) } }] });
    await send({ outputData: [{ name: 'queueOut1', data: { json: JSON.stringify([{ jobId: 'two' }, 'three']) } }] });
    await send({ outputData: [{ name: 'httpTrigger1', data: { string: 'not a queue output' } }] });

    assert.deepEqual(await messagesOn('jobs-a'), ['{"jobId":"one"}', '{"jobId":"two"}', 'three']);
    assert.deepEqual(woken, ['jobs-a listener', 'jobs-a listener'], 'one wake-up per output that sent messages, for its own queue');
  });

  it('has nothing to send for a function without queue outputs', () => {
    const fn: RegisteredFunction = { metadata: { name: 'getJob', bindings: { req: { type: 'httpTrigger', direction: 'in' } } }, callback: () => undefined };
    assert.equal(createQueueOutputs(fn, { env: {}, settings, watcher: new SharedQueueWatcher() }), undefined);
  });

  it('fails the invocation when the message cannot be sent', async () => {
    const watcher = new SharedQueueWatcher();
    let woken = 0;
    watcher.register('jobs-b', { notify: () => woken++ });
    const unreachable = 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;';
    const send = createQueueOutputs(submitLike('jobs-b'), { env: { AzureWebJobsStorage: unreachable }, settings, watcher });
    await assert.rejects(send!({ outputData: [{ name: 'queueOut1', data: { json: '{"jobId":"lost"}' } }] }));
    assert.equal(woken, 0, 'nobody is woken for a message that was not sent');
  });
});
