import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { startImageService, type ImageService } from '../../local/imageService';
import { createImageProvider, requestedRetryDelayInMs, type ImageProvider } from '../../shared/imageProvider';
import { getModelProfile } from '../../shared/modelProfiles';
import { classifyProviderFailure } from '../../shared/providerFailure';

/**
 * The local image service through the real `openai` client, and what each fault at that HTTP boundary
 * means for a job (the classification the worker acts on).
 */
describe('local image service and provider failures', () => {
  let service: ImageService;
  let azure: ImageProvider;
  before(async () => {
    service = await startImageService({ defaultModel: 'gpt-image-1' });
    azure = createImageProvider(
      { kind: 'azure-openai', endpoint: service.url, deployment: 'gpt-image-1', apiVersion: '2025-04-01-preview', apiKey: 'k' },
      getModelProfile('gpt-image-1'),
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

  it('renders placeholder PNGs of the requested size through the Azure path', async () => {
    const images = await azure.generate({ prompt: 'a red bicycle', n: 2, size: '1024x1536', quality: 'low' });
    assert.equal(images.length, 2);
    for (const image of images) {
      const metadata = await sharp(image.png).metadata();
      assert.deepEqual([metadata.format, metadata.width, metadata.height], ['png', 1024, 1536]);
    }
    assert.notDeepEqual(images[0]?.png, images[1]?.png);
  });

  it('serves the OpenAI path for dall-e-3, with revised prompts', async () => {
    const openai = createImageProvider({ kind: 'openai', apiKey: 'sk-local', baseUrl: `${service.url}/v1` }, getModelProfile('dall-e-3'), {
      timeoutInSeconds: 5,
      maxRetries: 0,
    });
    const [image] = await openai.generate({ prompt: 'a green tram', n: 1, size: '1792x1024', style: 'vivid' });
    assert.match(image?.revisedPrompt ?? '', /green tram/);
    const metadata = await sharp(image!.png).metadata();
    assert.deepEqual([metadata.width, metadata.height], [1792, 1024]);
  });

  it("checks parameters as the model's profile does", async () => {
    const dalle = createImageProvider(
      { kind: 'azure-openai', endpoint: service.url, deployment: 'dall-e-3', apiVersion: '2024-02-01', apiKey: 'k' },
      getModelProfile('dall-e-3'),
      { timeoutInSeconds: 5, maxRetries: 0 },
    );
    const tooMany = await failureOf(dalle.generate({ prompt: 'a cat', n: 2, size: '1024x1024' }));
    assert.equal(tooMany.code, 'ProviderRejected');
    assert.match(tooMany.message, /'n' must be from 1 to 1/);
    const wrongSize = await failureOf(azure.generate({ prompt: 'a cat', n: 1, size: '1792x1024' }));
    assert.equal(wrongSize.code, 'ProviderRejected');
  });

  it('answers a content-filter block in the Azure shape', async () => {
    service.addRule({ match: 'forbidden-castle', fault: { kind: 'contentFilter', category: 'hate' }, times: 1 });
    const response = await fetch(`${service.url}/openai/deployments/gpt-image-1/images/generations?api-version=2025-04-01-preview`, {
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
      const failure = await failureOf(azure.generate({ prompt: marker, n: 1, size: '1024x1024' }));
      assert.equal(failure.code, code);
      assert.equal(failure.retryable, retryable);
      assert.match(failure.message, message);
    });
  }

  it('classifies a hang past the timeout as ProviderUnavailable', async () => {
    const impatient = createImageProvider(
      { kind: 'azure-openai', endpoint: service.url, deployment: 'gpt-image-1', apiVersion: '2025-04-01-preview', apiKey: 'k' },
      getModelProfile('gpt-image-1'),
      { timeoutInSeconds: 5, maxRetries: 0 },
    );
    service.addRule({ match: 'hang-here', fault: { kind: 'hang' }, times: 1 });
    const started = Date.now();
    const failure = await failureOf(impatient.generate({ prompt: 'hang-here', n: 1, size: '1024x1024' }));
    assert.equal(failure.code, 'ProviderUnavailable');
    assert.ok(Date.now() - started >= 4_900);
  });

  it("lets the openai client retry a 429 after the server's Retry-After", async () => {
    const patient = createImageProvider(
      { kind: 'azure-openai', endpoint: service.url, deployment: 'gpt-image-1', apiVersion: '2025-04-01-preview', apiKey: 'k' },
      getModelProfile('gpt-image-1'),
      { timeoutInSeconds: 5, maxRetries: 2 },
    );
    service.addRule({ match: 'busy-once', fault: { kind: 'rateLimit', retryAfterMs: 200 }, times: 1 });
    const images = await patient.generate({ prompt: 'busy-once', n: 1, size: '1024x1024' });
    assert.equal(images.length, 1);
    const calls = service.calls().filter((call) => call.prompt === 'busy-once');
    assert.deepEqual(calls.map((call) => call.status), [429, 200]);
  });

  it('refuses calls without credentials, as Azure does', async () => {
    const response = await fetch(`${service.url}/openai/deployments/gpt-image-1/images/generations?api-version=2025-04-01-preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a cat' }),
    });
    assert.equal(response.status, 401);
  });

  it('reads retry delays as the openai client does', () => {
    assert.equal(requestedRetryDelayInMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' })), 250);
    assert.equal(requestedRetryDelayInMs(new Headers({ 'retry-after': '3' })), 3000);
    const date = requestedRetryDelayInMs(new Headers({ 'retry-after': new Date(Date.now() + 10_000).toUTCString() }));
    assert.ok(date !== undefined && date > 8_000 && date <= 10_000);
    assert.equal(requestedRetryDelayInMs(new Headers()), undefined);
  });
});
