import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createStatusTokens } from '../../../shared/access/statusTokens';
import type { JobRecord } from '../../../shared/jobs/job';
import { getModel } from '../../../shared/models/modelCatalogue';
import { deliverWebhook, type DeliveryDeps } from '../../../shared/webhooks/delivery';
import type { DeliveryMessage } from '../../../shared/webhooks/outbox/deliveryMessage';
import { webhookIdFor } from '../../../shared/webhooks/outbox/eventTypes';
import { queueWebhookFor } from '../../../shared/webhooks/outbox/outbox';
import type { WebhookQueue } from '../../../shared/webhooks/outbox/webhookQueue';
import { fakeConfig, fakeImageStore, fakeJob, fakeJobStore, fakeLog } from '../../helpers/fakes';

type Queued = { message: DeliveryMessage; delayInSeconds?: number };

function fakeWebhookQueue(): Pick<WebhookQueue, 'enqueue'> & { readonly sent: Queued[] } {
  const sent: Queued[] = [];
  return { sent, enqueue: (message, options) => Promise.resolve(void sent.push({ message, ...options })) };
}

function failed(job: JobRecord): JobRecord {
  return { ...job, status: 'Failed', error: { code: 'ProviderUnavailable', message: 'The image service answered 503.' } };
}

/** DeliveryDeps as plain objects, for jobs whose receiver is `receiverUrl`. */
function deps(job: JobRecord, settings: Record<string, string> = {}) {
  const jobs = fakeJobStore([job]);
  const webhookQueue = fakeWebhookQueue();
  const services: DeliveryDeps = {
    config: fakeConfig(settings),
    profile: getModel('gpt-image-2'),
    statusTokens: createStatusTokens(['a-status-token-secret-of-32-characters+'], 60),
    linePositions: { position: () => Promise.resolve(1) },
    pacer: { secondsPerCall: 10 },
    links: { origin: 'https://blob.example', linkFor: (container, blob) => Promise.resolve(`https://blob.example/${container}/${blob}?sig`), uploadLinkFor: () => Promise.resolve('') },
    images: fakeImageStore(),
    jobs,
    webhookQueue,
    safetyEvents: { get: () => Promise.resolve(undefined), recordWebhookAttempt: () => Promise.resolve() },
  };
  return { services, jobs, webhookQueue };
}

describe('the webhook outbox and delivery (in process, plain-object dependencies)', () => {
  it('queues an ended job\'s webhook once: not for a running job, not again once its log has it', async () => {
    const job = failed(fakeJob());
    const { services, webhookQueue } = deps(job);
    await queueWebhookFor(services, { ...job, status: 'Running' });
    assert.equal(webhookQueue.sent.length, 0);
    await queueWebhookFor(services, job);
    assert.deepEqual(webhookQueue.sent.map((queued) => queued.message), [{ jobId: job.id, type: 'job.failed', attempt: 1 }]);
    const logged: JobRecord = { ...job, webhooks: [{ id: webhookIdFor(job.id, 'job.failed'), type: 'job.failed', state: 'Pending', attemptCount: 1, attempts: [] }] };
    await queueWebhookFor(services, logged);
    assert.equal(webhookQueue.sent.length, 1);
  });

  it('gives up at once on a receiver at a private address, and records the attempt as Failed', async () => {
    const job = failed(fakeJob({ request: { ...fakeJob().request, callbackUrl: 'https://10.1.2.3/hook' } }));
    const { services, jobs, webhookQueue } = deps(job);
    await deliverWebhook(services, { jobId: job.id, type: 'job.failed', attempt: 1 }, { log: fakeLog() });
    const delivery = jobs.records.get(job.id)?.webhooks?.[0];
    assert.equal(delivery?.state, 'Failed');
    assert.match(delivery?.attempts[0]?.error ?? '', /target refused/);
    assert.equal(webhookQueue.sent.length, 0, 'no retry is queued');
  });

  it('queues the next attempt with a delay when the receiver cannot be reached, on a fake clock', async () => {
    // Port 1 on loopback: nothing listens, so the connection is refused at once (no server is started).
    const job = failed(fakeJob({ request: { ...fakeJob().request, callbackUrl: 'http://127.0.0.1:1/hook' } }));
    const { services, jobs, webhookQueue } = deps(job, { WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true' });
    const now = Date.parse('2026-12-01T08:00:00.000Z');
    await deliverWebhook(services, { jobId: job.id, type: 'job.failed', attempt: 1 }, { log: fakeLog(), now: () => now, random: () => 0.5 });
    const delivery = jobs.records.get(job.id)?.webhooks?.[0];
    assert.equal(delivery?.state, 'Pending');
    assert.equal(webhookQueue.sent.length, 1);
    assert.equal(webhookQueue.sent[0]?.message.attempt, 2);
    assert.equal(webhookQueue.sent[0]?.delayInSeconds, 5, 'the first retry comes after 5 s');
  });

  it('sends nothing more for an erased job', async () => {
    const job = failed(fakeJob());
    const { services, webhookQueue } = deps(job);
    const log = fakeLog();
    await deliverWebhook({ ...services, jobs: fakeJobStore() }, { jobId: job.id, type: 'job.failed', attempt: 1 }, { log });
    assert.equal(webhookQueue.sent.length, 0);
    assert.match(log.lines.join('\n'), /the job is gone; not sent/);
  });
});
