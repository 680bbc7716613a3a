import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runChaos } from '../../local/harness/chaos';

/** The small chaos run inside npm test; `npm run chaos` runs the full one (300 jobs). */
describe('chaos (small)', () => {
  it('ends every accepted job once through faults, host kills and an Azurite restart', async () => {
    const summary = await runChaos({ jobs: 60, hosts: 2, killEveryMs: 4000, restartAzurite: true, seed: Number(process.env['CHAOS_SEED'] ?? 7) });
    console.log(summary.line);
    assert.deepEqual(summary.unexplained.slice(0, 10), []);
    assert.equal(summary.lost, 0);
    assert.equal(summary.duplicates, 0);
    assert.equal(summary.stuck, 0);
    assert.ok(summary.kills >= 1, 'at least one host was killed');
    assert.equal(summary.azuriteRestarts, 1);
  });
});
