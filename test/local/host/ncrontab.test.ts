import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextOccurrence, parseNcrontab } from '../../../local/host/ncrontab';

describe('NCRONTAB timer schedules (local host)', () => {
  const next = (expression: string, after: string) => nextOccurrence(parseNcrontab(expression), new Date(after)).toISOString();

  it('finds the next run', () => {
    assert.equal(next('0 */5 * * * *', '2026-11-25T09:31:17Z'), '2026-11-25T09:35:00.000Z');
    assert.equal(next('0 */5 * * * *', '2026-11-25T09:35:00Z'), '2026-11-25T09:40:00.000Z');
    assert.equal(next('30 0 3 * * *', '2026-11-25T09:31:17Z'), '2026-11-26T03:00:30.000Z');
    assert.equal(next('0 0 9 * * 1-5', '2026-11-28T10:00:00Z'), '2026-11-30T09:00:00.000Z', 'Saturday to Monday');
    assert.equal(next('0 0,30 * * * *', '2026-11-25T09:10:00Z'), '2026-11-25T09:30:00.000Z');
  });

  it('refuses what it cannot read', () => {
    for (const bad of ['*/5 * * * *', '0 61 * * * *', '0 */0 * * * *', 'x * * * * *']) {
      assert.throws(() => parseNcrontab(bad), bad);
    }
  });
});
