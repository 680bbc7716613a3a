import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadEntryPoints } from '../../../local/host/entryPoints';
import { installFunctionsCore } from '../../../local/host/functionsCore';
import { createHttpRoute } from '../../../local/host/httpTrigger';
import { triggerBindingOf } from '../../../local/host/triggerBinding';
import { hostSettings, projectDir } from '../../../local/harness/stack';
import { jobResourceSchema } from '../../../shared/views/jobView';

/**
 * The OpenAPI document is valid OpenAPI 3.1 (checked by a real validator), and its paths and methods are
 * exactly the routes the local host serves: the same registrations Azure gets, loaded from dist/functions.
 */

const env = hostSettings();

/** The catch-all CORS preflight route answers OPTIONS on every path; the document says so in words. */
const preflightRoute = '{*path}';

function servedRoutes(): Map<string, Set<string>> {
  Object.assign(process.env, env);
  const registry = installFunctionsCore(() => undefined);
  loadEntryPoints(projectDir);
  const routes = new Map<string, Set<string>>();
  for (const fn of registry.functions.values()) {
    const trigger = triggerBindingOf(fn, env);
    if (String(trigger.binding.type).toLowerCase() !== 'httptrigger') continue;
    const route = createHttpRoute(fn, trigger, 'api');
    if (route.template === preflightRoute) continue;
    const path = `/${route.template}`;
    const methods = routes.get(path) ?? new Set<string>();
    for (const method of route.methods ?? []) methods.add(method.toLowerCase());
    routes.set(path, methods);
  }
  return routes;
}

describe('GET /api/openapi.json', () => {
  let routes = new Map<string, Set<string>>();
  let document: Record<string, unknown> = {};
  before(async () => {
    routes = servedRoutes();
    // Imported after the entry points, so these are the module instances the functions registered with.
    const { openApiDocumentFor } = await import('../../../functions/getOpenApi.js');
    const { getServices } = await import('../../../functions/lib/services.js');
    document = openApiDocumentFor(getServices());
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    // An ES module: imported dynamically from this CommonJS test.
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const result = await new Validator().validate(document);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.equal(document['openapi'], '3.1.0');
  });

  it('has exactly the routes and methods the host serves', () => {
    const paths = document['paths'] as Record<string, Record<string, unknown>>;
    const documented = new Map(Object.entries(paths).map(([path, item]) => [path, new Set(Object.keys(item).filter((key) => key !== 'parameters'))]));
    assert.deepEqual(
      [...documented].map(([path, methods]) => [path, [...methods].sort()]).sort(),
      [...routes].map(([path, methods]) => [path, [...methods].sort()]).sort(),
    );
  });

  it('documents the headers, the error codes and the webhook events', () => {
    const text = JSON.stringify(document);
    for (const header of ['"api-key"', '"Idempotency-Key"', '"Operation-Location"', '"Retry-After"', '"webhook-signature"']) assert.ok(text.includes(header), header);
    for (const code of ['UnknownField', 'PromptBlocked', 'QuotaExceeded', 'IdempotencyKeyReused', 'NotCancelable', 'NotFound', 'StatusUrlExpired']) assert.ok(text.includes(code), code);
    // Every event a receiver can get, so a generated client knows safety.refused too.
    const webhooks = document['webhooks'] as Record<string, { post: { requestBody: { content: { 'application/json': { schema: { $ref: string } } } } } }>;
    assert.deepEqual(Object.keys(webhooks), ['job.succeeded', 'job.failed', 'job.canceled', 'safety.refused', 'safety.urgent']);
    assert.equal(webhooks['safety.refused']?.post.requestBody.content['application/json'].schema.$ref, '#/components/schemas/SafetyWebhookEvent');
    assert.equal(webhooks['safety.urgent']?.post.requestBody.content['application/json'].schema.$ref, '#/components/schemas/SafetyUrgentWebhookEvent');
    const paths = document['paths'] as Record<string, { get?: { parameters?: Array<{ name: string; schema: unknown }> } }>;
    const urgent = paths['/safety-events']?.get?.parameters?.find((parameter) => parameter.name === 'urgent');
    assert.deepEqual(urgent?.schema, { type: 'string', const: 'true' }, 'the urgent filter takes only true');
  });

  it('describes the request from the parser that checks it, and the job from its schema', () => {
    const schemas = (document['components'] as { schemas: Record<string, { properties?: Record<string, unknown>; additionalProperties?: unknown }> }).schemas;
    const request = schemas['JobRequest'];
    assert.ok(request?.properties);
    assert.deepEqual(Object.keys(request.properties).sort(), ['aspectRatio', 'callbackUrl', 'image', 'images', 'kind', 'mask', 'metadata', 'n', 'orientation', 'outputCompression', 'outputFormat', 'prompt', 'quality', 'size', 'style', 'user']);
    assert.equal(request.additionalProperties, false, 'unknown fields are refused, and the document says so');
    assert.deepEqual(Object.keys(schemas['Job']?.properties ?? {}).sort(), Object.keys(jobResourceSchema.shape).sort());
  });

  it('has examples that the answer schemas accept', () => {
    const paths = document['paths'] as Record<string, Record<string, { responses: Record<string, { content?: { 'application/json'?: { example?: unknown } } }> }>>;
    const example = paths['/jobs/{id}']?.['get']?.responses['200']?.content?.['application/json']?.example;
    assert.ok(jobResourceSchema.safeParse(example).success);
  });
});
