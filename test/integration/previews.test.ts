import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { storageNames } from '../../shared/storage/storageNames';
import { startStack, tenantA, type JsonObject, type Stack } from '../../local/harness/stack';

interface Preview {
  index: number;
  url: string;
  receivedDateTime: string;
}

/** Blobs under a job's previews folder in the images container. */
async function previewBlobs(stack: Stack, jobId: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of stack.blobService.getContainerClient(storageNames.imagesContainer).listBlobsFlat({ prefix: `${jobId}.previews/` })) names.push(blob.name);
  return names;
}

/** The worker removes a job's previews just after it records the end (so the status never loses them early): wait for that. */
async function previewBlobsAfterEnd(stack: Stack, jobId: string): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const names = await previewBlobs(stack, jobId);
    if (names.length === 0 || Date.now() > deadline) return names;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Polls a job's status URL as a student's browser would (no API key) until it ends; returns every preview
 * seen while it ran, the Retry-After of those polls, and the final status.
 */
async function pollWithPreviews(statusUrl: string): Promise<{ previews: Preview[]; retryAfter: Set<string>; final: JsonObject }> {
  const previews: Preview[] = [];
  const retryAfter = new Set<string>();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const response = await fetch(statusUrl);
    assert.equal(response.status, 200);
    const job = (await response.json()) as JsonObject & { previews?: Preview[] };
    if (job.status === 'Running') {
      retryAfter.add(response.headers.get('retry-after') ?? '');
      previews.push(...(job.previews ?? []));
    } else {
      assert.equal(job.previews, undefined, `no previews while ${String(job.status)}`);
    }
    if (job.status === 'Succeeded' || job.status === 'Failed' || job.status === 'Canceled') return { previews, retryAfter, final: job };
    assert.ok(Date.now() < deadline, `job still ${String(job.status)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Live previews through the real stack: a slow image service that streams partial images. */
describe('live previews (PARTIAL_IMAGES=2, a slow image service)', () => {
  let stack: Stack;
  before(async () => {
    // Three seconds a picture: partials come after about one and two, so a poll every 100 ms sees them.
    stack = await startStack({ imageService: { latencyMs: 3_000 } });
  });
  after(async () => {
    await stack?.stop();
  });

  async function submit(prompt: string, extra: Record<string, unknown> = {}): Promise<{ id: string; statusUrl: string }> {
    const submitted = await stack.submit({ prompt, ...extra });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    return { id: String(submitted.body.id), statusUrl: String(submitted.body['statusUrl']) };
  }

  it('shows the latest partial image while Running, with a link that returns it, and none once Succeeded', async () => {
    const { id, statusUrl } = await submit('A lighthouse on a cliff at dusk', { orientation: 'landscape' });
    const { previews, retryAfter, final } = await pollWithPreviews(statusUrl);
    assert.equal(final.status, 'Succeeded', JSON.stringify(final.error));
    assert.ok(previews.length >= 1, 'a poll while Running showed a preview');
    assert.deepEqual([...retryAfter], ['1'], 'Retry-After is 1 s while previews are coming');
    const preview = previews.at(-1)!;
    assert.equal(preview.index, 0);
    assert.ok(!Number.isNaN(Date.parse(preview.receivedDateTime)));
    const link = new URL(preview.url);
    assert.equal(link.searchParams.get('sp'), 'r', 'read-only');
    assert.match(link.pathname, new RegExp(`/${id}\\.previews/0\\.png$`));
    const { body } = await stack.getJob(id);
    assert.equal(body['previews'], undefined);
    assert.equal(body.result?.images?.length, 1, 'a preview is never taken for a finished picture');
    assert.deepEqual(await previewBlobsAfterEnd(stack, id), [], 'the preview blobs are gone');
    const recorded = stack.imageService.calls().find((call) => call.prompt.includes('A lighthouse on a cliff'));
    assert.deepEqual([recorded?.parameters['stream'], recorded?.parameters['partial_images']], [true, 2]);
    // With the API key, the usage counts the partials' tokens (100 each, as the provider bills them).
    assert.ok((body.usage?.outputTokens ?? 0) > 200);
  });

  it('serves a preview that is an image of the picture, through a link made for a browser', async () => {
    const { statusUrl } = await submit('A red kite over a green hill');
    const deadline = Date.now() + 60_000;
    let fetched: { status: number; type: string | null; bytes: Buffer } | undefined;
    while (!fetched && Date.now() < deadline) {
      const job = (await (await fetch(statusUrl)).json()) as JsonObject & { previews?: Preview[] };
      const preview = job.previews?.[0];
      if (preview) {
        const response = await fetch(preview.url);
        // The job may have finished between the poll and the download (its previews are then deleted).
        if (response.status !== 404) fetched = { status: response.status, type: response.headers.get('content-type'), bytes: Buffer.from(await response.arrayBuffer()) };
      } else if (job.status !== 'Running' && job.status !== 'NotStarted') {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(fetched, 'a preview was downloaded while the job ran');
    assert.equal(fetched.status, 200);
    assert.equal(fetched.type, 'image/png');
    const metadata = await sharp(fetched.bytes).metadata();
    assert.deepEqual([metadata.format, metadata.width, metadata.height], ['png', 1024, 1024]);
  });

  it('ends a job whose picture is blocked mid-stream as Failed/ContentFiltered (output), without retrying, and removes its previews', async () => {
    const marker = `blocked-mid-stream-${Date.now()}`;
    stack.imageService.addRule({ match: marker, fault: { kind: 'contentFilter', stage: 'output' } });
    const { id, statusUrl } = await submit(`A volcano ${marker}`);
    const { final } = await pollWithPreviews(statusUrl);
    assert.equal(final.status, 'Failed');
    assert.equal(final.error?.code, 'ContentFiltered');
    assert.equal((final.error as { source?: string }).source, 'output');
    const calls = stack.imageService.calls().filter((call) => call.prompt.includes(marker));
    assert.equal(calls.length, 1, 'one call, no retry');
    assert.equal(calls[0]?.parameters['stream'], true, 'the block came in the stream');
    assert.deepEqual(await previewBlobsAfterEnd(stack, id), [], 'the preview blobs are gone');
  });

  it('does not stream a job of several pictures (the events name no picture)', async () => {
    const { statusUrl } = await submit('Two paper boats on a pond', { n: 2 });
    const { previews, final } = await pollWithPreviews(statusUrl);
    assert.equal(final.status, 'Succeeded');
    assert.deepEqual(previews, []);
    const recorded = stack.imageService.calls().find((call) => call.prompt.includes('Two paper boats'));
    assert.equal(recorded?.parameters['stream'], undefined);
  });
});

describe('live previews off (PARTIAL_IMAGES=0)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ env: { PARTIAL_IMAGES: '0' }, imageService: { latencyMs: 1_000 } });
  });
  after(async () => {
    await stack?.stop();
  });

  it('makes plain calls and shows no previews', async () => {
    const submitted = await stack.submit({ prompt: 'A snowman in a sunny garden' });
    assert.equal(submitted.status, 202);
    const { previews, retryAfter, final } = await pollWithPreviews(String(submitted.body['statusUrl']));
    assert.equal(final.status, 'Succeeded');
    assert.deepEqual(previews, []);
    assert.ok(![...retryAfter].includes('1'), 'the usual Retry-After');
    const recorded = stack.imageService.calls().find((call) => call.prompt.includes('A snowman'));
    assert.deepEqual([recorded?.parameters['stream'], recorded?.parameters['partial_images']], [undefined, undefined]);
    const { body } = await stack.getJob(String(submitted.body.id), { 'api-key': tenantA.key });
    assert.equal(body['previews'], undefined);
  });
});
