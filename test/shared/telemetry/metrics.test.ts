import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { createNoopMeter, metrics, type Attributes, type Meter, type MeterProvider } from '@opentelemetry/api';
import { jobMetrics, metricNames } from '../../../shared/telemetry/metrics';

/** A MeterProvider that keeps every measurement, so a test reads what Application Insights would get. */
function recordingProvider(): { provider: MeterProvider; records: Array<{ name: string; value: number; attributes: Attributes }> } {
  const records: Array<{ name: string; value: number; attributes: Attributes }> = [];
  const meter: Meter = createNoopMeter();
  const keep = (name: string) => (value: number, attributes: Attributes = {}) => void records.push({ name, value, attributes });
  meter.createCounter = (name) => ({ add: keep(name) });
  meter.createHistogram = (name) => ({ record: keep(name) });
  meter.createGauge = (name) => ({ record: keep(name) });
  return { provider: { getMeter: () => meter }, records };
}

describe('job metrics', () => {
  afterEach(() => metrics.disable());

  it('are no-ops until a MeterProvider is set, then follow it', () => {
    jobMetrics.submitted({ school: 'school-a', model: 'gpt-image-2', outcome: 'accepted' });
    const { provider, records } = recordingProvider();
    metrics.setGlobalMeterProvider(provider);
    jobMetrics.submitted({ school: 'school-a', model: 'gpt-image-2', outcome: 'refused', errorCode: 'PromptBlocked' });
    assert.deepEqual(records, [{ name: metricNames.jobsSubmitted, value: 1, attributes: { school: 'school-a', model: 'gpt-image-2', outcome: 'refused', errorCode: 'PromptBlocked' } }]);
  });

  it('count a finished job with its duration, pictures and cost per school and model', () => {
    const { provider, records } = recordingProvider();
    metrics.setGlobalMeterProvider(provider);
    jobMetrics.finished({ school: 'school-a', model: 'gpt-image-2', status: 'Succeeded', durationMs: 4200, images: 2, costUsd: 0.42 });
    assert.deepEqual(
      records.map((record) => [record.name, record.value]),
      [
        [metricNames.jobsFinished, 1],
        [metricNames.jobDuration, 4200],
        [metricNames.images, 2],
        [metricNames.costUsd, 0.42],
      ],
    );
    assert.deepEqual(records[2]?.attributes, { school: 'school-a', model: 'gpt-image-2' });
  });

  it('keep 429s apart from other provider answers, and queues by name', () => {
    const { provider, records } = recordingProvider();
    metrics.setGlobalMeterProvider(provider);
    jobMetrics.providerCall({ model: 'gpt-image-2', deployment: 'images', answer: '429', errorCode: 'ProviderRateLimited', ms: 120 });
    jobMetrics.queue({ queue: 'image-jobs', depth: 3, oldestAgeInSeconds: 310 });
    assert.deepEqual(records.map((record) => [record.name, record.attributes['answer'] ?? record.attributes['queue'], record.value]), [
      [metricNames.providerCalls, '429', 1],
      [metricNames.providerCallDuration, '429', 120],
      [metricNames.queueDepth, 'image-jobs', 3],
      [metricNames.queueOldestAge, 'image-jobs', 310],
    ]);
  });

  it('never fail the work they measure', () => {
    metrics.setGlobalMeterProvider({
      getMeter: () => {
        throw new Error('a broken SDK');
      },
    });
    assert.doesNotThrow(() => jobMetrics.refusal({ school: 'school-a', layer: 'screen' }));
  });
});
