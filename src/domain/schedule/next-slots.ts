import { civilFromDays, daysFromCivil, SECONDS_PER_DAY } from './civil.js';
import type { CronSchedule } from './compile.js';
import { dateMatches } from './compile.js';
import type { CronSpec } from './parse-cron.js';
import { nextTransition, offsetAt, previousTransition } from './time-zone.js';
import { ScheduleKind } from './types.js';

/**
 * How long the walk goes on past the previous slot (or past `after`) while matching dates
 * keep passing without a slot (every matching wall time fell in a daylight-saving gap)
 * before deciding that the schedule no longer fires in its zone. Checked once per
 * constant-offset stretch, so the walk may go up to a year further. Years without any
 * matching date do not count: the walk jumps to the next matching date (29 February on a
 * Monday comes back after 28 or 40 years; the calendar repeats every 400).
 */
export const SLOT_HORIZON_YEARS = 10;
const HORIZON_SECONDS = SLOT_HORIZON_YEARS * 366 * SECONDS_PER_DAY;
/** The walk takes at most a year at a time in zones without transitions. */
const CHUNK_SECONDS = 366 * SECONDS_PER_DAY;
/** The Gregorian calendar repeats, weekdays included, every 400 years. */
const DATE_CYCLE_DAYS = 146_097;

const dayOf = (naiveSeconds: number) => Math.floor(naiveSeconds / SECONDS_PER_DAY);

/** The first day number in [from, until) whose date matches the date fields, or undefined. */
function nextMatchingDay(spec: CronSpec, from: number, until: number): number | undefined {
  let day = from;
  while (day < until) {
    const { year, month, day: dayOfMonth } = civilFromDays(day);
    if (!spec.month[month]) {
      day = month === 12 ? daysFromCivil(year + 1, 1, 1) : daysFromCivil(year, month + 1, 1);
    } else if (dateMatches(spec, year, month, dayOfMonth)) {
      return day;
    } else {
      day++;
    }
  }
  return undefined;
}

interface FieldLookups {
  /** For each value, the smallest allowed value >= it, or -1. */
  second: Int8Array;
  minute: Int8Array;
  hour: Int8Array;
}

const lookupCache = new WeakMap<CronSpec, FieldLookups>();

function nextAllowedTable(values: readonly boolean[]): Int8Array {
  const table = new Int8Array(values.length).fill(-1);
  let next = -1;
  for (let v = values.length - 1; v >= 0; v--) {
    if (values[v]) next = v;
    table[v] = next;
  }
  return table;
}

function lookupsFor(spec: CronSpec): FieldLookups {
  let lookups = lookupCache.get(spec);
  if (!lookups) {
    lookups = { second: nextAllowedTable(spec.second), minute: nextAllowedTable(spec.minute), hour: nextAllowedTable(spec.hour) };
    lookupCache.set(spec, lookups);
  }
  return lookups;
}

/**
 * The first wall-clock second in [from, until) matching every field, as a naive second count
 * (wall time read as if UTC), or undefined. Zone-free: time zones are the caller's concern.
 */
export function nextWallMatch(spec: CronSpec, from: number, until: number): number | undefined {
  const { second, minute, hour } = lookupsFor(spec);
  let t = from;
  while (t < until) {
    const days = Math.floor(t / SECONDS_PER_DAY);
    const dayStart = days * SECONDS_PER_DAY;
    const { year, month, day } = civilFromDays(days);
    if (!spec.month[month]) {
      t = (month === 12 ? daysFromCivil(year + 1, 1, 1) : daysFromCivil(year, month + 1, 1)) * SECONDS_PER_DAY;
      continue;
    }
    if (!dateMatches(spec, year, month, day)) {
      t = dayStart + SECONDS_PER_DAY;
      continue;
    }
    const rest = t - dayStart;
    const h = Math.floor(rest / 3600);
    const m = Math.floor((rest % 3600) / 60);
    const s = rest % 60;
    const nextHour = hour[h] ?? -1;
    if (nextHour < 0) {
      t = dayStart + SECONDS_PER_DAY;
    } else if (nextHour !== h) {
      t = dayStart + nextHour * 3600;
    } else {
      const nextMinute = minute[m] ?? -1;
      if (nextMinute < 0) {
        t = dayStart + (h + 1) * 3600;
      } else if (nextMinute !== m) {
        t = dayStart + h * 3600 + nextMinute * 60;
      } else {
        const nextSecond = second[s] ?? -1;
        if (nextSecond < 0) {
          t = dayStart + h * 3600 + (m + 1) * 60;
        } else {
          const match = dayStart + h * 3600 + m * 60 + nextSecond;
          return match < until ? match : undefined;
        }
      }
    }
  }
  return undefined;
}

