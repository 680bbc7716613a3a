import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { projectDir } from '../../../local/harness/stack';
import { parseTimeSpan, readHostSettings } from '../../../local/host/hostConfig';

describe('local host configuration', () => {
  it('parses host.json TimeSpans', () => {
    assert.equal(parseTimeSpan('00:00:02'), 2000);
    assert.equal(parseTimeSpan('00:10:00'), 600_000);
    assert.equal(parseTimeSpan('1.00:00:00'), 86_400_000);
    assert.equal(parseTimeSpan('00:00:00.500'), 500);
    assert.throws(() => parseTimeSpan('2s'));
  });

  it("reads the project's host.json, with AzureFunctionsJobHost__ overrides", () => {
    const settings = readHostSettings(projectDir, {});
    assert.equal(settings.routePrefix, 'api');
    assert.equal(settings.queues.messageEncoding, 'base64');
    assert.equal(settings.queues.maxDequeueCount, 5);
    assert.equal(settings.queues.maxPollingIntervalInMs, 2000);
    const overridden = readHostSettings(projectDir, {
      AzureFunctionsJobHost__extensions__queues__maxDequeueCount: '2',
      AzureFunctionsJobHost__extensions__queues__visibilityTimeout: '00:00:00',
    });
    assert.equal(overridden.queues.maxDequeueCount, 2);
    assert.equal(overridden.queues.visibilityTimeoutInMs, 0);
  });
});
