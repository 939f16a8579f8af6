import { civilFromDays, daysFromCivil } from './civil.js';
import { dateMatches } from './compile.js';
import { type CronSpec, parseCron } from './parse-cron.js';

/**
 * Intervals are measured exactly below this many seconds and reported as this value from
 * there on. Its only caller halves it against a 60 s cap (the misfire grace), so longer
 * intervals never matter, and measuring them would mean walking calendars (`0 0 L * *`).
 */
export const SHORT_INTERVAL_LIMIT_SECONDS = 120;

/** Years scanned for two consecutive matching dates: every weekday alignment of every month, leap years too. */
const FIRST_YEAR = 2000;
const LAST_YEAR = 2027;

const allowed = (values: readonly boolean[]) => values.flatMap((on, value) => (on ? [value] : []));

/** Whether two consecutive calendar days both match the date fields (so 23:59 may be followed by 00:00). */
function hasConsecutiveMatchingDays(spec: CronSpec): boolean {
  const first = daysFromCivil(FIRST_YEAR, 1, 1);
  const last = daysFromCivil(LAST_YEAR, 12, 31);
  let previous = false;
  for (let days = first; days <= last; days++) {
    const { year, month, day } = civilFromDays(days);
    const matches = dateMatches(spec, year, month, day);
    if (matches && previous) return true;
    previous = matches;
  }
  return false;
}

/**
 * The shortest interval, in seconds, between two consecutive slots of a cron expression,
 * read from its fields on the wall clock, when that is under SHORT_INTERVAL_LIMIT_SECONDS;
 * SHORT_INTERVAL_LIMIT_SECONDS otherwise. Bounded work: a minute's seconds, a day's minutes,
 * and only for a `23:59` → `00:00` pair a scan of 28 years of dates.
 *
 * Only two kinds of neighbours can be under two minutes apart: two seconds of one minute,
 * and the last second of a minute with the first second of the next minute (which may be
 * the next hour's, or the next day's). Daylight-saving changes are left out: where they
 * bring two slots closer (a fixed-time slot moved to the end of a gap), the misfire rule's
 * "a later slot is due too" covers it.
 *
 * @example
 * shortestSlotIntervalSeconds('*\/2 * * * * *') // 2
 * shortestSlotIntervalSeconds('0,45 * * * * *') // 15 (45 → the next minute's 0)
 * shortestSlotIntervalSeconds('*\/5 * * * *')   // 120: five minutes, at least the limit
 * @throws ScheduleError for an invalid expression.
 */
export function shortestSlotIntervalSeconds(cronExpression: string): number {
  let interval = intervalCache.get(cronExpression);
  if (interval === undefined) {
    interval = measure(parseCron(cronExpression));
    if (intervalCache.size >= INTERVAL_CACHE_LIMIT) intervalCache.clear();
    intervalCache.set(cronExpression, interval);
  }
  return interval;
}

/**
 * Memoized by expression: the scheduler asks for every config with a due slot on every pass.
 * Cleared whole when it fills.
 */
const intervalCache = new Map<string, number>();
const INTERVAL_CACHE_LIMIT = 1000;

function measure(spec: CronSpec): number {
  const seconds = allowed(spec.second);
  let shortest = SHORT_INTERVAL_LIMIT_SECONDS;
  for (let i = 1; i < seconds.length; i++) shortest = Math.min(shortest, (seconds[i] as number) - (seconds[i - 1] as number));

  // From a minute's last second to the next minute's first one.
  const acrossMinutes = 60 - ((seconds[seconds.length - 1] as number) - (seconds[0] as number));
  if (acrossMinutes >= shortest) return shortest;
  const hours = allowed(spec.hour);
  const minutes = allowed(spec.minute);
  const minuteOfDay = new Set(hours.flatMap((h) => minutes.map((m) => h * 60 + m)));
  for (const minute of minuteOfDay) {
    if (minuteOfDay.has(minute + 1)) return acrossMinutes;
  }
  if (minuteOfDay.has(0) && minuteOfDay.has(24 * 60 - 1) && hasConsecutiveMatchingDays(spec)) return acrossMinutes;
  return shortest;
}
