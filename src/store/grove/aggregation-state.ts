import type { SignalPeriod } from '../../domain/grove/index.js';
import type { Sql, SqlQuery } from '../sql.js';

/**
 * The running state behind incremental aggregation (migrations grove/0002 and 0003): per
 * sprout and distinct key, the first and last instant among the events folded in (id <=
 * keys_through). For all_time a key counts once its first event is at or before the clock
 * time; for a sliding window, while its last event lies inside it (true when no event of the
 * sprout is dated after the clock time; the refresh recomputes such sprouts from their events
 * instead).
 *
 * Every refresh first folds the events up to its watermark into the state, journaling each key
 * the fold moved with its instants before and after (foldKeys). A period then reads the keys
 * its new events moved, as of its old and its new watermark, from the journal of the folds in
 * between, whichever period's refresh made them: one lookup in the state per key and fold, not
 * one per key and period.
 *
 * The state, its marks and its journal are unlogged (migration grove/0003): a crash empties
 * them together, and a state without marks is rebuilt sprout by sprout from the events.
 */

/**
 * The instant of a key that decides whether it counts in the period, and how it moves over the
 * folds: as of the newest one, the `latest` aggregate of the instants after each (events only
 * move it one way); as of the oldest, the `earliest` aggregate of the instants before each.
 */
export const KEY_INSTANT: Record<SignalPeriod, { column: 'first_at' | 'last_at'; latest: 'min' | 'max'; earliest: 'min' | 'max' }> = {
  all_time: { column: 'first_at', latest: 'min', earliest: 'max' },
  last_30d: { column: 'last_at', latest: 'max', earliest: 'min' },
  last_7d: { column: 'last_at', latest: 'max', earliest: 'min' },
};

/** The distinct keys of the event aliased `alias`, as rows (kind, key); a missing user, lens or hub is no key. */
export const eventKeys = (alias: string) =>
  `(values ('s'::"char", ${alias}.session_id), ('u'::"char", ${alias}.user_id), ('l'::"char", ${alias}.lens_id), ('h'::"char", ${alias}.hub_id)) as k (kind, key)`;

/** Sprouts whose keys one refresh built, from which it refreshes the state tables' planner statistics. */
const ANALYZE_AFTER_BUILDING = 1000;

/**
 * How far behind the newest watermark, in events, the journal keeps folds for a period: one
 * further behind (refreshed rarely, or no more) is recomputed whole at its next refresh, which
 * costs less than reading that many events' keys, and the journal stays bounded.
 */
export const JOURNAL_KEEP_EVENTS = 500_000;

/**
 * Locks and reads the key state: where it stands (keys_through) and where its journal starts.
 * Refreshes of different periods read and write the same key rows, so they run one at a time:
 * the lock is held to the end of the refresh's transaction.
 */
export const lockKeyState = (): SqlQuery => ({
  name: 'grove-aggregation-lock-key-state',
  text: `insert into signal_key_state as s (singleton) values (true)
         on conflict (singleton) do update set singleton = s.singleton
         returning s.keys_through::text as keys_through, s.journal_from::text as journal_from`,
});

/**
 * Folds the events with $1 < id <= $2 into the keys of sprouts whose keys are complete
 * (marked), in one pass: each key the events move (a new key, or an instant moved) is written
 * with its instants before (prior_*: none for a new key) and returned, and so journaled at $2
 * with its instants before and after. Keys the events touch without moving either instant
 * change nothing for any period and are left out. The state is visited in key order (its index
 * pages each once). Only refreshes write keys, one at a time (lockKeyState), so no lock on the
 * marks is needed. A sprout deleted while this runs may still get keys here; they go with its
 * aggregation rows at the next refresh, or when its id is made again.
 */
const foldKeys = (after: number, through: number): SqlQuery => ({
  name: 'grove-aggregation-fold-keys',
  text: `with folded as (
           insert into sprout_signal_keys as k0 (sprout_id, kind, key, first_at, last_at)
           select e.sprout_id collate "C", k.kind, k.key collate "C", min(e.created_at), max(e.created_at)
             from sprout_usage_events e cross join lateral ${eventKeys('e')}
            where e.id > $1::bigint and e.id <= $2::bigint and k.key is not null
              and e.sprout_id in (select m.sprout_id from sprout_signal_key_marks m)
            group by 1, 2, 3
            order by 1, 2, 3
           on conflict (sprout_id, kind, key) do update
              set first_at = least(k0.first_at, excluded.first_at), last_at = greatest(k0.last_at, excluded.last_at),
                  prior_first_at = k0.first_at, prior_last_at = k0.last_at
            where excluded.first_at < k0.first_at or excluded.last_at > k0.last_at
           returning k0.*),
         journaled as (
           insert into sprout_signal_key_journal (through, sprout_id, kind, key, old_first_at, old_last_at, new_first_at, new_last_at)
           select $2::bigint, f.sprout_id, f.kind, f.key, f.prior_first_at, f.prior_last_at, f.first_at, f.last_at from folded f
           returning 1)
         update signal_key_state set keys_through = $2::bigint`,
  values: [after, through],
});

/**
 * Where the journal must start: the lowest watermark among the periods no more than $2 events
 * (JOURNAL_KEEP_EVENTS) behind the state ($1); the folds at or below it serve no period.
 */
const journalNeededFrom = (keysThrough: number, keepEvents: number): SqlQuery => ({
  name: 'grove-aggregation-journal-needed-from',
  text: `select min(last_event_id)::text as through from signal_aggregation_state
          where computed_at is not null and last_event_id >= $1::bigint - $2::bigint`,
  values: [keysThrough, keepEvents],
});

