import { PERIOD_DAYS, type SignalPeriod, type SignalValues, type UsageEventType } from './model.js';

/** Milliseconds in a day: windows and spans count whole 24-hour days of UTC time, never calendar days. */
const DAY_MS = 86_400_000;

/** Views at which the view term of the quality score saturates. */
export const QUALITY_VIEWS_CAP = 50;
/** Active span (days) at which the span term of the quality score saturates. */
export const QUALITY_SPAN_CAP_DAYS = 30;
/** Sessions, lenses and hubs at which each diversity term saturates. */
export const DIVERSITY_SESSIONS_CAP = 10;
export const DIVERSITY_LENSES_CAP = 5;
export const DIVERSITY_HUBS_CAP = 5;
/** A sprout is advancement-eligible from this quality score on, with at least ELIGIBLE_MIN_VIEWS views. */
export const ELIGIBLE_MIN_QUALITY = 0.6;
export const ELIGIBLE_MIN_VIEWS = 10;

/*
 * The formulas below are SPEC §5's. The store computes the same values in SQL with float8
 * arithmetic written in the same order, so the two agree to the last bit (a test checks it).
 */

/**
 * (up − down) / (up + down), in −1..1; 0 when nobody rated.
 * @example utilityScore(3, 1) === 0.5
 */
export function utilityScore(upvotes: number, downvotes: number): number {
  const rated = upvotes + downvotes;
  return rated === 0 ? 0 : (upvotes - downvotes) / rated;
}

/** (min(sessions/10, 1) + min(lenses/5, 1) + min(hubs/5, 1)) / 3, in 0..1. */
export function diversityIndex(uniqueSessions: number, uniqueLenses: number, uniqueHubs: number): number {
  return (
    (Math.min(uniqueSessions / DIVERSITY_SESSIONS_CAP, 1) + Math.min(uniqueLenses / DIVERSITY_LENSES_CAP, 1) + Math.min(uniqueHubs / DIVERSITY_HUBS_CAP, 1)) / 3
  );
}

/**
 * Whole days between the first and the last event: floor((last − first) / 24 h); 0 without events.
 * @example activeSpanDays('2026-01-01T12:00:00Z', '2026-01-03T11:59:59Z') === 1
 */
export function activeSpanDays(firstEventAt: Date | string | null, lastEventAt: Date | string | null): number {
  if (firstEventAt === null || lastEventAt === null) return 0;
  return Math.floor((new Date(lastEventAt).getTime() - new Date(firstEventAt).getTime()) / DAY_MS);
}

/**
 * 0.3·min(views/50, 1) + 0.3·(utility + 1)/2 + 0.2·diversity + 0.2·min(activeSpanDays/30, 1), in 0..1.
 * Unrated sprouts have utility 0, so their utility term is 0.3·0.5, as SPEC §5 says.
 */
export function qualityScore(input: { viewCount: number; upvotes: number; downvotes: number; diversityIndex: number; activeSpanDays: number }): number {
  const utility = utilityScore(input.upvotes, input.downvotes);
  return (
    0.3 * Math.min(input.viewCount / QUALITY_VIEWS_CAP, 1) +
    0.3 * ((utility + 1) / 2) +
    0.2 * input.diversityIndex +
    0.2 * Math.min(input.activeSpanDays / QUALITY_SPAN_CAP_DAYS, 1)
  );
}

/** quality ≥ 0.6 and views ≥ 10. */
export function advancementEligible(quality: number, viewCount: number): boolean {
  return quality >= ELIGIBLE_MIN_QUALITY && viewCount >= ELIGIBLE_MIN_VIEWS;
}

/** The counted part of the signals: what the derived scores are computed from. */
export type SignalCounts = Omit<SignalValues, 'activeSpanDays' | 'utilityScore' | 'diversityIndex' | 'qualityScore' | 'advancementEligible'>;

