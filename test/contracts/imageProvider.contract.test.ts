import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { startImageService, type FaultRule, type ImageService } from '../../local/imageService/imageService';
import { hashApiKey } from '../../shared/config/tenants';
import { loadConfig } from '../../shared/config/config';
import { createImageProvider, type ImageProvider } from '../../shared/provider/imageProvider';
import { clouds, maxPartialImages, modelCatalogue, formatsFor, type Cloud, type ModelEntry } from '../../shared/models/modelCatalogue';
import { lifecycleVerdict } from '../../shared/models/modelLifecycle';
import { Contract, findContract, missingContract, type ValidationProblem } from './contracts';
import { multipartFields, serverSentEvents, startRecordingProxy, type Exchange, type RecordingProxy } from './recordingProxy';

/**
 * What our image provider sends is what each cloud's published contract accepts, and what the local image
 * service answers is what the cloud's contract says it answers (docs/contracts.md). The real provider code
 * (shared/provider/imageProvider.ts, through the `openai` client) calls the stand-in through a recording proxy;
 * every request body is checked against the spec's request schema with objects closed (a property the spec
 * does not name is an error), and every answer, stream event and error against the spec's response schemas.
 *
 * What the spec lacks but we send on purpose is the catalogue's `requestContract[cloud].beyondSpec`, each
 * with its evidence: only those parameters, on those operations, may differ from the spec.
 */

const specFiles: Readonly<Record<Cloud, string>> = { 'azure-openai': 'azure-openai-inference.json', openai: 'openai.json' };
const routes: Readonly<Record<Cloud, Readonly<Record<'generations' | 'edits', string>>>> = {
  'azure-openai': { generations: '/deployments/{deployment-id}/images/generations', edits: '/deployments/{deployment-id}/images/edits' },
  openai: { generations: '/images/generations', edits: '/images/edits' },
};
/** The API version our settings default to (AZURE_OPENAI_API_VERSION): the one whose spec is vendored. */
function defaultApiVersion(): string {
  const config = loadConfig({
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    AZURE_OPENAI_ENDPOINT: 'http://127.0.0.1:8089',
    AZURE_OPENAI_DEPLOYMENT: 'gpt-image-2',
    TENANTS: JSON.stringify([{ id: 'school-a', apiKeyHashes: [hashApiKey('key-a')] }]),
    STATUS_TOKEN_SECRETS: 'a-status-token-secret-of-32-characters+',
  });
  return config.imageProvider.kind === 'azure-openai' ? config.imageProvider.apiVersion : '';
}

function operationOf(exchange: Exchange): 'generations' | 'edits' {
  return exchange.path.endsWith('/edits') ? 'edits' : 'generations';
}

/** Problems not covered by the catalogue's documented evidence for this model, cloud and operation. */
function undocumented(problems: readonly ValidationProblem[], model: ModelEntry, cloud: Cloud, operation: 'generations' | 'edits'): string[] {
  const allowed = new Set(model.requestContract[cloud].beyondSpec.filter((entry) => entry.operations.includes(operation)).map((entry) => entry.parameter));
  return problems
    .filter((problem) => !allowed.has(problem.unknownProperty ?? problem.at.split('/')[1] ?? ''))
    .map((problem) => problem.message);
}

