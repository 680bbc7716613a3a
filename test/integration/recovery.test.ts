import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../shared/config/config';
import { parseJobMessage } from '../../shared/storage/jobMessage';
import type { JobRecord } from '../../shared/jobs/job';
import { repairStrandedJobs } from '../../shared/upkeep/recovery';
import { consoleLogger } from '../../shared/logger';
import { createServices, type Services } from '../../functions/lib/services';
import { storageNames } from '../../shared/storage/storageNames';
import { startStack, tenantA, type Stack } from '../../local/harness/stack';

/**
 * The sweep's repair of jobs stored without a message (a send lost after the function returned), with no
 * worker running, so that what it puts on the queue stays there to be counted: it enqueues a stranded job,
 * and leaves alone a job whose message is waiting in line, so a backlog is never doubled.
 */
describe('recovery of jobs stored without a message', () => {
  let stack: Stack;
  let services: Services;
  before(async () => {
    stack = await startStack();
    // No worker: messages stay on the queue.
    await stack.hosts[0]!.kill();
    stack.hosts.shift();
    services = createServices(loadConfig(stack.env));
    await services.ensureStorage();
  });
  after(async () => {
    await stack?.stop();
  });

  const jobCreatedMinutesAgo = (minutes: number): JobRecord => {
    const id = randomUUID();
    const created = new Date(Date.now() - minutes * 60_000).toISOString();
    return {
      id,
      tenantId: tenantA.id,
      status: 'NotStarted',
      createdDateTime: created,
      lastUpdatedDateTime: created,
      request: { prompt: `A kite ${id}`, n: 1, orientation: 'square', size: '1024x1024', outputFormat: 'png' },
      model: 'gpt-image-2',
      metapromptVersion: 'child-safe-v1',
      attempts: 0,
    };
  };

  async function queuedJobIds(): Promise<string[]> {
    const peeked = await stack.queueService.getQueueClient(storageNames.jobQueue).peekMessages({ numberOfMessages: 32 });
    return peeked.peekedMessageItems.map((item) => parseJobMessage(Buffer.from(item.messageText, 'base64').toString('utf8'))?.jobId ?? '?');
  }

  it('enqueues the stranded job once and leaves the one waiting in line alone', async () => {
    const stranded = jobCreatedMinutesAgo(5);
    await services.jobs.create(stranded);
    // Storage times are to the second, and the sweep allows a few seconds between a record and its message.
    await new Promise((resolve) => setTimeout(resolve, 6500));
    const waiting = jobCreatedMinutesAgo(5);
    await services.jobs.create(waiting);
    await services.jobQueue.enqueue(waiting.id);

    assert.equal(await repairStrandedJobs(services, consoleLogger), 1);
    assert.deepEqual(await queuedJobIds(), [waiting.id, stranded.id]);
    assert.ok((await services.jobs.get(stranded.id))?.enqueuedDateTime, 'the repair is recorded on the job');
    assert.equal(await repairStrandedJobs(services, consoleLogger), 0, 'a second sweep repairs nothing');
    assert.deepEqual(await queuedJobIds(), [waiting.id, stranded.id]);
  });

  it('leaves a job younger than a minute alone: its message may still be on its way', async () => {
    const young = jobCreatedMinutesAgo(0);
    await services.jobs.create(young);
    await repairStrandedJobs(services, consoleLogger);
    assert.ok(!(await queuedJobIds()).includes(young.id));
  });
});
