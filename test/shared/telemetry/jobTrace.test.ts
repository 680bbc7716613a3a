import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import '../../helpers/functionSettings';
import { HttpRequest, HttpResponse, InvocationContext } from '@azure/functions';
import { jobQueueOutput, submitJobHandler } from '../../../functions/submitJob';
import { processJobHandler } from '../../../functions/processJob';
import { deliverWebhookHandler } from '../../../functions/deliverWebhook';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { QueueClient } from '@azure/storage-queue';
import { startAzurite, type Azurite } from '../../../local/azurite/azurite';
import { startImageService, type ImageService } from '../../../local/imageService/imageService';
import { startContentSafetyService, type ContentSafetyService } from '../../../local/contentSafety/contentSafetyService';
import { hostSettings, tenantA } from '../../../local/harness/stack';
import { loadConfig } from '../../../shared/config/config';
import { createServices, type Services } from '../../../functions/lib/services';
import { storageNames } from '../../../shared/storage/storageNames';
import { startLocalTracing, type Telemetry } from '../../../shared/telemetry/setup';
import { spanAttributeNames } from '../../../shared/telemetry/spans';

/**
 * One trace per job, in process with an in-memory exporter: the submit function's span, the worker's as its
 * child through the traceparent in the queue message, the provider call, each blob write and the webhook
 * attempt; a redelivery is another span of the same trace. And nothing in any span or log line holds the
 * prompt, the student id, the school's key or a token.
 */
