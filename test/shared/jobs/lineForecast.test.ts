import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forecastPlaceOf, presenceWindowInMs, type Presence } from '../../../shared/jobs/lineForecast';
import type { LineEntry } from '../../../shared/jobs/turns';

const now = 1_000_000;
let clock = now - 10_000;
function job(tenantId: string, student: string, extra: Partial<LineEntry> = {}): LineEntry {
  clock++;
  return { jobId: `${tenantId}-${student}-${clock}`, tenantId, student, acceptedAt: clock, state: 'waiting', ...extra };
}
const present = (tenantId: string, ...students: string[]): Presence[] => students.map((student) => ({ tenantId, student, seenAt: now - 1000 }));
const classOf = (size: number) => Array.from({ length: size }, (_, i) => `s${i}`);

describe('the forecast behind the wait shown', () => {
  it('puts a second press behind the first pictures of every classmate who opened the studio', () => {
    const [first, second, third] = [job('a', 's0', { state: 'started', claimedBy: 't', claimedUntil: now + 60_000 }), job('a', 's0'), job('a', 's0')];
    const line = [first, second, third].filter((entry) => entry !== undefined);
    const marks = present('a', ...classOf(10));
    assert.deepEqual(forecastPlaceOf(second?.jobId ?? '', line, marks, now), { now: 1, forecast: 10 });
    // The third press: behind nine first and nine second pictures, and its own second.
    assert.deepEqual(forecastPlaceOf(third?.jobId ?? '', line, marks, now), { now: 2, forecast: 20 });
  });

  it('forecasts nothing for a first press: classmates pressing later go after it', () => {
    const mine = job('a', 's0');
    assert.deepEqual(forecastPlaceOf(mine.jobId, [mine], present('a', ...classOf(10)), now), { now: 1, forecast: 1 });
  });

  it('counts what a classmate has pressed already, kept starts included', () => {
    const line = [job('a', 's1', { state: 'done', endedAt: now - 5000 }), job('a', 's0', { state: 'done', endedAt: now - 4000 }), job('a', 's2')];
    const mine = job('a', 's0');
    // s1 had a picture and s2 waits for one: only s3, present but with none, is forecast to come before.
    assert.deepEqual(forecastPlaceOf(mine.jobId, [...line, mine], present('a', 's1', 's2', 's3'), now), { now: 2, forecast: 3 });
  });

  it('ignores marks past the window, and the job\'s own student', () => {
    const line = [job('a', 's0', { state: 'done', endedAt: now - 5000 })];
    const mine = job('a', 's0');
    const stale: Presence = { tenantId: 'a', student: 's1', seenAt: now - presenceWindowInMs };
    assert.deepEqual(forecastPlaceOf(mine.jobId, [...line, mine], [stale, ...present('a', 's0')], now), { now: 1, forecast: 1 });
  });

  it("forecasts only the job's own school: another school's pupils share the slots in the schools' turns", () => {
    const line = [job('a', 's0', { state: 'done', endedAt: now - 5000 })];
    const mine = job('a', 's0');
    assert.deepEqual(forecastPlaceOf(mine.jobId, [...line, mine], present('b', 'x', 'y', 'z'), now), { now: 1, forecast: 1 });
  });

  it("forecasts nothing for the LMS's own jobs, which come from no studio", () => {
    const line = [job('a', ''), job('a', '')];
    const last = line[1]?.jobId ?? '';
    assert.deepEqual(forecastPlaceOf(last, line, present('a', ...classOf(10)), now), { now: 2, forecast: 2 });
  });

  it('adds at most two thousand expected jobs, however many are present', () => {
    const own = Array.from({ length: 4 }, () => job('a', 's0'));
    const last = own[3]?.jobId ?? '';
    const place = forecastPlaceOf(last, own, present('a', ...classOf(1500)), now);
    assert.deepEqual(place, { now: 4, forecast: 2004 });
  });

  it('says nothing for a job that is not waiting', () => {
    const mine = job('a', 's0', { state: 'started', claimedBy: 't', claimedUntil: now + 60_000 });
    assert.equal(forecastPlaceOf(mine.jobId, [mine], present('a', 's1'), now), undefined);
  });
});
