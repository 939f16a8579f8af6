import { civilFromDays, SECONDS_PER_DAY } from './civil.js';
import type { CronSchedule } from './compile.js';
import { nextWallMatch } from './next-slots.js';
import { nextTransition, offsetAt } from './time-zone.js';
import { ScheduleKind } from './types.js';

export const DstRule = {
  /** Fixed-time, wall time in a spring-forward gap: runs once at the first instant after the gap. */
  GapRunsAfter: 'gap-runs-after',
  /** Interval, wall time in a gap: skipped. */
  GapSkipped: 'gap-skipped',
  /** Fixed-time, wall time occurs twice: runs once, at its first occurrence. */
  DoubledRunsOnce: 'doubled-runs-once',
  /** Interval, wall time occurs twice: runs at both occurrences. */
  DoubledRunsTwice: 'doubled-runs-twice',
} as const;
export type DstRule = (typeof DstRule)[keyof typeof DstRule];

/** A wall time of the after-schedule that a daylight-saving transition affects. */
export interface DstAffectedRun {
  /** Local date of the wall time asked for, YYYY-MM-DD. */
  date: string;
  /** The wall time asked for, HH:MM:SS (it does not exist, or exists twice). */
  wallClock: string;
  rule: DstRule;
  /** The UTC instants the schedule runs for it (none when skipped, two when doubled). */
  instants: string[];
  explanation: string;
}

/** Wall times listed per transition: a per-minute schedule would otherwise list 60. */
const MAX_AFFECTED_PER_TRANSITION = 12;

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

/** "00" … "59": a wall clock's fields without a string made per call. */
const TWO_DIGITS = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, '0'));

/** "2027-03-14" per day number, kept for the days a ledger or preview walks (bounded). */
const dayTexts = new Map<number, string>();
const DAY_TEXTS_KEPT = 4096;

/**
 * "2027-03-14T03:00:00" of a naive second count (wall time read as if UTC). Arithmetic, not a
 * Date: a ledger formats tens of thousands of these.
 */
export function naiveText(naive: number): string {
  const day = Math.floor(naive / SECONDS_PER_DAY);
  let date = dayTexts.get(day);
  if (date === undefined) {
    const { year, month, day: dayOfMonth } = civilFromDays(day);
    // Years outside 0000-9999 as Date writes them (a sign and six digits).
    if (year < 0 || year > 9999) return new Date(naive * 1000).toISOString().slice(0, 19);
    date = `${String(year).padStart(4, '0')}-${pad(month)}-${pad(dayOfMonth)}`;
    if (dayTexts.size >= DAY_TEXTS_KEPT) dayTexts.clear();
    dayTexts.set(day, date);
  }
  const second = naive - day * SECONDS_PER_DAY;
  return `${date}T${TWO_DIGITS[Math.floor(second / 3600)]}:${TWO_DIGITS[Math.floor(second / 60) % 60]}:${TWO_DIGITS[second % 60]}`;
}

/** Wall clock with offset of an instant (seconds) in a zone, e.g. "2027-03-14T03:00:00-04:00". */
export function wallClockIn(timeZone: string, instant: number): string {
  const offset = offsetAt(timeZone, instant);
  const sign = offset < 0 ? '-' : '+';
  const minutes = Math.abs(offset) / 60;
  return `${naiveText(instant + offset)}${sign}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

/**
 * Wall times of a schedule that the zone's daylight-saving transitions in (from, until] (UTC
 * seconds) affect, each with SCHEDULING.md's rule and the instants the schedule used for it
 * (those after `from` only), at most MAX_AFFECTED_PER_TRANSITION per transition.
 *
 * @example
 * // '30 2 * * *' in America/New_York, around 2026-03-08:
 * // [{ date: '2026-03-08', wallClock: '02:30:00', rule: 'gap-runs-after', instants: ['2026-03-08T07:00:00.000Z'], … }]
 */
export function dstAffectedRuns(schedule: CronSchedule, from: number, until: number): DstAffectedRun[] {
  const { timeZone } = schedule;
  const fixed = schedule.kind === ScheduleKind.Fixed;
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
  const found: DstAffectedRun[] = [];
  for (let t = nextTransition(timeZone, from, until); t; t = nextTransition(timeZone, t.at, until)) {
    const gap = t.after > t.before;
    // Naive wall times that do not exist (gap) or exist twice (fall back).
    const wallFrom = t.at + Math.min(t.before, t.after);
    const wallTo = t.at + Math.max(t.before, t.after);
    let listed = 0;
    for (let m = nextWallMatch(schedule.spec, wallFrom, wallTo); m !== undefined && listed < MAX_AFFECTED_PER_TRANSITION; m = nextWallMatch(schedule.spec, m + 1, wallTo)) {
      const text = naiveText(m);
      const entry = { date: text.slice(0, 10), wallClock: text.slice(11) };
      // In words without seconds when they are zero: "02:30 does not exist that day".
      const said = entry.wallClock.endsWith(':00') ? entry.wallClock.slice(0, 5) : entry.wallClock;
      if (gap && fixed) {
        found.push({ ...entry, rule: DstRule.GapRunsAfter, instants: [iso(t.at)], explanation: `${said} does not exist that day: runs once at the first instant after the gap (${wallClockIn(timeZone, t.at)})` });
      } else if (gap) {
        found.push({ ...entry, rule: DstRule.GapSkipped, instants: [], explanation: `${said} does not exist that day: an interval schedule skips it` });
      } else {
        const first = m - t.before;
        const second = m - t.after;
        if (fixed) {
          if (first > from) found.push({ ...entry, rule: DstRule.DoubledRunsOnce, instants: [iso(first)], explanation: `${said} happens twice that day: runs once, at its first occurrence` });
        } else {
          found.push({ ...entry, rule: DstRule.DoubledRunsTwice, instants: [first, second].filter((s) => s > from).map(iso), explanation: `${said} happens twice that day: an interval schedule runs at both occurrences` });
        }
      }
      listed++;
    }
  }
  return found;
}
