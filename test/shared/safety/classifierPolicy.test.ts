import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultSafety, parseTenants, safetyOf } from '../../../shared/config/tenants';
import { decideClassifierFault, judgeClassifierAnswers } from '../../../shared/safety/classifierPolicy';

const analysis = (hate: number, selfHarm: number, sexual: number, violence: number) => [
  { category: 'Hate', severity: hate },
  { category: 'SelfHarm', severity: selfHarm },
  { category: 'Sexual', severity: sexual },
  { category: 'Violence', severity: violence },
];

describe('classifier thresholds', () => {
  it('are school-strict by default: everything from "low" (2) is refused, and Prompt Shields is on', () => {
    assert.deepEqual(defaultSafety, { thresholds: { hate: 2, sexual: 2, violence: 2, selfHarm: 2 }, promptShield: true });
    assert.deepEqual(safetyOf({}), defaultSafety);
    assert.deepEqual(judgeClassifierAnswers({ categoriesAnalysis: analysis(0, 0, 0, 0), attackDetected: false }, defaultSafety), { refused: false, categories: [] });
    assert.deepEqual(judgeClassifierAnswers({ categoriesAnalysis: analysis(0, 0, 0, 2) }, defaultSafety), { refused: true, categories: ['violence'] });
    assert.deepEqual(judgeClassifierAnswers({ categoriesAnalysis: analysis(4, 6, 0, 0) }, defaultSafety).categories, ['hate', 'selfHarm']);
  });

  it('refuse at or above a school\'s own threshold, per category', () => {
    const history = { thresholds: { ...defaultSafety.thresholds, violence: 4 as const }, promptShield: true };
    assert.equal(judgeClassifierAnswers({ categoriesAnalysis: analysis(0, 0, 0, 2) }, history).refused, false);
    assert.deepEqual(judgeClassifierAnswers({ categoriesAnalysis: analysis(0, 0, 0, 4) }, history).categories, ['violence']);
    const off = { thresholds: { ...defaultSafety.thresholds, sexual: 8 as const }, promptShield: true };
    assert.equal(judgeClassifierAnswers({ categoriesAnalysis: analysis(0, 0, 6, 0) }, off).refused, false);
  });

  it('refuse a prompt attack only while Prompt Shields is on', () => {
    assert.deepEqual(judgeClassifierAnswers({ categoriesAnalysis: analysis(0, 0, 0, 0), attackDetected: true }, defaultSafety), { refused: true, categories: ['promptAttack'] });
    assert.equal(judgeClassifierAnswers({ categoriesAnalysis: analysis(0, 0, 0, 0), attackDetected: true }, { ...defaultSafety, promptShield: false }).refused, false);
  });

  it('name each category once however many parts a long prompt was checked in, and ignore categories they do not know', () => {
    const verdict = judgeClassifierAnswers({ categoriesAnalysis: [...analysis(0, 0, 0, 4), ...analysis(0, 0, 0, 6), { category: 'Protected', severity: 6 }] }, defaultSafety);
    assert.deepEqual(verdict.categories, ['violence']);
  });

  it('are read from TENANTS, strictly: only 2, 4, 6 or 8, and no unknown keys', () => {
    const base = { id: 'school-a', apiKeyHashes: [`sha256:${'a'.repeat(64)}`] };
    const [tenant] = parseTenants(JSON.stringify([{ ...base, safety: { thresholds: { violence: 4 } } }]));
    assert.deepEqual(tenant?.safety, { thresholds: { hate: 2, sexual: 2, violence: 4, selfHarm: 2 }, promptShield: true });
    assert.throws(() => parseTenants(JSON.stringify([{ ...base, safety: { thresholds: { violence: 3 } } }])), /safety\.thresholds\.violence must be 2 \(low\), 4 \(medium\), 6 \(high\) or 8 \(off\)/);
    assert.throws(() => parseTenants(JSON.stringify([{ ...base, safety: { threshold: {} } }])), /TENANTS\[0\.safety\]/);
  });
});

describe('classifier fault policy', () => {
  it('fails closed on every fault, with a short Retry-After', () => {
    for (const fault of [{ kind: 'timeout' }, { kind: 'network' }, { kind: 'malformed' }, { kind: 'status', status: 500 }, { kind: 'status', status: 503 }] as const) {
      const decision = decideClassifierFault(fault);
      assert.equal(decision.proceed, false);
      assert.equal(decision.retryAfterInSeconds, 5);
      assert.equal(decision.misconfigured, false);
    }
  });

  it('passes on the service\'s Retry-After for a 429, at least 1 s and at most 30 s', () => {
    assert.equal(decideClassifierFault({ kind: 'status', status: 429, retryAfterInSeconds: 3 }).retryAfterInSeconds, 3);
    assert.equal(decideClassifierFault({ kind: 'status', status: 429, retryAfterInSeconds: 0.2 }).retryAfterInSeconds, 1);
    assert.equal(decideClassifierFault({ kind: 'status', status: 429, retryAfterInSeconds: 600 }).retryAfterInSeconds, 30);
    assert.equal(decideClassifierFault({ kind: 'status', status: 429 }).retryAfterInSeconds, 1);
  });

  it('calls a refused credential or a wrong endpoint a misconfiguration, naming the setting and the role', () => {
    for (const status of [401, 403, 404]) {
      const decision = decideClassifierFault({ kind: 'status', status });
      assert.equal(decision.misconfigured, true);
      assert.match(decision.reason, /CONTENT_SAFETY_ENDPOINT.*Cognitive Services User/);
    }
  });
});
