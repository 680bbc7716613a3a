/**
 * The forecast behind the wait a student is shown: the turns (turns.ts) put a classmate's first picture
 * before anyone's second, so a job's place depends on jobs not submitted yet. Ten students open the studio,
 * the first presses three times before the others press once: the line as it stands says "2nd" and "3rd",
 * the turns make them 11th and 21st. The forecast counts the classmates present (a studio session opened in
 * the same school within the window) and expects each to press at least as often as the job's own student
 * has: every present classmate with fewer jobs than this job's turn gets, in the forecast, jobs up to the
 * turn before it. Other schools' pupils still to press are not forecast (the schools' turns would share the
 * slots with them), nor anything for the LMS's own jobs. A pure function of the line and the presence marks;
 * the turns themselves never see the forecast.
 */

import { byCodeUnits, fairnessWindowInMs, positionOf, turnKeyOf, type LineEntry } from './turns';

/** A student who opened the studio: about to press Generate. */
export interface Presence {
  readonly tenantId: string;
  /** The student's pseudonym, as the line's entries name them. */
  readonly student: string;
  readonly seenAt: number;
}

/**
 * How long an opened studio counts as a student about to press: a lesson's burst of pictures comes within
 * minutes of opening, and the line keeps a student's starts as long (the fairness window).
 */
export const presenceWindowInMs = fairnessWindowInMs;

/** Presence marks this old or older are removed (by the sweep). */
export function isPresenceOver(presence: Presence, now: number): boolean {
  return now - presence.seenAt >= presenceWindowInMs;
}

/** The most classmates' jobs a forecast adds (a school of a thousand pupils present, each a press behind). */
const maxExpected = 2000;

export interface ForecastPlace {
  /** The job's place in the line as it stands (1: next). */
  readonly now: number;
  /** Its place once the present classmates have pressed as often as its student: never before `now`. */
  readonly forecast: number;
}

/**
 * A waiting job's place now and in the forecast, or undefined when it is not waiting. `present` may hold
 * marks past the window (they are ignored) and the job's own student (who is not forecast to press more).
 */
export function forecastPlaceOf(
  jobId: string,
  entries: readonly LineEntry[],
  present: readonly Presence[],
  now: number,
  weightOf?: (tenantId: string) => number,
): ForecastPlace | undefined {
  const current = positionOf(jobId, entries, now, weightOf);
  const job = entries.find((entry) => entry.jobId === jobId);
  if (current === undefined || !job) return undefined;
  const own = turnKeyOf(job);
  // Classmates: the job's own school, for a pupil's job (the LMS's own jobs come from no studio).
  const marks = new Map<string, Presence>();
  if (job.student !== '') {
    for (const mark of present) if (mark.tenantId === job.tenantId && !isPresenceOver(mark, now) && turnKeyOf(mark) !== own) marks.set(turnKeyOf(mark), mark);
  }
  if (marks.size === 0) return { now: current, forecast: current };
  // The job's turn: its student's jobs up to it (their kept starts included), so 3 for a third press; and
  // how many jobs each present classmate has.
  let turn = 0;
  const jobsOf = new Map<string, number>();
  for (const entry of entries) {
    const key = turnKeyOf(entry);
    if (key === own && (entry.acceptedAt < job.acceptedAt || (entry.acceptedAt === job.acceptedAt && byCodeUnits(entry.jobId, job.jobId) <= 0))) turn++;
    else if (marks.has(key)) jobsOf.set(key, (jobsOf.get(key) ?? 0) + 1);
  }
  const expected: LineEntry[] = [];
  const later = Math.max(now, job.acceptedAt) + 1;
  for (const [key, mark] of marks) {
    // At most maxExpected in all: a place that far back is "a long wait" whatever its exact number.
    const missing = Math.min(turn - 1 - (jobsOf.get(key) ?? 0), maxExpected - expected.length);
    // Submitted after the job, so a classmate's press of the same turn goes after it, as the turns would put it.
    for (let i = 0; i < missing; i++) expected.push({ jobId: `forecast\n${key}\n${i}`, tenantId: mark.tenantId, student: mark.student, acceptedAt: later, state: 'waiting' });
  }
  if (expected.length === 0) return { now: current, forecast: current };
  return { now: current, forecast: Math.max(current, positionOf(jobId, [...entries, ...expected], now, weightOf) ?? current) };
}
