import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideTicket, fairnessWindowInMs, fairOrder, finishedToRemove, isOrphaned, positionOf, removalBatchInMs, type LineEntry } from '../../../shared/jobs/turns';

let clock = 0;
function job(tenantId: string, student: string, extra: Partial<LineEntry> = {}): LineEntry {
  clock++;
  return { jobId: `${tenantId}-${student || 'lms'}-${clock}`, tenantId, student, acceptedAt: clock, state: 'waiting', ...extra };
}
const now = 1_000_000;
const who = (entries: readonly LineEntry[]) => entries.map((entry) => `${entry.tenantId}/${entry.student || 'lms'}`);

describe('turns', () => {
  it('serves one student first come, first served', () => {
    const jobs = [job('a', 's1'), job('a', 's1'), job('a', 's1')];
    assert.deepEqual(fairOrder(jobs, now), jobs);
  });

  it("gives every student a first picture before anyone's second", () => {
    // Ten students each pressing three times, one after another.
    const jobs = Array.from({ length: 10 }, (_, student) => [job('a', `s${student}`), job('a', `s${student}`), job('a', `s${student}`)]).flat();
    const order = who(fairOrder(jobs, now));
    assert.deepEqual(order.slice(0, 10), Array.from({ length: 10 }, (_, student) => `a/s${student}`));
    assert.deepEqual(order.slice(10, 20), order.slice(0, 10));
    assert.deepEqual(order.slice(20), order.slice(0, 10));
  });

  it('counts jobs already started or done: a student who had a picture waits for a classmate who had none', () => {
    const jobs = [job('a', 's1', { state: 'done' }), job('a', 's1'), job('a', 's2')];
    assert.deepEqual(who(fairOrder(jobs, now)), ['a/s2', 'a/s1']);
  });

  it('lets schools take turns: a school arriving behind another’s forty goes next', () => {
    const forty = Array.from({ length: 40 }, (_, index) => job('a', `s${index % 30}`));
    const late = job('b', 'x');
    const order = fairOrder([...forty, late], now);
    assert.equal(order[1]?.jobId, late.jobId, 'second: school a had the first turn');
    const started = [...forty.slice(0, 5).map((entry) => ({ ...entry, state: 'done' as const })), ...forty.slice(5), late];
    assert.equal(fairOrder(started, now)[0]?.jobId, late.jobId, 'first, once school a has had five');
  });

  it("gives schools slots in proportion to their weight", () => {
    const jobs = [...Array.from({ length: 6 }, () => job('big', 'u')), ...Array.from({ length: 6 }, () => job('small', 'v'))];
    const order = who(fairOrder(jobs, now, (tenantId) => (tenantId === 'big' ? 2 : 1)).slice(0, 6));
    assert.equal(order.filter((entry) => entry === 'big/u').length, 4);
    assert.equal(order.filter((entry) => entry === 'small/v').length, 2);
  });

  it("treats the LMS's own jobs as one more student", () => {
    const jobs = [job('a', ''), job('a', ''), job('a', 's1')];
    assert.deepEqual(who(fairOrder(jobs, now)), ['a/lms', 'a/s1', 'a/lms']);
  });

  it('puts a job whose ticket died (its claim ran out) back in line, counting it as not started', () => {
    const orphan = job('a', 's1', { state: 'started', claimedBy: 'm1', claimedUntil: now - 1 });
    const running = job('a', 's2', { state: 'started', claimedBy: 'm2', claimedUntil: now + 60_000 });
    assert.equal(isOrphaned(orphan, now), true);
    assert.equal(isOrphaned(running, now), false);
    assert.deepEqual(fairOrder([orphan, running, job('a', 's2')], now).map((entry) => entry.jobId)[0], orphan.jobId);
  });

  it('decides a ticket: resume its own claim, else claim the fairest, else nothing', () => {
    const mine = job('a', 's1', { state: 'started', claimedBy: 'ticket-1', claimedUntil: now + 1 });
    const waiting = job('a', 's2');
    assert.deepEqual(decideTicket([mine, waiting], 'ticket-1', now), { kind: 'resume', entry: mine });
    assert.deepEqual(decideTicket([mine, waiting], 'ticket-2', now), { kind: 'claim', entry: waiting });
    assert.deepEqual(decideTicket([mine], 'ticket-2', now), { kind: 'none' });
  });

  it('gives a waiting job its position in the fair order', () => {
    const jobs = [job('a', 's1'), job('a', 's1'), job('a', 's2')];
    assert.equal(positionOf(jobs[1]?.jobId ?? '', jobs, now), 3);
    assert.equal(positionOf(jobs[2]?.jobId ?? '', jobs, now), 2);
    assert.equal(positionOf('gone', jobs, now), undefined);
  });

  it('orders the same whatever order the entries come in', () => {
    const jobs = [job('a', 's1'), job('b', 's2'), job('a', 's3'), job('b', 's2'), job('c', ''), job('a', 's1', { state: 'done' })];
    const expected = fairOrder(jobs, now).map((entry) => entry.jobId);
    for (let shift = 1; shift < jobs.length; shift++) {
      const rotated = [...jobs.slice(shift), ...jobs.slice(0, shift)].reverse();
      assert.deepEqual(fairOrder(rotated, now).map((entry) => entry.jobId), expected);
    }
  });

  it('removes finished entries in batches: none until the oldest reaches the window, then those near it too', () => {
    const endedAgo = (ms: number) => job('a', 's1', { state: 'done', endedAt: now - ms });
    const fresh = endedAgo(1000);
    const near = endedAgo(fairnessWindowInMs - removalBatchInMs + 1);
    const due = endedAgo(fairnessWindowInMs);
    assert.deepEqual(finishedToRemove([fresh, near, job('a', 's2')], now), []);
    assert.deepEqual(finishedToRemove([fresh, near, due], now), [near, due]);
    assert.deepEqual(finishedToRemove([fresh, near], now, { always: true }), [near], 'the sweep does not wait for the oldest');
  });
});
