import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig, localDevelopmentStatusSecret } from '../../../shared/config/config';
import { ConfigurationError } from '../../../shared/errors';
import { defaultQuotas, hashApiKey, localDevelopmentKey } from '../../../shared/config/tenants';

const secret = 'a-status-token-secret-of-32-characters+';
const tenants = JSON.stringify([{ id: 'school-a', apiKeyHashes: [hashApiKey('key-a')], quotas: { imagesPerDay: 100 } }]);
const access = { TENANTS: tenants, STATUS_TOKEN_SECRETS: secret };
const azureLocal = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  AZURE_OPENAI_ENDPOINT: 'http://127.0.0.1:8089',
  AZURE_OPENAI_DEPLOYMENT: 'gpt-image-2',
  ...access,
};

describe('configuration', () => {
  it('reads the local defaults', () => {
    const config = loadConfig(azureLocal);
    assert.deepEqual(config.storage, { kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true' });
    assert.equal(config.imageProvider.kind, 'azure-openai');
    assert.equal(config.model, 'gpt-image-2');
    assert.equal(config.sasExpiryInMinutes, 60);
    assert.equal(config.maxImagesPerJob, 4);
    assert.deepEqual(config.imageDeployments, [{ name: 'gpt-image-2', endpoint: 'http://127.0.0.1:8089', deployment: 'gpt-image-2', requestsPerMinute: 6, priority: 1 }]);
    assert.equal(config.jobRetryDeadlineInSeconds, 900);
    assert.equal(config.partialImages, 2);
    assert.equal(config.maxEditInputBytes, 48 * 1024 * 1024);
  });

  it('reads PARTIAL_IMAGES from 0 (no streaming) to 3', () => {
    assert.equal(loadConfig({ ...azureLocal, PARTIAL_IMAGES: '0' }).partialImages, 0);
    assert.equal(loadConfig({ ...azureLocal, PARTIAL_IMAGES: '3' }).partialImages, 3);
  });

  it('reads tenants with their quotas, defaults filled in', () => {
    const [tenant] = loadConfig(azureLocal).tenants;
    assert.deepEqual(tenant, { id: 'school-a', apiKeyHashes: [hashApiKey('key-a')], quotas: { ...defaultQuotas, imagesPerDay: 100 } });
  });

  it('refuses a school\'s webhook.url at an IP address webhooks may not target, naming the rule (the metadata service even locally)', () => {
    const withWebhook = (url: string) =>
      JSON.stringify([{ id: 'school-a', apiKeyHashes: [hashApiKey('key-a')], webhook: { url, secrets: [`whsec_${Buffer.from('a-webhook-secret-for-the-config-test').toString('base64')}`] } }]);
    assert.throws(() => loadConfig({ ...azureLocal, TENANTS: withWebhook('https://[64:ff9b:1::7f00:1]/hook') }), /webhook\.url of tenant school-a: 64:ff9b:1::7f00:1 is in 64:ff9b:1::\/48/);
    assert.throws(() => loadConfig({ ...azureLocal, TENANTS: withWebhook('https://10.1.2.3/hook') }), /10\.0\.0\.0\/8 \(private use/);
    assert.throws(() => loadConfig({ ...azureLocal, WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true', TENANTS: withWebhook('http://169.254.169.254/latest') }), /metadata service/);
    assert.equal(loadConfig({ ...azureLocal, WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true', TENANTS: withWebhook('http://127.0.0.1:8090/hook') }).tenants.length, 1);
    assert.equal(loadConfig({ ...azureLocal, TENANTS: withWebhook('https://lms.school-a.example/hook') }).tenants.length, 1, 'a name is resolved when delivering');
  });

  it('accepts the local development key and secret outside Azure', () => {
    const config = loadConfig({
      ...azureLocal,
      TENANTS: JSON.stringify([{ id: 'demo', apiKeyHashes: [hashApiKey(localDevelopmentKey)] }]),
      STATUS_TOKEN_SECRETS: `${secret},${localDevelopmentStatusSecret}`,
    });
    assert.deepEqual(config.statusTokenSecrets, [secret, localDevelopmentStatusSecret]);
  });

  it('is keyless for Azure OpenAI unless a key is set', () => {
    const keyless = loadConfig(azureLocal).imageProvider;
    assert.equal(keyless.kind === 'azure-openai' && keyless.apiKey, undefined);
    const keyed = loadConfig({ ...azureLocal, AZURE_OPENAI_API_KEY: 'k' }).imageProvider;
    assert.equal(keyed.kind === 'azure-openai' && keyed.apiKey, 'k');
  });

  it('accepts identity-based storage settings', () => {
    const config = loadConfig({
      ...azureLocal,
      AzureWebJobsStorage: undefined,
      AzureWebJobsStorage__accountName: 'edu4allstorage',
      AzureWebJobsStorage__clientId: 'client-id',
    });
    assert.deepEqual(config.storage, {
      kind: 'identity',
      blobServiceUri: 'https://edu4allstorage.blob.core.windows.net',
      queueServiceUri: 'https://edu4allstorage.queue.core.windows.net',
      tableServiceUri: 'https://edu4allstorage.table.core.windows.net',
      clientId: 'client-id',
    });
  });

  it('accepts OpenAI or an OpenAI-compatible server', () => {
    const config = loadConfig({ ...access, AzureWebJobsStorage: 'UseDevelopmentStorage=true', IMAGE_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: 'http://127.0.0.1:9000/v1' });
    assert.deepEqual(config.imageProvider, { kind: 'openai', apiKey: 'sk-test', baseUrl: 'http://127.0.0.1:9000/v1' });
  });

  const wrong: Array<[string, Record<string, string | undefined>, RegExp]> = [
    ['no storage', { ...azureLocal, AzureWebJobsStorage: undefined }, /AzureWebJobsStorage/],
    ['no endpoint', { ...azureLocal, AZURE_OPENAI_ENDPOINT: undefined }, /AZURE_OPENAI_ENDPOINT is required/],
    ['no deployment', { ...azureLocal, AZURE_OPENAI_DEPLOYMENT: '' }, /AZURE_OPENAI_DEPLOYMENT is required/],
    ['endpoint not a URL', { ...azureLocal, AZURE_OPENAI_ENDPOINT: 'my-resource' }, /AZURE_OPENAI_ENDPOINT must be an http\(s\) URL/],
    ['unknown model', { ...azureLocal, IMAGE_MODEL: 'dall-e-2' }, /IMAGE_MODEL must be one of gpt-image-2, gpt-image-1.5, gpt-image-1-mini, gpt-image-1, dall-e-3/],
    ['unknown provider', { ...azureLocal, IMAGE_PROVIDER: 'midjourney' }, /IMAGE_PROVIDER must be azure-openai or openai/],
    ['openai without key', { ...access, AzureWebJobsStorage: 'x', IMAGE_PROVIDER: 'openai' }, /OPENAI_API_KEY is required/],
    ['no tenants', { ...azureLocal, TENANTS: undefined }, /TENANTS is required/],
    ['tenants not JSON', { ...azureLocal, TENANTS: 'school-a:key' }, /TENANTS must be a JSON array/],
    ['a plain key instead of a hash', { ...azureLocal, TENANTS: JSON.stringify([{ id: 'a', apiKeyHashes: ['key-a'] }]) }, /TENANTS\[0.apiKeyHashes.0\]: an API key hash looks like sha256:/],
    ['three keys at once', { ...azureLocal, TENANTS: JSON.stringify([{ id: 'a', apiKeyHashes: ['k1', 'k2', 'k3'].map(hashApiKey) }]) }, /at most two API keys/],
    ['a key shared by two tenants', { ...azureLocal, TENANTS: JSON.stringify(['a', 'b'].map((id) => ({ id, apiKeyHashes: [hashApiKey('same')] }))) }, /belongs to two tenants/],
    ['no status secret', { ...azureLocal, STATUS_TOKEN_SECRETS: undefined }, /STATUS_TOKEN_SECRETS is required/],
    ['a short status secret', { ...azureLocal, STATUS_TOKEN_SECRETS: 'short' }, /at least 32 characters/],
    ['a CORS origin with a path', { ...azureLocal, CORS_ALLOWED_ORIGINS: 'https://lms.example.org/app' }, /CORS_ALLOWED_ORIGINS/],
    [
      'the local development key in Azure',
      { ...azureLocal, WEBSITE_SITE_NAME: 'func-api', TENANTS: JSON.stringify([{ id: 'demo', apiKeyHashes: [hashApiKey(localDevelopmentKey)] }]) },
      /local development key 'local-dev-key', which must never be used in Azure/,
    ],
    ['the local status secret in Azure', { ...azureLocal, WEBSITE_SITE_NAME: 'func-api', STATUS_TOKEN_SECRETS: localDevelopmentStatusSecret }, /local development secret/],
    ['SAS expiry out of range', { ...azureLocal, SAS_EXPIRY_MINUTES: '0' }, /SAS_EXPIRY_MINUTES must be a whole number from 1 to 1440/],
    ['SAS expiry not a number', { ...azureLocal, SAS_EXPIRY_MINUTES: 'an hour' }, /SAS_EXPIRY_MINUTES must be a whole number/],
    ['too many images', { ...azureLocal, MAX_IMAGES_PER_JOB: '11' }, /MAX_IMAGES_PER_JOB must be a whole number from 1 to 10/],
    ['an edit input cap above 16 uploads of 20 MiB', { ...azureLocal, MAX_EDIT_INPUT_MIB: '321' }, /MAX_EDIT_INPUT_MIB must be a whole number from 1 to 320/],
    ['more partial images than the provider sends', { ...azureLocal, PARTIAL_IMAGES: '4' }, /PARTIAL_IMAGES must be a whole number from 0 to 3/],
  ];
  for (const [name, env, message] of wrong) {
    it(`stops start-up on ${name}, naming the setting`, () => {
      assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigurationError && message.test(error.message));
    });
  }
});

describe('model lifecycle guard at start-up', () => {
  const onAzure = { ...azureLocal };
  const onOpenAi = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', IMAGE_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-test', ...access };

  it('refuses a retired model, naming the replacement', () => {
    for (const [model, env] of [['dall-e-3', onAzure], ['gpt-image-1', onAzure], ['gpt-image-1', onOpenAi]] as const) {
      assert.throws(
        () => loadConfig({ ...env, IMAGE_MODEL: model }, new Date('2026-11-25T12:00:00Z')),
        (error: unknown) => error instanceof ConfigurationError && error.message.includes(`${model} is retired`) && /Move to gpt-image-2/.test(error.message),
      );
    }
  });

  it('refuses a model on the day it retires in the configured cloud, and not the day before', () => {
    const env = { ...onOpenAi, IMAGE_MODEL: 'gpt-image-1-mini' };
    assert.equal(loadConfig(env, new Date('2026-11-30T23:59:00Z')).model, 'gpt-image-1-mini');
    assert.throws(() => loadConfig(env, new Date('2026-12-01T00:00:00Z')), /gpt-image-1-mini is retired in OpenAI since 2026-12-01/);
    // The same model lives longer in Azure.
    assert.equal(loadConfig({ ...onAzure, IMAGE_MODEL: 'gpt-image-1-mini' }, new Date('2026-12-01T00:00:00Z')).model, 'gpt-image-1-mini');
  });
});

describe('the content safety classifier settings', () => {
  const azure = { ...azureLocal, WEBSITE_SITE_NAME: 'func-api', TENANTS: tenants };

  it('leave the classifier off outside Azure when CONTENT_SAFETY_ENDPOINT is empty', () => {
    assert.equal(loadConfig(azureLocal).contentSafety, undefined);
  });

  it('read the endpoint, a local key and the timeout (2000 ms by default)', () => {
    assert.deepEqual(loadConfig({ ...azureLocal, CONTENT_SAFETY_ENDPOINT: 'http://127.0.0.1:8090', CONTENT_SAFETY_KEY: 'local' }).contentSafety, {
      endpoint: 'http://127.0.0.1:8090',
      apiKey: 'local',
      timeoutInMs: 2000,
    });
    assert.equal(loadConfig({ ...azureLocal, CONTENT_SAFETY_ENDPOINT: 'http://127.0.0.1:8090', CONTENT_SAFETY_TIMEOUT_MS: '500' }).contentSafety?.timeoutInMs, 500);
  });

  it('are keyless in Azure, with the managed identity the image provider uses', () => {
    const config = loadConfig({ ...azure, CONTENT_SAFETY_ENDPOINT: 'https://cs-x.cognitiveservices.azure.com/', AZURE_CLIENT_ID: 'client-1' });
    assert.deepEqual(config.contentSafety, { endpoint: 'https://cs-x.cognitiveservices.azure.com/', clientId: 'client-1', timeoutInMs: 2000 });
  });

  it('turn the output check on wherever the classifier is (10 s a picture by default), and off with OUTPUT_CHECK=off', () => {
    const endpoint = { CONTENT_SAFETY_ENDPOINT: 'http://127.0.0.1:8090' };
    assert.deepEqual(loadConfig({ ...azureLocal, ...endpoint }).outputCheck, { timeoutInMs: 10_000 });
    assert.deepEqual(loadConfig({ ...azureLocal, ...endpoint, OUTPUT_CHECK: 'on', OUTPUT_CHECK_TIMEOUT_MS: '1500' }).outputCheck, { timeoutInMs: 1500 });
    assert.equal(loadConfig({ ...azureLocal, ...endpoint, OUTPUT_CHECK: 'off' }).outputCheck, undefined);
    assert.equal(loadConfig({ ...azure, CONTENT_SAFETY_ENDPOINT: 'https://cs-x.cognitiveservices.azure.com/', OUTPUT_CHECK: 'off' }).outputCheck, undefined, 'a school may rely on the provider\'s filter alone, in Azure too');
    assert.equal(loadConfig(azureLocal).outputCheck, undefined, 'no endpoint (local only): nothing to ask');
  });

  const wrong: Array<[string, Record<string, string | undefined>, RegExp]> = [
    ['no classifier in Azure', azure, /CONTENT_SAFETY_ENDPOINT is required in Azure/],
    ['a classifier key in Azure', { ...azure, CONTENT_SAFETY_ENDPOINT: 'https://cs-x.cognitiveservices.azure.com', CONTENT_SAFETY_KEY: 'k' }, /CONTENT_SAFETY_KEY is for the local stand-in only/],
    ['a classifier endpoint that is not a URL', { ...azureLocal, CONTENT_SAFETY_ENDPOINT: 'cs-x' }, /CONTENT_SAFETY_ENDPOINT must be an http\(s\) URL/],
    ['a classifier timeout out of range', { ...azureLocal, CONTENT_SAFETY_TIMEOUT_MS: '50' }, /CONTENT_SAFETY_TIMEOUT_MS must be a whole number from 100 to 30000/],
    ['an output check that is neither on nor off', { ...azureLocal, CONTENT_SAFETY_ENDPOINT: 'http://127.0.0.1:8090', OUTPUT_CHECK: 'yes' }, /OUTPUT_CHECK must be on or off/],
    ['an output check timeout out of range', { ...azureLocal, OUTPUT_CHECK_TIMEOUT_MS: '60001' }, /OUTPUT_CHECK_TIMEOUT_MS must be a whole number from 100 to 60000/],
  ];
  for (const [name, env, message] of wrong) {
    it(`stops start-up on ${name}, naming the setting`, () => {
      assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigurationError && message.test(error.message));
    });
  }
});
