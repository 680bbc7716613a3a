import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { projectDir } from '../../../local/harness/stack';
import { expandEntryPoints } from '../../../local/host/entryPoints';

describe('local host entry points', () => {
  it('expands package.json main to the compiled function files', () => {
    const files = expandEntryPoints(projectDir, 'dist/functions/*.js').map((file) => file.slice(projectDir.length + 1));
    assert.ok(files.includes('dist/functions/submitJob.js'));
    assert.ok(files.every((file) => /^dist\/functions\/[^/]+\.js$/.test(file)));
  });
});
