import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRoute, expandEntryPoints } from '../../local/functionsHost';
import { parseTimeSpan, readHostSettings } from '../../local/hostConfig';
import { projectDir } from '../../local/harness/stack';

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

  it('compiles route templates as the Functions host does', () => {
    const { pattern, paramNames } = compileRoute('api', 'jobs/{id}');
    assert.deepEqual(paramNames, ['id']);
    assert.equal(pattern.exec('/api/jobs/abc')?.[1], 'abc');
    assert.equal(pattern.exec('/API/Jobs/abc/')?.[1], 'abc');
    assert.equal(pattern.test('/api/jobs'), false);
    assert.equal(pattern.test('/api/jobs/a/b'), false);
    const optional = compileRoute('api', 'items/{id:int?}');
    assert.equal(optional.pattern.test('/api/items'), true);
    assert.equal(optional.pattern.exec('/api/items/7')?.[1], '7');
  });

  it('expands package.json main to the compiled function files', () => {
    const files = expandEntryPoints(projectDir, 'dist/functions/*.js').map((file) => file.slice(projectDir.length + 1));
    assert.ok(files.includes('dist/functions/submitJob.js'));
    assert.ok(files.every((file) => /^dist\/functions\/[^/]+\.js$/.test(file)));
  });
});