describe('one trace per job (in process, in-memory exporter)', () => {
  const exporter = new InMemorySpanExporter();
  let telemetry: Telemetry;
  let azurite: Azurite;
  let imageService: ImageService;
  let contentSafety: ContentSafetyService;
  let receiver: Server;
  let services: Services;
  const received: string[] = [];
  const logLines: string[] = [];

  before(async () => {
    telemetry = startLocalTracing(exporter);
    azurite = await startAzurite({ quiet: true });
    imageService = await startImageService({ defaultModel: 'gpt-image-2' });
    contentSafety = await startContentSafetyService();
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push(body);
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const env = hostSettings({
      AzureWebJobsStorage: azurite.connectionString,
      AZURE_OPENAI_ENDPOINT: imageService.url,
      CONTENT_SAFETY_ENDPOINT: contentSafety.url,
      CONTENT_SAFETY_KEY: 'local-stand-in-accepts-any-key',
      IMAGE_REQUESTS_PER_MINUTE: '100000',
      WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
      PARTIAL_IMAGES: '0',
    });
    services = createServices(loadConfig(env));
    await services.ensureStorage();
  });
  after(async () => {
    await telemetry?.shutdown();
    receiver?.close();
    await imageService?.close();
    await contentSafety?.close();
    await azurite?.stop();
  });

  const context = (functionName: string, triggerMetadata: Record<string, unknown> = {}) =>
    new InvocationContext({
      functionName,
      invocationId: `${functionName}-${Date.now()}`,
      triggerMetadata,
      logHandler: (level, ...args) => logLines.push(`${level}: ${args.map(String).join(' ')}`),
    });

  it('follows a job from the submit through the queue to the worker, the blobs and the webhook', async () => {
    const prompt = 'A lighthouse painted by marigold-zebra-7 at dawn';
    const student = 'student-quokka-4411';
    const port = (receiver.address() as AddressInfo).port;

    const submitContext = context('submitJob');
    const response = await submitJobHandler(services)(
      new HttpRequest({
        method: 'POST',
        url: 'http://localhost:7071/api/jobs',
        headers: { 'content-type': 'application/json', 'api-key': tenantA.key },
        body: { string: JSON.stringify({ prompt, user: student, n: 2, callbackUrl: `http://127.0.0.1:${port}/hook` }) },
      }),
      submitContext,
    );
    assert.equal(response.status, 202);
    const body: unknown = response instanceof HttpResponse ? await response.json() : response.jsonBody;
    const answer = JSON.stringify(body);
    const jobId = body && typeof body === 'object' && 'id' in body ? String(body.id) : '';
    const message = submitContext.extraOutputs.get(jobQueueOutput);
    assert.ok(message && typeof message === 'object' && 'traceparent' in message, 'the queue message carries a traceparent');

    await processJobHandler(services)(message, context('processJob', { id: 'message-1' }));
    // The same message again (an at-least-once redelivery): a second worker span in the same trace.
    await processJobHandler(services)(message, context('processJob', { id: 'message-1' }));
    assert.equal((await services.jobs.get(jobId))?.status, 'Succeeded');

    const webhookQueue = new QueueClient(azurite.connectionString, storageNames.webhookQueue);
    const { receivedMessageItems } = await webhookQueue.receiveMessages({ numberOfMessages: 1 });
    const delivery = receivedMessageItems[0];
    assert.ok(delivery, 'a webhook message was queued');
    const deliveryBody: unknown = JSON.parse(Buffer.from(delivery.messageText, 'base64').toString('utf8'));
    await deliverWebhookHandler(services)(deliveryBody, context('deliverWebhook'));
    assert.equal(received.length, 1);

    const spans = exporter.getFinishedSpans();
    const ofJob = spans.filter((span) => span.attributes[spanAttributeNames.jobId] === jobId);
    const traceIds = new Set(ofJob.map((span) => span.spanContext().traceId));
    assert.equal(traceIds.size, 1, `the job's spans are in ${traceIds.size} traces`);
    const [traceId] = traceIds;
    const trace = spans.filter((span) => span.spanContext().traceId === traceId);
    const named = (name: string) => trace.filter((span) => span.name === name);
    const byId = new Map(trace.map((span) => [span.spanContext().spanId, span]));
    const parentOf = (span: ReadableSpan) => byId.get(span.parentSpanContext?.spanId ?? '');

    const [submit] = named('job.submit');
    assert.ok(submit);
    assert.equal(submit.parentSpanContext, undefined, 'the submit starts the trace');
    assert.equal(submit.attributes[spanAttributeNames.schoolId], tenantA.id);
    assert.equal(submit.attributes[spanAttributeNames.outcome], 'accepted');
    const workers = named('job.process');
    assert.equal(workers.length, 2, 'the delivery and its redelivery');
    for (const worker of workers) assert.equal(parentOf(worker), submit, 'the worker continues the submit (traceparent in the message)');
    const finished = workers.find((worker) => worker.attributes[spanAttributeNames.outcome] === 'Succeeded');
    assert.ok(finished, 'the worker span that finished the job says so');
    assert.equal(finished.attributes[spanAttributeNames.images], 2);
    assert.ok(Number(finished.attributes[spanAttributeNames.costUsd]) > 0);
    assert.equal(finished.attributes[spanAttributeNames.model], 'gpt-image-2');
    assert.equal(finished.attributes[spanAttributeNames.deployment], 'gpt-image-2');

    const calls = named('provider.images.generate');
    assert.ok(calls.length >= 1);
    for (const call of calls) assert.equal(parentOf(call), finished);
    const writes = named('blob.write');
    assert.deepEqual(writes.map((span) => `${String(span.attributes[spanAttributeNames.blobKind])} ${String(span.attributes[spanAttributeNames.imageIndex])}`).sort(), ['image 0', 'image 1', 'thumbnail 0', 'thumbnail 1']);
    for (const write of writes) assert.equal(parentOf(write), finished);
    const [webhook] = named('webhook.deliver');
    assert.ok(webhook);
    assert.equal(parentOf(webhook), finished, "the webhook attempt is a child of the worker that queued it");
    assert.equal(webhook.attributes[spanAttributeNames.outcome], 'delivered');

    // Nothing a child or a school must keep to itself: the prompt, the student, the key, any token in the answer.
    const tokens = [...answer.matchAll(/[?&#](?:[a-z_]*token|sig|session)=([^&"#]+)/gi)].map((match) => decodeURIComponent(match[1] ?? ''));
    const secrets = [prompt, 'marigold-zebra-7', student, tenantA.key, ...tokens];
    const everything = JSON.stringify(spans.map((span) => ({ name: span.name, attributes: span.attributes, events: span.events, status: span.status }))) + logLines.join('\n');
    for (const secret of secrets) assert.ok(!everything.includes(secret), `a span or log line holds ${secret.slice(0, 12)}…`);
  });
});
