-- The Grove domain's tables, in their own schema (GROVE_JOBS_DOMAIN_SCHEMA, default `grove`),
-- installed only where the Grove domain is enabled. Engine migrations 0004 and 0005 made them
-- in the engine's schema before; a store made then has them moved here (migrate.ts), and this
-- file recorded as applied.

-- A lifecycle model names its tiers in order, lowest first.
create table lifecycle_models (
  id text primary key,
  name text not null,
  tiers text[] not null check (cardinality(tiers) >= 2)
);
insert into lifecycle_models (id, name, tiers)
values ('botanical', 'Botanical', array['seed', 'sprout', 'sapling', 'tree', 'grove']);

create table sprouts (
  id text primary key,
  title text not null,
  tier text not null,
  lifecycle_model_id text not null default 'botanical' references lifecycle_models (id),
  created_at timestamptz not null,
  updated_at timestamptz not null
);
-- Advancement pages through the sprouts of given tiers by id (keyset).
create index sprouts_tier_idx on sprouts (lifecycle_model_id, tier, id);

-- Usage events: append-only. No foreign key to sprouts: the events of a deleted sprout stay
-- until orphan cleanup archives them. `id` orders insertion, which incremental aggregation
-- follows; `created_at` is when the event happened (imports may be in the past).
create table sprout_usage_events (
  id bigint generated always as identity primary key,
  sprout_id text not null,
  event_type text not null check (event_type in ('viewed', 'retrieved', 'referenced', 'searched', 'rated_up', 'rated_down', 'exported', 'promoted', 'refined')),
  session_id text not null,
  user_id text,
  lens_id text,
  hub_id text,
  query_hash text,
  metadata jsonb,
  created_at timestamptz not null
);
create index sprout_usage_events_sprout_idx on sprout_usage_events (sprout_id, created_at);
create index sprout_usage_events_created_idx on sprout_usage_events (created_at);

-- Signals per sprout and period, as of `computed_at` (the job's clock time).
create table sprout_signal_aggregations (
  sprout_id text not null,
  period text not null check (period in ('all_time', 'last_30d', 'last_7d')),
  view_count integer not null default 0,
  retrieval_count integer not null default 0,
  reference_count integer not null default 0,
  search_count integer not null default 0,
  upvotes integer not null default 0,
  downvotes integer not null default 0,
  export_count integer not null default 0,
  promotion_count integer not null default 0,
  refinement_count integer not null default 0,
  unique_sessions integer not null default 0,
  unique_users integer not null default 0,
  unique_lenses integer not null default 0,
  unique_hubs integer not null default 0,
  first_event_at timestamptz,
  last_event_at timestamptz,
  active_span_days integer not null default 0,
  utility_score double precision not null default 0,
  diversity_index double precision not null default 0,
  quality_score double precision not null default 0,
  advancement_eligible boolean not null default false,
  computed_at timestamptz not null,
  primary key (sprout_id, period)
);

-- Where each period's aggregation stands: the last event id and clock time it covered.
create table signal_aggregation_state (
  period text primary key check (period in ('all_time', 'last_30d', 'last_7d')),
  last_event_id bigint not null default 0,
  computed_at timestamptz
);

create table advancement_rules (
  id text primary key,
  title text not null,
  version integer not null default 1 check (version >= 1),
  lifecycle_model_id text not null references lifecycle_models (id),
  from_tier text not null,
  to_tier text not null,
  -- [{ signal, operator, threshold }]
  criteria jsonb not null default '[]'::jsonb,
  logic_operator text not null check (logic_operator in ('AND', 'OR')),
  is_enabled boolean not null default true,
  sort_order integer not null default 0,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index advancement_rules_tier_idx on advancement_rules (lifecycle_model_id, from_tier, sort_order);

-- Every tier change, with why: the rule and its criteria results and the full signal
-- snapshot (auto-advancement), or the operator and reason (manual-override, bulk-rollback).
create table advancement_events (
  id uuid primary key default gen_random_uuid(),
  sprout_id text not null,
  rule_id text,
  from_tier text not null,
  to_tier text not null,
  event_type text not null check (event_type in ('auto-advancement', 'manual-override', 'bulk-rollback')),
  -- No foreign key: execution history may be pruned while the audit trail stays.
  execution_id uuid,
  criteria_met jsonb,
  signal_values jsonb,
  operator_id text,
  reason text,
  rolled_back boolean not null default false,
  -- On a rolled-back event: the bulk-rollback event that undid it. On a bulk-rollback event: the event it undid.
  rolled_back_by uuid references advancement_events (id),
  rollback_of uuid references advancement_events (id),
  created_at timestamptz not null
);
create index advancement_events_created_idx on advancement_events (created_at);
create index advancement_events_sprout_idx on advancement_events (sprout_id, created_at);
create index advancement_events_execution_idx on advancement_events (execution_id) where execution_id is not null;

-- Rows that cleanup took out of their tables, kept whole.
create table archived_rows (
  id bigint generated always as identity primary key,
  source_table text not null,
  source_id text not null,
  row_data jsonb not null,
  archived_at timestamptz not null,
  execution_id uuid,
  reason text not null
);
create index archived_rows_source_idx on archived_rows (source_table, archived_at);

-- The execution that last moved each sprout by an advancement rule (null: never).
--
-- A batch run pages through (model, tier, id) and passes over sprouts an execution of its own
-- run already moved, so reaching a tier after sprouts moved into it cannot move them twice.
-- Read from the sprout row itself, that check costs nothing per row; a probe into
-- advancement_events would be planned from that table's statistics, and a plan made while the
-- table was empty (a new store, prepared once per connection) scans it for every sprout.
alter table sprouts add column last_advanced_by uuid;
