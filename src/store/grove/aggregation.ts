import {
  DIVERSITY_HUBS_CAP,
  DIVERSITY_LENSES_CAP,
  DIVERSITY_SESSIONS_CAP,
  ELIGIBLE_MIN_QUALITY,
  ELIGIBLE_MIN_VIEWS,
  SIGNAL_COUNTERS,
  planSignalRefresh,
  QUALITY_SPAN_CAP_DAYS,
  QUALITY_VIEWS_CAP,
  type SignalAggregationState,
  type SignalRefreshPlan,
  type SignalPeriod,
  type SproutSignals,
  type UsageEventType,
} from '../../domain/grove/index.js';
import type { AggregationStore, PeriodRefresh } from '../../engine/ports.js';
import type { Sql, SqlQuery } from '../sql.js';
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

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The nine counters, as (column, event type), in the domain's order. */
const COUNTERS = (Object.entries(SIGNAL_COUNTERS) as Array<[UsageEventType, string]>).map(([type, name]) => [snake(name), type] as const);

/** Every stored signal column, in SignalValues' order: the ones a refresh writes and compares. */
const SIGNAL_COLUMNS = [
  ...COUNTERS.map(([column]) => column),
  'unique_sessions',
  'unique_users',
  'unique_lenses',
  'unique_hubs',
  'first_event_at',
  'last_event_at',
  'active_span_days',
  'utility_score',
  'diversity_index',
  'quality_score',
  'advancement_eligible',
];

interface AggregationRow extends SignalColumns {
  sprout_id: string;
  period: SignalPeriod;
  as_of: Date;
}

/**
 * The recompute, one statement so that one snapshot covers the choice of sprouts, their
 * events and the upsert. `targets` is the set of sprouts to recompute; the rest is the same
 * for both modes. Parameters: $1 period, $2 window start (exclusive; -infinity for all_time),
 * $3 window end = the clock time (inclusive), then the incremental mode's $4.. (see below).
 *
 * Grouping and distinct counts compare bytes (collate "C"): the same equality as any
 * deterministic collation, and a cheaper sort than a locale's (about a fifth off the full
 * recompute in bench/grove-aggregation.bench.ts).
 *
 * The scores repeat domain/grove/signals.ts in float8, operation for operation, so SQL and
 * TypeScript agree exactly. A recomputed row whose values are unchanged is not rewritten
 * (a full refresh would otherwise rewrite every row to change nothing but computed_at).
 */
function refreshText(targets: string, counted: string): string {
  const counters = COUNTERS.map(([column, type]) => `count(*) filter (where e.event_type = '${type}')::int as ${column}`).join(',\n                ');
  const zeroed = COUNTERS.map(([column]) => `coalesce(c.${column}, 0) as ${column}`).join(', ');
  const columns = SIGNAL_COLUMNS.join(', ');
  return `
    with targets as (${targets}),
    counted as (
         select e.sprout_id collate "C" as sprout_id,
                ${counters},
                count(distinct e.session_id collate "C")::int as unique_sessions,
                count(distinct e.user_id collate "C")::int as unique_users,
                count(distinct e.lens_id collate "C")::int as unique_lenses,
                count(distinct e.hub_id collate "C")::int as unique_hubs,
                min(e.created_at) as first_event_at,
                max(e.created_at) as last_event_at
           from sprout_usage_events e
          where e.created_at > $2::timestamptz and e.created_at <= $3::timestamptz ${counted}
          group by 1),
    -- A target without events in the window gets zeros: its old numbers never survive.
    base as (
         select t.sprout_id, ${zeroed},
                coalesce(c.unique_sessions, 0) as unique_sessions, coalesce(c.unique_users, 0) as unique_users,
                coalesce(c.unique_lenses, 0) as unique_lenses, coalesce(c.unique_hubs, 0) as unique_hubs,
                c.first_event_at, c.last_event_at,
                -- Whole 24-hour days; extract(epoch) is exact (numeric), so floor never rounds up.
                coalesce(floor((extract(epoch from c.last_event_at) - extract(epoch from c.first_event_at)) / 86400), 0)::int as active_span_days
           from targets t left join counted c on c.sprout_id = t.sprout_id collate "C"),
    scored as (
         select b.*,
                case when b.upvotes + b.downvotes = 0 then 0::float8
                     else (b.upvotes - b.downvotes)::float8 / (b.upvotes + b.downvotes)::float8 end as utility_score,
                (least(b.unique_sessions::float8 / ${DIVERSITY_SESSIONS_CAP}, 1::float8)
                   + least(b.unique_lenses::float8 / ${DIVERSITY_LENSES_CAP}, 1::float8)
                   + least(b.unique_hubs::float8 / ${DIVERSITY_HUBS_CAP}, 1::float8)) / 3 as diversity_index
           from base b),
    rated as (
         select s.*,
                0.3::float8 * least(s.view_count::float8 / ${QUALITY_VIEWS_CAP}, 1::float8)
                  + 0.3::float8 * ((s.utility_score + 1) / 2)
                  + 0.2::float8 * s.diversity_index
                  + 0.2::float8 * least(s.active_span_days::float8 / ${QUALITY_SPAN_CAP_DAYS}, 1::float8) as quality_score
           from scored s),
    written as (
         insert into sprout_signal_aggregations as a (sprout_id, period, ${columns}, computed_at)
         select r.sprout_id, $1, ${SIGNAL_COLUMNS.slice(0, -1).map((c) => `r.${c}`).join(', ')},
                r.quality_score >= ${ELIGIBLE_MIN_QUALITY}::float8 and r.view_count >= ${ELIGIBLE_MIN_VIEWS}, $3::timestamptz
           from rated r
         on conflict (sprout_id, period) do update
            set ${SIGNAL_COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ')}, computed_at = excluded.computed_at
          where (${SIGNAL_COLUMNS.map((c) => `a.${c}`).join(', ')}) is distinct from (${SIGNAL_COLUMNS.map((c) => `excluded.${c}`).join(', ')})
         returning 1),
    -- Sprouts that were deleted keep no signals (a full refresh would not produce their rows).
    removed as (
         delete from sprout_signal_aggregations a
          where a.period = $1 and not exists (select 1 from sprouts s where s.id = a.sprout_id)
         returning 1)
    select (select count(*)::int from targets) as recomputed,
           (select count(*)::int from written) as written,
           (select count(*)::int from removed) as removed`;
}

