import type { SignalPeriod } from '../../domain/grove/index.js';
import type { SqlQuery } from '../sql.js';

/**
 * The running state behind incremental aggregation (migration grove/0003): per sprout and
 * distinct key, the instant that decides whether the key counts in a period's window. For
 * all_time a key counts once its first event is at or before the clock time; for a sliding
 * window, once its last event lies inside it (true when no event of the sprout is dated after
 * the clock time; the refresh recomputes such sprouts from their events instead).
 */

/** The column of sprout_signal_keys each period keeps, and how a new event moves it. */
export const KEY_COLUMN: Record<SignalPeriod, { column: string; merge: 'least' | 'greatest' }> = {
  all_time: { column: 'all_time_first', merge: 'least' },
  last_30d: { column: 'last_30d_last', merge: 'greatest' },
  last_7d: { column: 'last_7d_last', merge: 'greatest' },
};

/** The distinct keys of an event `e`, as rows (kind, key); a missing user, lens or hub is no key. */
export const EVENT_KEYS = `(values ('s'::"char", e.session_id), ('u'::"char", e.user_id), ('l'::"char", e.lens_id), ('h'::"char", e.hub_id)) as k (kind, key)`;

/**
 * Folds the events with $1 < id <= $2 into the period's column, for sprouts whose keys are
 * complete (marked). Rows go in key order, so two folds never wait on each other crosswise.
 * The sprouts are locked FOR KEY SHARE: one deleted meanwhile drops out here instead of
 * failing the foreign key at the end.
 */
export function foldKeys(period: SignalPeriod, after: number, through: number): SqlQuery {
  const { column, merge } = KEY_COLUMN[period];
  return {
    name: `grove-aggregation-fold-keys-${period}`,
    text: `with live as (
             select s.id from sprouts s
              where s.id in (select e.sprout_id from sprout_usage_events e where e.id > $1::bigint and e.id <= $2::bigint)
                and exists (select 1 from sprout_signal_key_marks m where m.sprout_id = s.id)
                for key share of s)
           insert into sprout_signal_keys as k0 (sprout_id, kind, key, ${column})
           select e.sprout_id, k.kind, k.key, ${merge === 'least' ? 'min' : 'max'}(e.created_at)
             from sprout_usage_events e cross join lateral ${EVENT_KEYS}
            where e.id > $1::bigint and e.id <= $2::bigint and k.key is not null and e.sprout_id in (select id from live)
            group by e.sprout_id, k.kind, k.key
            order by e.sprout_id, k.kind, k.key
           on conflict (sprout_id, kind, key) do update set ${column} = ${merge}(k0.${column}, excluded.${column})`,
    values: [after, through],
  };
}

/**
 * Makes the keys of every sprout without a mark (new, or made again after a delete) from all
 * of its events, each period's column from the events that period has folded ($1 all_time,
 * $2 last_30d, $3 last_7d), and marks it.
 */
export function buildKeys(keysThrough: Record<SignalPeriod, number>): SqlQuery {
  return {
    name: 'grove-aggregation-build-keys',
    text: `with fresh as (
             select s.id from sprouts s
              where not exists (select 1 from sprout_signal_key_marks m where m.sprout_id = s.id)
                for key share of s),
           marked as (insert into sprout_signal_key_marks (sprout_id) select id from fresh returning sprout_id)
           insert into sprout_signal_keys (sprout_id, kind, key, all_time_first, last_30d_last, last_7d_last)
           select e.sprout_id, k.kind, k.key,
                  min(e.created_at) filter (where e.id <= $1::bigint),
                  max(e.created_at) filter (where e.id <= $2::bigint),
                  max(e.created_at) filter (where e.id <= $3::bigint)
             from sprout_usage_events e cross join lateral ${EVENT_KEYS}
            where e.sprout_id in (select sprout_id from marked) and k.key is not null
              and e.id <= greatest($1::bigint, $2::bigint, $3::bigint)
            group by e.sprout_id, k.kind, k.key
            order by e.sprout_id, k.kind, k.key`,
    values: [keysThrough.all_time, keysThrough.last_30d, keysThrough.last_7d],
  };
}

/** Every period's keys_through (a period without a state row has folded nothing). */
export const readKeysThrough = (): SqlQuery => ({
  name: 'grove-aggregation-keys-through',
  text: `select period, keys_through::text as keys_through from signal_aggregation_state`,
});

/**
 * Refreshes of different periods read and write the same key rows and each other's
 * keys_through (buildKeys): they run one at a time, under this transaction-scoped lock.
 */
export const lockKeys = (): SqlQuery => ({
  name: 'grove-aggregation-lock-keys',
  text: `select pg_advisory_xact_lock(hashtext('grove-jobs:signal-keys:' || current_schema()))`,
});