/**
 * The next `count` slots of a compiled schedule strictly after `after`, in order, as UTC
 * instants to the second. Walks the zone's constant-offset stretches: inside one, wall time
 * is instant + offset; at each transition SCHEDULING.md's daylight-saving table decides.
 *
 * @example
 * // America/New_York springs forward at 2026-03-08T07:00Z (02:00 EST → 03:00 EDT)
 * slotsAfter(compileSchedule('30 2 * * *', 'America/New_York'), new Date('2026-03-08T00:00Z'), 1)
 * // → [2026-03-08T07:00:00Z]: the missing 02:30 fires once, at the first instant after the gap
 */
export function slotsAfter(schedule: CronSchedule, after: Date, count: number): Date[] {
  const afterMs = after.getTime();
  if (Number.isNaN(afterMs)) throw new RangeError('after is not a valid date');
  if (!(count > 0)) return [];
  const { spec, timeZone } = schedule;
  const fixed = schedule.kind === ScheduleKind.Fixed;
  const slots: number[] = [];
  const emit = (instant: number) => {
    const last = slots[slots.length - 1];
    // Several wall times of one gap (and the wall time just after it) share an instant.
    if (last === undefined || instant > last) slots.push(instant);
  };

  let cursor = 0;
  let offset = 0;
  let localStart = 0;
  let progress = 0;
  /** (Re)starts the walk at an instant: slots from `at` on. */
  const startAt = (at: number) => {
    cursor = at;
    progress = at;
    offset = offsetAt(timeZone, at);
    localStart = at + offset;
    const previous = previousTransition(timeZone, at);
    if (!previous || !fixed) return;
    const gap = previous.after > previous.before;
    if (gap && previous.at === at && nextWallMatch(spec, previous.at + previous.before, previous.at + previous.after) !== undefined) {
      emit(previous.at);
    }
    // Just after a fall-back, the repeated wall times already fired at their first occurrence.
    if (!gap) localStart = Math.max(localStart, previous.at + previous.before);
  };
  startAt(Math.floor(afterMs / 1000) + 1);

  while (slots.length < count) {
    const limit = cursor + CHUNK_SECONDS;
    const transition = nextTransition(timeZone, cursor, limit);
    const segmentEnd = transition ? transition.at : limit;
    const localEnd = segmentEnd + offset;
    for (let m = nextWallMatch(spec, localStart, localEnd); m !== undefined && slots.length < count; m = nextWallMatch(spec, m + 1, localEnd)) {
      emit(m - offset);
    }
    if (slots.length >= count) break;
    progress = slots[slots.length - 1] ?? progress;
    if (segmentEnd - progress > HORIZON_SECONDS) {
      const walkedFrom = dayOf(progress + offset) + 1;
      const walkedTo = dayOf(localEnd);
      // Matching dates came and went without a slot: their times all fell in gaps.
      if (nextMatchingDay(spec, walkedFrom, walkedTo) !== undefined) break;
      // No matching date at all for years (29 February on a weekend, say): jump to the
      // next one, starting two days early so that no offset can put its slots behind us.
      const next = nextMatchingDay(spec, walkedTo, walkedTo + DATE_CYCLE_DAYS);
      if (next === undefined) break;
      startAt(Math.max(segmentEnd, (next - 2) * SECONDS_PER_DAY));
      continue;
    }

    if (!transition) {
      localStart = localEnd;
    } else if (transition.after > transition.before) {
      // Spring forward: wall times in [at+before, at+after) never happen. A fixed-time
      // schedule due in the gap fires once at the transition; an interval schedule skips it.
      if (fixed && nextWallMatch(spec, transition.at + transition.before, transition.at + transition.after) !== undefined) {
        emit(transition.at);
      }
      localStart = transition.at + transition.after;
    } else {
      // Fall back: wall times in [at+after, at+before) happen twice. A fixed-time schedule
      // fired at the first occurrence; an interval schedule fires again on real time.
      localStart = fixed ? transition.at + transition.before : transition.at + transition.after;
    }
    if (transition) offset = transition.after;
    cursor = segmentEnd;
  }
  return slots.map((seconds) => new Date(seconds * 1000));
}
