/**
 * The six-field NCRONTAB expressions of Azure Functions timer triggers ("{second} {minute} {hour} {day}
 * {month} {day-of-week}"), enough for the local host: `*`, numbers, ranges `a-b`, lists `a,b` and steps
 * `* /n` or `a-b/n`, in UTC.
 */
const fieldRanges: ReadonlyArray<readonly [min: number, max: number]> = [
  [0, 59],
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 6],
];

export type CronSchedule = ReadonlyArray<ReadonlySet<number>>;

export function parseNcrontab(expression: string): CronSchedule {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6) throw new Error(`A timer schedule needs six fields (second minute hour day month day-of-week): ${expression}`);
  return fields.map((field, index) => {
    const [min, max] = fieldRanges[index] as readonly [number, number];
    const values = new Set<number>();
    for (const part of field.split(',')) {
      const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
      if (!match) throw new Error(`Cannot read "${part}" in the timer schedule ${expression}`);
      const from = match[1] === '*' ? min : Number(match[2]);
      const to = match[1] === '*' ? max : match[3] !== undefined ? Number(match[3]) : match[4] ? max : from;
      const step = match[4] ? Number(match[4]) : 1;
      if (from < min || to > max || step < 1) throw new Error(`"${part}" is out of range in the timer schedule ${expression}`);
      for (let value = from; value <= to; value += step) values.add(value);
    }
    return values;
  });
}

/** The first second strictly after `after` that the schedule names. */
export function nextOccurrence(schedule: CronSchedule, after: Date): Date {
  const candidate = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
  const [seconds, minutes, hours, days, months, weekdays] = schedule as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  for (let i = 0; i < 366 * 24 * 3600; i++) {
    if (
      seconds.has(candidate.getUTCSeconds()) &&
      minutes.has(candidate.getUTCMinutes()) &&
      hours.has(candidate.getUTCHours()) &&
      days.has(candidate.getUTCDate()) &&
      months.has(candidate.getUTCMonth() + 1) &&
      weekdays.has(candidate.getUTCDay())
    ) {
      return candidate;
    }
    candidate.setTime(candidate.getTime() + 1000);
  }
  throw new Error('The timer schedule names no time within a year.');
}
