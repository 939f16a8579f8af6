import { daysFromCivil, SECONDS_PER_DAY } from './civil.js';

/**
 * UTC offsets and their transitions for IANA zones, read from the platform's time-zone
 * data through Intl. Instants here are whole seconds since the epoch; offsets are seconds
 * east of UTC (New York in winter is -18000).
 */

/** A change of a zone's UTC offset at the instant `at`. */
export interface OffsetTransition {
  at: number;
  before: number;
  after: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Whether the platform knows the zone (IANA names, case-insensitive). */
export function isKnownTimeZone(timeZone: string): boolean {
  if (timeZone.trim() === '') return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

const OFFSET_PATTERN = /GMT(?:([+-])(\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/** The zone's UTC offset, in seconds, at an instant given in seconds. */
export function offsetAt(timeZone: string, instant: number): number {
  if (timeZone === 'UTC') return 0;
  const text = formatterFor(timeZone).format(instant * 1000);
  const match = OFFSET_PATTERN.exec(text);
  if (!match) throw new Error(`cannot read the UTC offset of ${timeZone} from '${text}'`);
  if (match[1] === undefined) return 0;
  const seconds = Number(match[2]) * 3600 + Number(match[3]) * 60 + Number(match[4] ?? 0);
  return match[1] === '-' ? -seconds : seconds;
}

/**
 * Probe spacing when scanning a year for transitions: offsets are sampled every 6 hours and
 * each change is then located to the second by bisection. Two transitions less than 6 hours
 * apart that cancel out would go unseen; no zone in the IANA data has such a pair since 1970.
 */
const PROBE_SECONDS = 6 * 3600;

const transitionCache = new Map<string, Map<number, readonly OffsetTransition[]>>();

/** Transitions with `at` in (start of `year`, start of `year + 1`], UTC years. Memoized. */
export function transitionsInYear(timeZone: string, year: number): readonly OffsetTransition[] {
  let byYear = transitionCache.get(timeZone);
  if (!byYear) {
    byYear = new Map();
    transitionCache.set(timeZone, byYear);
  }
  const cached = byYear.get(year);
  if (cached) return cached;

  const start = daysFromCivil(year, 1, 1) * SECONDS_PER_DAY;
  const end = daysFromCivil(year + 1, 1, 1) * SECONDS_PER_DAY;
  const found: OffsetTransition[] = [];
  let probe = start;
  let offset = offsetAt(timeZone, probe);
  while (probe < end) {
    const nextProbe = Math.min(probe + PROBE_SECONDS, end);
    const nextOffset = offsetAt(timeZone, nextProbe);
    if (nextOffset !== offset) {
      // Invariant: offsetAt(low) === offset, offsetAt(high) !== offset.
      let low = probe;
      let high = nextProbe;
      while (high - low > 1) {
        const mid = Math.floor((low + high) / 2);
        if (offsetAt(timeZone, mid) === offset) low = mid;
        else high = mid;
      }
      found.push({ at: high, before: offset, after: offsetAt(timeZone, high) });
    }
    probe = nextProbe;
    offset = nextOffset;
  }
  byYear.set(year, found);
  return found;
}

export function utcYearOf(instant: number): number {
  return new Date(instant * 1000).getUTCFullYear();
}

/** The first transition with `at` > instant and `at` <= limit, if any. */
export function nextTransition(timeZone: string, instant: number, limit: number): OffsetTransition | undefined {
  // A transition at exactly 1 January 00:00 UTC is filed under the year before.
  for (let year = utcYearOf(instant) - 1; year <= utcYearOf(limit); year++) {
    for (const transition of transitionsInYear(timeZone, year)) {
      if (transition.at > limit) return undefined;
      if (transition.at > instant) return transition;
    }
  }
  return undefined;
}

/** The last transition with `at` <= instant, looking back at most one year. */
export function previousTransition(timeZone: string, instant: number): OffsetTransition | undefined {
  const year = utcYearOf(instant);
  for (let y = year; y >= year - 2; y--) {
    const list = transitionsInYear(timeZone, y);
    for (let i = list.length - 1; i >= 0; i--) {
      const transition = list[i];
      if (transition && transition.at <= instant) return transition;
    }
  }
  return undefined;
}
