import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashApiKey } from '../../shared/config/tenants';
import { createJobStore } from '../../shared/storage/jobStore';
import { storageNames } from '../../shared/storage/storageNames';
import { readSpanFile } from '../../shared/telemetry/spanFile';
import { spanAttributeNames } from '../../shared/telemetry/spans';
import { startHostProcess, startStack, tenantA, type HostProcess, type Stack } from '../../local/harness/stack';
import { runOps } from '../../local/ops/ops';

/**
 * Operating the local stack: a job's trace followed across two host processes through the span file (one
 * host answers the submit, the other, the only one whose worker runs, makes the pictures), the webhook
 * poison handler, and every `npm run ops` command against the same stack.
 */
describe('operations on the local stack', () => {
  let stack: Stack;
  let worker: HostProcess;
  let receiver: Server;
  const traceDir = mkdtempSync(path.join(os.tmpdir(), 'edu4all-traces-'));
  const traceFile = path.join(traceDir, 'spans.jsonl');
  let receiverStatus = 204;
  let succeededJob = '';

  before(async () => {
    receiver = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(receiverStatus).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    // The first host answers HTTP but runs no worker; a second one, started below, does. Neither runs the job
    // poison handler: the poison commands are tested on messages left in that queue, which the handler would
    // otherwise take (and did, now and then, between the test's send and the command's peek).
    stack = await startStack({ env: { LOCAL_TRACES_FILE: traceFile, 'AzureWebJobs.processJob.Disabled': 'true', 'AzureWebJobs.failPoisonedJob.Disabled': 'true' } });
    const workerEnv: Record<string, string> = { ...stack.env };
    delete workerEnv['AzureWebJobs.processJob.Disabled'];
    worker = await startHostProcess(workerEnv);
    stack.hosts.push(worker);
  });
  after(async () => {
    await stack?.stop();
    receiver?.close();
    rmSync(traceDir, { recursive: true, force: true });
  });

  const ops = async (...argv: string[]) => {
    const lines: string[] = [];
    const code = await runOps(argv, { env: stack.env, print: (line) => lines.push(line) });
    return { code, out: lines.join('\n') };
  };
  const callbackUrl = () => `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

  it("follows one job's trace from the submit on one host to the blob writes on the other", async () => {
    const submitted = await stack.submit({ prompt: 'A red kite over the dunes', n: 1, callbackUrl: callbackUrl() });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    succeededJob = String(submitted.body.id);
    assert.equal((await stack.waitForJob(succeededJob)).status, 'Succeeded');
    // The webhook follows the job's end; its span is written once its attempt is over.
    let spans = readSpanFile(traceFile);
    for (let i = 0; i < 100 && !spans.some((span) => span.name === 'webhook.deliver' && span.attributes[spanAttributeNames.jobId] === succeededJob); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      spans = readSpanFile(traceFile);
    }
    const submit = spans.find((span) => span.name === 'job.submit' && span.attributes[spanAttributeNames.jobId] === succeededJob);
    assert.ok(submit, 'the submit span is in the file');
    const trace = spans.filter((span) => span.traceId === submit.traceId);
    const process = trace.find((span) => span.name === 'job.process');
    assert.ok(process, 'the worker span is in the same trace');
    assert.equal(process.parentSpanId, submit.spanId);
    assert.notEqual(process.process, submit.process, 'submit and worker ran in different host processes');
    assert.equal(process.attributes[spanAttributeNames.outcome], 'Succeeded');
    const writes = trace.filter((span) => span.name === 'blob.write' && span.parentSpanId === process.spanId);
    assert.deepEqual(writes.map((span) => span.attributes[spanAttributeNames.blobKind]).sort(), ['image', 'thumbnail']);
    assert.ok(trace.some((span) => span.name === 'provider.images.generate' && span.parentSpanId === process.spanId));
    assert.ok(trace.some((span) => span.name === 'webhook.deliver'), 'the webhook attempt is in the trace');

    const shown = await ops('trace', succeededJob, '--file', traceFile);
    assert.equal(shown.code, 0, shown.out);
    for (const name of ['job.submit', 'job.process', 'provider.images.generate', 'blob.write', 'webhook.deliver', '[host 1]', '[host 2]']) assert.ok(shown.out.includes(name), `${name} in\n${shown.out}`);
    assert.ok(!shown.out.includes('red kite'), 'no prompt in the waterfall');
  });

  it('job shows the record, the deliveries and the trace; a wrong or unknown id is a clear error', async () => {
    const shown = await ops('job', succeededJob, '--file', traceFile);
    assert.equal(shown.code, 0, shown.out);
    assert.match(shown.out, /status\s+Succeeded/);
    assert.match(shown.out, /job\.succeeded\s+Delivered/);
    assert.ok(shown.out.includes('job.process'));
    assert.ok(!shown.out.includes('red kite'));
    assert.equal((await ops('job', 'not-a-job')).code, 2);
    const unknown = await ops('job', '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b');
    assert.equal(unknown.code, 1);
    assert.match(unknown.out, /No job 6f1d2c3b/);
    assert.equal((await ops('trace', '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b', '--file', traceFile)).code, 1);
  });

  it("marks a webhook whose delivery message was poisoned Failed in the job's log, and logs an error", async () => {
    receiverStatus = 500;
    const submitted = await stack.submit({ prompt: 'A windmill in the rain', n: 1, callbackUrl: callbackUrl() });
    const jobId = String(submitted.body.id);
    await stack.waitForJob(jobId);
    const jobs = createJobStore(stack.blobService.getContainerClient(storageNames.jobsContainer));
    const pending = async () => (await jobs.get(jobId))?.webhooks?.find((delivery) => delivery.type === 'job.succeeded');
    for (let i = 0; i < 100 && (await pending())?.state !== 'Pending'; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal((await pending())?.state, 'Pending', 'the receiver answered 500: a retry is due');
    // What the host does after maxDequeueCount failed invocations of the next attempt.
    const poison = stack.queueService.getQueueClient(storageNames.webhookPoisonQueue);
    await poison.createIfNotExists();
    await poison.sendMessage(Buffer.from(JSON.stringify({ jobId, type: 'job.succeeded', attempt: 2 })).toString('base64'));
    for (let i = 0; i < 100 && (await pending())?.state !== 'Failed'; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal((await pending())?.state, 'Failed');
    assert.match(stack.hosts.map((host) => host.logs()).join('\n'), /error: Webhook .*poisoned at attempt 2; marked Failed/);
    receiverStatus = 204;
  });

  it('stuck lists a job no worker has started', async () => {
    await worker.kill();
    stack.hosts.splice(stack.hosts.indexOf(worker), 1);
    const submitted = await stack.submit({ prompt: 'A tortoise reading a map', n: 1 });
    const jobId = String(submitted.body.id);
    const shown = await ops('stuck', '--older-than-minutes', '0');
    assert.equal(shown.code, 0, shown.out);
    assert.match(shown.out, new RegExp(`${jobId}\\s+NotStarted`));
    const none = await ops('stuck', '--older-than-minutes', '600');
    assert.match(none.out, /No job unfinished for more than 600 minutes/);
  });

  it('poison list, requeue and fail, each with --dry-run', async () => {
    const stuckJob = (await ops('stuck', '--older-than-minutes', '0')).out.match(/^([0-9a-f-]{36})/m)?.[1] ?? '';
    const poison = stack.queueService.getQueueClient(storageNames.poisonQueue);
    await poison.createIfNotExists();
    const text = Buffer.from(JSON.stringify({ jobId: stuckJob })).toString('base64');
    const sent = await poison.sendMessage(text);
    const listed = await ops('poison', 'list');
    assert.ok(listed.out.includes(sent.messageId) && listed.out.includes(`job ${stuckJob}`), listed.out);
    const dry = await ops('poison', 'requeue', sent.messageId, '--dry-run');
    assert.equal(dry.code, 0, dry.out);
    assert.match(dry.out, /would move to image-jobs/);
    assert.ok((await ops('poison', 'list')).out.includes(sent.messageId), 'a dry run changes nothing');
    const moved = await ops('poison', 'requeue', sent.messageId);
    assert.equal(moved.code, 0, moved.out);
    assert.ok(!(await ops('poison', 'list')).out.includes(sent.messageId));
    assert.equal((await ops('poison', 'requeue', sent.messageId)).code, 1, 'nothing to do is said');

    await poison.sendMessage(text);
    assert.match((await ops('poison', 'fail', '--all', '--queue', 'jobs', '--dry-run')).out, /would mark failed/);
    const failed = await ops('poison', 'fail', '--all', '--queue', 'jobs');
    assert.equal(failed.code, 0, failed.out);
    const jobs = createJobStore(stack.blobService.getContainerClient(storageNames.jobsContainer));
    assert.equal((await jobs.get(stuckJob))?.status, 'Failed');
    assert.equal((await ops('poison', 'fail')).code, 2);
    assert.equal((await ops('poison', 'list', '--queue', 'nope')).code, 2);
  });

  it('school add, rotate-key and remove print TENANTS entries and a new key once, and store nothing', async () => {
    const added = await ops('school', 'add', 'school-c', '--name', 'School C');
    assert.equal(added.code, 0, added.out);
    const key = /\n {2}(e4a_\S+)/.exec(added.out)?.[1] ?? '';
    assert.ok(key, added.out);
    assert.ok(added.out.includes(hashApiKey(key)));
    assert.equal(added.out.split(key).length, 2, 'the key is printed once');
    const dry = await ops('school', 'add', 'school-d', '--dry-run');
    assert.ok(!/e4a_/.test(dry.out), 'a dry run prints no key');
    assert.equal((await ops('school', 'add', tenantA.id)).code, 1, 'an existing school');
    const rotated = await ops('school', 'rotate-key', tenantA.id);
    assert.equal(rotated.code, 0, rotated.out);
    const newKey = /\n {2}(e4a_\S+)/.exec(rotated.out)?.[1] ?? '';
    assert.ok(rotated.out.includes(hashApiKey(tenantA.key)) && rotated.out.includes(hashApiKey(newKey)), 'old and new hashes, for the switch-over');
    const removed = await ops('school', 'remove', tenantA.id);
    assert.equal(removed.code, 0);
    assert.ok(!removed.out.includes(`"id":"${tenantA.id}"`));
    assert.equal((await ops('school', 'remove', 'no-such-school')).code, 1);
    assert.equal((await ops('school', 'add', 'Bad Id!')).code, 2);
  });

  it("usage shows a school's images and spend", async () => {
    const shown = await ops('usage', '--school', tenantA.id);
    assert.equal(shown.code, 0, shown.out);
    const usage = JSON.parse(shown.out) as Record<string, unknown>;
    assert.ok(usage && typeof usage === 'object');
    assert.match(shown.out, /"used"|"images"|Usd/i);
    assert.equal((await ops('usage', '--school', 'nope')).code, 1);
    assert.equal((await ops('usage')).code, 2);
  });
});
