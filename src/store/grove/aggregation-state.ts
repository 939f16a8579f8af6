import type { SignalPeriod } from '../../domain/grove/index.js';
import type { SqlQuery } from '../sql.js';

/**
 * The running state behind incremental aggregation (migration grove/0002): per sprout and
 * distinct key, the first and last instant among the events folded in (id <= keys_through).
 * For all_time a key counts once its first event is at or before the clock time; for a
 * sliding window, while its last event lies inside it (true when no event of the sprout is
 * dated after the clock time; the refresh recomputes such sprouts from their events instead).
 */

/** The instant of a key that decides whether it counts in the period, and how events move it. */
export const KEY_INSTANT: Record<SignalPeriod, { column: 'first_at' | 'last_at'; merge: 'least' | 'greatest'; aggregate: 'min' | 'max' }> = {
  all_time: { column: 'first_at', merge: 'least', aggregate: 'min' },
  last_30d: { column: 'last_at', merge: 'greatest', aggregate: 'max' },
  last_7d: { column: 'last_at', merge: 'greatest', aggregate: 'max' },
};

/** The distinct keys of the event aliased `alias`, as rows (kind, key); a missing user, lens or hub is no key. */
export const eventKeys = (alias: string) =>
  `(values ('s'::"char", ${alias}.session_id), ('u'::"char", ${alias}.user_id), ('l'::"char", ${alias}.lens_id), ('h'::"char", ${alias}.hub_id)) as k (kind, key)`;

/**
 * Which periods hold the fold back: a period's peers, those refreshed together with it last
 * time (no more than this long before its previous refresh, or since). The periods of one run,
 * or of configs on the same schedule, are peers, and the state waits for the slowest of them,
 * so that each reads its keys as of its own watermark. A period refreshed less often (last_30d
 * every 6 hours beside all_time every 15 minutes) is not: were the state to wait for it, every
 * frequent refresh would read the hours of events since then again. Its own next refresh finds
 * the state ahead of its watermark and recomputes the sprouts with events the state has and its
 * rows do not, or everything when that is cheaper (fullIsCheaper).
 */
export const FOLD_PEERS_WITHIN_MS = 600_000;

/**
 * Locks and reads the key state. Refreshes of different periods read and write the same key
 * rows, so they run one at a time: the lock is held to the end of the refresh's transaction.
 */
export const lockKeyState = (): SqlQuery => ({
  name: 'grove-aggregation-lock-key-state',
  text: `insert into signal_key_state as s (singleton) values (true)
         on conflict (singleton) do update set singleton = s.singleton
         returning s.keys_through::text as keys_through`,
});

/**
 * Where the fold may go after this refresh: the lowest watermark among the periods refreshed
 * since $1 (never back). $2 the current position.
 */
export const foldTarget = (since: Date, keysThrough: number): SqlQuery => ({
  name: 'grove-aggregation-fold-target',
  text: `select greatest($2::bigint, (select min(last_event_id) from signal_aggregation_state
                                        where computed_at is not null and computed_at >= $1::timestamptz))::text as fold_through`,
  values: [since, keysThrough],
});

/**
 * Folds the events with $1 < id <= $2 into the keys of sprouts whose keys are complete
 * (marked), and moves keys_through. Only refreshes write keys, one at a time (lockKeyState),
 * so no lock on the marks is needed. A sprout deleted while this runs may still get keys here;
 * they go with its aggregation rows at the next refresh, or when its id is made again.
 */
export const foldKeys = (after: number, through: number): SqlQuery => ({
  name: 'grove-aggregation-fold-keys',
  text: `with live as (
           select m.sprout_id from sprout_signal_key_marks m
            where m.sprout_id in (select e.sprout_id from sprout_usage_events e where e.id > $1::bigint and e.id <= $2::bigint)),
         folded as (
           insert into sprout_signal_keys as k0 (sprout_id, kind, key, first_at, last_at)
           select e.sprout_id, k.kind, k.key, min(e.created_at), max(e.created_at)
             from sprout_usage_events e cross join lateral ${eventKeys('e')}
            where e.id > $1::bigint and e.id <= $2::bigint and k.key is not null and e.sprout_id in (select sprout_id from live)
            group by e.sprout_id, k.kind, k.key
            -- In key order: the index pages are then visited in order, each once.
            order by e.sprout_id, k.kind, k.key
           on conflict (sprout_id, kind, key) do update
              set first_at = least(k0.first_at, excluded.first_at), last_at = greatest(k0.last_at, excluded.last_at)
            where excluded.first_at < k0.first_at or excluded.last_at > k0.last_at
           returning 1)
         update signal_key_state set keys_through = $2::bigint`,
  values: [after, through],
});

/**
 * Marks every sprout without a mark (new, or made again after a delete) and drops the keys an
 * earlier sprout of the same id left; returns the ids, whose keys buildKeys then makes. The
 * sprouts are locked FOR KEY SHARE, so one deleted meanwhile drops out here.
 */
export const markNewSprouts = (): SqlQuery => ({
  name: 'grove-aggregation-mark-new-sprouts',
  text: `with fresh as (
           select s.id from sprouts s
            where not exists (select 1 from sprout_signal_key_marks m where m.sprout_id = s.id)
              for key share of s),
         marked as (insert into sprout_signal_key_marks (sprout_id) select id from fresh returning sprout_id),
         cleared as (delete from sprout_signal_keys k using marked m where k.sprout_id = m.sprout_id returning 1)
         select coalesce(array_agg(sprout_id), '{}') as ids, (select count(*)::int from cleared) as cleared from marked`,
});

/** The keys of these sprouts ($2) from their events with id <= $1. */
export const buildKeys = (through: number, sproutIds: readonly string[]): SqlQuery => ({
  name: 'grove-aggregation-build-keys',
  text: `insert into sprout_signal_keys (sprout_id, kind, key, first_at, last_at)
         select e.sprout_id, k.kind, k.key, min(e.created_at), max(e.created_at)
           from sprout_usage_events e cross join lateral ${eventKeys('e')}
          where e.sprout_id = any($2::text[]) and k.key is not null and e.id <= $1::bigint
          group by e.sprout_id, k.kind, k.key
          -- In key order, so the index grows at its end instead of splitting pages all over.
          order by e.sprout_id, k.kind, k.key`,
  values: [through, sproutIds],
});
