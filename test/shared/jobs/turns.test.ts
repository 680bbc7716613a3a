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

/**
 * The turns as first written: one pick at a time, the school furthest behind its share, then its student
 * with the fewest starts (ties: the older job, then the key). fairOrder sorts instead; this is its oracle.
 */
function pickByPick(entries: readonly LineEntry[], now: number, weightOf: (tenantId: string) => number): LineEntry[] {
  const keyOf = (entry: LineEntry) => `${entry.tenantId}\n${entry.student}`;
  const waiting = (entry: LineEntry) => entry.state === 'waiting' || isOrphaned(entry, now);
  const schoolStarts = new Map<string, number>();
  const studentStarts = new Map<string, number>();
  const add = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  for (const entry of entries.filter((candidate) => !waiting(candidate))) {
    add(schoolStarts, entry.tenantId);
    add(studentStarts, keyOf(entry));
  }
  const queues = new Map<string, LineEntry[]>();
  for (const entry of entries.filter(waiting).sort((a, b) => a.acceptedAt - b.acceptedAt || (a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : 0))) {
    queues.set(keyOf(entry), [...(queues.get(keyOf(entry)) ?? []), entry]);
  }
  type Turn = { key: string; tenantId: string; acceptedAt: number };
  const before = (a: Turn, aRank: number, b: Turn, bRank: number) => (aRank !== bRank ? aRank < bRank : a.acceptedAt !== b.acceptedAt ? a.acceptedAt < b.acceptedAt : a.key < b.key);
  const order: LineEntry[] = [];
  while (queues.size > 0) {
    const perSchool = new Map<string, Turn>();
    for (const [key, queue] of queues) {
      const head = queue[0];
      if (!head) continue;
      const turn = { key, tenantId: head.tenantId, acceptedAt: head.acceptedAt };
      const current = perSchool.get(head.tenantId);
      if (!current || before(turn, studentStarts.get(key) ?? 0, current, studentStarts.get(current.key) ?? 0)) perSchool.set(head.tenantId, turn);
    }
    const share = (tenantId: string) => ((schoolStarts.get(tenantId) ?? 0) + 1) / (weightOf(tenantId) > 0 ? weightOf(tenantId) : 1);
    let best: Turn | undefined;
    for (const turn of perSchool.values()) if (!best || before(turn, share(turn.tenantId), best, share(best.tenantId))) best = turn;
    if (!best) break;
    const queue = queues.get(best.key) ?? [];
    const next = queue.shift();
    if (!next) break;
    if (queue.length === 0) queues.delete(best.key);
    order.push(next);
    add(schoolStarts, best.tenantId);
    add(studentStarts, best.key);
  }
  return order;
}

describe('turns, sorted, against the turns picked one by one', () => {
  it('gives the same order for a thousand random lines', () => {
    // A small generator with a seed, so a failure can be repeated.
    let seed = 20261207;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    for (let line = 0; line < 1000; line++) {
      const weights = new Map([['a', pick([1, 2, 0.5])], ['b', 1], ['c', pick([1, 3, 0, -1])]]);
      const weightOf = (tenantId: string) => weights.get(tenantId) ?? 1;
      const entries: LineEntry[] = Array.from({ length: 1 + Math.floor(random() * 40) }, (_, index) => ({
        jobId: `j${Math.floor(random() * 1000)}-${index}`,
        tenantId: pick(['a', 'b', 'c']),
        student: pick(['', 's1', 's2', 's3', 's4']),
        // Few distinct times, so ties on time are common.
        acceptedAt: Math.floor(random() * 8),
        ...pick<Partial<LineEntry>>([{ state: 'waiting' }, { state: 'waiting' }, { state: 'waiting' }, { state: 'done', endedAt: 1 }, { state: 'started', claimedBy: 't', claimedUntil: now + 1 }, { state: 'started', claimedBy: 't', claimedUntil: now - 1 }]),
      })) as LineEntry[];
      const expected = pickByPick(entries, now, weightOf).map((entry) => entry.jobId);
      assert.deepEqual(fairOrder(entries, now, weightOf).map((entry) => entry.jobId), expected, JSON.stringify({ entries, weights: [...weights] }));
      for (const entry of entries) {
        const place = expected.indexOf(entry.jobId);
        assert.equal(positionOf(entry.jobId, entries, now, weightOf), place < 0 ? undefined : place + 1);
      }
    }
  });

  it('places a job among 3,000 without picking them one by one', () => {
    const entries = Array.from({ length: 3000 }, (_, index) => ({ jobId: `j${index}`, tenantId: 'a', student: `s${index % 30}`, acceptedAt: index, state: 'waiting' as const }));
    assert.equal(positionOf('j2999', entries, now), 3000);
    assert.equal(positionOf('j30', entries, now), 31, "the first student's second job, after everyone's first");
  });
});
