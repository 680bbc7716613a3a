import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRoute } from '../../../local/host/httpTrigger';

describe('local host HTTP trigger', () => {
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
});
