import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { startImageService, type ImageService } from '../../../local/imageService/imageService';
import { APIError } from 'openai';
import { createImageProvider, type ImageProvider } from '../../../shared/provider/imageProvider';
import { getModel } from '../../../shared/models/modelCatalogue';
import { classifyProviderFailure, requestedRetryDelayInMs } from '../../../shared/provider/providerFailure';

/**
 * The local image service through the real `openai` client, and what each fault at that HTTP boundary
 * means for a job (the classification the worker acts on).
 */
describe('local image service and provider failures', () => {
  let service: ImageService;
  let azure: ImageProvider;
  before(async () => {
    service = await startImageService({ defaultModel: 'gpt-image-2' });
    azure = createImageProvider(
      { kind: 'azure-openai', endpoint: service.url, deployment: 'gpt-image-2', apiVersion: '2025-04-01-preview', apiKey: 'k' },
      getModel('gpt-image-2'),
      { timeoutInSeconds: 5, maxRetries: 0 },
    );
  });
  after(async () => {
    await service?.close();
  });

  async function failureOf(promise: Promise<unknown>) {
    try {
      await promise;
    } catch (error) {
      return classifyProviderFailure(error);
    }
    assert.fail('expected the call to fail');
  }

  it('renders placeholder PNGs of any gpt-image-2 size through the Azure path, with usage', async () => {
    const { images, usage } = await azure.generate({ prompt: 'a red bicycle', n: 2, size: '864x1536', quality: 'low', outputFormat: 'png' });
    assert.equal(images.length, 2);
    for (const image of images) {
      const metadata = await sharp(image.bytes).metadata();
      assert.deepEqual([metadata.format, metadata.width, metadata.height], ['png', 864, 1536]);
    }
    assert.notDeepEqual(images[0]?.bytes, images[1]?.bytes);
    assert.ok(usage && usage.outputTokens > 0 && usage.textInputTokens > 0);
  });

  it('renders JPEG on Azure and WebP on the OpenAI path, and refuses WebP on Azure in the provider shape', async () => {
    const [jpeg] = (await azure.generate({ prompt: 'a tram', n: 1, size: '1024x1024', outputFormat: 'jpeg', outputCompression: 50 })).images;
    assert.equal((await sharp(jpeg!.bytes).metadata()).format, 'jpeg');
    // A 3840x2160 WebP and its two previews are seconds of CPU for the stand-in, more on a busy machine (5 s ran
    // out under npm test's four files at a time): here the timeout only guards against a hang.
    const openai = createImageProvider({ kind: 'openai', apiKey: 'sk-local', baseUrl: `${service.url}/v1` }, getModel('gpt-image-2'), {
      timeoutInSeconds: 60,
      maxRetries: 0,
    });
    const [webp] = (await openai.generate({ prompt: 'a green tram', n: 1, size: '3840x2160', outputFormat: 'webp' })).images;
    assert.deepEqual(await sharp(webp!.bytes).metadata().then((m) => [m.format, m.width, m.height]), ['webp', 3840, 2160]);
    const refused = await failureOf(azure.generate({ prompt: 'a cat', n: 1, size: '1024x1024', outputFormat: 'webp' }));
    assert.equal(refused.code, 'ProviderRejected');
    assert.match(refused.message, /output_format' must be one of png, jpeg/);
  });

  it("answers a size that breaks gpt-image-2's rule with the provider's 400", async () => {
    const response = await fetch(`${service.url}/openai/deployments/gpt-image-2/images/generations?api-version=2025-04-01-preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': 'k' },
      body: JSON.stringify({ prompt: 'a cat', size: '1000x1000' }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { param: string; type: string; message: string } };
    assert.deepEqual([body.error.param, body.error.type], ['size', 'invalid_request_error']);
    assert.match(body.error.message, /multiples of 16/);
  });

  it("checks parameters as the model's profile does", async () => {
    const dalle = createImageProvider(
      { kind: 'azure-openai', endpoint: service.url, deployment: 'dall-e-3', apiVersion: '2024-02-01', apiKey: 'k' },
      getModel('dall-e-3'),
      { timeoutInSeconds: 5, maxRetries: 0 },
    );
    const tooMany = await failureOf(dalle.generate({ prompt: 'a cat', n: 2, size: '1024x1024', outputFormat: 'png' }));
    assert.equal(tooMany.code, 'ProviderRejected');
    assert.match(tooMany.message, /'n' must be from 1 to 1/);
    const wrongSize = await failureOf(azure.generate({ prompt: 'a cat', n: 1, size: '1790x1024', outputFormat: 'png' }));
    assert.equal(wrongSize.code, 'ProviderRejected');
  });

  it('answers a content-filter block in the Azure shape', async () => {
    service.addRule({ match: 'forbidden-castle', fault: { kind: 'contentFilter', category: 'hate' }, times: 1 });
    const response = await fetch(`${service.url}/openai/deployments/gpt-image-2/images/generations?api-version=2025-04-01-preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': 'k' },
      body: JSON.stringify({ prompt: 'a forbidden-castle', size: '1024x1024' }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { code: string; inner_error: { code: string; content_filter_results: Record<string, { filtered: boolean }> } } };
    assert.equal(body.error.code, 'content_policy_violation');
    assert.equal(body.error.inner_error.code, 'ResponsibleAIPolicyViolation');
    assert.equal(body.error.inner_error.content_filter_results['hate']?.filtered, true);
    assert.equal(body.error.inner_error.content_filter_results['violence']?.filtered, false);
  });

  const faults = [
    { name: 'content filter', fault: { kind: 'contentFilter', category: 'sexual' }, code: 'ContentFiltered', retryable: false, message: /sexual/ },
    { name: '401', fault: { kind: 'unauthorized' }, code: 'ProviderAuthFailed', retryable: false, message: /administrator/ },
    { name: '429', fault: { kind: 'rateLimit', retryAfterSeconds: 1 }, code: 'ProviderRateLimited', retryable: true, message: /rate limited/ },
    { name: '500', fault: { kind: 'serverError' }, code: 'ProviderUnavailable', retryable: true, message: /500/ },
    { name: '503', fault: { kind: 'serverError', status: 503 }, code: 'ProviderUnavailable', retryable: true, message: /503/ },
    { name: 'connection reset', fault: { kind: 'reset' }, code: 'ProviderUnavailable', retryable: true, message: /could not be reached/ },
  ] as const;
  for (const { name, fault, code, retryable, message } of faults) {
    it(`classifies ${name} as ${code}`, async () => {
      const marker = `fault-${name}-${Date.now()}`;
      service.addRule({ match: marker, fault, times: 1 });
      const failure = await failureOf(azure.generate({ prompt: marker, n: 1, size: '1024x1024', outputFormat: 'png' }));
      assert.equal(failure.code, code);
      assert.equal(failure.retryable, retryable);
      assert.match(failure.message, message);
    });
  }

  it('classifies a hang past the timeout as ProviderUnavailable', async () => {
    const impatient = createImageProvider(
      { kind: 'azure-openai', endpoint: service.url, deployment: 'gpt-image-2', apiVersion: '2025-04-01-preview', apiKey: 'k' },
      getModel('gpt-image-2'),
      { timeoutInSeconds: 5, maxRetries: 0 },
    );
    service.addRule({ match: 'hang-here', fault: { kind: 'hang' }, times: 1 });
    const started = Date.now();
    const failure = await failureOf(impatient.generate({ prompt: 'hang-here', n: 1, size: '1024x1024', outputFormat: 'png' }));
    assert.equal(failure.code, 'ProviderUnavailable');
    assert.ok(Date.now() - started >= 4_900);
  });

  it("lets the openai client retry a 429 after the server's Retry-After", async () => {
    const patient = createImageProvider(
      { kind: 'azure-openai', endpoint: service.url, deployment: 'gpt-image-2', apiVersion: '2025-04-01-preview', apiKey: 'k' },
      getModel('gpt-image-2'),
      { timeoutInSeconds: 5, maxRetries: 2 },
    );
    service.addRule({ match: 'busy-once', fault: { kind: 'rateLimit', retryAfterMs: 200 }, times: 1 });
    const { images } = await patient.generate({ prompt: 'busy-once', n: 1, size: '1024x1024', outputFormat: 'png' });
    assert.equal(images.length, 1);
    const calls = service.calls().filter((call) => call.prompt === 'busy-once');
    assert.deepEqual(calls.map((call) => call.status), [429, 200]);
  });

  it('refuses calls without credentials, as Azure does', async () => {
    const response = await fetch(`${service.url}/openai/deployments/gpt-image-2/images/generations?api-version=2025-04-01-preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a cat' }),
    });
    assert.equal(response.status, 401);
  });

  it('tells a blocked picture from a blocked prompt, in the Azure and the OpenAI shapes', async () => {
    const openai = createImageProvider({ kind: 'openai', apiKey: 'sk-local', baseUrl: `${service.url}/v1` }, getModel('gpt-image-2'), {
      timeoutInSeconds: 5,
      maxRetries: 0,
    });
    const cases = [
      { provider: azure, stage: 'prompt', source: 'prompt', categories: ['self_harm'] },
      { provider: azure, stage: 'output', source: 'output', categories: undefined },
      { provider: openai, stage: 'prompt', source: 'prompt', categories: ['self_harm'] },
      { provider: openai, stage: 'output', source: 'output', categories: ['self_harm'] },
    ] as const;
    for (const [i, { provider, stage, source, categories }] of cases.entries()) {
      const marker = `blocked-${stage}-${i}-${Date.now()}`;
      service.addRule({ match: marker, fault: { kind: 'contentFilter', category: 'self_harm', stage }, times: 1 });
      const failure = await failureOf(provider.generate({ prompt: marker, n: 1, size: '1024x1024', outputFormat: 'png' }));
      assert.equal(failure.code, 'ContentFiltered');
      assert.equal(failure.retryable, false);
      assert.deepEqual(failure.retryable ? [] : [failure.source, failure.categories], [source, categories], `case ${i}`);
    }
  });

  it('maps every content-filter shape the providers document', () => {
    const shapes: Array<[string, object, string, string[] | undefined]> = [
      ['Azure image API, prompt', { code: 'content_policy_violation', message: 'Your request was rejected as a result of our safety system.', inner_error: { code: 'ResponsibleAIPolicyViolation', content_filter_results: { sexual: { filtered: true, severity: 'medium' }, violence: { filtered: false, severity: 'safe' } } } }, 'prompt', ['sexual']],
      ['Azure other APIs, innererror', { code: 'content_filter', message: 'The response was filtered', innererror: { code: 'ResponsibleAIPolicyViolation', content_filter_results: { hate: { filtered: true, severity: 'high' } } } }, 'prompt', ['hate']],
      ['Azure images, documented prompt block', { code: 'contentFilter', message: 'Your task failed as a result of our safety system.' }, 'prompt', undefined],
      ['Azure images, documented output block', { code: 'contentFilter', message: 'Generated image was filtered as a result of our safety system.' }, 'output', undefined],
      ['OpenAI moderation_blocked', { code: 'moderation_blocked', type: 'image_generation_user_error', param: '', message: 'Your request was rejected by the safety system. safety_violations=[violence, sexual].' }, 'prompt', ['violence', 'sexual']],
    ];
    for (const [name, body, source, categories] of shapes) {
      const failure = classifyProviderFailure(APIError.generate(400, { error: body }, undefined, new Headers()));
      assert.equal(failure.code, 'ContentFiltered', name);
      assert.deepEqual(failure.retryable ? [] : [failure.source, failure.categories], [source, categories], name);
    }
    const other400 = classifyProviderFailure(APIError.generate(400, { error: { code: 'invalid_size', message: 'Invalid size' } }, undefined, new Headers()));
    assert.equal(other400.code, 'ProviderRejected');
  });

  it('streams partial images, then the picture with usage, through the real client (generations and edits)', async () => {
    const partials: Array<{ index: number; format: string | undefined; width: number | undefined }> = [];
    const onPartialImage = async (partial: { partialIndex: number; bytes: Buffer }) => {
      const metadata = await sharp(partial.bytes).metadata();
      partials.push({ index: partial.partialIndex, format: metadata.format, width: metadata.width });
    };
    const plain = await azure.generate({ prompt: 'a kite over a hill', n: 1, size: '1536x864', quality: 'low', outputFormat: 'png' });
    const streamed = await azure.generate({ prompt: 'a kite over a hill', n: 1, size: '1536x864', quality: 'low', outputFormat: 'png', partialImages: 2, onPartialImage });
    assert.deepEqual(partials, [{ index: 0, format: 'png', width: 1536 }, { index: 1, format: 'png', width: 1536 }]);
    assert.equal(streamed.images.length, 1);
    assert.equal((await sharp(streamed.images[0]!.bytes).metadata()).height, 864);
    // OpenAI's guide: each partial image costs 100 more image output tokens.
    assert.equal(streamed.usage?.outputTokens, (plain.usage?.outputTokens ?? 0) + 200);
    const call = service.calls().at(-1);
    assert.deepEqual([call?.status, call?.parameters['stream'], call?.parameters['partial_images']], [200, true, 2]);

    partials.length = 0;
    const edited = await azure.edit({
      prompt: 'the kite in red', n: 1, size: '1024x1024', outputFormat: 'jpeg', images: [{ bytes: plain.images[0]!.bytes, format: 'png' }], partialImages: 1, onPartialImage,
    });
    assert.deepEqual(partials, [{ index: 0, format: 'jpeg', width: 1024 }]);
    assert.equal(edited.images.length, 1);
  });

  it('ends a stream whose picture the safety system blocked with an error event, classified as before', async () => {
    const seen: number[] = [];
    service.addRule({ match: 'blocked-mid-stream', fault: { kind: 'contentFilter', stage: 'output' }, times: 1 });
    const azureBlock = await failureOf(
      azure.generate({ prompt: 'a volcano blocked-mid-stream', n: 1, size: '1024x1024', outputFormat: 'png', partialImages: 2, onPartialImage: (p) => Promise.resolve(void seen.push(p.partialIndex)) }),
    );
    assert.deepEqual(seen, [0, 1], 'the partials came before the block');
    assert.deepEqual([azureBlock.code, azureBlock.retryable, 'source' in azureBlock && azureBlock.source], ['ContentFiltered', false, 'output']);
    const openai = createImageProvider({ kind: 'openai', apiKey: 'sk-local', baseUrl: `${service.url}/v1` }, getModel('gpt-image-2'), { timeoutInSeconds: 5, maxRetries: 0 });
    service.addRule({ match: 'blocked-mid-stream', fault: { kind: 'contentFilter', stage: 'output', category: 'violence' }, times: 1 });
    const openaiBlock = await failureOf(openai.generate({ prompt: 'a volcano blocked-mid-stream', n: 1, size: '1024x1024', outputFormat: 'webp', partialImages: 1 }));
    assert.deepEqual([openaiBlock.code, 'source' in openaiBlock && openaiBlock.source, 'categories' in openaiBlock && openaiBlock.categories], ['ContentFiltered', 'output', ['violence']]);
    // Any other error event in a stream is worth another try.
    assert.deepEqual(classifyProviderFailure(new APIError(undefined, { code: 'server_error', message: 'The server had an error' }, undefined, undefined)).code, 'ProviderUnavailable');
  });

  it('asks again without streaming where the endpoint refuses stream, and streams no more', async () => {
    const old = await startImageService({ defaultModel: 'gpt-image-2', refuseStreaming: true });
    try {
      const provider = createImageProvider(
        { kind: 'azure-openai', endpoint: old.url, deployment: 'gpt-image-2', apiVersion: '2024-02-01', apiKey: 'k' },
        getModel('gpt-image-2'),
        { timeoutInSeconds: 5, maxRetries: 0 },
      );
      const seen: number[] = [];
      const request = { prompt: 'a boat', n: 1, size: '1024x1024', outputFormat: 'png' as const, partialImages: 2, onPartialImage: (p: { partialIndex: number }) => Promise.resolve(void seen.push(p.partialIndex)) };
      assert.equal((await provider.generate(request)).images.length, 1);
      assert.equal((await provider.generate(request)).images.length, 1);
      assert.deepEqual(seen, []);
      assert.deepEqual(old.calls().map((call) => [call.status, call.parameters['stream'] ?? null]), [[400, true], [200, null], [200, null]]);
    } finally {
      await old.close();
    }
  });

  it('reads retry delays as the openai client does', () => {
    assert.equal(requestedRetryDelayInMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' })), 250);
    assert.equal(requestedRetryDelayInMs(new Headers({ 'retry-after': '3' })), 3000);
    const date = requestedRetryDelayInMs(new Headers({ 'retry-after': new Date(Date.now() + 10_000).toUTCString() }));
    assert.ok(date !== undefined && date > 8_000 && date <= 10_000);
    assert.equal(requestedRetryDelayInMs(new Headers()), undefined);
  });
});
