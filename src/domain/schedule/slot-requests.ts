import { type ConfigIssue, invalidConfig } from '../config/errors.js';
import { SECONDS_PER_DAY } from './civil.js';
import { naiveText, wallClockIn } from './dst-affected.js';
import { type LedgerSlot, type SlotLedger, wallAndUtc } from './ledger.js';
import { nextTransition, offsetAt } from './time-zone.js';

/**
 * Checks what callers ask of the slot ledger (GET /api/jobs/{id}/slots, `grove-jobs explain`,
 * backfill) and phrases the answer for one instant. Bad input is a CONFIG_INVALID ConfigError
 * naming the field.
 */

/** An instant with a zone: "2026-03-08T07:00:00Z", "2026-03-08T03:00:00-04:00". */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;
/** A wall-clock time without a zone, read in the config's: "2026-03-08T02:30", "2026-03-08 02:30:00". */
const WALL_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/i;

/** The range a ledger covers when none is asked for: a day either side of now. */
export const DEFAULT_LEDGER_SPAN_MS = 86_400_000;
/** The widest range a ledger answers (slot count is bounded apart: MAX_LEDGER_SLOTS). */
export const MAX_LEDGER_SPAN_DAYS = 3_660;
/** A backfill queues at most this many executions. */
export const MAX_BACKFILL_SLOTS = 1_000;

function realDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** An ISO instant with a zone, or undefined. */
export function parseInstant(text: string): Date | undefined {
  if (!ISO_INSTANT.test(text)) return undefined;
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const parsed = new Date(text);
  return realDate(year, month, day) && !Number.isNaN(parsed.getTime()) ? parsed : undefined;
}

const INSTANT_HINT = 'must be an ISO 8601 date-time with a zone, such as 2026-03-08T07:00:00Z';

function instantField(issues: ConfigIssue[], path: string, value: unknown): Date | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const parsed = typeof value === 'string' ? parseInstant(value.trim()) : undefined;
  if (!parsed) issues.push({ path, message: INSTANT_HINT });
  return parsed;
}

/**
 * The range of a ledger request: both ends optional (a day either side of now by default; one
 * end given, a day from it), `from` before `until`, at most MAX_LEDGER_SPAN_DAYS apart.
 */
export function planLedgerRange(input: { from?: unknown; until?: unknown }, now: Date): { from: Date; until: Date } {
  const issues: ConfigIssue[] = [];
  const from = instantField(issues, 'from', input.from);
  const until = instantField(issues, 'until', input.until);
  if (issues.length > 0) throw invalidConfig(issues);
  const start = from ?? new Date((until?.getTime() ?? now.getTime()) - DEFAULT_LEDGER_SPAN_MS);
  const end = until ?? new Date((from?.getTime() ?? now.getTime()) + DEFAULT_LEDGER_SPAN_MS);
  if (end.getTime() <= start.getTime()) throw invalidConfig([{ path: 'until', message: `must be after from (${start.toISOString()})` }]);
  if (end.getTime() - start.getTime() > MAX_LEDGER_SPAN_DAYS * SECONDS_PER_DAY * 1000) {
    throw invalidConfig([{ path: 'until', message: `is more than ${MAX_LEDGER_SPAN_DAYS} days after from: ask for a shorter range` }]);
  }
  return { from: start, until: end };
}

export const BackfillOverlapValues = ['skip', 'queue', 'all'] as const;

/** A checked backfill request: a past range and how its runs meet the config's others. */
export function planBackfillRequest(input: { from?: unknown; until?: unknown; overlap?: unknown }, now: Date): { from: Date; until: Date; overlap: (typeof BackfillOverlapValues)[number] } {
  const issues: ConfigIssue[] = [];
  const from = instantField(issues, 'from', input.from);
  const until = instantField(issues, 'until', input.until);
  if (input.from === undefined || input.from === null || input.from === '') issues.push({ path: 'from', message: `is required; ${INSTANT_HINT}` });
  if (input.until === undefined || input.until === null || input.until === '') issues.push({ path: 'until', message: `is required; ${INSTANT_HINT}` });
  const overlap = input.overlap ?? 'queue';
  if (!BackfillOverlapValues.includes(overlap as never)) issues.push({ path: 'overlap', message: `must be one of ${BackfillOverlapValues.join(', ')}` });
  if (from && until && until.getTime() < from.getTime()) issues.push({ path: 'until', message: `must not be before from (${from.toISOString()})` });
  if (until && until.getTime() > now.getTime()) issues.push({ path: 'until', message: `must not be in the future (it is ${now.toISOString()} now): a backfill runs past slots` });
  if (from && until && until.getTime() - from.getTime() > MAX_LEDGER_SPAN_DAYS * SECONDS_PER_DAY * 1000) {
    issues.push({ path: 'until', message: `is more than ${MAX_LEDGER_SPAN_DAYS} days after from: ask for a shorter range` });
  }
  if (issues.length > 0 || !from || !until) throw invalidConfig(issues);
  return { from, until, overlap: overlap as (typeof BackfillOverlapValues)[number] };
}

