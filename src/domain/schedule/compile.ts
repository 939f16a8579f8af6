import { daysFromCivil, daysInMonth, weekdayOfDays } from './civil.js';
import { type CronSpec, parseCron } from './parse-cron.js';
import { ScheduleError, ScheduleErrorCode } from './schedule-error.js';
import { isKnownTimeZone } from './time-zone.js';
import type { CompiledSchedule, WallTime } from './types.js';

/** A compiled schedule with the parsed fields the slot search needs. */
export interface CronSchedule extends CompiledSchedule {
  readonly spec: CronSpec;
}

/** Whether the date fields of `spec` match a civil date (month 1-12, day 1-31). */
export function dateMatches(spec: CronSpec, year: number, month: number, day: number): boolean {
  if (!spec.month[month]) return false;
  const length = daysInMonth(year, month);
  if (day > length) return false;
  const dom = spec.dayOfMonth;
  const dow = spec.dayOfWeek;
  const weekdayOfFirst = weekdayOfDays(daysFromCivil(year, month, 1));
  const weekdayOfDay = (weekdayOfFirst + day - 1) % 7;

  const domMatches =
    Boolean(dom.values[day]) ||
    (dom.last && day === length) ||
    (dom.lastWeekday && day === lastWeekdayOfMonth(weekdayOfFirst, length)) ||
    dom.nearestWeekday.some((n) => nearestWeekday(weekdayOfFirst, length, n) === day);
  const dowMatches =
    Boolean(dow.values[weekdayOfDay]) ||
    dow.nth.some((n) => n.weekday === weekdayOfDay && Math.ceil(day / 7) === n.occurrence) ||
    dow.last.some((weekday) => weekday === weekdayOfDay && day + 7 > length);

  return spec.eitherDayField ? domMatches || dowMatches : domMatches && dowMatches;
}

function lastWeekdayOfMonth(weekdayOfFirst: number, length: number): number {
  const weekdayOfLast = (weekdayOfFirst + length - 1) % 7;
  if (weekdayOfLast === 6) return length - 1;
  if (weekdayOfLast === 0) return length - 2;
  return length;
}

/** `nW`: the weekday nearest to day n, never leaving the month; undefined when the month has no day n. */
function nearestWeekday(weekdayOfFirst: number, length: number, n: number): number | undefined {
  if (n > length) return undefined;
  const weekdayOfN = (weekdayOfFirst + n - 1) % 7;
  if (weekdayOfN === 6) return n === 1 ? 3 : n - 1;
  if (weekdayOfN === 0) return n === length ? n - 2 : n + 1;
  return n;
}

/**
 * Years scanned for a real date matching the date fields: 2000-2027 holds every weekday
 * alignment of every month, leap years included, so an expression matching none of its days
 * can never fire (E_NEVER).
 */
const NEVER_SCAN_FIRST_YEAR = 2000;
const NEVER_SCAN_LAST_YEAR = 2027;

function assertCanFire(spec: CronSpec, expression: string): void {
  for (let year = NEVER_SCAN_FIRST_YEAR; year <= NEVER_SCAN_LAST_YEAR; year++) {
    for (let month = 1; month <= 12; month++) {
      if (!spec.month[month]) continue;
      const length = daysInMonth(year, month);
      for (let day = 1; day <= length; day++) if (dateMatches(spec, year, month, day)) return;
    }
  }
  const [, , , dayOfMonth, month, dayOfWeek] = spec.normalized.split(' ');
  throw new ScheduleError(
    ScheduleErrorCode.Never,
    `day-of-month '${dayOfMonth}' with month '${month}' and day-of-week '${dayOfWeek}' matches no real date: '${expression}' could never fire`,
    'day-of-month',
  );
}

const compiledCache = new Map<string, CronSchedule>();
/** Bound on memoized compilations; the cache is cleared whole when it fills. */
const COMPILED_CACHE_LIMIT = 1000;

/**
 * Parses and checks a cron expression in an IANA zone. Memoized: the result is immutable.
 * @throws ScheduleError with a code from SCHEDULING.md.
 */
export function compileSchedule(cronExpression: string, timeZone: string): CronSchedule {
  const key = `${timeZone}\u0000${cronExpression}`;
  const cached = compiledCache.get(key);
  if (cached) return cached;

  const spec = parseCron(cronExpression);
  if (!isKnownTimeZone(timeZone)) {
    throw new ScheduleError(ScheduleErrorCode.TimeZone, `timezone '${timeZone}' is not a known IANA time zone (e.g. 'Europe/Berlin')`, 'timezone');
  }
  assertCanFire(spec, cronExpression.trim());

  const schedule: CronSchedule = {
    cronExpression,
    timeZone,
    kind: spec.kind,
    hasSeconds: spec.hasSeconds,
    spec,
    matchesDate: (year, month, day) => dateMatches(spec, year, month, day),
    matches: (wall: WallTime) =>
      Boolean(spec.second[wall.second] && spec.minute[wall.minute] && spec.hour[wall.hour]) &&
      dateMatches(spec, wall.year, wall.month, wall.day),
  };
  if (compiledCache.size >= COMPILED_CACHE_LIMIT) compiledCache.clear();
  compiledCache.set(key, schedule);
  return schedule;
}
