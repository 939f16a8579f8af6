import {
  fullIsCheaper,
  incrementalWork,
  periodWindow,
  planSignalRefresh,
  type SignalAggregationState,
  type SignalRefreshPlan,
  type SignalPeriod,
  type SproutSignals,
} from '../../domain/grove/index.js';
import type { AggregationStore, PeriodRefresh } from '../../engine/ports.js';
import type { Sql, SqlQuery } from '../sql.js';
import { COUNTERS, REFRESH_FULL, REFRESH_INCREMENTAL, SIGNAL_COLUMNS } from './aggregation-sql.js';
import { dropUnneededFolds, foldUpTo, JOURNAL_KEEP_EVENTS, lockKeyState, markAndBuildKeys, oneFoldBetween, sproutsChanged } from './aggregation-state.js';
import { type SignalColumns, toSignalValues } from './signal-row.js';

/**
 * How long a refresh waits for in-flight event inserts before it gives up advancing the id
 * watermark this time (see readWatermark). Inserts queue behind the waiting lock, so this
 * also bounds how long a refresh can stall ingestion.
 */
const WATERMARK_LOCK_TIMEOUT_MS = 1000;

/** PostgreSQL's lock_not_available: raised when lock_timeout expires. */
const LOCK_NOT_AVAILABLE = '55P03';

/** Stands for "no bound" in a timestamptz parameter. */
const NO_BOUND = '-infinity';

interface AggregationRow extends SignalColumns {
  sprout_id: string;
  period: SignalPeriod;
  as_of: Date;
}

/** Where a period stands, as its state row says. */
interface PeriodState extends SignalAggregationState {
  seenThrough: number;
}

function refreshQuery(
  period: SignalPeriod,
  plan: SignalRefreshPlan,
  state: PeriodState,
  countThrough: number,
  facts: { oneFold: boolean; sproutsChanged: boolean },
): SqlQuery {
  const window = [period, plan.window.start ?? NO_BOUND, plan.window.end];
  if (plan.mode === 'full' || state.computedAt === null) return { name: 'grove-aggregation-refresh-full', text: REFRESH_FULL, values: window };
  const [first, second] = plan.edges;
  const before = periodWindow(period, state.computedAt);
  return {
    name: `grove-aggregation-refresh-incremental-${period}`,
    text: REFRESH_INCREMENTAL[period],
    values: [
      ...window,
      plan.afterEventId,
      first?.lower ?? NO_BOUND,
      first?.upper ?? NO_BOUND,
      second?.lower ?? NO_BOUND,
      second?.upper ?? NO_BOUND,
      countThrough,
      state.seenThrough,
      before.start ?? NO_BOUND,
      before.end,
      facts.oneFold,
      facts.sproutsChanged,
    ],
  };
}

/**
 * Locks the period's state row (refreshes of one period run one at a time; a second waits,
 * then sees the first's result) and returns where it stood.
 */
const lockState = (period: SignalPeriod): SqlQuery => ({
  name: 'grove-aggregation-lock-state',
  text: `insert into signal_aggregation_state as s (period) values ($1)
         on conflict (period) do update set period = s.period
         returning s.last_event_id::text as last_event_id, s.computed_at, s.seen_through::text as seen_through`,
  values: [period],
});

/**
 * The watermark moves only to an id below which nothing is in flight (readWatermark); $4 is
 * the highest id the recompute could see, so the next refresh knows which events the rows may
 * count beyond the watermark.
 */
const saveState = (period: SignalPeriod, lastEventId: number, now: Date, seenThrough: number): SqlQuery => ({
  name: 'grove-aggregation-save-state',
  text: `update signal_aggregation_state
            set last_event_id = greatest(last_event_id, $2::bigint), computed_at = $3::timestamptz,
                seen_through = $4::bigint
          where period = $1`,
  values: [period, lastEventId, now, seenThrough],
});

/** Below this much incremental work (incrementalWork), either way is quick: the window's events are not counted. */
const MIN_WORK_WEIGHED = 100_000;

