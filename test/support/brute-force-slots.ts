/**
 * A deliberately naive reference for `nextSlots`, used by the property test.
 *
 * It walks every UTC minute after a given instant, reads the wall-clock time in the zone
 * with its own Intl.DateTimeFormat code (nothing from the schedule module's zone handling),
 * and applies SCHEDULING.md, "Time zones and daylight saving", using only the compiled
 * schedule's zone-free `matches(wall)` predicate and its `kind`:
 *
 * - interval schedule: fire at every minute whose wall time matches. Wall times inside a
 *   spring-forward gap never occur, so they are skipped; a repeated hour occurs twice, so
 *   it fires twice.
 * - fixed-time schedule: fire at a minute whose wall time matches unless that wall time
 *   already occurred earlier (the second pass through a fall-back hour); and at a
 *   spring-forward transition instant T fire once when any wall time in the skipped gap
 *   matches (or T itself does).
 *
 * Only minute-resolution (5-field) schedules are supported: 5-field slots always fall on a
 * whole minute. Assumes zone transitions happen on whole UTC minutes and at most once per
 * UTC hour, which holds for every zone and year the tests use.
 */
import type { CompiledSchedule, WallTime } from '../../src/domain/schedule/types.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** Longest look-back for an earlier occurrence of a repeated wall time. */
const MAX_FALL_BACK_MINUTES = 180;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The zone's UTC offset in whole minutes at a whole-second instant, read with Intl. */
export function utcOffsetMinutes(timeZone: string, epochMs: number): number {
  const wholeSecond = Math.floor(epochMs / 1000) * 1000;
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(wholeSecond))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const wallAsUtc = Date.UTC(
    fields['year'] ?? NaN,
    (fields['month'] ?? NaN) - 1,
    fields['day'] ?? NaN,
    fields['hour'] ?? NaN,
    fields['minute'] ?? NaN,
    fields['second'] ?? NaN,
  );
  return Math.round((wallAsUtc - wholeSecond) / MINUTE_MS);
}

/** The wall-clock reading in the zone at an instant, read with Intl. */
export function wallTimeAt(timeZone: string, instant: Date): WallTime {
  return wallFromShiftedMs(
    Math.floor(instant.getTime() / 1000) * 1000 +
      utcOffsetMinutes(timeZone, instant.getTime()) * MINUTE_MS,
  );
}