/** An instant to explain: given with a zone, or as a wall-clock time in the config's zone. */
export type ExplainPoint =
  | { kind: 'instant'; at: Date }
  /** A wall time read in the zone: the instants it names (none in a gap, two in a doubled hour). */
  | { kind: 'wall'; date: string; time: string; instants: Date[]; gap?: { before: number; after: number; at: Date } };

/**
 * Reads `--at`: "2026-03-08T07:00:00Z" is that instant; "2026-03-08T02:30" (no zone) is that
 * wall-clock time in `timeZone`, which may not exist (a spring-forward gap) or exist twice.
 */
export function readExplainPoint(value: unknown, timeZone: string): ExplainPoint {
  const text = typeof value === 'string' ? value.trim() : '';
  const instant = parseInstant(text);
  if (instant) return { kind: 'instant', at: instant };
  const wall = WALL_TIME.exec(text);
  const [year, month, day, hour, minute, second] = (wall?.slice(1) ?? []).map((v) => Number(v ?? 0));
  if (!wall || !realDate(year as number, month as number, day as number) || (hour as number) > 23 || (minute as number) > 59 || (second as number) > 59) {
    throw invalidConfig([{ path: 'at', message: 'must be an ISO 8601 date-time, such as 2026-03-08T07:00:00Z, or a wall-clock time in the config\'s zone, such as 2026-03-08T02:30' }]);
  }
  const naive = Date.UTC(year as number, (month as number) - 1, day as number, hour, minute, second) / 1000;
  // The instants whose wall clock in the zone reads `naive`: at most two (offsets either side of a transition).
  const candidates = new Set<number>();
  for (const probe of [naive - SECONDS_PER_DAY, naive, naive + SECONDS_PER_DAY]) {
    const instant = naive - offsetAt(timeZone, probe);
    if (instant + offsetAt(timeZone, instant) === naive) candidates.add(instant);
  }
  const instants = [...candidates].sort((a, b) => a - b).map((s) => new Date(s * 1000));
  const text10 = naiveText(naive);
  const point: ExplainPoint = { kind: 'wall', date: text10.slice(0, 10), time: text10.slice(11, 16) + (second ? `:${String(second).padStart(2, '0')}` : ''), instants };
  if (instants.length === 0) {
    const t = nextTransition(timeZone, naive - 2 * SECONDS_PER_DAY, naive + 2 * SECONDS_PER_DAY);
    if (t) point.gap = { before: t.before, after: t.after, at: new Date(t.at * 1000) };
  }
  return point;
}

const hhmm = (wall: string) => wall.slice(11, 16);

/** "02:00 → 03:00": the wall clock either side of a transition. */
function clocksWent(timeZone: string, at: Date, before: number): string {
  const seconds = at.getTime() / 1000;
  return `${naiveText(seconds + before).slice(11, 16)} → ${hhmm(wallClockIn(timeZone, seconds))}`;
}

function nearest(ledger: SlotLedger, at: number): { before?: LedgerSlot; after?: LedgerSlot } {
  let before: LedgerSlot | undefined;
  let after: LedgerSlot | undefined;
  for (const slot of ledger.slots) {
    const t = new Date(slot.at).getTime();
    if (t < at) before = slot;
    else if (t > at && !after) after = slot;
  }
  return { ...(before ? { before } : {}), ...(after ? { after } : {}) };
}

const describeSlot = (slot: LedgerSlot) => `the slot at ${wallAndUtc(slot.timezone, new Date(slot.at))} ${slot.phrase}`;

function nearestText(ledger: SlotLedger, at: number): string {
  const { before, after } = nearest(ledger, at);
  const parts = [before, after].filter((s): s is LedgerSlot => s !== undefined).map(describeSlot);
  return parts.length === 0 ? 'there are no slots near it' : `the nearest slots: ${parts.join('; ')}`;
}