/** Drops the folds at or below $1 (all of them, at once, when $2), and starts the journal there. */
const dropJournal = (through: number, all: boolean): SqlQuery => ({
  name: 'grove-aggregation-drop-journal',
  text: `with dropped as (delete from sprout_signal_key_journal where not $2::boolean and through <= $1::bigint returning 1)
         update signal_key_state set journal_from = $1::bigint`,
  values: [through, all],
});

/**
 * Whether the period's refresh must look for sprouts without a row (or without complete keys)
 * and rows without a sprout (`changed`), and whether some sprout lacks a mark (`unmarked`).
 * Takes the period's notes of sprouts made or deleted (migration grove/0003); the marks are a
 * subset of the sprouts (their foreign key), so equal counts mean every sprout has one, which a
 * crash (it empties the marks) undoes. Keys built after the period's watermark $2 count too.
 */
export const sproutsChanged = (period: SignalPeriod, watermark: number): SqlQuery => ({
  name: 'grove-aggregation-sprouts-changed',
  text: `with taken as (delete from signal_sprout_changes where period = $1 returning 1),
         unmarked as (select (select count(*) from sprouts) <> (select count(*) from sprout_signal_key_marks) as any)
         select exists (select 1 from taken) or u.any or exists (select 1 from sprout_signal_key_marks where built_through > $2::bigint) as changed,
                u.any as unmarked
           from unmarked u`,
  values: [period, watermark],
});

/**
 * Marks every sprout without a mark (new, or made again after a delete) as built at $1, and
 * drops the keys an earlier sprout of the same id left; returns the ids, whose keys buildKeys
 * then makes. The sprouts are locked FOR KEY SHARE, so one deleted meanwhile drops out here.
 */
const markNewSprouts = (through: number): SqlQuery => ({
  name: 'grove-aggregation-mark-new-sprouts',
  text: `with fresh as (
           select s.id from sprouts s
            where not exists (select 1 from sprout_signal_key_marks m where m.sprout_id = s.id)
              for key share of s),
         marked as (insert into sprout_signal_key_marks (sprout_id, built_through) select id, $1::bigint from fresh returning sprout_id),
         cleared as (delete from sprout_signal_keys k using marked m where k.sprout_id = m.sprout_id returning 1)
         select coalesce(array_agg(sprout_id), '{}') as ids, (select count(*)::int from cleared) as cleared from marked`,
  values: [through],
});

/** The keys of these sprouts ($2) from their events with id <= $1. */
const buildKeys = (through: number, sproutIds: readonly string[]): SqlQuery => ({
  name: 'grove-aggregation-build-keys',
  text: `insert into sprout_signal_keys (sprout_id, kind, key, first_at, last_at)
         select e.sprout_id collate "C", k.kind, k.key collate "C", min(e.created_at), max(e.created_at)
           from sprout_usage_events e cross join lateral ${eventKeys('e')}
          where e.sprout_id = any($2::text[]) and k.key is not null and e.id <= $1::bigint
          group by 1, 2, 3
          -- In key order, so the index grows at its end instead of splitting pages all over.
          order by 1, 2, 3`,
  values: [through, sproutIds],
});

/** Folds the events from `keysThrough` up to each of `steps` in turn (those above it), one fold each; returns where the state stands. */
export async function foldUpTo(tx: Sql, keysThrough: number, steps: readonly number[]): Promise<number> {
  let through = keysThrough;
  for (const step of steps) {
    if (step <= through) continue;
    await tx.query(foldKeys(through, step));
    through = step;
  }
  return through;
}

/** Whether one fold at most covers (after, through]: no fold of the journal ends inside it. */
export async function oneFoldBetween(tx: Sql, after: number, through: number): Promise<boolean> {
  const [row] = await tx.query<{ inside: boolean }>({
    name: 'grove-aggregation-folds-inside',
    text: `select exists (select 1 from sprout_signal_key_journal where through > $1::bigint and through < $2::bigint) as inside`,
    values: [after, through],
  });
  return row?.inside === false;
}

/** Drops the folds no period needs any more; all of them at once (a truncate) when every period has caught up with the state. */
export async function dropUnneededFolds(tx: Sql, keysThrough: number, journalFrom: number, keepEvents: number): Promise<void> {
  const [needed] = await tx.query<{ through: string | null }>(journalNeededFrom(keysThrough, keepEvents));
  const from = needed?.through === null || needed?.through === undefined ? null : Number(needed.through);
  if (from === null || from <= journalFrom) return;
  if (from >= keysThrough) await tx.exec('truncate sprout_signal_key_journal');
  await tx.query(dropJournal(from, from >= keysThrough));
}

/** Marks the sprouts without a mark and builds their keys as of `keysThrough`. */
export async function markAndBuildKeys(tx: Sql, keysThrough: number): Promise<void> {
  const [fresh] = await tx.query<{ ids: string[] }>(markNewSprouts(keysThrough));
  if (fresh === undefined || fresh.ids.length === 0) return;
  await tx.query(buildKeys(keysThrough, fresh.ids));
  // Plans made while the state tables were nearly empty scan them per sprout; a large build gives the planner their size.
  if (fresh.ids.length >= ANALYZE_AFTER_BUILDING) await tx.exec(`analyze sprout_signal_key_marks, sprout_signal_keys`);
}