/** Reads a "wall time as if it were UTC" millisecond count back into fields. */
function wallFromShiftedMs(shiftedMs: number): WallTime {
  const d = new Date(shiftedMs);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/**
 * Offsets per minute, computed with one Intl call per UTC hour boundary; an hour whose two
 * boundaries disagree (a transition happens inside it) is resolved minute by minute.
 */
class OffsetTable {
  private readonly hours = new Map<number, number | Int16Array>();

  constructor(private readonly timeZone: string) {}

  at(minuteMs: number): number {
    const hourStart = Math.floor(minuteMs / HOUR_MS) * HOUR_MS;
    const entry = this.hourEntry(hourStart);
    if (typeof entry === 'number') return entry;
    return entry[(minuteMs - hourStart) / MINUTE_MS] ?? NaN;
  }

  /** The largest offset seen over [fromMs, toMs], hour by hour. */
  maxBetween(fromMs: number, toMs: number): number {
    let max = -Infinity;
    for (
      let hourStart = Math.floor(fromMs / HOUR_MS) * HOUR_MS;
      hourStart <= toMs;
      hourStart += HOUR_MS
    ) {
      const entry = this.hourEntry(hourStart);
      if (typeof entry === 'number') max = Math.max(max, entry);
      else for (const offset of entry) max = Math.max(max, offset);
    }
    return max;
  }

  private hourEntry(hourStart: number): number | Int16Array {
    let entry = this.hours.get(hourStart);
    if (entry === undefined) {
      const atStart = utcOffsetMinutes(this.timeZone, hourStart);
      const atEnd = utcOffsetMinutes(this.timeZone, hourStart + HOUR_MS);
      if (atStart === atEnd) {
        entry = atStart;
      } else {
        const perMinute = new Int16Array(60);
        for (let i = 0; i < 60; i += 1) {
          perMinute[i] = utcOffsetMinutes(this.timeZone, hourStart + i * MINUTE_MS);
        }
        entry = perMinute;
      }
      this.hours.set(hourStart, entry);
    }
    return entry;
  }
}

export interface BruteForceResult {
  /** Up to `count` slots strictly after `after` and strictly before `windowEnd`. */
  readonly slots: Date[];
  /** End of the walked window (exclusive); slots at or after it were not looked for. */
  readonly windowEnd: Date;
}

export type BruteForceSchedule = Pick<CompiledSchedule, 'kind' | 'hasSeconds' | 'matches'>;

/**
 * Walks every UTC minute after `after` for at most `maxDays` days and returns the first
 * `count` slots found by the rules above.
 */
export function bruteForceSlots(
  schedule: BruteForceSchedule,
  timeZone: string,
  after: Date,
  count: number,
  maxDays: number,
): BruteForceResult {
  if (schedule.hasSeconds) {
    throw new Error('bruteForceSlots handles 5-field (minute-resolution) schedules only');
  }
  const offsets = new OffsetTable(timeZone);
  const first = Math.floor(after.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  const end = first + maxDays * DAY_MS;
  const slots: Date[] = [];

  const matchesShifted = (shiftedMs: number): boolean =>
    schedule.matches(wallFromShiftedMs(shiftedMs));

  /** Whether the wall time at minute t already occurred at an earlier instant. */
  const isRepeat = (t: number, offset: number): boolean => {
    const lookBackFrom = t - MAX_FALL_BACK_MINUTES * MINUTE_MS;
    if (offsets.maxBetween(lookBackFrom, t) <= offset) return false;
    for (let back = 1; back <= MAX_FALL_BACK_MINUTES; back += 1) {
      // The same wall time `back` minutes earlier needs an offset `back` minutes larger.
      if (offsets.at(t - back * MINUTE_MS) === offset + back) return true;
    }
    return false;
  };

  for (let t = first; t < end && slots.length < count; t += MINUTE_MS) {
    const offset = offsets.at(t);
    const shifted = t + offset * MINUTE_MS;
    let fire: boolean;
    if (schedule.kind === 'interval') {
      fire = matchesShifted(shifted);
    } else {
      fire = matchesShifted(shifted) && !isRepeat(t, offset);
      const previousOffset = offsets.at(t - MINUTE_MS);
      if (!fire && offset > previousOffset) {
        // t is a spring-forward transition instant; the skipped wall times run from one
        // minute after the previous minute's wall time up to (excluding) t's wall time.
        const gapStart = t - MINUTE_MS + previousOffset * MINUTE_MS + MINUTE_MS;
        for (let w = gapStart; w < shifted; w += MINUTE_MS) {
          if (matchesShifted(w)) {
            fire = true;
            break;
          }
        }
      }
    }
    if (fire) slots.push(new Date(t));
  }
  return { slots, windowEnd: new Date(end) };
}

/**
 * Offset changes of a zone between two instants, to the minute, read with Intl: one entry
 * per transition with the first instant of the new offset.
 */
export function findTransitions(
  timeZone: string,
  from: Date,
  to: Date,
): { at: Date; offsetBefore: number; offsetAfter: number }[] {
  const found: { at: Date; offsetBefore: number; offsetAfter: number }[] = [];
  const step = 15 * MINUTE_MS;
  let previous = utcOffsetMinutes(timeZone, from.getTime());
  for (let t = from.getTime() + step; t <= to.getTime(); t += step) {
    const current = utcOffsetMinutes(timeZone, t);
    if (current !== previous) {
      let at = t - step + MINUTE_MS;
      while (utcOffsetMinutes(timeZone, at) === previous) at += MINUTE_MS;
      found.push({ at: new Date(at), offsetBefore: previous, offsetAfter: current });
      previous = current;
    }
  }
  return found;
}
