-- One-time facts about a store, e.g. that its default configs were installed (so an
-- operator's later deletion of one is not undone on the next start).
create table store_flags (
  name text primary key,
  set_at timestamptz not null
);
