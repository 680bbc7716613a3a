import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import type { LineEntry } from '../../../shared/jobs/turns';
import type { Presence } from '../../../shared/jobs/lineForecast';
import { createLinePositions } from '../../../shared/storage/linePositions';
import { fakeJob, fakeLineStore } from '../../helpers/fakes';

const entry = (jobId: string, student: string, acceptedAt: number, extra: Partial<LineEntry> = {}): LineEntry => ({ jobId, tenantId: 'school-a', student, acceptedAt, state: 'waiting', ...extra });

describe('a waiting job\'s place in line', () => {
  const positions = (entries: LineEntry[], queued = 100, present: Presence[] = []) =>
    createLinePositions({ line: fakeLineStore(entries), present: () => Promise.resolve(present), queueLength: () => Promise.resolve(queued), weightOf: () => 1, studentKey: (_tenantId, user) => `key-${user}` });

  it('follows the turns: a classmate\'s first picture goes before a second one that came earlier', async () => {
    const mine = fakeJob({ createdDateTime: new Date(3).toISOString() });
    const line = [entry('a1', 'key-ann', 1), entry('a2', 'key-ann', 2), entry(mine.id, 'key-student-7', 3)];
    assert.equal(await positions(line).position(mine), 2);
  });

  it('places a job the line read has not seen yet (its submit just added it) among the waiting ones', async () => {
    const mine = fakeJob({ createdDateTime: new Date(3).toISOString() });
    assert.equal(await positions([entry('a1', 'key-ann', 1), entry('a2', 'key-ann', 2)]).position(mine, { messageSent: false }), 2);
  });

  it('is bounded by the messages on the queue, and says nothing for a job a ticket has claimed', async () => {
    const mine = fakeJob({ createdDateTime: new Date(9).toISOString() });
    const stale = Array.from({ length: 5 }, (_, i) => entry(`gone-${i}`, '', i));
    assert.equal(await positions([...stale, entry(mine.id, 'key-student-7', 9)], 0).position(mine, { messageSent: false }), 1);
    assert.equal(await positions([entry(mine.id, 'key-student-7', 9, { state: 'started', claimedBy: 't', claimedUntil: Date.now() + 60_000 })]).position(mine), undefined);
  });

  it("counts this instance's adds since the line and the queue were read, so a burst's answers see each other", async () => {
    const store = fakeLineStore([]);
    const line = createLinePositions({ line: store, present: () => Promise.resolve([]), queueLength: () => Promise.resolve(0), weightOf: () => 1, studentKey: (_tenantId, user) => `key-${user}` });
    const jobs = [1, 2, 3].map((at) => fakeJob({ createdDateTime: new Date(Date.now() + at).toISOString(), request: { ...fakeJob().request, user: 'ann' } }));
    const places: (number | undefined)[] = [];
    for (const job of jobs) {
      // The read made for the first answer is kept for a second: the later jobs are not in it.
      const added = { jobId: job.id, tenantId: job.tenantId, student: 'key-ann', acceptedAt: Date.parse(job.createdDateTime) };
      line.noteAdded(added);
      places.push(await line.position(job, { messageSent: false }));
    }
    assert.deepEqual(places, [1, 2, 3]);
  });

  it("adds the classmates forecast from the studio's presence marks, on top of the queue's bound", async () => {
    const mine = fakeJob({ createdDateTime: new Date(Date.now() - 2).toISOString() });
    const present = ['ann', 'bob', 'cas'].map((name) => ({ tenantId: mine.tenantId, student: `key-${name}`, seenAt: Date.now() }));
    // Student 7's second press while the three classmates who opened the studio have pressed nothing yet.
    const line = [entry('first', 'key-student-7', Date.now() - 3, { state: 'started', claimedBy: 't', claimedUntil: Date.now() + 60_000 }), entry(mine.id, 'key-student-7', Date.now() - 2)];
    assert.equal(await positions(line, 1, present).position(mine), 4, 'behind the three first pictures to come');
    assert.equal(await positions(line, 1).position(mine), 1, 'without the marks: next');
  });

  it('gives the line as it stands when the presence marks cannot be read', async () => {
    const mine = fakeJob({ createdDateTime: new Date(5).toISOString() });
    const failing = createLinePositions({ line: fakeLineStore([entry(mine.id, 'key-student-7', 5)]), present: () => Promise.reject(new Error('down')), queueLength: () => Promise.resolve(1), weightOf: () => 1, studentKey: (_tenantId, user) => `key-${user}` });
    assert.equal(await failing.position(mine), 1);
  });

  it('reads a long line less often: every second for a short one, every 2 s at a thousand entries', async () => {
    mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    try {
      for (const [size, expectedReads] of [[10, 3], [1000, 2]] as const) {
        const store = fakeLineStore(Array.from({ length: size }, (_, i) => entry(`e${i}`, `key-s${i % 30}`, i)));
        let reads = 0;
        const line = createLinePositions({ line: { list: () => ((reads += 1), store.list()) }, present: () => Promise.resolve([]), queueLength: () => Promise.resolve(size), weightOf: () => 1, studentKey: (_tenantId, user) => `key-${user}` });
        const job = fakeJob({ createdDateTime: new Date(0).toISOString() });
        // Asked at 0, 1.1 s and 2.2 s.
        for (let i = 0; i < 3; i++) {
          await line.position(job);
          mock.timers.tick(1100);
        }
        assert.equal(reads, expectedReads, `${size} entries`);
      }
    } finally {
      mock.timers.reset();
    }
  });
});
