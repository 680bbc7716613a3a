import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { loadConfig } from '../../shared/config/config';
import { createServices } from '../../functions/lib/services';
import { storageNames } from '../../shared/storage/storageNames';
import { startStack, tenantA, type JsonObject, type Stack } from '../../local/harness/stack';

/** The whole pipeline through the local host, a real Azurite and the local image service (gpt-image-2, the default). */
describe('job pipeline (gpt-image-2)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ model: 'gpt-image-2' });
  });
  after(async () => {
    await stack?.stop();
  });

  async function submitAndWait(body: Record<string, unknown>): Promise<JsonObject> {
    const submitted = await stack.submit(body);
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    return stack.waitForJob(String(submitted.body.id));
  }

  it('answers health', async () => {
    const response = await fetch(`${stack.url}/api/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      status: 'Healthy',
      checks: { storage: { ok: true }, imageProvider: { ok: true }, model: { ok: true } },
      deployments: [{ name: 'gpt-image-2', priority: 1, state: 'available' }],
    });
  });

  it('accepts a job as an Azure long-running operation and finishes it with a downloadable PNG', async () => {
    const submitted = await stack.submit({ prompt: 'A dog beside the Eiffel Tower in morning light', orientation: 'landscape', metadata: { classId: '4B' } });
    assert.equal(submitted.status, 202);
    const id = String(submitted.body.id);
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.equal(submitted.body.status, 'NotStarted');
    assert.equal(submitted.headers.get('operation-location'), `${stack.url}/api/jobs/${id}`);
    assert.ok(Number(submitted.headers.get('retry-after')) >= 1);
    assert.deepEqual(submitted.body.request, {
      prompt: 'A dog beside the Eiffel Tower in morning light',
      n: 1,
      orientation: 'landscape',
      size: '1536x864',
      outputFormat: 'png',
      metadata: { classId: '4B' },
    });

    // Poll the Operation-Location as a generic Azure poller would, honouring Retry-After while running.
    const location = submitted.headers.get('operation-location') ?? '';
    let job: JsonObject;
    for (;;) {
      const response = await fetch(location, { headers: { 'api-key': tenantA.key } });
      assert.equal(response.status, 200);
      job = (await response.json()) as JsonObject;
      if (job.status === 'Succeeded' || job.status === 'Failed') break;
      assert.ok(response.headers.get('retry-after'), `Retry-After while ${String(job.status)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(job.status, 'Succeeded', JSON.stringify(job.error));
    const images = job.result?.images ?? [];
    assert.equal(images.length, 1);
    const image = images[0]!;
    assert.equal(image.contentType, 'image/png');
    // On gpt-image-2 landscape is 16:9, as the metaprompt's lesson asks.
    assert.deepEqual([image.width, image.height], [1536, 864]);
    const expiresIn = Date.parse(image.expiresOn) - Date.now();
    assert.ok(expiresIn > 59 * 60_000 && expiresIn <= 60 * 60_000, `expires in ${expiresIn} ms`);
    const sas = new URL(image.url).searchParams;
    assert.equal(sas.get('sp'), 'r', 'read only');
    assert.equal(sas.get('sr'), 'b', 'one blob');
    assert.ok(Date.parse(sas.get('st') ?? '') <= Date.now() - 4 * 60_000, 'start time set back for clock skew');

    const download = await fetch(image.url);
    assert.equal(download.status, 200);
    assert.equal(download.headers.get('content-type'), 'image/png');
    const metadata = await sharp(Buffer.from(await download.arrayBuffer())).metadata();
    assert.equal(metadata.format, 'png');
    assert.deepEqual([metadata.width, metadata.height], [1536, 864]);
    assert.equal((metadata.width ?? 0) * 9, (metadata.height ?? 0) * 16, '16:9');

    const finished = await fetch(location, { headers: { 'api-key': tenantA.key } });
    assert.equal(finished.headers.get('retry-after'), null, 'no Retry-After once finished');
  });

  it('makes n = 3 distinct images in one provider call', async () => {
    const marker = `three-${Date.now()}`;
    const job = await submitAndWait({ prompt: `Three kittens in a basket ${marker}`, n: 3, orientation: 'portrait' });
    assert.equal(job.status, 'Succeeded');
    const images = job.result?.images ?? [];
    assert.equal(images.length, 3);
    const digests = await Promise.all(
      images.map(async (image) => {
        const bytes = Buffer.from(await (await fetch(image.url)).arrayBuffer());
        const metadata = await sharp(bytes).metadata();
        assert.deepEqual([metadata.width, metadata.height], [864, 1536]);
        return createHash('sha256').update(bytes).digest('hex');
      }),
    );
    assert.equal(new Set(digests).size, 3, 'the three images differ');
    const calls = stack.imageService.calls().filter((call) => call.prompt.includes(marker));
    assert.deepEqual(calls.map((call) => [call.n, call.status]), [[3, 200]]);
    assert.match(calls[0]!.prompt, /You are an assistant designer that creates images for children/);
    assert.match(calls[0]!.prompt, /portrait orientation/);
  });

  it('gives links that read one blob only: no other blob, no write, no delete, no listing, no tampering', async () => {
    const first = await submitAndWait({ prompt: `A lighthouse at dawn ${Date.now()}` });
    const second = await submitAndWait({ prompt: `A windmill at dusk ${Date.now()}` });
    const link = new URL(first.result!.images![0]!.url);
    const otherBlob = new URL(second.result!.images![0]!.url);

    assert.equal((await fetch(link)).status, 200);
    const foreign = new URL(link);
    foreign.pathname = otherBlob.pathname;
    assert.equal((await fetch(foreign)).status, 403, 'another blob with this signature');
    const write = await fetch(link, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'overwritten' });
    assert.equal(write.status, 403, 'write');
    assert.equal((await fetch(link, { method: 'DELETE' })).status, 403, 'delete');
    const listing = new URL(link);
    listing.pathname = link.pathname.split('/').slice(0, 3).join('/');
    listing.searchParams.set('restype', 'container');
    listing.searchParams.set('comp', 'list');
    assert.equal((await fetch(listing)).status, 403, 'list the container');
    const widened = new URL(link);
    widened.searchParams.set('sp', 'rw');
    assert.equal((await fetch(widened)).status, 403, 'edited permissions');
    const extended = new URL(link);
    extended.searchParams.set('se', '2099-01-01T00:00:00Z');
    assert.equal((await fetch(extended)).status, 403, 'edited expiry');
    assert.equal((await fetch(link)).status, 200, 'the image is still there');
  });

  it('answers an expired picture link with storage\'s own 403 (XML), and a new read of the job gives a fresh link', async () => {
    const job = await submitAndWait({ prompt: `A harbour at noon ${Date.now()}` });
    const link = new URL(job.result!.images![0]!.url);
    const blobName = decodeURIComponent(link.pathname.split('/').slice(3).join('/'));
    const services = createServices(loadConfig(stack.env));
    const expired = await services.links.linkFor(storageNames.imagesContainer, blobName, new Date(Date.now() - 60_000));
    const answer = await fetch(expired);
    // What docs/api.md tells a client to expect: not our JSON error shape, but Azure Storage's XML.
    assert.equal(answer.status, 403);
    assert.match(answer.headers.get('content-type') ?? '', /xml/);
    // Azure Storage says AuthenticationFailed ("Signature not valid in the specified time frame"); Azurite AuthorizationFailure.
    assert.match(await answer.text(), /<Code>(AuthenticationFailed|AuthorizationFailure)<\/Code>/);
    const again = (await stack.getJob(String(job.id))).body;
    assert.equal((await fetch(again.result!.images![0]!.url)).status, 200, 'reading the job again gives links that work');
  });

  // This stack calls the Azure route: Azure's contract documents `user` for the end-user id and has no
  // `moderation` (the deployment's content filter applies); OpenAI gets safety_identifier and moderation
  // auto (test/contracts/imageProvider.contract.test.ts, docs/contracts.md).
  it('sends Azure the safety parameters its contract names: a keyed user id, no moderation or safety_identifier', async () => {
    const marker = `safety-${Date.now()}`;
    const job = await submitAndWait({ prompt: `A kite over the dunes ${marker}`, user: 'student-0042' });
    assert.equal(job.status, 'Succeeded', JSON.stringify(job.error));
    const [call] = stack.imageService.calls().filter((c) => c.prompt.includes(marker));
    assert.equal(call?.parameters['moderation'], undefined);
    assert.equal(call?.parameters['safety_identifier'], undefined);
    const identifier = String(call?.parameters['user']);
    assert.match(identifier, /^edu4all-[0-9a-f]{32}$/);
    assert.ok(!identifier.includes('0042'));
    const again = await submitAndWait({ prompt: `A kite over the sea ${marker}-2`, user: 'student-0042' });
    const other = await submitAndWait({ prompt: `A kite over the hills ${marker}-3`, user: 'student-0043' });
    assert.equal(again.status, 'Succeeded');
    assert.equal(other.status, 'Succeeded');
    const identifierOf = (text: string) => stack.imageService.calls().find((c) => c.prompt.includes(text))?.parameters['user'];
    assert.equal(identifierOf(`${marker}-2`), identifier, 'stable per student');
    assert.notEqual(identifierOf(`${marker}-3`), identifier, 'different per student');
  });

  it('stores the usage the model reports and its estimated cost', async () => {
    const job = await submitAndWait({ prompt: `A tulip field ${Date.now()}`, n: 2, quality: 'low' });
    assert.equal(job.status, 'Succeeded');
    const usage = job.usage;
    assert.ok(usage && usage.outputTokens > 0 && usage.textInputTokens > 0, JSON.stringify(usage));
    assert.equal(usage.estimatedCostUsd, Math.round((usage.textInputTokens * 5 + usage.imageInputTokens * 8 + usage.outputTokens * 30)) / 1_000_000);
    const spend = (await (await fetch(`${stack.url}/api/usage`, { headers: { 'api-key': tenantA.key } })).json()) as {
      day: { used: number; estimatedCost: { currency: string; amount: number } };
      month: { estimatedCost: { amount: number } };
    };
    assert.equal(spend.day.estimatedCost.currency, 'USD');
    assert.ok(spend.day.estimatedCost.amount >= (usage.estimatedCostUsd ?? Infinity), JSON.stringify(spend));
    assert.ok(spend.month.estimatedCost.amount >= spend.day.estimatedCost.amount);
  });

  it('makes a JPEG job a JPEG, with compression, downloadable through its SAS link', async () => {
    const marker = `jpeg-${Date.now()}`;
    const job = await submitAndWait({ prompt: `A canal house ${marker}`, outputFormat: 'jpeg', outputCompression: 70, aspectRatio: '4:3' });
    assert.equal(job.status, 'Succeeded', JSON.stringify(job.error));
    const image = job.result!.images![0]!;
    assert.equal(image.contentType, 'image/jpeg');
    assert.deepEqual([image.width, image.height], [1536, 1152]);
    assert.match(new URL(image.url).pathname, /\/0\.jpg$/);
    const download = await fetch(image.url);
    assert.equal(download.headers.get('content-type'), 'image/jpeg');
    const metadata = await sharp(Buffer.from(await download.arrayBuffer())).metadata();
    assert.deepEqual([metadata.format, metadata.width, metadata.height], ['jpeg', 1536, 1152]);
    const [call] = stack.imageService.calls().filter((c) => c.prompt.includes(marker));
    assert.deepEqual([call?.size, call?.parameters['output_format'], call?.parameters['output_compression']], ['1536x1152', 'jpeg', 70]);
    const webp = await stack.submit({ prompt: 'a cat', outputFormat: 'webp' });
    assert.equal(webp.status, 400, 'Azure has no webp');
    assert.equal(webp.body.error?.target, 'outputFormat');
  });

  it('ends a job whose picture the provider blocked as ContentFiltered with source output', async () => {
    const marker = `output-filtered-${Date.now()}`;
    stack.imageService.addRule({ match: marker, fault: { kind: 'contentFilter', stage: 'output' } });
    const job = await submitAndWait({ prompt: `A volcano ${marker}` });
    assert.equal(job.status, 'Failed');
    assert.equal(job.error?.code, 'ContentFiltered');
    assert.equal((job.error as { source?: string }).source, 'output');
    assert.match(job.error?.message ?? '', /the picture it made/);
    assert.equal(stack.imageService.calls().filter((call) => call.prompt.includes(marker)).length, 1, 'one call, no retry');
  });

  it('ends a content-filtered prompt as Failed/ContentFiltered with the category, without retrying', async () => {
    const marker = `filtered-${Date.now()}`;
    stack.imageService.addRule({ match: marker, fault: { kind: 'contentFilter', category: 'violence' } });
    const job = await submitAndWait({ prompt: `A castle ${marker}` });
    assert.equal(job.status, 'Failed');
    assert.equal(job.error?.code, 'ContentFiltered');
    assert.equal((job.error as { source?: string }).source, 'prompt');
    assert.deepEqual((job.error as { categories?: string[] }).categories, ['violence']);
    assert.match(job.error?.message ?? '', /violence/);
    assert.equal(job.result, undefined);
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.equal(stack.imageService.calls().filter((call) => call.prompt.includes(marker)).length, 1, 'one call, no retry');
  });

  it('ends a job whose message always fails in the poison queue and Failed, saying why', async () => {
    const marker = `always-500-${Date.now()}`;
    stack.imageService.addRule({ match: marker, fault: { kind: 'serverError', status: 500 } });
    const submitted = await stack.submit({ prompt: `A bridge ${marker}` });
    const job = await stack.waitForJob(String(submitted.body.id), 60_000);
    assert.equal(job.status, 'Failed');
    assert.equal(job.error?.code, 'ProviderUnavailable');
    assert.match(job.error?.message ?? '', /Gave up after 5 attempts/);
    // Two tries in each of maxDequeueCount (5) invocations: the worker's own retry, then the queue's.
    assert.equal(stack.imageService.calls().filter((call) => call.prompt.includes(marker)).length, 10, 'two tries per attempt');
    // The poison function consumed the message from image-jobs-poison.
    const poison = stack.queueService.getQueueClient(storageNames.poisonQueue);
    const peeked = await poison.peekMessages({ numberOfMessages: 32 });
    assert.equal(peeked.peekedMessageItems.length, 0);
  });

  it('refuses bad input with the error shape, storing and queueing nothing', async () => {
    const jobsBefore = await countBlobs(stack, storageNames.jobsContainer);
    const cases: Array<[unknown, number, string, string | undefined]> = [
      [{ prompt: 'a cat', temperature: 0 }, 400, 'UnknownField', 'temperature'],
      [{}, 400, 'MissingField', 'prompt'],
      [{ prompt: 'a cat', n: 11 }, 400, 'InvalidField', 'n'],
      [{ prompt: 'a knight with a sword' }, 400, 'PromptBlocked', 'prompt'],
      [{ prompt: 'een ridder met een zwaard' }, 400, 'PromptBlocked', 'prompt'],
      ['{"prompt": "a cat"', 400, 'InvalidJson', 'body'],
      [{ prompt: 'x'.repeat(20_000) }, 413, 'PayloadTooLarge', 'body'],
    ];
    for (const [body, status, code, target] of cases) {
      const response = await stack.submit(body);
      assert.equal(response.status, status, `${code}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error?.code, code);
      assert.equal(response.body.error?.target, target);
      assert.ok((response.body.error?.message ?? '').length > 10);
    }
    const wrongType = await fetch(`${stack.url}/api/jobs`, { method: 'POST', headers: { 'content-type': 'text/plain', 'api-key': tenantA.key }, body: 'a cat' });
    assert.equal(wrongType.status, 415);
    assert.equal(await countBlobs(stack, storageNames.jobsContainer), jobsBefore);
    const queued = await stack.queueService.getQueueClient(storageNames.jobQueue).peekMessages({ numberOfMessages: 32 });
    assert.equal(queued.peekedMessageItems.length, 0);
  });

  it('answers 404 for an unknown or malformed job id', async () => {
    for (const id of ['6f1c1e4e-5b7a-4c1e-9f7d-1b2c3d4e5f60', 'not-a-job', '..%2Fjobs']) {
      const response = await stack.getJob(id);
      assert.equal(response.status, 404, id);
      assert.equal(response.body.error?.code, 'NotFound');
    }
  });
});

async function countBlobs(stack: Stack, container: string): Promise<number> {
  const client = stack.blobService.getContainerClient(container);
  if (!(await client.exists())) return 0;
  let count = 0;
  for await (const _blob of client.listBlobsFlat()) count++;
  return count;
}
