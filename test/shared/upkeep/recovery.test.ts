import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobRecord } from '../../../shared/jobs/job';
import { fairnessWindowInMs, type LineEntry } from '../../../shared/jobs/turns';
import { repairLine } from '../../../shared/upkeep/recovery';
import { fakeJob, fakeJobStore, fakeLineStore, fakeLog, fakePresenceStore } from '../../helpers/fakes';
import type { Presence } from '../../../shared/jobs/lineForecast';

const now = Date.parse('2026-12-01T09:00:00.000Z');
const entryOf = (job: JobRecord, extra: Partial<LineEntry> = {}): LineEntry => ({ jobId: job.id, tenantId: job.tenantId, student: 'p', acceptedAt: Date.parse(job.createdDateTime), state: 'waiting', ...extra });

function deps(jobs: JobRecord[], entries: LineEntry[], queued: number, marks: Presence[] = []) {
  const sent: string[] = [];
  const line = fakeLineStore(entries);
  const presence = fakePresenceStore(marks);
  const services = {
    jobs: fakeJobStore(jobs),
    line,
    presence,
    pseudonyms: { studentKey: (tenantId: string, user: string) => `key-${tenantId}-${user}` },
    jobQueue: {
      name: 'image-jobs',
      enqueue: (jobId: string) => Promise.resolve(void sent.push(jobId)),
      createIfNotExists: () => Promise.resolve(),
      probe: () => Promise.resolve(),
      approximateLength: () => Promise.resolve(queued),
      oldestVisibleInsertedOn: () => Promise.resolve(undefined),
    },
    ensureStorage: () => Promise.resolve(),
  };
  return { services, line, presence, sent };
}

describe('the sweep keeps the line in step with the records', () => {
  it('adds a waiting job missing from the line, marks an ended one done, removes the gone and the expired', async () => {
    const missing = fakeJob();
    const ended: JobRecord = { ...fakeJob(), status: 'Canceled', error: { code: 'Canceled', message: 'The job was canceled.' } };
    const expired = fakeJob();
    const { services, line, sent } = deps([missing, ended], [entryOf(ended, { state: 'started', claimedBy: 't', claimedUntil: now + 1 }), { ...entryOf(expired), jobId: 'erased' }, entryOf(expired, { state: 'done', endedAt: now - fairnessWindowInMs })], 5);
    await repairLine(services, fakeLog(), now);
    assert.deepEqual(line.entries.get(missing.id)?.student, `key-school-a-student-7`);
    assert.equal(line.entries.get(ended.id)?.state, 'done');
    assert.equal(line.entries.has('erased'), false);
    assert.equal(line.entries.has(expired.id), false);
    assert.deepEqual(sent, [], 'the queue has messages: they are the tickets');
  });

  it('removes studio presence marks past their window and keeps the recent ones', async () => {
    const { services, presence } = deps([], [], 0, [
      { tenantId: 'school-a', student: 'old', seenAt: now - fairnessWindowInMs },
      { tenantId: 'school-a', student: 'recent', seenAt: now - 60_000 },
    ]);
    await repairLine(services, fakeLog(), now);
    assert.deepEqual([...presence.marks.keys()], ['recent']);
  });

  it('sends a ticket per waiting job when the queue has none at all', async () => {
    const a = fakeJob();
    const b = fakeJob();
    const { services, sent } = deps([a, b], [entryOf(a), entryOf(b)], 0);
    await repairLine(services, fakeLog(), now);
    assert.deepEqual(sent.sort(), [a.id, b.id].sort());
  });
});
