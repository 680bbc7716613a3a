import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { renderPlaceholder } from '../../local/imageService/placeholderImage';
import { startStack, tenantA, type JsonObject, type Stack } from '../../local/harness/stack';
import { loadMetaprompt } from '../../shared/safety/metaprompt';
import { createSasLinkSigner } from '../../shared/storage/sasLinks';
import { storageNames } from '../../shared/storage/storageNames';

/**
 * The output check (layer 6) through the real stack: the worker asks the Content Safety stand-in's
 * image:analyze about every picture and preview, and faults and verdicts are set only at that HTTP boundary.
 * A refused or unchecked picture must never be reachable: not through the status, not through a link handed
 * out earlier, not through a link signed for its blob name, not anonymously.
 */

interface Preview {
  index: number;
  url: string;
}

describe('the output check (image:analyze on every picture before anyone sees it)', () => {
  let stack: Stack;
  const images = () => stack.blobService.getContainerClient(storageNames.imagesContainer);
  const imageCalls = () => stack.contentSafety.calls().filter((call) => call.operation === 'imageAnalyze');

  before(async () => {
    stack = await startStack({
      env: {
        // Transient check failures end the job after 5 s of failing, not 15 minutes; a hung check ends after 3 s.
        JOB_RETRY_DEADLINE_SECONDS: '5',
        OUTPUT_CHECK_TIMEOUT_MS: '3000',
        PARTIAL_IMAGES: '2',
      },
    });
  });
  after(async () => {
    await stack?.stop();
  });

  async function submit(body: Record<string, unknown>): Promise<{ id: string; statusUrl: string }> {
    const submitted = await stack.submit({ user: 'student-1', metadata: { classId: '8F' }, ...body });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    return { id: String(submitted.body.id), statusUrl: String(submitted.body['statusUrl']) };
  }

  /** Every blob of a job in the images container: its pictures, thumbnails and previews. */
  async function blobsOf(jobId: string): Promise<string[]> {
    const names: string[] = [];
    for await (const blob of images().listBlobsFlat({ prefix: jobId })) names.push(blob.name);
    return names;
  }

  /** The worker deletes a withheld job's blobs just after it records the end: wait for that (or time out with what is left). */
  async function blobsAfterEnd(jobId: string): Promise<string[]> {
    for (let i = 0; ; i++) {
      const names = await blobsOf(jobId);
      if (names.length === 0 || i >= 100) return names;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Every blob name a job's pictures, thumbnails and previews could have (n at most 2, PNG). */
  const namesOf = (jobId: string) => [0, 1].flatMap((index) => [`${jobId}/${index}.png`, `${jobId}.thumbs/${index}.webp`, `${jobId}.previews/${index}.png`]);

  /** Of these links, the ones that answer 200. */
  async function open(urls: readonly string[]): Promise<string[]> {
    const answered: string[] = [];
    for (const url of urls) if ((await fetch(url)).status === 200) answered.push(url);
    return answered;
  }

  /** Anonymous reads of every blob name the job could have (the container is private). */
  const anonymousReads = (jobId: string) => open(namesOf(jobId).map((name) => images().getBlobClient(name).url));

  /**
   * Tries every way to a job's pictures once it has ended: each link given out before, a link signed by the
   * service's own signer (as a status would have given it) for every blob name the job could have, and
   * anonymous reads of the same. Returns the ones that answered 200.
   */
  async function reachable(jobId: string, earlierLinks: readonly string[] = []): Promise<string[]> {
    const signer = createSasLinkSigner(stack.blobService);
    const expiresOn = new Date(Date.now() + 10 * 60_000);
    const signed = await Promise.all(namesOf(jobId).map((name) => signer.linkFor(storageNames.imagesContainer, name, expiresOn)));
    return [...(await open([...earlierLinks, ...signed])), ...(await anonymousReads(jobId))];
  }

  /** Polls a job's status URL as a student's browser does until it ends, keeping every preview link it was shown. */
  async function pollWithPreviews(statusUrl: string): Promise<{ previews: Preview[]; final: JsonObject }> {
    const previews: Preview[] = [];
    for (let i = 0; ; i++) {
      const job = (await (await fetch(statusUrl)).json()) as JsonObject & { previews?: Preview[] };
      previews.push(...(job.previews ?? []));
      if (job.status === 'Succeeded' || job.status === 'Failed' || job.status === 'Canceled') return { previews, final: job };
      assert.ok(i < 1200, `job still ${String(job.status)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The SHA-256 of the first picture the local image service will draw for this (fresh) prompt at 1024x1024. */
  async function firstPictureHash(prompt: string): Promise<string> {
    const bytes = await renderPlaceholder({ prompt: loadMetaprompt().compose(prompt, 'square'), width: 1024, height: 1024, variation: 1, model: 'gpt-image-2', format: 'png' });
    return createHash('sha256').update(bytes).digest('hex');
  }

  it('checks each preview and the finished picture, and a picture that passes succeeds with working links', async () => {
    const calls = imageCalls().length;
    const { id } = await submit({ prompt: 'a lighthouse on a cliff at dusk', size: '1024x1024' });
    const job = await stack.waitForJob(id);
    assert.equal(job.status, 'Succeeded', JSON.stringify(job.error));
    assert.equal(imageCalls().length - calls, 3, 'two partial images and the picture');
    const image = job.result?.images?.[0];
    assert.ok(image);
    assert.equal((await fetch(image.url)).status, 200);
    const properties = await images().getBlobClient(`${id}/0.png`).getProperties();
    assert.equal(properties.metadata?.['outputcheck'], 'passed', 'the pass is marked on the picture');
    assert.equal(properties.metadata?.['width'], '1024', 'beside the metadata the picture was saved with');
  });

  it('withholds a refused picture: Failed/ContentFiltered (source output), an outputCheck safety event, and no way to the picture or its previews', async () => {
    const prompt = 'a quiet harbour with red boats';
    const sha256 = await firstPictureHash(prompt);
    // The picture is refused; its check takes 1.5 s (within the 3 s timeout), so the status shows the (passed) previews meanwhile.
    stack.contentSafety.addRule({ operation: 'imageAnalyze', sha256, severities: { Violence: 6 }, fault: { kind: 'delay', ms: 1500 } });
    const providerCalls = stack.imageService.calls().length;
    try {
      const { id, statusUrl } = await submit({ prompt, size: '1024x1024' });
      const { previews, final } = await pollWithPreviews(statusUrl);
      assert.equal(final.status, 'Failed', JSON.stringify(final));
      assert.deepEqual(final.error, {
        code: 'ContentFiltered',
        message: 'The safety check blocked the picture made for this prompt (categories: violence). Please describe the picture differently.',
        source: 'output',
        categories: ['violence'],
      });
      assert.equal(final.result, undefined, 'the status shows no result links');
      assert.equal(final['previews'], undefined);
      assert.ok(imageCalls().some((call) => call.image?.sha256 === sha256), 'the stand-in was asked about this very picture');
      assert.ok(previews.length > 0, 'the partial images passed and were shown while the picture was checked');
      assert.deepEqual(await blobsAfterEnd(id), [], 'nothing of the job is kept');
      assert.deepEqual(await reachable(id, previews.map((preview) => preview.url)), []);
      assert.equal(stack.imageService.calls().length - providerCalls, 1, 'one provider call');

      const events = await fetch(`${stack.url}/api/safety-events?layer=outputCheck`, { headers: { 'api-key': tenantA.key } });
      const listed = ((await events.json()) as { value: Array<{ jobId?: string; categories: string[]; prompt: string; user?: string }> }).value;
      assert.deepEqual(
        listed.filter((event) => event.jobId === id).map((event) => [event.categories, event.prompt, event.user]),
        [[['violence'], prompt, 'student-1']],
      );
    } finally {
      stack.contentSafety.clearRules();
    }
  });

  it('does not show a preview the check refuses, and the picture that passes still succeeds', async () => {
    // The first image check of the job is its first partial image.
    stack.contentSafety.addRule({ operation: 'imageAnalyze', severities: { Sexual: 4 }, times: 1 });
    try {
      const { statusUrl } = await submit({ prompt: 'a fox in the snow', size: '1024x1024' });
      const { final } = await pollWithPreviews(statusUrl);
      assert.equal(final.status, 'Succeeded', JSON.stringify(final.error));
    } finally {
      stack.contentSafety.clearRules();
    }
    const logs = stack.hosts[0]?.logs() ?? '';
    assert.match(logs, /the output check refused a preview \(sexual\); it is not shown/);
  });

  it('checks what a crash left unchecked when the message comes back, and never publishes it', async () => {
    // Two pictures in one call (no streaming): the worker saves both, then hangs on the first check.
    stack.contentSafety.addRule({ operation: 'imageAnalyze', fault: { kind: 'hang' } });
    try {
      const providerCalls = stack.imageService.calls().length;
      const { id } = await submit({ prompt: 'two owls on a branch', size: '1024x1024', n: 2 });
      for (let i = 0; !imageCalls().some((call) => call.fault === 'hang'); i++) {
        assert.ok(i < 300, 'the worker reached the check');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.deepEqual((await blobsOf(id)).sort(), [`${id}/0.png`, `${id}/1.png`], 'saved, unchecked, and without thumbnails');
      const running = await stack.getJob(id);
      assert.equal(running.body.status, 'Running');
      assert.equal(running.body.result, undefined, 'the status links to no picture before its check');
      // Only the service's key could sign a link to these blobs, and it signs them for Succeeded jobs only (jobs/jobView.ts).
      assert.deepEqual(await anonymousReads(id), []);

      await stack.hosts[0]!.kill('SIGKILL');
      stack.hosts.shift();
      stack.contentSafety.clearRules();
      stack.contentSafety.addRule({ operation: 'imageAnalyze', severities: { Sexual: 4 } });
      await stack.startHost();
      const job = await stack.waitForJob(id, 60_000);
      assert.equal(job.status, 'Failed', JSON.stringify(job));
      assert.equal(job.error?.code, 'ContentFiltered');
      assert.deepEqual(job.error && (job.error as { source?: string; categories?: string[] }).categories, ['sexual']);
      assert.equal(stack.imageService.calls().length - providerCalls, 1, 'the pictures were checked, not made again');
      assert.deepEqual(await blobsAfterEnd(id), []);
      assert.deepEqual(await reachable(id), []);
    } finally {
      stack.contentSafety.clearRules();
    }
  });

  // One picture with previews for the 500; two without (no streaming) for the timeout, whose tries take 3 s each.
  for (const [name, fault, reason, n] of [
    ['answers 500', { kind: 'serverError' }, /the content safety service answered 500/, 1],
    ['does not answer (timeout)', { kind: 'hang' }, /the content safety service did not answer in time/, 2],
  ] as const) {
    it(`fails closed when image:analyze ${name}: retried without making the picture again, then Failed/SafetyCheckUnavailable with nothing kept`, async () => {
      stack.contentSafety.addRule({ operation: 'imageAnalyze', fault });
      const providerCalls = stack.imageService.calls().length;
      const checks = imageCalls().length;
      try {
        const { id, statusUrl } = await submit({ prompt: `a windmill in a field (${name})`, size: '1024x1024', n });
        const { previews, final } = await pollWithPreviews(statusUrl);
        assert.equal(final.status, 'Failed', JSON.stringify(final));
        assert.equal(final.error?.code, 'SafetyCheckUnavailable');
        assert.match(String(final.error?.message), reason);
        assert.equal(final.result, undefined);
        assert.deepEqual(previews, [], 'a preview that could not be checked is not shown');
        assert.equal(stack.imageService.calls().length - providerCalls, 1, 'one provider call: the check is retried, not the picture');
        assert.ok(imageCalls().length - checks >= (n === 1 ? 2 : 0) + 2, 'any previews, then the first picture at least twice');
        assert.deepEqual(await blobsAfterEnd(id), []);
        assert.deepEqual(await reachable(id), []);
      } finally {
        stack.contentSafety.clearRules();
      }
    });
  }

  it('waits out a 429 from image:analyze and succeeds once the service answers', async () => {
    stack.contentSafety.addRule({ operation: 'imageAnalyze', fault: { kind: 'rateLimit', retryAfterSeconds: 1 }, times: 2 });
    const providerCalls = stack.imageService.calls().length;
    try {
      const { id } = await submit({ prompt: 'a hot air balloon over hills', size: '1024x1024', n: 2 });
      const job = await stack.waitForJob(id, 60_000);
      assert.equal(job.status, 'Succeeded', JSON.stringify(job.error));
      assert.equal(job.result?.images?.length, 2);
      assert.equal(stack.imageService.calls().length - providerCalls, 1);
    } finally {
      stack.contentSafety.clearRules();
    }
  });

  it('checks a 3840x2160 picture as a 2048x1152 copy, and serves the picture itself', async () => {
    const { id } = await submit({ prompt: 'a wide mountain valley in spring', size: '3840x2160', n: 2 });
    const job = await stack.waitForJob(id, 60_000);
    assert.equal(job.status, 'Succeeded', JSON.stringify(job.error));
    assert.deepEqual(job.result?.images?.map((image) => [image.width, image.height]), [[3840, 2160], [3840, 2160]]);
    assert.deepEqual(imageCalls().slice(-2).map((call) => [call.image?.width, call.image?.height]), [[2048, 1152], [2048, 1152]]);
  });
});