/** The full signals from their counts and first/last instants. */
export function deriveSignals(counts: SignalCounts): SignalValues {
  const span = activeSpanDays(counts.firstEventAt, counts.lastEventAt);
  const diversity = diversityIndex(counts.uniqueSessions, counts.uniqueLenses, counts.uniqueHubs);
  const quality = qualityScore({ viewCount: counts.viewCount, upvotes: counts.upvotes, downvotes: counts.downvotes, diversityIndex: diversity, activeSpanDays: span });
  return {
    ...counts,
    activeSpanDays: span,
    utilityScore: utilityScore(counts.upvotes, counts.downvotes),
    diversityIndex: diversity,
    qualityScore: quality,
    advancementEligible: advancementEligible(quality, counts.viewCount),
  };
}

/** The signals of a sprout without events in the period: zero counts, no first/last, scores as the formulas give for zero. */
export function zeroSignals(): SignalValues {
  return deriveSignals({
    viewCount: 0,
    retrievalCount: 0,
    referenceCount: 0,
    searchCount: 0,
    upvotes: 0,
    downvotes: 0,
    exportCount: 0,
    promotionCount: 0,
    refinementCount: 0,
    uniqueSessions: 0,
    uniqueUsers: 0,
    uniqueLenses: 0,
    uniqueHubs: 0,
    firstEventAt: null,
    lastEventAt: null,
  });
}

/** The counts raised by one event type each. */
export type SignalCounterName = 'viewCount' | 'retrievalCount' | 'referenceCount' | 'searchCount' | 'upvotes' | 'downvotes' | 'exportCount' | 'promotionCount' | 'refinementCount';

/** Which count each event type raises. */
export const SIGNAL_COUNTERS: Record<UsageEventType, SignalCounterName> = {
  viewed: 'viewCount',
  retrieved: 'retrievalCount',
  referenced: 'referenceCount',
  searched: 'searchCount',
  rated_up: 'upvotes',
  rated_down: 'downvotes',
  exported: 'exportCount',
  promoted: 'promotionCount',
  refined: 'refinementCount',
};

/**
 * A period's window at clock time `now`: events with `start < createdAt ≤ now` count.
 * `start` is `now − D × 24 h` (an event exactly D days old has left), or null for all_time.
 * Events dated after `now` count from the first refresh whose clock has reached them.
 */
export function periodWindow(period: SignalPeriod, now: Date): { start: Date | null; end: Date } {
  const days = PERIOD_DAYS[period];
  return { start: days === null ? null : new Date(now.getTime() - days * DAY_MS), end: now };
}

/** One event as the reference computation reads it. */
export interface SignalEvent {
  eventType: UsageEventType;
  sessionId: string;
  userId?: string | null | undefined;
  lensId?: string | null | undefined;
  hubId?: string | null | undefined;
  createdAt: Date;
}

/**
 * The signals of one sprout's events over a period at clock time `now`: the definition the
 * SQL in the store implements set-based (tests compare the two). Missing user, lens and hub
 * ids are not counted as distinct values.
 */
export function computeSignals(events: readonly SignalEvent[], period: SignalPeriod, now: Date): SignalValues {
  const { start, end } = periodWindow(period, now);
  const inWindow = events.filter((e) => (start === null || e.createdAt.getTime() > start.getTime()) && e.createdAt.getTime() <= end.getTime());
  if (inWindow.length === 0) return zeroSignals();
  const counts = Object.fromEntries(Object.values(SIGNAL_COUNTERS).map((name) => [name, 0])) as Record<SignalCounterName, number>;
  for (const event of inWindow) counts[SIGNAL_COUNTERS[event.eventType]]++;
  const distinct = (pick: (e: SignalEvent) => string | null | undefined) =>
    new Set(inWindow.map(pick).filter((v): v is string => v !== null && v !== undefined)).size;
  const times = inWindow.map((e) => e.createdAt.getTime());
  return deriveSignals({
    ...counts,
    uniqueSessions: distinct((e) => e.sessionId),
    uniqueUsers: distinct((e) => e.userId),
    uniqueLenses: distinct((e) => e.lensId),
    uniqueHubs: distinct((e) => e.hubId),
    firstEventAt: new Date(Math.min(...times)).toISOString(),
    lastEventAt: new Date(Math.max(...times)).toISOString(),
  });
}