/**
 * Full: every sprout; events are grouped without a join (orphans' groups are simply not
 * matched by any target), which is cheaper than joining two million events to the sprouts.
 */
const REFRESH_FULL = refreshText(`select s.id as sprout_id from sprouts s`, '');

/**
 * Incremental: $4 the id watermark; $5..$8 two time ranges (lower, upper] swept by the
 * window's edges since the last refresh (empty ranges when unused). A sprout is recomputed
 * when it has an event above the watermark, an event inside a swept range (it entered or
 * left the window), or no row yet (new since the last refresh). Unknown sprouts are dropped
 * by the join to `sprouts`.
 */
const REFRESH_INCREMENTAL = refreshText(
  `select s.id as sprout_id
     from sprouts s
    where s.id in (select e.sprout_id from sprout_usage_events e where e.id > $4::bigint
                   union all
                   select e.sprout_id from sprout_usage_events e where e.created_at > $5::timestamptz and e.created_at <= $6::timestamptz
                   union all
                   select e.sprout_id from sprout_usage_events e where e.created_at > $7::timestamptz and e.created_at <= $8::timestamptz
                   union all
                   select n.id from sprouts n
                    where not exists (select 1 from sprout_signal_aggregations a where a.sprout_id = n.id and a.period = $1))`,
  `and e.sprout_id in (select sprout_id from targets)`,
);

function refreshQuery(period: SignalPeriod, plan: SignalRefreshPlan): SqlQuery {
  const window = [period, plan.window.start ?? NO_BOUND, plan.window.end];
  if (plan.mode === 'full') return { name: 'grove-aggregation-refresh-full', text: REFRESH_FULL, values: window };
  const [first, second] = plan.edges;
  return {
    name: 'grove-aggregation-refresh-incremental',
    text: REFRESH_INCREMENTAL,
    values: [...window, plan.afterEventId, first?.lower ?? NO_BOUND, first?.upper ?? NO_BOUND, second?.lower ?? NO_BOUND, second?.upper ?? NO_BOUND],
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
         returning s.last_event_id::text as last_event_id, s.computed_at`,
  values: [period],
});

const saveState = (period: SignalPeriod, lastEventId: number | null, now: Date): SqlQuery => ({
  name: 'grove-aggregation-save-state',
  text: `update signal_aggregation_state
            set last_event_id = greatest(last_event_id, coalesce($2::bigint, last_event_id)), computed_at = $3::timestamptz
          where period = $1`,
  values: [period, lastEventId, now],
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
 * the watermark and are looked at again next time.
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
}

export function createAggregationStore(sql: Sql, options: AggregationStoreOptions = {}): AggregationStore {
  const lockTimeoutMs = options.watermarkLockTimeoutMs ?? WATERMARK_LOCK_TIMEOUT_MS;
  async function refreshPeriod(period: SignalPeriod, full: boolean, now: Date, watermark: number | null, dryRun: boolean): Promise<PeriodRefresh> {
    const work = async (tx: Sql): Promise<PeriodRefresh> => {
      const [stateRow] = await tx.query<{ last_event_id: string; computed_at: Date | null }>(lockState(period));
      const state: SignalAggregationState = { lastEventId: Number(stateRow?.last_event_id ?? 0), computedAt: stateRow?.computed_at ?? null };
      const plan = planSignalRefresh(period, state, now, full);
      const [counts] = await tx.query<{ recomputed: number; written: number; removed: number }>(refreshQuery(period, plan));
      await tx.query(saveState(period, watermark, now));
      const refresh: PeriodRefresh = {
        period,
        mode: plan.mode,
        sproutsRecomputed: counts?.recomputed ?? 0,
        rowsWritten: counts?.written ?? 0,
        rowsDeleted: counts?.removed ?? 0,
        lastEventId: Math.max(state.lastEventId, watermark ?? state.lastEventId),
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
