import {
  DIVERSITY_HUBS_CAP,
  DIVERSITY_LENSES_CAP,
  DIVERSITY_SESSIONS_CAP,
  ELIGIBLE_MIN_QUALITY,
  ELIGIBLE_MIN_VIEWS,
  PERIOD_DAYS,
  QUALITY_SPAN_CAP_DAYS,
  QUALITY_VIEWS_CAP,
  SIGNAL_COUNTERS,
  SIGNAL_PERIODS,
  type SignalPeriod,
  type UsageEventType,
} from '../../domain/grove/index.js';
import { eventKeys, KEY_INSTANT } from './aggregation-state.js';

/**
 * The recompute statements of signal aggregation (store/grove/aggregation.ts runs them): the
 * full one and, per period, the incremental one, as SQL text built once at load.
 */

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The nine counters, as (column, event type), in the domain's order. */
export const COUNTERS = (Object.entries(SIGNAL_COUNTERS) as Array<[UsageEventType, string]>).map(([type, name]) => [snake(name), type] as const);

/** Every stored signal column, in SignalValues' order: the ones a refresh writes and compares. */
export const SIGNAL_COLUMNS = [
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
 * `sproutsChanged` is SQL for whether sprouts may have been deleted since the last refresh:
 * the rows of deleted ones are looked for only then.
 */
function refreshText(ctes: string, sproutsChanged = 'true'): string {
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
          where ${sproutsChanged} and a.period = $1 and not exists (select 1 from sprouts s where s.id = a.sprout_id)
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
export const REFRESH_FULL = refreshText(`targets as (select s.id as sprout_id from sprouts s),
    counted as (${countedFromEvents('')})`);

/** The changed events' columns, as `changed` lists them. */
const CHANGED_COLUMNS = 'e.sprout_id, e.event_type, e.session_id, e.user_id, e.lens_id, e.hub_id, e.created_at';

/**
 * Incremental. Parameters after the window: $4 the period's id watermark W (its rows count
 * exactly the events up to it, see below); $5..$8 two time ranges (lower, upper] swept by the
 * window's edges since the last refresh (empty ranges when unused); $9 the new watermark G
 * (the events this refresh counts; the key state stands there, its folds since W journaled);
 * $10 the highest id whose events the rows may count beyond W (seen_through); $11, $12 the
 * previous window (start, clock time); $13 whether one fold covers (W, G] (each key is then
 * journaled once there); $14 whether sprouts may be unready or gone (sproutsChanged in
 * aggregation-state.ts): without, neither is looked for, which takes two scans of every sprout.
 *
 * Targets: sprouts with an event above W, an event inside a swept range (it entered or left the
 * window), or not ready. Unknown sprouts are dropped by the join to `sprouts`.
 *
 * Most targets are answered from their row, the journal and the running state (`fast`): the row
 * counts exactly their events with id <= W inside the previous window. The new row is the old
 * one plus, per changed event (new: W < id <= G; or counted and inside a swept range), +1 when
 * it is inside the new window and -1 when it was inside the old one; a distinct count moves by
 * the keys that entered or left: those the new events touched, with their instants as of W and
 * as of G from the journal, and those of the counted events that crossed an edge, unchanged
 * since W, from the state. First and last event move to the entering events' while none left
 * the window, else they are two index probes.
 * The others (`slow`) are recomputed from all their events: not ready (no row, no keys, or keys
 * built after W, so without a journal back to it), events in (W, $10] (counted by the rows
 * without the watermark's guarantee), events this refresh sees above G, or (sliding windows) an
 * event dated after the previous or the new clock time among the events counted then or now,
 * where a key's last instant no longer tells whether it has an event inside the window.
 */
function incrementalText(period: SignalPeriod): string {
  const { column, latest, earliest } = KEY_INSTANT[period];
  const sliding = PERIOD_DAYS[period] !== null;
  // A key counts when its first event is at or before the clock (all_time), or its last one after the window start.
  const inside = (instant: string, start: string, end: string) => (sliding ? `coalesce(${instant} > ${start}, false)` : `coalesce(${instant} <= ${end}, false)`);
  const kinds = [
    ['unique_sessions', 's'],
    ['unique_users', 'u'],
    ['unique_lenses', 'l'],
    ['unique_hubs', 'h'],
  ] as const;
  return refreshText(
    `unready as (
         select n.id from sprouts n
           left join sprout_signal_aggregations a on a.sprout_id = n.id and a.period = $1
           left join sprout_signal_key_marks m on m.sprout_id = n.id
          where $14::boolean and (a.sprout_id is null or m.sprout_id is null or m.built_through > $4::bigint)),
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
    -- One semi-join on a union (never a subplan per target, whatever the estimates).
    slow as (
         select t.sprout_id from targets t
          where t.sprout_id in (select id from unready
                                union all
                                select e.sprout_id from sprout_usage_events e where e.id > $4::bigint and (e.id <= $10::bigint or e.id > $9::bigint)${
                                  sliding
                                    ? `
                                union all
                                select e.sprout_id from sprout_usage_events e where e.created_at > $12::timestamptz and e.id <= $4::bigint
                                union all
                                select e.sprout_id from sprout_usage_events e where e.created_at > $3::timestamptz and e.id <= $9::bigint`
                                    : ''
                                })),
    fast as (select sprout_id from targets except select sprout_id from slow),
    -- Disjoint parts: the new events (W < id <= G); counted ones (id <= W) in the first swept range; in the second, not in the first.
    changed as (
         select ${CHANGED_COLUMNS}, e.id, false as counted from sprout_usage_events e
          where e.id > $4::bigint and e.id <= $9::bigint
         union all
         select ${CHANGED_COLUMNS}, e.id, true from sprout_usage_events e
          where e.created_at > $5::timestamptz and e.created_at <= $6::timestamptz and e.id <= $4::bigint
         union all
         select ${CHANGED_COLUMNS}, e.id, true from sprout_usage_events e
          where e.created_at > $7::timestamptz and e.created_at <= $8::timestamptz and e.id <= $4::bigint
            and not (e.created_at > $5::timestamptz and e.created_at <= $6::timestamptz)),
    moved as (
         select c.*,
                (c.created_at > $2::timestamptz and c.created_at <= $3::timestamptz)::int
                  - (c.counted and c.created_at > $11::timestamptz and c.created_at <= $12::timestamptz)::int as delta
           from changed c
          where c.sprout_id in (select sprout_id from fast)),
    -- Also: whether an event left the window, and the first and last instant of those that entered.
    counter_delta as (
         select m.sprout_id, ${COUNTERS.map(([c, type]) => `coalesce(sum(m.delta) filter (where m.event_type = '${type}'), 0)::int as ${c}`).join(', ')},
                bool_or(m.delta < 0) as left_window, min(m.created_at) filter (where m.delta > 0) as entered_first,
                max(m.created_at) filter (where m.delta > 0) as entered_last
           from moved m group by m.sprout_id),
    -- The keys the new events touched, with their instants as of W (none: a new key) and as of G.
    -- One fold since W ($13): its rows as they are; several: per key, the first's before and the last's after.
    journaled as (
         select j.sprout_id, j.kind, j.key, j.old_${column} as before_at, j.new_${column} as after_at
           from sprout_signal_key_journal j
          where $13::boolean and j.through = $9::bigint and j.sprout_id in (select sprout_id from fast)
         union all
         select j.sprout_id, j.kind, j.key,
                -- A key new in any of the folds was new as of W.
                case when count(j.old_${column}) < count(*) then null else ${earliest}(j.old_${column}) end,
                ${latest}(j.new_${column})
           from sprout_signal_key_journal j
          where not $13::boolean and j.through > $4::bigint and j.through <= $9::bigint and j.sprout_id in (select sprout_id from fast)
          group by j.sprout_id, j.kind, j.key),
    -- The keys of counted events that crossed an edge (those the new events did not move are unchanged since W).
    crossed as (
         select distinct m.sprout_id collate "C" as sprout_id, k.kind, k.key collate "C" as key
           from moved m cross join lateral ${eventKeys('m')}
          where m.counted and k.key is not null),
    -- Per key, the journal's instants when it has the key, else the state's (unchanged since W).
    -- Grouped, not an anti-join: its plan cannot turn quadratic when the journal's statistics are stale.
    key_moves as (
         select x.sprout_id, x.kind,
                case when bool_or(x.journaled) then min(x.before_at) filter (where x.journaled) else min(x.before_at) end as before_at,
                case when bool_or(x.journaled) then min(x.after_at) filter (where x.journaled) else min(x.after_at) end as after_at
           from (select j.sprout_id, j.kind, j.key, j.before_at, j.after_at, true as journaled from journaled j
                 union all
                 select c.sprout_id, c.kind, c.key, sk.${column}, sk.${column}, false
                   from crossed c
                   join sprout_signal_keys sk on sk.sprout_id = c.sprout_id and sk.kind = c.kind and sk.key = c.key) x
          group by x.sprout_id, x.kind, x.key),
    key_delta as (
         select x.sprout_id, ${kinds.map(([c, kind]) => `coalesce(sum(x.d) filter (where x.kind = '${kind}'), 0)::int as ${c}`).join(', ')}
           from (select km.sprout_id, km.kind,
                        ${inside('km.after_at', '$2::timestamptz', '$3::timestamptz')}::int
                          - ${inside('km.before_at', '$11::timestamptz', '$12::timestamptz')}::int as d
                   from key_moves km) x
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
           left join key_delta kd on kd.sprout_id = f.sprout_id)`,
    '$14::boolean',
  );
}

export const REFRESH_INCREMENTAL = Object.fromEntries(SIGNAL_PERIODS.map((period) => [period, incrementalText(period)])) as Record<SignalPeriod, string>;