/** Where a period's aggregation stood after its last refresh. */
export interface SignalAggregationState {
  /** Every event with an id at or below this had committed (or rolled back) before that refresh read them. */
  lastEventId: number;
  /** The clock time of that refresh; null before the first. */
  computedAt: Date | null;
}

/** A half-open range of event times (lower < createdAt ≤ upper); empty when lower = upper. */
export interface SignalTimeRange {
  lower: Date;
  upper: Date;
}

/**
 * How a refresh of `period` at `now` recomputes. Full: the first refresh, or when asked.
 * Incremental: the sprouts with events above the id watermark, plus those with events whose
 * time lies between the previous and the new position of a window edge (they entered or left
 * the window; either direction, so a clock set back is handled too), plus sprouts without a
 * row. Everything else kept its events and its window membership, so its row stands.
 */
export interface SignalRefreshPlan {
  mode: 'full' | 'incremental';
  window: { start: Date | null; end: Date };
  /** Incremental only: events above this id are new since the last refresh. */
  afterEventId: number;
  /** Incremental only: the time ranges swept by the window's start and end since the last refresh. */
  edges: SignalTimeRange[];
}

/**
 * An incremental refresh costs about this many times as much per event it takes in (above the
 * period's watermark) as a full recompute costs per event in the window: it reads the keys each
 * event moved from the journal of the key state and rewrites its sprout's row, where the full
 * recompute only groups, and it has costs of its own besides. Measured on the data of
 * bench/grove-aggregation.bench.ts (PostgreSQL 15), a period that fell behind the others:
 * last_7d 40,000 events behind, 0.75 s incremental against 0.93 s full (a break-even of 8);
 * last_30d 120,000 behind, 1.75 s against 1.89 s (7.6); 240,000 behind, 2.78 s against 1.92 s (5.5).
 */
export const INCREMENTAL_COST_PER_EVENT = 8;

/** What an incremental refresh would take in, against what a full one would group. */
export interface RefreshLoad {
  /** Events above the period's watermark. */
  changedEvents: number;
  /** Events in the window (as the period's rows counted them). */
  windowEvents: number;
}

/**
 * Why a refresh that could be incremental recomputes everything instead, or null when the
 * incremental one is cheaper: when the events to take in (a period refreshed rarely, a large
 * import) weigh more than the events in the window, one grouping pass over the window wins.
 *
 * @example
 * fullIsCheaper({ changedEvents: 240_000, windowEvents: 910_000 })
 * // '240,000 events to take in weigh more than grouping the 910,000 in the window'
 */
export function fullIsCheaper(load: RefreshLoad): string | null {
  if (incrementalWork(load) <= load.windowEvents) return null;
  const n = (value: number) => value.toLocaleString('en');
  return `${n(load.changedEvents)} events to take in weigh more than grouping the ${n(load.windowEvents)} in the window`;
}

/** An incremental refresh's work, in events of a full recompute's grouping. */
export function incrementalWork(load: Pick<RefreshLoad, 'changedEvents'>): number {
  return load.changedEvents * INCREMENTAL_COST_PER_EVENT;
}

export function planSignalRefresh(period: SignalPeriod, state: SignalAggregationState | undefined, now: Date, full: boolean): SignalRefreshPlan {
  const window = periodWindow(period, now);
  if (full || state === undefined || state.computedAt === null) return { mode: 'full', window, afterEventId: 0, edges: [] };
  const before = periodWindow(period, state.computedAt);
  const swept = (a: Date, b: Date): SignalTimeRange => (a.getTime() <= b.getTime() ? { lower: a, upper: b } : { lower: b, upper: a });
  const edges = [swept(before.end, window.end)];
  if (before.start !== null && window.start !== null) edges.push(swept(before.start, window.start));
  return { mode: 'incremental', window, afterEventId: state.lastEventId, edges: edges.filter((e) => e.lower.getTime() !== e.upper.getTime()) };
}