async function testPictures(): Promise<{ image: Buffer; mask: Buffer }> {
  const image = await sharp({ create: { width: 1024, height: 1024, channels: 3, background: { r: 40, g: 120, b: 200 } } }).png().toBuffer();
  const mask = await sharp({ create: { width: 1024, height: 1024, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
  return { image, mask };
}

for (const cloud of clouds) {
  const specFile = findContract(specFiles[cloud]);
  const eventsFile = findContract(specFiles.openai);
  describe(`image calls and the image stand-in against the ${cloud} contract`, { skip: specFile ? false : missingContract(specFiles[cloud]) }, () => {
    let service: ImageService;
    let proxy: RecordingProxy;
    let contract: Contract;
    /** Stream events: OpenAI's spec defines them; Azure's at our api-version is silent, so OpenAI's are the reference. */
    let events: Contract | undefined;

    before(async () => {
      contract = Contract.read(specFile ?? '');
      events = eventsFile ? Contract.read(eventsFile) : undefined;
      service = await startImageService({ defaultModel: 'gpt-image-2' });
      proxy = await startRecordingProxy(service.url);
    });
    after(async () => {
      await proxy?.close();
      await service?.close();
    });

    function providerFor(model: ModelEntry): ImageProvider {
      const options = { timeoutInSeconds: 30, maxRetries: 0 };
      return cloud === 'azure-openai'
        ? createImageProvider({ kind: 'azure-openai', endpoint: proxy.url, deployment: model.name, apiVersion: defaultApiVersion(), apiKey: 'k' }, model, options)
        : createImageProvider({ kind: 'openai', apiKey: 'k', baseUrl: `${proxy.url}/v1` }, model, options);
    }

    function requestBody(exchange: Exchange): Promise<unknown> {
      return operationOf(exchange) === 'edits' ? multipartFields(exchange) : Promise.resolve(JSON.parse(exchange.requestBody.toString('utf8')) as unknown);
    }

    function checkAnswer(exchange: Exchange, model?: ModelEntry): string[] {
      const route = routes[cloud][operationOf(exchange)];
      const type = exchange.responseHeaders.get('content-type') ?? '';
      // OpenAI's spec enumerates only gpt-image-1's sizes where answers echo `size`; its request schema takes
      // gpt-image-2's any WIDTHxHEIGHT (docs/contracts.md): an echoed rule-based size is not a finding.
      const echoedSize = (problem: ValidationProblem) => model?.sizes.kind === 'rule' && problem.at === '/size';
      if (type.startsWith('text/event-stream')) {
        const problems: string[] = [];
        for (const { event, data } of serverSentEvents(exchange.responseBody)) {
          if (event === 'error') {
            // Neither spec defines a stream's error event; the client reads it as the cloud's error body.
            const { type: _type, ...body } = data as Record<string, unknown>;
            problems.push(...contract.validator(contract.responseSchema(route, 400), { closed: true })(body).map((p) => `${event}: ${p.message}`));
            continue;
          }
          if (!events) continue;
          const schema = events.responseSchema(routes.openai[operationOf(exchange)], 200, 'text/event-stream');
          problems.push(...events.validator(schema, { closed: true })(data).filter((p) => !echoedSize(p)).map((p) => `${event}: ${p.message}`));
        }
        return problems;
      }
      const schema = contract.responseSchema(route, exchange.status);
      assert.notEqual(schema, null, `${cloud} ${route} has a schema for ${exchange.status}`);
      return contract
        .validator(schema, { closed: true })(JSON.parse(exchange.responseBody.toString('utf8')))
        .filter((p) => !echoedSize(p))
        .map((p) => `${exchange.status}: ${p.message}`);
    }

    it('is the spec of the API version our settings call', () => {
      if (cloud === 'azure-openai') assert.equal(contract.sourcePath.split('/').at(-2), defaultApiVersion());
    });

    const live = modelCatalogue.filter((model) => lifecycleVerdict(model, cloud, new Date()).state !== 'retired');
    it('has models to check in this cloud', () => assert.ok(live.length > 0));

    for (const model of live) {
      it(`${model.name}: generation, edit with a mask and streamed calls send only what the contract names (or the catalogue documents), and get answers of its shapes`, async () => {
        proxy.clear();
        const provider = providerFor(model);
        const format = formatsFor(model, cloud).includes('jpeg') ? 'jpeg' : 'png';
        const common = {
          prompt: 'A lighthouse on a cliff at dawn, watercolour',
          quality: model.qualities[0] ?? 'low',
          outputFormat: format,
          ...(format === 'jpeg' && model.parameters.outputCompression ? { outputCompression: 80 } : {}),
          safetyIdentifier: 'edu4all-0123456789abcdef0123456789abcdef',
        } as const;
        await provider.generate({ ...common, n: Math.min(2, model.maxImagesPerCall), size: model.shapes['16:9'] });
        const partialImages = maxPartialImages(model, cloud);
        if (partialImages > 0) await provider.generate({ ...common, n: 1, size: model.shapes['1:1'], partialImages: 2, onPartialImage: async () => {} });
        if (model.parameters.edits) {
          const { image, mask } = await testPictures();
          const edit = { ...common, n: 1, size: '1024x1024', images: [{ bytes: image, format: 'png' as const }], mask };
          await provider.edit(edit);
          if (partialImages > 0) await provider.edit({ ...edit, partialImages: 2, onPartialImage: async () => {} });
        }

        const findings: string[] = [];
        for (const exchange of proxy.exchanges()) {
          const operation = operationOf(exchange);
          const body = await requestBody(exchange);
          const problems = contract.validator(contract.requestSchema(routes[cloud][operation]), { closed: true })(body);
          findings.push(...undocumented(problems, model, cloud, operation).map((message) => `request ${operation}: ${message}`));
          findings.push(...checkAnswer(exchange, model).map((message) => `answer ${operation}: ${message}`));
          // What the catalogue says is not sent, is not sent; the end-user id goes in the documented field.
          const fields = body as Record<string, unknown>;
          const endUser = model.requestContract[cloud].endUserField;
          for (const omitted of [...model.requestContract[cloud].omitted, ...['user', 'safety_identifier'].filter((field) => field !== endUser)]) {
            if (fields[omitted] !== undefined) findings.push(`request ${operation}: sends ${omitted}, which the catalogue says is not sent to ${cloud}`);
          }
          if (endUser && fields[endUser] !== common.safetyIdentifier) findings.push(`request ${operation}: the end-user id is not in ${endUser}`);
        }
        assert.ok(proxy.exchanges().length >= 1);
        assert.deepEqual(findings, []);
      });
    }

    it('answers rate limits, server errors, refused credentials and content-filter blocks in the contract\'s error shape', async () => {
      const model = live[0];
      assert.ok(model);
      const provider = providerFor(model);
      const faults: { rule: FaultRule; status: number; partialImages?: number }[] = [
        { rule: { match: 'fault-429', fault: { kind: 'rateLimit', retryAfterSeconds: 7 } }, status: 429 },
        { rule: { match: 'fault-500', fault: { kind: 'serverError' } }, status: 500 },
        { rule: { match: 'fault-503', fault: { kind: 'serverError', status: 503 } }, status: 503 },
        { rule: { match: 'fault-401', fault: { kind: 'unauthorized' } }, status: 401 },
        { rule: { match: 'fault-prompt', fault: { kind: 'contentFilter', category: 'violence', stage: 'prompt' } }, status: 400 },
        { rule: { match: 'fault-output', fault: { kind: 'contentFilter', category: 'sexual', stage: 'output' } }, status: 400 },
        ...(maxPartialImages(model, cloud) > 0
          ? [{ rule: { match: 'fault-streamed-output', fault: { kind: 'contentFilter', category: 'hate', stage: 'output' } } satisfies FaultRule, status: 200, partialImages: 1 }]
          : []),
      ];
      const findings: string[] = [];
      for (const { rule, status, partialImages } of faults) {
        service.addRule({ ...rule, times: 1 });
        proxy.clear();
        await assert.rejects(provider.generate({ prompt: `a kite ${rule.match}`, n: 1, size: model.shapes['1:1'], outputFormat: 'png', ...(partialImages ? { partialImages } : {}) }));
        const [exchange] = proxy.exchanges();
        assert.ok(exchange, rule.match);
        assert.equal(exchange.status, status, rule.match);
        if (status === 429) assert.equal(exchange.responseHeaders.get('retry-after'), '7');
        findings.push(...checkAnswer(exchange).map((message) => `${rule.match}: ${message}`));
      }
      // A call without credentials, straight to the route: the stand-in's own 401.
      const url = cloud === 'azure-openai' ? `${proxy.url}/openai/deployments/${model.name}/images/generations?api-version=2025-04-01-preview` : `${proxy.url}/v1/images/generations`;
      proxy.clear();
      await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'a kite', model: model.name }) });
      const [noKey] = proxy.exchanges();
      assert.equal(noKey?.status, 401);
      if (noKey) findings.push(...checkAnswer(noKey).map((message) => `no credentials: ${message}`));
      assert.deepEqual(findings, []);
    });
  });
}
