import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  aspectRatios,
  catalogueSchema,
  defaultModelName,
  getModel,
  modelCatalogue,
  modelNames,
  nearestListedSize,
  parseCatalogue,
  sizeProblem,
} from '../../../shared/models/modelCatalogue';
import { lifecycleVerdict, warnWithinDays } from '../../../shared/models/modelLifecycle';
import { estimateCostUsd, estimateJobCostUsd } from '../../../shared/models/pricing';

const cataloguePath = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'resources', 'model-catalogue.json');

describe('model catalogue', () => {
  it('is valid against its schema, with gpt-image-2 the default', () => {
    const raw: unknown = JSON.parse(readFileSync(cataloguePath, 'utf8'));
    assert.ok(catalogueSchema.safeParse(raw).success);
    assert.deepEqual([...modelNames], ['gpt-image-2', 'gpt-image-1.5', 'gpt-image-1-mini', 'gpt-image-1', 'dall-e-3']);
    assert.equal(defaultModelName, 'gpt-image-2');
    assert.equal(getModel('gpt-image-2').azureModelVersion, '2026-04-21');
  });

  it('refuses a catalogue whose shape breaks its own size rule, or whose replacement is missing', () => {
    const raw = JSON.parse(readFileSync(cataloguePath, 'utf8')) as { models: Array<Record<string, unknown>> };
    const broken = structuredClone(raw);
    (broken.models[0] as { shapes: Record<string, string> }).shapes['16:9'] = '1500x844';
    assert.throws(() => parseCatalogue(broken), /gpt-image-2 shape 16:9 is 1500x844/);
    const orphan = structuredClone(raw);
    (orphan.models[1] as { replacement: string }).replacement = 'gpt-image-9';
    assert.throws(() => parseCatalogue(orphan), /replacement gpt-image-9 is not in the catalogue/);
    // Money budgets need a price before the call: a token-priced model without its output tokens cannot have one.
    const unpriced = structuredClone(raw);
    delete (unpriced.models[0] as { prices: Record<string, unknown> }).prices['outputTokensPer1024Square'];
    assert.throws(() => parseCatalogue(unpriced), /gpt-image-2 cannot be priced before a call at quality low/);
  });

  // One row per model: adding a model to the catalogue means adding its row here.
  const rows = [
    { name: 'gpt-image-2', perCall: 10, landscape: '1536x864', portrait: '864x1536', azureFormats: ['png', 'jpeg'], openAiFormats: ['png', 'jpeg', 'webp'], prompt: 32000 },
    { name: 'gpt-image-1.5', perCall: 10, landscape: '1536x1024', portrait: '1024x1536', azureFormats: ['png', 'jpeg'], openAiFormats: ['png', 'jpeg', 'webp'], prompt: 32000 },
    { name: 'gpt-image-1-mini', perCall: 10, landscape: '1536x1024', portrait: '1024x1536', azureFormats: ['png', 'jpeg'], openAiFormats: ['png', 'jpeg', 'webp'], prompt: 32000 },
    { name: 'gpt-image-1', perCall: 10, landscape: '1536x1024', portrait: '1024x1536', azureFormats: ['png', 'jpeg'], openAiFormats: ['png', 'jpeg', 'webp'], prompt: 32000 },
    { name: 'dall-e-3', perCall: 1, landscape: '1792x1024', portrait: '1024x1792', azureFormats: ['png'], openAiFormats: ['png'], prompt: 4000 },
  ];
  it('has a test row for every model', () => {
    assert.deepEqual(rows.map((row) => row.name), [...modelNames]);
  });
  for (const row of rows) {
    it(`describes ${row.name}`, () => {
      const model = getModel(row.name);
      assert.equal(model.maxImagesPerCall, row.perCall);
      assert.equal(model.shapes[model.orientations.landscape], row.landscape);
      assert.equal(model.shapes[model.orientations.portrait], row.portrait);
      assert.equal(model.shapes[model.orientations.square], '1024x1024');
      assert.deepEqual(model.outputFormats['azure-openai'], row.azureFormats);
      assert.deepEqual(model.outputFormats.openai, row.openAiFormats);
      assert.equal(model.maxPromptChars, row.prompt);
      assert.ok(model.prices.perImage ?? model.prices.perMillionTokens, 'has a price');
    });
  }

  it("maps every aspect ratio of a fixed-size model to the nearest size it has", () => {
    for (const model of modelCatalogue) {
      if (model.sizes.kind !== 'list') continue;
      for (const ratio of aspectRatios) assert.equal(model.shapes[ratio], nearestListedSize(model.sizes.sizes, ratio), `${model.name} ${ratio}`);
    }
  });

  it('gives gpt-image-2 shapes of exactly their aspect ratio', () => {
    const model = getModel('gpt-image-2');
    for (const ratio of aspectRatios) {
      const [w, h] = ratio.split(':').map(Number) as [number, number];
      const [width, height] = model.shapes[ratio].split('x').map(Number) as [number, number];
      assert.equal(width * h, height * w, ratio);
    }
  });

  describe('size rules', () => {
    const gptImage2 = getModel('gpt-image-2');
    const good = ['1024x1024', '1536x864', '3840x2160', '2160x3840', '1024x640', '1024x3072', '2560x1440', '1280x1280'];
    const bad: Array<[string, RegExp]> = [
      ['1000x1000', /multiples of 16/],
      ['1536x860', /multiples of 16/],
      ['3840x1024', /between 1:3 and 3:1/],
      ['512x512', /at least 655,360 pixels/],
      ['1024x624', /at least 655,360 pixels/],
      ['3840x2176', /at most 8,294,400 pixels/],
      ['4096x1536', /longer than 3840/],
      ['1024', /not a size/],
      ['1024x1024x1', /not a size/],
    ];
    for (const size of good) it(`gpt-image-2 takes ${size}`, () => assert.equal(sizeProblem(gptImage2, size), undefined));
    for (const [size, message] of bad) it(`gpt-image-2 refuses ${size}`, () => assert.match(sizeProblem(gptImage2, size) ?? '', message));
    it('fixed-size models take only their sizes', () => {
      assert.equal(sizeProblem(getModel('gpt-image-1-mini'), '1536x1024'), undefined);
      assert.match(sizeProblem(getModel('gpt-image-1-mini'), '1536x864') ?? '', /not one of 1024x1024, 1536x1024, 1024x1536/);
      assert.match(sizeProblem(getModel('dall-e-3'), '1536x1024') ?? '', /1792x1024/);
    });
  });

  describe('lifecycle on a fake clock', () => {
    const day = (iso: string) => new Date(`${iso}T12:00:00Z`);
    it('says ok for gpt-image-2 today in both clouds', () => {
      assert.equal(lifecycleVerdict(getModel('gpt-image-2'), 'azure-openai', day('2026-11-25')).state, 'ok');
      assert.equal(lifecycleVerdict(getModel('gpt-image-2'), 'openai', day('2026-11-25')).state, 'ok');
    });
    it(`warns within ${warnWithinDays} days of retirement, naming the replacement`, () => {
      const verdict = lifecycleVerdict(getModel('gpt-image-1-mini'), 'openai', day('2026-11-25'));
      assert.equal(verdict.state, 'retiring');
      assert.match(verdict.state === 'retiring' ? verdict.message : '', /retires in OpenAI on 2026-12-01, in 6 days.*Move to gpt-image-2/);
      // Azure retires it on 2027-04-07: 60 days before is 2027-02-06.
      assert.equal(lifecycleVerdict(getModel('gpt-image-1-mini'), 'azure-openai', day('2027-02-05')).state, 'ok');
      assert.equal(lifecycleVerdict(getModel('gpt-image-1-mini'), 'azure-openai', day('2027-02-06')).state, 'retiring');
      assert.equal(lifecycleVerdict(getModel('gpt-image-2'), 'azure-openai', day('2027-09-01')).state, 'retiring');
    });
    it('says retired on and after the date, and for models marked retired', () => {
      assert.equal(lifecycleVerdict(getModel('gpt-image-1-mini'), 'azure-openai', day('2027-04-07')).state, 'retired');
      assert.equal(lifecycleVerdict(getModel('gpt-image-1-mini'), 'azure-openai', day('2027-04-06')).state, 'retiring');
      for (const cloud of ['azure-openai', 'openai'] as const) {
        const verdict = lifecycleVerdict(getModel('dall-e-3'), cloud, day('2026-01-01'));
        assert.equal(verdict.state, 'retired');
        assert.match(verdict.state === 'retired' ? verdict.message : '', /Move to gpt-image-2/);
      }
    });
  });

  describe('prices', () => {
    it('prices gpt-image-2 by the tokens it reports', () => {
      const cost = estimateCostUsd(getModel('gpt-image-2'), { count: 1, size: '1536x864' }, { textInputTokens: 1000, imageInputTokens: 0, outputTokens: 2000 });
      assert.equal(cost, (1000 * 5 + 2000 * 30) / 1_000_000);
      assert.equal(estimateCostUsd(getModel('gpt-image-2'), { count: 1, size: '1536x864' }, undefined), undefined);
    });
    it('prices per-image models by quality and size, auto as medium', () => {
      assert.equal(estimateCostUsd(getModel('gpt-image-1-mini'), { count: 3, size: '1024x1024', quality: 'low' }, undefined), 0.015);
      assert.equal(estimateCostUsd(getModel('gpt-image-1-mini'), { count: 1, size: '1024x1024' }, undefined), 0.011);
    });
    it('estimates a job before any call, from its size, quality and partial images', () => {
      const model = getModel('gpt-image-2');
      // The studio's picture: 1024x1024 at auto (priced as medium), 2 partials of 100 tokens: 1256 tokens at $30 a million.
      assert.equal(estimateJobCostUsd(model, { n: 1, size: '1024x1024' }, 2), 0.03768);
      // Issue 21's request: 4 x 3840x2160 high, 32,907 tokens each (4160 per 1024x1024, scaled by area).
      assert.equal(estimateJobCostUsd(model, { n: 4, size: '3840x2160', quality: 'high' }), 3.94884);
      assert.equal(estimateJobCostUsd(model, { n: 1, size: '1536x864', quality: 'low' }), roundTo6((Math.ceil((272 * 1536 * 864) / 1024 ** 2) * 30) / 1e6));
      // Per-image models by their price list; dall-e-3 (no medium) at its first quality.
      assert.equal(estimateJobCostUsd(getModel('gpt-image-1-mini'), { n: 3, size: '1536x1024', quality: 'high' }), 0.156);
      assert.equal(estimateJobCostUsd(getModel('dall-e-3'), { n: 1, size: '1792x1024' }), 0.08);
      for (const entry of modelCatalogue) {
        for (const quality of [undefined, ...entry.qualities]) {
          for (const size of Object.values(entry.shapes)) {
            const cost = estimateJobCostUsd(entry, { n: 1, size, quality });
            assert.ok(cost !== undefined && cost > 0, `${entry.name} ${size} ${quality ?? 'auto'}`);
          }
        }
      }
    });
  });
});

function roundTo6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
