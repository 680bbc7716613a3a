import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { settingNames } from '../../shared/config/settings';
import { bindingExpressionSettings, documentedSettings, settingsPage } from './settingsTable';

/**
 * The settings table restates the config schema by hand, so it is held against it both ways: a setting added
 * to the schema without a row, or a row left behind when a setting goes, fails here. (That infra/ sets each
 * one, or the table gives it a default, is test/infra/infraConsistency.test.ts's business.)
 */
describe(`the settings table in ${settingsPage}`, () => {
  const documented = documentedSettings();
  const bindingExpressions = bindingExpressionSettings();

  it('has a row for every setting shared/config reads', () => {
    const missing = settingNames.filter((name) => !documented.has(name));
    assert.deepEqual(missing, [], `${settingsPage} has no row for ${missing.join(', ')}`);
  });

  it('has a row for every setting a binding expression in functions/ names', () => {
    assert.ok(bindingExpressions.length > 0, 'functions/ names at least SWEEP_SCHEDULE');
    const missing = bindingExpressions.filter((name) => !documented.has(name));
    assert.deepEqual(missing, [], `${settingsPage} has no row for ${missing.join(', ')}`);
  });

  it('has no row for a setting nothing reads', () => {
    const read = new Set([...settingNames, ...bindingExpressions]);
    const stale = [...documented.keys()].filter((name) => !read.has(name));
    assert.deepEqual(stale, [], `${settingsPage} documents ${stale.join(', ')}, which neither shared/config nor a binding expression reads`);
  });

  it('gives every row a default or a dash', () => {
    for (const [name, fallback] of documented) assert.notEqual(fallback, '', `${name} has an empty default cell`);
  });
});
