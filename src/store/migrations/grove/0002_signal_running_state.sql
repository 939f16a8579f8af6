-- Running state for incremental signal aggregation (store/grove/aggregation-state.ts): per
-- sprout and distinct key (session, user, lens, hub), the first and the last instant the key
-- was seen among the events folded in so far (ids up to signal_key_state.keys_through). With
-- no event of a sprout dated after the clock time, a key counts in all_time when its first
-- instant is at or before the clock and in a sliding window when its last instant lies inside
-- it; so a refresh answers distinct counts from the keys its new and edge-crossing events
-- touch instead of from all of the sprout's events.
--
-- A sprout's keys are complete once it has a mark: the first refresh that sees the sprout
-- builds them from its events; later refreshes fold in the events above keys_through. Deleting
-- a sprout deletes its mark (cascade); its keys go with its aggregation rows (or are rebuilt
-- if a sprout is made again under the same id). The keys have no foreign key on purpose: a
-- check per row would cost more than building them.
create table sprout_signal_key_marks (
  sprout_id text primary key references sprouts (id) on delete cascade
);

-- Room on each page for the updates of a fold to stay on the page (HOT; no index is touched).
create table sprout_signal_keys (
  sprout_id text not null,
  -- 's' session, 'u' user, 'l' lens, 'h' hub
  kind "char" not null,
  key text not null,
  first_at timestamptz not null,
  last_at timestamptz not null,
  primary key (sprout_id, kind, key)
) with (fillfactor = 85);

-- Where the key state stands: every event with id <= keys_through is folded in. It follows
-- the slowest period's watermark, so each period can read its keys as of its own watermark
-- from the state plus the few events above keys_through.
create table signal_key_state (
  singleton boolean primary key default true check (singleton),
  keys_through bigint not null default 0
);

-- seen_through: the highest event id the period's last recompute could see; its rows may count
-- events in (last_event_id, seen_through], so sprouts with such events are recomputed whole.
alter table signal_aggregation_state add column seen_through bigint not null default 0;

-- Backfill: the state as of every event present now. Rows computed before this migration may
-- count any of them, hence seen_through too.
insert into signal_key_state (keys_through) select coalesce(max(id), 0) from sprout_usage_events;
update signal_aggregation_state set seen_through = (select coalesce(max(id), 0) from sprout_usage_events);

insert into sprout_signal_key_marks (sprout_id) select id from sprouts;

insert into sprout_signal_keys (sprout_id, kind, key, first_at, last_at)
select e.sprout_id, k.kind, k.key, min(e.created_at), max(e.created_at)
  from sprout_usage_events e
  join sprouts s on s.id = e.sprout_id
 cross join lateral (values ('s'::"char", e.session_id), ('u'::"char", e.user_id), ('l'::"char", e.lens_id), ('h'::"char", e.hub_id)) as k (kind, key)
 where k.key is not null
 group by e.sprout_id, k.kind, k.key;

-- An incremental refresh rewrites the rows of the sprouts it touched: room on each page lets
-- the new version stay there (HOT, the key is never changed), so no index entry is added.
-- Pages filled from now on keep it.
alter table sprout_signal_aggregations set (fillfactor = 70);
