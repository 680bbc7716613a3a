import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startContentSafetyService, type ContentSafetyRule, type ContentSafetyService } from '../../local/contentSafety/contentSafetyService';
import { defaultSafety } from '../../shared/config/tenants';
import { contentSafetyApiVersion, createContentSafety, type ContentSafety } from '../../shared/safety/contentSafety';
import { Contract, findContract, missingContract } from './contracts';
import { startRecordingProxy, type Exchange, type RecordingProxy } from './recordingProxy';

/**
 * Our Content Safety calls (shared/safety/contentSafety.ts through @azure-rest/ai-content-safety) and the
 * local stand-in's answers against the service's REST spec 2024-09-01 (docs/contracts.md): request bodies
 * with objects closed, answers and errors against the operation's 200 and default (error) schemas. The output
 * picture check (image:analyze) is not in this branch; its schema is in the extract for when it is.
 */

const specName = 'content-safety.json';
const specFile = findContract(specName);

describe('Content Safety calls and the stand-in against the 2024-09-01 contract', { skip: specFile ? false : missingContract(specName) }, () => {
  let service: ContentSafetyService;
  let proxy: RecordingProxy;
  let contract: Contract;
  let classifier: ContentSafety;

  before(async () => {
    contract = Contract.read(specFile ?? '');
    service = await startContentSafetyService();
    proxy = await startRecordingProxy(service.url);
    classifier = createContentSafety({ endpoint: proxy.url, apiKey: 'k', timeoutInMs: 10_000 });
  });
  after(async () => {
    await proxy?.close();
    await service?.close();
  });

  const route = (exchange: Exchange) => exchange.path.replace(/^\/contentsafety/, '');

  function findings(exchange: Exchange): string[] {
    const operation = route(exchange);
    const problems: string[] = [];
    if (exchange.requestBody.length > 0) {
      const body: unknown = JSON.parse(exchange.requestBody.toString('utf8'));
      problems.push(...contract.validator(contract.requestSchema(operation), { closed: true })(body).map((p) => `request ${operation}: ${p.message}`));
    }
    const answer: unknown = JSON.parse(exchange.responseBody.toString('utf8'));
    const schema = contract.responseSchema(operation, exchange.status);
    problems.push(...contract.validator(schema, { closed: true })(answer).map((p) => `answer ${operation} ${exchange.status}: ${p.message}`));
    // The spec's error answers carry the code in a header too.
    if (exchange.status >= 400 && !exchange.responseHeaders.get('x-ms-error-code')) problems.push(`answer ${operation} ${exchange.status}: no x-ms-error-code header`);
    return problems;
  }

  it('calls the API version of the vendored spec', () => {
    assert.equal(contract.sourcePath.split('/').at(-2), contentSafetyApiVersion);
  });

  it('sends text:analyze and text:shieldPrompt bodies the spec names, and gets answers of its shapes', async () => {
    proxy.clear();
    await classifier.check('A friendly dragon reading a book in a library', { ...defaultSafety, promptShield: true });
    // Over 10,000 characters: checked in parts, each within the spec's maxLength.
    await classifier.check('A long story about a garden. '.repeat(400), { ...defaultSafety, promptShield: true });
    const operations = new Set(proxy.exchanges().map(route));
    assert.deepEqual([...operations].sort(), ['/text:analyze', '/text:shieldPrompt']);
    assert.ok(proxy.exchanges().every((exchange) => exchange.query.get('api-version') === contentSafetyApiVersion));
    assert.deepEqual(proxy.exchanges().flatMap(findings), []);
  });

  it('answers rate limits, server errors, refused credentials and bad requests in the spec\'s error shape', async () => {
    const faults: { rule: ContentSafetyRule; status: number }[] = [
      { rule: { match: 'fault-429', fault: { kind: 'rateLimit', retryAfterSeconds: 3 } }, status: 429 },
      { rule: { match: 'fault-500', fault: { kind: 'serverError' } }, status: 500 },
      { rule: { match: 'fault-503', fault: { kind: 'serverError', status: 503 } }, status: 503 },
      { rule: { match: 'fault-401', fault: { kind: 'unauthorized' } }, status: 401 },
    ];
    const problems: string[] = [];
    for (const { rule, status } of faults) {
      service.addRule({ ...rule, operation: 'analyze', times: 1 });
      proxy.clear();
      await assert.rejects(classifier.check(`a kite ${rule.match}`, { ...defaultSafety, promptShield: false }));
      const exchange = proxy.exchanges().find((e) => e.status === status);
      assert.ok(exchange, `${rule.match} answered ${status}`);
      if (status === 429) assert.equal(exchange.responseHeaders.get('retry-after'), '3');
      problems.push(...findings(exchange));
    }
    const url = `${proxy.url}/contentsafety/text:analyze?api-version=${contentSafetyApiVersion}`;
    proxy.clear();
    await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'a kite' }) });
    await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'Ocp-Apim-Subscription-Key': 'k' }, body: JSON.stringify({ text: 'x'.repeat(10_001) }) });
    assert.deepEqual(proxy.exchanges().map((e) => e.status), [401, 400]);
    // The bodies we sent here are not ours to check (one is too long on purpose): only the answers.
    for (const exchange of proxy.exchanges()) {
      const schema = contract.responseSchema('/text:analyze', exchange.status);
      problems.push(...contract.validator(schema, { closed: true })(JSON.parse(exchange.responseBody.toString('utf8'))).map((p) => `answer ${exchange.status}: ${p.message}`));
    }
    assert.deepEqual(problems, []);
  });
});
