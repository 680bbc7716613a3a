import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createProviderPacer } from '../../../shared/provider/pacer';
import type { CounterStore } from '../../../shared/storage/counterStore';

/* eslint-disable @typescript-eslint/require-await -- an in-memory counter store: nothing to wait for. */
function memoryCounters(): CounterStore & { readonly counts: Map<string, number> } {
  const counts = new Map<string, number>();
  return {
    counts,
    async tryAdd(name, amount, limit) {
      const next = (counts.get(name) ?? 0) + amount;
      if (next > limit) return { added: false, count: counts.get(name) ?? 0 };
      counts.set(name, next);
      return { added: true, count: next };
    },
    async get(name) {
      return counts.get(name) ?? 0;
    },
    async deletePrefix() {
      return 0;
    },
  };
}

/** Asks until granted, each time at the moment the pacer said to come back; the start times it granted. */
async function starts(pacer: ReturnType<typeof createProviderPacer>, askedAt: readonly number[]): Promise<number[]> {
  const granted: number[] = [];
  for (const first of askedAt) {
    let at = first;
    for (;;) {
      const answer = await pacer.tryAcquire(new Date(at));
      if (answer.granted) {
        granted.push(Math.max(at, answer.startAt.getTime()));
        break;
      }
      at = answer.retryAt.getTime();
    }
  }
  return granted;
}

describe('the pacer', () => {
  const second = 1_000_000;

  /** Differences between consecutive starts, in ms. */
  const gaps = (granted: readonly number[]) => granted.slice(1).map((at, i) => Math.round(at - (granted[i] ?? 0)));

  it('spreads a burst one slot apart, 2 % slower than the quota', async () => {
    const pacer = createProviderPacer(memoryCounters(), 'd', 60);
    assert.equal(pacer.secondsPerCall, 1.02);
    const window = 1020 * 1000;
    const granted = await starts(pacer, [window + 10, window + 20, window + 30, window + 40]);
    assert.deepEqual(gaps(granted.slice(1)), [1020, 1020]);
    assert.ok((granted[1] ?? 0) - (granted[0] ?? 0) <= 1020);
  });

  it('never admits more than the quota in any minute, whatever the rate', async () => {
    for (const perMinute of [9, 60, 90, 200, 600]) {
      const pacer = createProviderPacer(memoryCounters(), 'd', perMinute);
      const granted = await starts(pacer, Array.from({ length: perMinute + 5 }, (_, i) => second + i));
      const inFirstMinute = granted.filter((at) => at < (granted[0] ?? 0) + 60_000).length;
      assert.ok(inFirstMinute <= perMinute, `${perMinute} a minute: ${inFirstMinute} in the first minute`);
    }
  });

  it('lets a call that comes late in its slot take the next slot too, so the one after is a whole spacing later', async () => {
    const window = 1020 * 1000;
    const granted = await starts(createProviderPacer(memoryCounters(), 'd', 60), [window + 700, window + 710]);
    // Without it the second call would start at the next window, 0.32 s after the first.
    assert.ok((granted[1] ?? 0) - (granted[0] ?? 0) >= 1020, JSON.stringify(granted.map((at) => at - window)));
  });

  it('takes no extra slot where a window holds several calls: the headroom covers those', async () => {
    const counters = memoryCounters();
    await starts(createProviderPacer(counters, 'd', 6000), [1_000_000 + 900]);
    assert.deepEqual([...counters.counts.values()], [1]);
  });

  it('takes the next slot too at 30 a minute when a call starts 400 ms late: six calls would be in ten seconds otherwise', async () => {
    const window = 2040 * 1000;
    const granted = await starts(createProviderPacer(memoryCounters(), 'd', 30), [window + 400, window + 410]);
    assert.ok((granted[1] ?? 0) - (granted[0] ?? 0) >= 2040, JSON.stringify(granted.map((at) => at - window)));
  });

  it('asks again no earlier than the next window, when a window is not a whole number of ms', async () => {
    const pacer = createProviderPacer(memoryCounters(), 'd', 7);
    // On time at the start of a window of 8742.857… ms, so it takes no second slot.
    const start = Math.ceil(1000 * (60_000 / 7) * 1.02);
    const first = await pacer.tryAcquire(new Date(start));
    assert.equal(first.granted, true);
    const refused = await pacer.tryAcquire(new Date(start + 1));
    assert.ok(!refused.granted);
    assert.equal((await pacer.tryAcquire(refused.retryAt)).granted, true);
  });

  it('takes no extra slot for a call on time', async () => {
    const counters = memoryCounters();
    await starts(createProviderPacer(counters, 'd', 60), [1020 * 1000 + 50]);
    assert.deepEqual([...counters.counts.values()], [1]);
  });

  it('spaces the calls of a window with room for several', async () => {
    const pacer = createProviderPacer(memoryCounters(), 'd', 120);
    const window = 1020 * 1000;
    const granted = await starts(pacer, [window, window + 1, window + 2]);
    assert.deepEqual(gaps(granted), [510, 510]);
  });
});