/** Capitalizes the first letter of a sentence. */
const sentence = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}${text.endsWith('.') ? '' : '.'}`;

/**
 * One instant in plain words, from a ledger around it (planLedger over a range that holds the
 * slots either side of it). `timeZone`: the zone of the version in force there.
 *
 * @example
 * // '30 2 * * *' in America/New_York, --at 2026-03-08T02:30:
 * // "At 2026-03-08 02:30 America/New_York there was no slot: that wall-clock time does not
 * //  exist (clocks went 02:00 → 03:00); the 02:30 slot ran at 2026-03-08 03:00 EDT (07:00 UTC)
 * //  as execution 01a2b3c4… (success, 4.1 s)."
 */
export function explainPoint(ledger: SlotLedger, point: ExplainPoint, timeZone: string): { sentence: string; slots: LedgerSlot[] } {
  const slotAt = (instant: Date) => ledger.slots.find((s) => new Date(s.at).getTime() === instant.getTime());
  if (point.kind === 'wall') {
    const head = `At ${point.date} ${point.time} ${timeZone}`;
    if (point.instants.length === 0) {
      const gap = point.gap;
      const went = gap ? ` (clocks went ${clocksWent(timeZone, gap.at, gap.before)})` : '';
      const moved = ledger.slots.find((s) => s.dst && s.dst.date === point.date && s.dst.wallClock.startsWith(point.time));
      if (moved) {
        return { sentence: sentence(`${head} there was no slot: that wall-clock time does not exist${went}; the ${point.time} slot ${moved.phrase}`), slots: [moved] };
      }
      const skipped = ledger.dst.find((d) => d.date === point.date && d.wallClock.startsWith(point.time) && d.instants.length === 0);
      const why = skipped ? '; an interval schedule skips a wall time that does not exist' : `; ${nearestText(ledger, gap?.at.getTime() ?? 0)}`;
      return { sentence: sentence(`${head} there was no slot: that wall-clock time does not exist${went}${why}`), slots: [] };
    }
    if (point.instants.length === 2) {
      const [first, second] = point.instants as [Date, Date];
      const twice = `that wall-clock time happened twice, at ${wallAndUtc(timeZone, first)} and at ${wallAndUtc(timeZone, second)}`;
      const found = [slotAt(first), slotAt(second)].filter((s): s is LedgerSlot => s !== undefined);
      if (found.length === 2) {
        return { sentence: sentence(`${head}: ${twice}; an interval schedule runs at both: the first ${found[0]?.phrase}, and the second ${found[1]?.phrase}`), slots: found };
      }
      if (found.length === 1) {
        const only = found[0] as LedgerSlot;
        const which = new Date(only.at).getTime() === first.getTime() ? 'the first' : 'the second';
        return { sentence: sentence(`${head}: ${twice}; the schedule runs once, at ${which}: the slot ${only.phrase}`), slots: found };
      }
      return { sentence: sentence(`${head}: ${twice}; there was no slot at either; ${nearestText(ledger, first.getTime())}`), slots: [] };
    }
    return explainPoint(ledger, { kind: 'instant', at: point.instants[0] as Date }, timeZone);
  }
  const at = point.at;
  const head = `At ${wallAndUtc(timeZone, at)}${timeZone === 'UTC' ? '' : ` in ${timeZone}`}`;
  const slot = slotAt(at);
  if (slot) {
    const moved = slot.dst && slot.dst.rule === 'gap-runs-after' ? `; it stands for the ${slot.dst.wallClock.slice(0, 5)} wall time, which does not exist that day` : '';
    return { sentence: sentence(`${head} there was a slot${moved}: it ${slot.phrase}`), slots: [slot] };
  }
  return { sentence: sentence(`${head} there was no slot; ${nearestText(ledger, at.getTime())}`), slots: [] };
}

/** How far either side of an instant the ledger for `explain --at` looks for the nearest slots. */
export function explainWindow(at: Date, shortestIntervalSeconds: number): { from: Date; until: Date } {
  const span = Math.min(Math.max(2 * shortestIntervalSeconds, 2 * SECONDS_PER_DAY), 400 * SECONDS_PER_DAY) * 1000;
  return { from: new Date(at.getTime() - span), until: new Date(at.getTime() + span) };
}
