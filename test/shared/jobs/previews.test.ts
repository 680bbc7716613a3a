import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { partialImagesFor, previewsExpected } from '../../../shared/jobs/previews';
import { retryAfterSeconds, type JobResource } from '../../../shared/views/jobView';
import { getModel } from '../../../shared/models/modelCatalogue';

describe('live previews policy', () => {
  const gptImage2 = getModel('gpt-image-2');
  const dallE3 = getModel('dall-e-3');

  it('streams one-picture calls only, asking for the setting capped by the model', () => {
    assert.equal(partialImagesFor(2, gptImage2, 'azure-openai', 1), 2);
    assert.equal(partialImagesFor(3, gptImage2, 'openai', 1), 3);
    assert.equal(partialImagesFor(2, gptImage2, 'azure-openai', 2), 0, 'stream events name no picture');
    assert.equal(partialImagesFor(0, gptImage2, 'azure-openai', 1), 0, 'PARTIAL_IMAGES=0 never streams');
    assert.equal(partialImagesFor(2, dallE3, 'azure-openai', 1), 0, 'a model that cannot stream');
  });

  it('expects previews for a running one-picture job where the model streams', () => {
    const job = (status: 'Running' | 'NotStarted' | 'Succeeded', n: number) => ({ status, request: { n } }) as Parameters<typeof previewsExpected>[3];
    assert.equal(previewsExpected(2, gptImage2, 'azure-openai', job('Running', 1)), true);
    assert.equal(previewsExpected(2, gptImage2, 'azure-openai', job('NotStarted', 1)), false);
    assert.equal(previewsExpected(2, gptImage2, 'azure-openai', job('Succeeded', 1)), false);
    assert.equal(previewsExpected(2, gptImage2, 'azure-openai', job('Running', 3)), false);
    assert.equal(previewsExpected(0, gptImage2, 'azure-openai', job('Running', 1)), false);
  });

  it('asks for a poll every second while previews are coming, unless the job waits out a rate limit', () => {
    const now = new Date('2026-11-25T12:00:00Z');
    const running: JobResource = {
      id: 'j',
      status: 'Running',
      createdDateTime: now.toISOString(),
      lastUpdatedDateTime: now.toISOString(),
      model: 'gpt-image-2',
      request: { prompt: 'a kite', n: 1, orientation: 'square', size: '1024x1024', outputFormat: 'png' },
    };
    assert.equal(retryAfterSeconds(running, 2, now), 2);
    assert.equal(retryAfterSeconds(running, 2, now, { previewsComing: true }), 1);
    assert.equal(retryAfterSeconds({ ...running, previews: [] }, 2, now), 1);
    const waiting = { ...running, nextAttemptDateTime: new Date(now.getTime() + 30_000).toISOString() };
    assert.equal(retryAfterSeconds(waiting, 2, now, { previewsComing: true }), 10);
    assert.equal(retryAfterSeconds({ ...running, status: 'Succeeded' }, 2, now, { previewsComing: true }), undefined);
  });
});
