import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { filterFor, rowKeyFor } from '../../../shared/storage/jobIndex';

describe('job index keys and filters', () => {
  it('orders newest first: a later job has a smaller RowKey', () => {
    const id = '0b6d2c9e-4f1a-4c3b-9d2e-7a8b9c0d1e2f';
    assert.ok(rowKeyFor('2026-11-25T08:00:01Z', id) < rowKeyFor('2026-11-25T08:00:00Z', id));
    assert.match(rowKeyFor('2026-11-25T08:00:00Z', id), /^\d{13}_0b6d/);
  });

  it('always stays in the tenant, and quotes every value so it cannot change the query', () => {
    const filter = filterFor('school-a', { user: "x' or PartitionKey ne 'y", classId: '4B', status: 'Succeeded' });
    assert.match(filter, /^PartitionKey eq 'school-a' and /);
    assert.ok(filter.includes("user eq 'x'' or PartitionKey ne ''y'"), filter);
    assert.ok(filter.includes("classId eq '4B'") && filter.includes("status eq 'Succeeded'"));
  });

  it('turns since into a RowKey bound', () => {
    const since = new Date('2026-11-25T08:00:00Z');
    const filter = filterFor('school-a', { since });
    const bound = /RowKey lt '(\d{13})'/.exec(filter)?.[1] ?? '';
    const id = '0b6d2c9e-4f1a-4c3b-9d2e-7a8b9c0d1e2f';
    assert.ok(rowKeyFor(since.toISOString(), id) < bound, 'a job created at since is included');
    assert.ok(rowKeyFor(new Date(since.getTime() - 1).toISOString(), id) > bound, 'a job created just before is not');
  });
});
