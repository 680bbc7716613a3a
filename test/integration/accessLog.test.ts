import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TableClient } from '@azure/data-tables';
import { hashApiKey } from '../../shared/config/tenants';
import { storageNames } from '../../shared/storage/storageNames';
import { tenantA, tenantB } from '../../local/harness/stack';
import { dashboardKey, pseudonyms, startPrivacyStack, type PrivacyStack } from '../helpers/privacyStack';

/** Issue 24: the record of access, every read of children's data through the API (test/helpers/privacyStack.ts). */
describe("children's data: the record of access", () => {
  let privacy: PrivacyStack;
  before(async () => {
    privacy = await startPrivacyStack();
  });
  after(async () => {
    await privacy?.stop();
  });

  it('records every read of children\'s data by key label, with the student as a pseudonym and never a prompt, and never fails a read for it', async () => {
    const { stack, api, run } = privacy;
    const user = `read-${Date.now()}`;
    const job = await run({ prompt: `A secret drawing ${user}`, user });
    const since = new Date().toISOString();
    assert.equal((await api('GET', `/api/jobs?user=${user}&top=5`, dashboardKey)).status, 200);
    assert.equal((await api('GET', `/api/jobs/${String(job.id)}`, dashboardKey)).status, 200);
    assert.equal((await api('GET', `/api/safety-events?classId=9Z`, dashboardKey)).status, 200);
    assert.equal((await api('GET', `/api/students/${user}/export`, dashboardKey)).status, 200);
    const log = await api('GET', `/api/access-log?keyLabel=dashboard&since=${encodeURIComponent(since)}`);
    assert.equal(log.status, 200, JSON.stringify(log.body));
    const entries = log.body['value'] as Array<Record<string, string>>;
    assert.deepEqual(entries.map((entry) => entry['action']), ['exportStudent', 'listSafetyEvents', 'getJob', 'listJobs']);
    const student = pseudonyms.studentKey(tenantA.id, user);
    assert.deepEqual(entries[3], { ...entries[3], method: 'GET', path: '/api/jobs', query: 'user={student}&top=5', keyLabel: 'dashboard', student });
    assert.equal(entries[0]?.['path'], '/api/students/{student}/export');
    assert.equal(entries[2]?.['path'], `/api/jobs/${String(job.id)}`);
    const text = JSON.stringify(log.body);
    assert.ok(!text.includes(user) && !text.includes('secret drawing') && !text.includes(dashboardKey) && !text.includes(hashApiKey(dashboardKey)), 'no student id, prompt or key');
    const byStudent = await api('GET', `/api/access-log?user=${user}`);
    assert.deepEqual((byStudent.body['value'] as Array<Record<string, string>>).map((entry) => entry['action']).sort(), ['exportStudent', 'listJobs']);
    assert.ok((await api('GET', '/api/access-log?top=100')).body['value'], 'key-1 (apiKeyHashes) is recorded too');
    assert.ok(((await api('GET', '/api/access-log?top=100')).body['value'] as Array<Record<string, string>>).some((entry) => entry['keyLabel'] === 'key-1'));
    const fromB = (await api('GET', '/api/access-log?top=100', tenantB.key)).body['value'] as Array<Record<string, string>>;
    assert.ok(!fromB.some((entry) => entries.some((mine) => mine['id'] === entry['id'])), "school B never sees school A's log");
    assert.equal((await api('GET', '/api/access-log?keyLabel=no%20such')).status, 400);

    // A log that cannot be written does not fail the read: it is logged as an error instead.
    const table = TableClient.fromConnectionString(stack.azurite.connectionString, storageNames.accessLogTable, { allowInsecureConnection: true });
    await table.deleteTable();
    try {
      const read = await api('GET', `/api/jobs?user=${user}`);
      assert.equal(read.status, 200, JSON.stringify(read.body));
      for (let i = 0; i < 50 && !stack.hosts[0]!.logs().includes('could not be recorded'); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.match(stack.hosts[0]!.logs(), /Access log: a listJobs by tenant school-a \(key key-1\) could not be recorded/);
    } finally {
      // Azurite may refuse the name for a moment after a delete.
      for (let i = 0; i < 100; i++) {
        try {
          await table.createTable();
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    }
  });
});