/** The events the period's rows counted at its last refresh: what a full recompute would group again (about). */
const windowEvents = (period: SignalPeriod): SqlQuery => ({
  name: 'grove-aggregation-window-events',
  text: `select coalesce(sum(${COUNTERS.map(([column]) => column).join(' + ')}), 0)::text as events
           from sprout_signal_aggregations where period = $1`,
  values: [period],
});

const maxEventId = (): SqlQuery => ({
  name: 'grove-aggregation-max-event-id',
  text: `select coalesce(max(id), 0)::text as max_id from sprout_usage_events`,
});

const selectSignals = (sproutIds: readonly string[]): SqlQuery => ({
  name: 'grove-aggregation-select',
  text: `select a.sprout_id, a.period, ${SIGNAL_COLUMNS.map((c) => `a.${c}`).join(', ')},
                coalesce(s.computed_at, a.computed_at) as as_of
           from sprout_signal_aggregations a
           left join signal_aggregation_state s on s.period = a.period
          where a.sprout_id = any($1::text[])
          order by a.sprout_id, a.period`,
  values: [sproutIds],
});

/**
 * The highest event id below which nothing is still in flight, or null when that cannot be
 * known now (the watermark then stays where it is; nothing is lost, the next refresh just
 * looks at more events again).
 *
 * The race: ids are drawn when a row is inserted, not when it commits, so an insert holding
 * id 100 can commit after one holding 101, and after a refresh already read max(id) = 101.
 * A watermark of 101 would skip event 100 forever. So the refresh first takes a SHARE lock
 * on the events table, which waits until every transaction holding ROW EXCLUSIVE (every
 * insert in flight, since an INSERT takes that lock before it draws an id) has ended, then
 * reads max(id) in a fresh statement: every id at or below it is now committed or rolled
 * back. The lock is released at once (end of this short transaction); the recompute runs
 * after it, in its own snapshot, and also counts any newer events it sees, which are above
 * the watermark and are looked at again next time: the period's seen_through records the
 * highest id it could see, and the next refresh recomputes the sprouts with events between
 * the two from their events, since their rows may or may not count them.
 */
async function readWatermark(sql: Sql, lockTimeoutMs: number): Promise<number | null> {
  try {
    return await sql.transaction(async (tx) => {
      await tx.exec(`set local lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))}; lock table sprout_usage_events in share mode`);
      const [row] = await tx.query<{ max_id: string }>(maxEventId());
      return Number(row?.max_id ?? 0);
    });
  } catch (error) {
    if ((error as { code?: unknown }).code === LOCK_NOT_AVAILABLE) return null;
    throw error;
  }
}

/** Thrown to roll a dry run back, carrying what it computed. */
class DryRunRollback extends Error {
  constructor(readonly refresh: PeriodRefresh) {
    super('dry run rolled back');
  }
}

function toSignals(row: AggregationRow): SproutSignals {
  return { sproutId: row.sprout_id, period: row.period, ...toSignalValues(row), computedAt: row.as_of.toISOString() };
}

export interface AggregationStoreOptions {
  /** How long a refresh waits for in-flight event inserts (default 1000 ms); see readWatermark. */
  watermarkLockTimeoutMs?: number;
  /**
   * Whether a refresh that can be incremental weighs its work against a full recompute's and
   * recomputes everything when that is cheaper (fullIsCheaper; default true). Off, every refresh
   * that can be incremental is (the tests that compare the two paths).
   */
  weighRefreshes?: boolean;
  /**
   * How far behind the newest watermark, in events, the key journal keeps folds for a period
   * (default JOURNAL_KEEP_EVENTS); a period further behind is recomputed whole.
   */
  journalKeepEvents?: number;
}

