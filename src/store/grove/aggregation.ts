import {
  DIVERSITY_HUBS_CAP,
  DIVERSITY_LENSES_CAP,
  DIVERSITY_SESSIONS_CAP,
  ELIGIBLE_MIN_QUALITY,
  ELIGIBLE_MIN_VIEWS,
  fullIsCheaper,
  incrementalWork,
  SIGNAL_COUNTERS,
  PERIOD_DAYS,
  periodWindow,
  planSignalRefresh,
  SIGNAL_PERIODS,
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
import { buildKeys, eventKeys, FOLD_PEERS_WITHIN_MS, foldKeys, foldTarget, KEY_INSTANT, lockKeyState, markNewSprouts } from './aggregation-state.js';
import { type SignalColumns, toSignalValues } from './signal-row.js';

/**
 * How long a refresh waits for in-flight event inserts before it gives up advancing the id
 * watermark this time (see readWatermark). Inserts queue behind the waiting lock, so this
 * also bounds how long a refresh can stall ingestion.
 */
const WATERMARK_LOCK_TIMEOUT_MS = 1000;

/** PostgreSQL's lock_not_available: raised when lock_timeout expires. */
const LOCK_NOT_AVAILABLE = '55P03';

/** Sprouts whose keys one refresh built, from which it refreshes the state tables' planner statistics. */
const ANALYZE_AFTER_BUILDING = 1000;

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

/** Events grouped per sprout: the counted columns from the events themselves ($2 < created_at <= $3). */
function countedFromEvents(where: string): string {
  const counters = COUNTERS.map(([column, type]) => `count(*) filter (where e.event_type = '${type}')::int as ${column}`).join(',\n                ');
  return `select e.sprout_id collate "C" as sprout_id,
                ${counters},
                count(distinct e.session_id collate "C")::int as unique_sessions,
                count(distinct e.user_id collate "C")::int as unique_users,
                count(distinct e.lens_id collate "C")::int as unique_lenses,
                count(distinct e.hub_id collate "C")::int as unique_hubs,
                min(e.created_at) as first_event_at,
                max(e.created_at) as last_event_at
           from sprout_usage_events e
          where e.created_at > $2::timestamptz and e.created_at <= $3::timestamptz ${where}
          group by 1`;
}

/**
 * The recompute, one statement so that one snapshot covers the choice of sprouts, their
 * events and the upsert. `targets` is the set of sprouts to recompute, `counted` their counted
 * columns (a target missing there has no events in the window); the rest is the same for both
 * modes. Parameters: $1 period, $2 window start (exclusive; -infinity for all_time), $3 window
 * end = the clock time (inclusive), then the incremental mode's $4.. (see below).
 *
 * Grouping and distinct counts compare bytes (collate "C"): the same equality as any
 * deterministic collation, and a cheaper sort than a locale's (about a fifth off the full
 * recompute in bench/grove-aggregation.bench.ts).
 *
 * The scores repeat domain/grove/signals.ts in float8, operation for operation, so SQL and
 * TypeScript agree exactly. A recomputed row whose values are unchanged is not rewritten
 * (a full refresh would otherwise rewrite every row to change nothing but computed_at).
 * `seen_through` is the highest event id the statement could see (see saveState).
 */
function refreshText(ctes: string): string {
  const zeroed = COUNTERS.map(([column]) => `coalesce(c.${column}, 0) as ${column}`).join(', ');
  const columns = SIGNAL_COLUMNS.join(', ');
  return `
    with ${ctes},
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
         returning a.sprout_id),
    -- Their running state goes with them (its mark went when the sprout was deleted).
    forgotten as (
         delete from sprout_signal_keys k where k.sprout_id in (select sprout_id from removed)
         returning 1)
    select (select count(*)::int from targets) as recomputed,
           (select count(*)::int from written) as written,
           (select count(*)::int from removed) as removed,
           (select coalesce(max(id), 0)::text from sprout_usage_events) as seen_through`;
}

/**
 * Full: every sprout; events are grouped without a join (orphans' groups are simply not
 * matched by any target), which is cheaper than joining two million events to the sprouts.
 */
const REFRESH_FULL = refreshText(`targets as (select s.id as sprout_id from sprouts s),
    counted as (${countedFromEvents('')})`);

/** The changed events' columns, as `changed` lists them. */
const CHANGED_COLUMNS = 'e.sprout_id, e.event_type, e.session_id, e.user_id, e.lens_id, e.hub_id, e.created_at';

/**
 * Incremental. Parameters after the window: $4 the period's id watermark W (its rows count
 * exactly the events up to it, see below); $5..$8 two time ranges (lower, upper] swept by the
 * window's edges since the last refresh (empty ranges when unused); $9 the new watermark G
 * (the events this refresh counts); $10 keys_through F, where the key state stands; $11 the
 * highest id whose events the rows may count beyond W, or the key state may hold beyond it
 * (max(seen_through, F)); $12, $13 the previous window (start, clock time).
 *
 * Targets, as before the running state: sprouts with an event above W, an event inside a swept
 * range (it entered or left the window), no row yet, or no key state. Unknown sprouts are
 * dropped by the join to `sprouts`.
 *
 * Most targets are answered from their row and the running state (`fast`): the row counts
 * exactly their events with id <= W inside the previous window. The new row is the old one
 * plus, per changed event (new: W < id <= G; recent: above F; or counted and inside a swept
 * range), +1 when it is inside the new window and -1 when it was inside the old one; a distinct
 * count moves by the touched keys that entered or left, each key's instant taken from the state
 * and its events above F, up to W before and up to G after; first and last event move to the
 * entering events' while none left the window, else they are two index probes.
 * The others (`slow`) are recomputed from all their events: no row or key state yet, events
 * in (W, $11] (counted by the rows without the watermark's guarantee, or folded into the state
 * though not counted), events this refresh sees above G, or (sliding windows) an event dated
 * after the previous or the new clock time among the events counted then or now, where a key's
 * last instant no longer tells whether it has an event inside the window.
 */
function incrementalText(period: SignalPeriod): string {
  const { column, merge, aggregate } = KEY_INSTANT[period];
  const sliding = PERIOD_DAYS[period] !== null;
  // A key counts when its first event is at or before the clock (all_time), or its last one after the window start.
  const inside = (instant: string, start: string, end: string) => (sliding ? `coalesce(${instant} > ${start}, false)` : `coalesce(${instant} <= ${end}, false)`);
  const kinds = [
    ['unique_sessions', 's'],
    ['unique_users', 'u'],
    ['unique_lenses', 'l'],
    ['unique_hubs', 'h'],
  ] as const;
  return refreshText(`unready as (
         select n.id from sprouts n
           left join sprout_signal_aggregations a on a.sprout_id = n.id and a.period = $1
           left join sprout_signal_key_marks m on m.sprout_id = n.id
          where a.sprout_id is null or m.sprout_id is null),
    targets as (
         select s.id as sprout_id
           from sprouts s
          where s.id in (select e.sprout_id from sprout_usage_events e where e.id > $4::bigint
                         union all
                         select e.sprout_id from sprout_usage_events e where e.created_at > $5::timestamptz and e.created_at <= $6::timestamptz
                         union all
                         select e.sprout_id from sprout_usage_events e where e.created_at > $7::timestamptz and e.created_at <= $8::timestamptz
                         union all
                         select id from unready)),
    slow as (
         select t.sprout_id from targets t
          where t.sprout_id in (select id from unready)
             or t.sprout_id in (select e.sprout_id from sprout_usage_events e where e.id > $4::bigint and (e.id <= $11::bigint or e.id > $9::bigint))
             ${
               sliding
                 ? `or t.sprout_id in (select e.sprout_id from sprout_usage_events e where e.created_at > $13::timestamptz and e.id <= $4::bigint)
             or t.sprout_id in (select e.sprout_id from sprout_usage_events e where e.created_at > $3::timestamptz and e.id <= $9::bigint)`
                 : ''
             }),
    fast as (select sprout_id from targets except select sprout_id from slow),
    -- Disjoint parts, with L = min(W, F): the events above L up to G (new or recent); counted ones
    -- (id <= L) in the first swept range; in the second, not in the first.
    changed as (
         select ${CHANGED_COLUMNS}, e.id, e.id <= $4::bigint as counted from sprout_usage_events e
          where e.id > least($4::bigint, $10::bigint) and e.id <= $9::bigint
         union all
         select ${CHANGED_COLUMNS}, e.id, true from sprout_usage_events e
          where e.created_at > $5::timestamptz and e.created_at <= $6::timestamptz and e.id <= least($4::bigint, $10::bigint)
         union all
         select ${CHANGED_COLUMNS}, e.id, true from sprout_usage_events e
          where e.created_at > $7::timestamptz and e.created_at <= $8::timestamptz and e.id <= least($4::bigint, $10::bigint)
            and not (e.created_at > $5::timestamptz and e.created_at <= $6::timestamptz)),
    moved as (
         select c.*,
                (c.created_at > $2::timestamptz and c.created_at <= $3::timestamptz)::int
                  - (c.counted and c.created_at > $12::timestamptz and c.created_at <= $13::timestamptz)::int as delta
           from changed c
          where c.sprout_id in (select sprout_id from fast)),
    -- Also: whether an event left the window, and the first and last instant of those that entered.
    counter_delta as (
         select m.sprout_id, ${COUNTERS.map(([c, type]) => `coalesce(sum(m.delta) filter (where m.event_type = '${type}'), 0)::int as ${c}`).join(', ')},
                bool_or(m.delta < 0) as left_window, min(m.created_at) filter (where m.delta > 0) as entered_first,
                max(m.created_at) filter (where m.delta > 0) as entered_last
           from moved m group by m.sprout_id),
    -- Per touched key, the instant its events above F (not in the state yet) bring: up to W (counted before) and up to G.
    touched as (
         select m.sprout_id, k.kind, k.key,
                ${aggregate}(m.created_at) filter (where m.id > $10::bigint and m.counted) as before_at,
                ${aggregate}(m.created_at) filter (where m.id > $10::bigint) as after_at
           from moved m cross join lateral ${eventKeys('m')}
          where k.key is not null
          group by m.sprout_id, k.kind, k.key
          -- By sprout and key (bytewise, a cheap sort): each sprout's keys in the state's index are then visited together.
          order by m.sprout_id collate "C", k.kind, k.key collate "C"),
    key_delta as (
         select x.sprout_id, ${kinds.map(([c, kind]) => `coalesce(sum(x.d) filter (where x.kind = '${kind}'), 0)::int as ${c}`).join(', ')}
           from (select t.sprout_id, t.kind,
                        ${inside(`${merge}(sk.${column}, t.after_at)`, '$2::timestamptz', '$3::timestamptz')}::int
                          - ${inside(`${merge}(sk.${column}, t.before_at)`, '$12::timestamptz', '$13::timestamptz')}::int as d
                   from touched t
                   left join sprout_signal_keys sk on sk.sprout_id = t.sprout_id and sk.kind = t.kind and sk.key = t.key) x
          group by x.sprout_id),
    counted as (
         ${countedFromEvents('and e.sprout_id in (select sprout_id from slow)')}
         union all
         select f.sprout_id collate "C",
                ${COUNTERS.map(([c]) => `a.${c} + coalesce(cd.${c}, 0)`).join(', ')},
                ${kinds.map(([c]) => `a.${c} + coalesce(kd.${c}, 0)`).join(', ')},
                -- While no event left the window, first and last only move to the ones that entered.
                case when cd.left_window
                     then (select min(e.created_at) from sprout_usage_events e where e.sprout_id = f.sprout_id and e.created_at > $2::timestamptz and e.created_at <= $3::timestamptz)
                     else least(a.first_event_at, cd.entered_first) end,
                case when cd.left_window
                     then (select max(e.created_at) from sprout_usage_events e where e.sprout_id = f.sprout_id and e.created_at > $2::timestamptz and e.created_at <= $3::timestamptz)
                     else greatest(a.last_event_at, cd.entered_last) end
           from fast f
           join sprout_signal_aggregations a on a.sprout_id = f.sprout_id and a.period = $1
           left join counter_delta cd on cd.sprout_id = f.sprout_id
           left join key_delta kd on kd.sprout_id = f.sprout_id)`);
}

const REFRESH_INCREMENTAL = Object.fromEntries(SIGNAL_PERIODS.map((period) => [period, incrementalText(period)])) as Record<SignalPeriod, string>;

/** Where a period stands, as its state row says. */
interface PeriodState extends SignalAggregationState {
  seenThrough: number;
}

function refreshQuery(period: SignalPeriod, plan: SignalRefreshPlan, state: PeriodState, keysThrough: number, countThrough: number): SqlQuery {
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
      keysThrough,
      Math.max(state.seenThrough, keysThrough),
      before.start ?? NO_BOUND,
      before.end,
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
const saveState = (period: SignalPeriod, lastEventId: number | null, now: Date, seenThrough: number): SqlQuery => ({
  name: 'grove-aggregation-save-state',
  text: `update signal_aggregation_state
            set last_event_id = greatest(last_event_id, coalesce($2::bigint, last_event_id)), computed_at = $3::timestamptz,
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
}

export function createAggregationStore(sql: Sql, options: AggregationStoreOptions = {}): AggregationStore {
  const lockTimeoutMs = options.watermarkLockTimeoutMs ?? WATERMARK_LOCK_TIMEOUT_MS;
  const weigh = options.weighRefreshes ?? true;
  async function refreshPeriod(period: SignalPeriod, full: boolean, now: Date, watermark: number | null, dryRun: boolean): Promise<PeriodRefresh> {
    const work = async (tx: Sql): Promise<PeriodRefresh> => {
      const [keyRow] = await tx.query<{ keys_through: string }>(lockKeyState());
      const keysThrough = Number(keyRow?.keys_through ?? 0);
      const [stateRow] = await tx.query<{ last_event_id: string; computed_at: Date | null; seen_through: string }>(lockState(period));
      const state: PeriodState = {
        lastEventId: Number(stateRow?.last_event_id ?? 0),
        computedAt: stateRow?.computed_at ?? null,
        seenThrough: Number(stateRow?.seen_through ?? 0),
      };
      let plan = planSignalRefresh(period, state, now, full);
      // The events this refresh counts for sure: up to the new watermark, or the old one without it.
      const countThrough = Math.max(state.lastEventId, watermark ?? state.lastEventId);
      let fullBecause: string | null = null;
      if (weigh && plan.mode === 'incremental') {
        // The events it would take in: above the period's watermark, or above the key state when that stands lower.
        const changedEvents = Math.max(0, countThrough - Math.min(state.lastEventId, keysThrough));
        const behindEvents = Math.max(0, keysThrough - state.lastEventId);
        if (incrementalWork({ changedEvents, behindEvents }) >= MIN_WORK_WEIGHED) {
          const [counted] = await tx.query<{ events: string }>(windowEvents(period));
          fullBecause = fullIsCheaper({ changedEvents, behindEvents, windowEvents: Number(counted?.events ?? 0) });
          if (fullBecause !== null) plan = planSignalRefresh(period, state, now, true);
        }
      }
      const [counts] = await tx.query<{ recomputed: number; written: number; removed: number; seen_through: string }>(
        refreshQuery(period, plan, state, keysThrough, countThrough),
      );
      await tx.query(saveState(period, watermark, now, Number(counts?.seen_through ?? 0)));
      // The state follows the slowest of the period's peers (FOLD_PEERS_WITHIN_MS); the recompute above read it as it stood before.
      const peersSince = new Date((state.computedAt ?? now).getTime() - FOLD_PEERS_WITHIN_MS);
      const [target] = await tx.query<{ fold_through: string }>(foldTarget(peersSince, keysThrough));
      const foldThrough = Number(target?.fold_through ?? keysThrough);
      if (foldThrough > keysThrough) await tx.query(foldKeys(keysThrough, foldThrough));
      const [fresh] = await tx.query<{ ids: string[] }>(markNewSprouts());
      if (fresh !== undefined && fresh.ids.length > 0) {
        await tx.query(buildKeys(foldThrough, fresh.ids));
        // Plans made while the state tables were nearly empty scan them per sprout; a large build gives the planner their size.
        if (fresh.ids.length >= ANALYZE_AFTER_BUILDING) await tx.exec(`analyze sprout_signal_key_marks, sprout_signal_keys`);
      }
      const refresh: PeriodRefresh = {
        period,
        mode: plan.mode,
        ...(fullBecause !== null ? { fullBecause } : {}),
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
