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
