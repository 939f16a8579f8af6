-- Running state for incremental signal aggregation (store/grove/aggregation-state.ts): per
-- sprout and distinct key (session, user, lens, hub), when the key was first seen for
-- all_time and last seen for last_30d and last_7d, among the events each period has folded in
-- (events with id <= signal_aggregation_state.keys_through of that period). With no event of a
-- sprout dated after the clock time, a key counts in a window exactly when that instant lies
-- inside it, so a refresh answers distinct counts from the keys its new and edge-crossing
-- events touch instead of from all of the sprout's events.
--
-- A sprout's keys are complete once it has a mark: the first refresh that sees the sprout
-- builds them from all its events; later refreshes fold in only the events above each
-- period's keys_through. Deleting a sprout deletes both (cascade), so a sprout made again
-- under the same id is built afresh from the events that are left then.
create table sprout_signal_key_marks (
  sprout_id text primary key references sprouts (id) on delete cascade
);

create table sprout_signal_keys (
  sprout_id text not null references sprout_signal_key_marks (sprout_id) on delete cascade,
  -- 's' session, 'u' user, 'l' lens, 'h' hub
  kind "char" not null,
  key text not null,
  all_time_first timestamptz,
  last_30d_last timestamptz,
  last_7d_last timestamptz,
  primary key (sprout_id, kind, key)
);

-- keys_through: the events each period has folded into sprout_signal_keys (id <= it).
-- seen_through: the highest event id the period's last recompute could see; rows may count
-- events in (last_event_id, seen_through], so sprouts with such events are recomputed whole.
alter table signal_aggregation_state
  add column keys_through bigint not null default 0,
  add column seen_through bigint not null default 0;

-- Backfill: every period's state as of every event present now. Rows computed before this
-- migration may count any of them, hence seen_through too.
insert into signal_aggregation_state (period) values ('all_time'), ('last_30d'), ('last_7d') on conflict (period) do nothing;
update signal_aggregation_state
   set keys_through = (select coalesce(max(id), 0) from sprout_usage_events),
       seen_through = (select coalesce(max(id), 0) from sprout_usage_events);

insert into sprout_signal_key_marks (sprout_id) select id from sprouts;

insert into sprout_signal_keys (sprout_id, kind, key, all_time_first, last_30d_last, last_7d_last)
select e.sprout_id, k.kind, k.key, min(e.created_at), max(e.created_at), max(e.created_at)
  from sprout_usage_events e
  join sprouts s on s.id = e.sprout_id
 cross join lateral (values ('s'::"char", e.session_id), ('u'::"char", e.user_id), ('l'::"char", e.lens_id), ('h'::"char", e.hub_id)) as k (kind, key)
 where k.key is not null
 group by e.sprout_id, k.kind, k.key;
