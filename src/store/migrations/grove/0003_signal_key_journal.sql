-- The running state of 0002, folded ahead of the periods and journaled (store/grove/aggregation-state.ts).
--
-- The state now follows the newest watermark: every refresh first folds the events above
-- keys_through into it. Each fold writes, per key it touches, the key's instants before and
-- after into sprout_signal_key_journal, so a period whose rows stand at an older watermark
-- reads the keys its new events touched as of both watermarks from the journal alone, without
-- a lookup in the whole state per period. The journal keeps the folds the periods refreshed in
-- the last 500,000 events still need (journal_from is where it starts); a period that fell
-- further behind is recomputed whole.
--
-- The state is derived from the events and is written at every refresh, so it is kept without
-- write-ahead log (unlogged: no WAL, no full-page images after each checkpoint). A crash or a
-- failover empties all four tables together: without marks, every sprout is then recomputed
-- from its events and its keys built again, as in a store that never had them.
--
-- Keys compare bytewise (collate "C"): the same equality as any deterministic collation and a
-- cheaper one, since every lookup compares sprout ids and keys that share long prefixes.
--
-- prior_first_at, prior_last_at: a key's instants before the last fold that moved them (none:
-- that fold made the key), which the fold returns for its journal.
alter table sprout_signal_keys
  set unlogged,
  alter column sprout_id type text collate "C",
  alter column key type text collate "C",
  add column prior_first_at timestamptz,
  add column prior_last_at timestamptz;

-- built_through: keys_through when the sprout's keys were built from its events. A period whose
-- watermark stands below it has no journal for them and recomputes the sprout from its events.
alter table sprout_signal_key_marks
  set unlogged,
  alter column sprout_id type text collate "C",
  add column built_through bigint not null default 0;

alter table signal_key_state
  set unlogged,
  add column journal_from bigint not null default 0;

-- One row per fold (through = the fold's new keys_through) and key it touched, for marked
-- sprouts: the key's first and last instants before the fold (null: a new key) and after it.
create unlogged table sprout_signal_key_journal (
  through bigint not null,
  sprout_id text collate "C" not null,
  kind "char" not null,
  key text collate "C" not null,
  old_first_at timestamptz,
  old_last_at timestamptz,
  new_first_at timestamptz not null,
  new_last_at timestamptz not null
);
create index sprout_signal_key_journal_through_idx on sprout_signal_key_journal (through);

-- Sprouts made or deleted since a period's last refresh: a statement that makes or deletes any
-- notes it for every period (one row each; a statement trigger, so a bulk insert adds three
-- rows). A period's refresh takes its rows; without any, and with every sprout marked, it skips
-- looking for sprouts without a row and rows without a sprout, two scans of every sprout.
-- Inserts never wait on each other here (no row is updated).
create table signal_sprout_changes (
  period text not null check (period in ('all_time', 'last_30d', 'last_7d'))
);
create index signal_sprout_changes_period_idx on signal_sprout_changes (period);

-- The function keeps the schema it was made in (set search_path from current): it works for a
-- session whose search_path lacks the domain's schema.
create function note_sprout_changes() returns trigger language plpgsql set search_path from current as $$
begin
  insert into signal_sprout_changes (period) values ('all_time'), ('last_30d'), ('last_7d');
  return null;
end $$;

create trigger sprouts_noted_for_signals after insert or delete or truncate on sprouts
  for each statement execute function note_sprout_changes();

-- Every period looks once, whatever happened before the trigger existed.
insert into signal_sprout_changes (period) values ('all_time'), ('last_30d'), ('last_7d');

-- Every existing mark's keys are as of where the state stands: a period whose rows stand below
-- recomputes these sprouts from their events once (there is no journal back to its watermark).
update sprout_signal_key_marks set built_through = coalesce((select keys_through from signal_key_state), 0);