export function createAggregationStore(sql: Sql, options: AggregationStoreOptions = {}): AggregationStore {
  const lockTimeoutMs = options.watermarkLockTimeoutMs ?? WATERMARK_LOCK_TIMEOUT_MS;
  const weigh = options.weighRefreshes ?? true;
  const keepEvents = options.journalKeepEvents ?? JOURNAL_KEEP_EVENTS;
  async function refreshPeriod(period: SignalPeriod, full: boolean, now: Date, watermark: number | null, dryRun: boolean): Promise<PeriodRefresh> {
    const work = async (tx: Sql): Promise<PeriodRefresh> => {
      const [keyRow] = await tx.query<{ keys_through: string; journal_from: string }>(lockKeyState());
      let keysThrough = Number(keyRow?.keys_through ?? 0);
      const journalFrom = Number(keyRow?.journal_from ?? 0);
      const [stateRow] = await tx.query<{ last_event_id: string; computed_at: Date | null; seen_through: string }>(lockState(period));
      const state: PeriodState = {
        lastEventId: Number(stateRow?.last_event_id ?? 0),
        computedAt: stateRow?.computed_at ?? null,
        seenThrough: Number(stateRow?.seen_through ?? 0),
      };
      // The events this refresh counts: up to the new watermark, or the old one without it, or where
      // the key state stands when that is further (an earlier refresh's watermark: every id below it had ended).
      const countThrough = Math.max(state.lastEventId, watermark ?? state.lastEventId, keysThrough);
      // The state follows the newest watermark. It stands below the period's own only in a store
      // made before the journal; a first fold up to there gives the period its journal from there.
      const foldedHere = keysThrough === state.lastEventId;
      keysThrough = await foldUpTo(tx, keysThrough, [state.lastEventId, countThrough]);
      let plan = planSignalRefresh(period, state, now, full);
      let fullBecause: string | null = null;
      if (plan.mode === 'incremental' && state.lastEventId < journalFrom) {
        fullBecause = `${(countThrough - state.lastEventId).toLocaleString('en')} events behind: the key journal keeps the last ${keepEvents.toLocaleString('en')}`;
        plan = planSignalRefresh(period, state, now, true);
      }
      if (weigh && plan.mode === 'incremental') {
        // The events it takes in: the new ones, and those a refresh of another period already folded.
        const changedEvents = countThrough - state.lastEventId;
        if (incrementalWork({ changedEvents }) >= MIN_WORK_WEIGHED) {
          const [counted] = await tx.query<{ events: string }>(windowEvents(period));
          fullBecause = fullIsCheaper({ changedEvents, windowEvents: Number(counted?.events ?? 0) });
          if (fullBecause !== null) plan = planSignalRefresh(period, state, now, true);
        }
      }
      const oneFold = plan.mode === 'incremental' && (foldedHere || (await oneFoldBetween(tx, state.lastEventId, countThrough)));
      const [sprouts] = await tx.query<{ changed: boolean; unmarked: boolean }>(sproutsChanged(period, state.lastEventId));
      const [counts] = await tx.query<{ recomputed: number; written: number; removed: number; seen_through: string }>(
        refreshQuery(period, plan, state, countThrough, { oneFold, sproutsChanged: sprouts?.changed !== false }),
      );
      await tx.query(saveState(period, countThrough, now, Number(counts?.seen_through ?? 0)));
      await dropUnneededFolds(tx, keysThrough, journalFrom, keepEvents);
      // Sprouts made after the check are found by the next refresh's.
      if (sprouts?.unmarked !== false) await markAndBuildKeys(tx, keysThrough);
      const refresh: PeriodRefresh = {
        period,
        mode: plan.mode,
        ...(fullBecause !== null ? { fullBecause } : {}),
        sproutsRecomputed: counts?.recomputed ?? 0,
        rowsWritten: counts?.written ?? 0,
        rowsDeleted: counts?.removed ?? 0,
        lastEventId: countThrough,
      };
      if (dryRun) throw new DryRunRollback(refresh);
      return refresh;
    };
    try {
      return await sql.transaction(work);
    } catch (error) {
      if (error instanceof DryRunRollback) return error.refresh;
      throw error;
    }
  }

  return {
    async refreshSignals({ periods, full, now, dryRun = false }) {
      // One watermark for every period of this call: each recompute's snapshot is taken after it.
      const watermark = dryRun ? null : await readWatermark(sql, lockTimeoutMs);
      const results: PeriodRefresh[] = [];
      for (const period of new Set(periods)) results.push(await refreshPeriod(period, full, now, watermark, dryRun));
      return results;
    },

    async getSignals(sproutIds) {
      if (sproutIds.length === 0) return [];
      const rows = await sql.query<AggregationRow>(selectSignals(sproutIds));
      return rows.map(toSignals);
    },
  };
}
