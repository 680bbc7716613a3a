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

  /** What the table would answer: the rows whose RowKey is below the filter's bound (every row without one). */
  function listedBy(since: Date, createdTimes: readonly string[]): string[] {
    const filter = filterFor('school-a', { since });
    const bound = /RowKey lt '([^']*)'/.exec(filter)?.[1];
    return createdTimes.filter((created) => bound === undefined || rowKeyFor(created, '0b6d2c9e-4f1a-4c3b-9d2e-7a8b9c0d1e2f') < bound);
  }

  it('lists what it should for any valid since: the epoch, before it, and far in the future', () => {
    const rows = ['1970-01-01T00:00:00.000Z', '1970-01-01T00:00:00.001Z', '2001-09-09T01:46:40.000Z', '2026-11-25T08:00:00.000Z'];
    assert.deepEqual(listedBy(new Date('1970-01-01T00:00:00Z'), rows), rows, 'since the epoch lists everything (it listed nothing)');
    assert.deepEqual(listedBy(new Date('1970-01-01T00:00:00.001Z'), rows), rows.slice(1));
    assert.deepEqual(listedBy(new Date('1970-01-01T00:00:01Z'), rows), rows.slice(2));
    assert.deepEqual(listedBy(new Date('1969-12-31T23:59:59.999Z'), rows), rows);
    assert.deepEqual(listedBy(new Date('0001-01-01T00:00:00Z'), rows), rows);
    assert.deepEqual(listedBy(new Date('2026-11-25T08:00:00Z'), rows), rows.slice(3));
    assert.deepEqual(listedBy(new Date('2026-11-25T08:00:00.001Z'), rows), []);
    assert.deepEqual(listedBy(new Date('9999-12-31T23:59:59Z'), rows), []);
    assert.deepEqual(listedBy(new Date('+275760-09-13T00:00:00Z'), rows), []);
    for (const since of ['1970-01-01T00:00:00.001Z', '2026-11-25T08:00:00Z', '9999-12-31T23:59:59Z']) {
      assert.match(filterFor('school-a', { since: new Date(since) }), /RowKey lt '\d{13}'/, `${since}: a 13-digit bound, as the keys have`);
    }
    assert.doesNotMatch(filterFor('school-a', { since: new Date(0) }), /RowKey/, 'no bound at or before the epoch');
  });
});
