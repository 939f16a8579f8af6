-- Job configs: the current version of each config, as validated { meta, payload }.
-- Columns repeat the fields the engine selects on; `config` is the whole truth.
create table job_configs (
  id text primary key,
  job_type text not null,
  version integer not null check (version >= 1),
  is_enabled boolean not null,
  config jsonb not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  created_by text not null,
  updated_by text not null
);
create index job_configs_enabled_idx on job_configs (is_enabled) where is_enabled;

-- Every version ever stored, with who changed what; restoring writes a new version.
create table job_config_versions (
  config_id text not null references job_configs (id) on delete cascade,
  version integer not null,
  config jsonb not null,
  changed_by text not null,
  changed_at timestamptz not null,
  changes jsonb not null default '[]'::jsonb,
  restored_from integer,
  primary key (config_id, version)
);

-- Executions: one attempt to run a config. Retries are new rows linked to the first.
create table executions (
  id uuid primary key default gen_random_uuid(),
  config_id text not null references job_configs (id) on delete cascade,
  config_version integer not null,
  -- The config as it was when the execution was created; edits never reach a running one.
  config jsonb not null,
  status text not null check (status in ('queued', 'running', 'success', 'partial', 'failed', 'timeout', 'cancelled', 'skipped')),
  trigger text not null check (trigger in ('schedule', 'manual', 'retry', 'api')),
  slot_at timestamptz,
  attempt integer not null default 1 check (attempt >= 1),
  -- The first execution of the run (itself for a first attempt).
  run_id uuid not null,
  retry_of uuid references executions (id) on delete set null,
  requested_by text,
  idempotency_key text,
  dry_run boolean not null default false,
  batch_size integer,
  queued_at timestamptz not null,
  -- Not claimable before this instant (retry backoff, jitter).
  run_after timestamptz not null,
  started_at timestamptz,
  finished_at timestamptz,
  duration_ms integer,
  worker_id text,
  lease_expires_at timestamptz,
  heartbeat_at timestamptz,
  cancel_requested_at timestamptz,
  items_total integer,
  items_processed integer not null default 0,
  items_succeeded integer not null default 0,
  items_failed integer not null default 0,
  summary text,
  result jsonb,
  error jsonb
);
-- A repeated manual trigger with the same key finds the execution it started.
create unique index executions_idempotency_idx on executions (config_id, idempotency_key) where idempotency_key is not null;
-- Workers claim the oldest due queued execution.
create index executions_claim_idx on executions (run_after, queued_at) where status = 'queued';
create index executions_running_idx on executions (config_id) where status = 'running';
create index executions_history_idx on executions (config_id, queued_at desc);
create index executions_run_idx on executions (run_id);

-- Claimed slots: exactly once per (config, slot instant), whatever the number of schedulers.
create table schedule_slots (
  config_id text not null references job_configs (id) on delete cascade,
  slot_at timestamptz not null,
  -- enqueued | skipped-overlap | missed | caught-up
  decision text not null,
  execution_id uuid references executions (id) on delete set null,
  claimed_at timestamptz not null,
  claimed_by text,
  primary key (config_id, slot_at)
);

-- Per-config scheduler bookkeeping: the last slot considered, for misfire decisions.
create table schedule_state (
  config_id text primary key references job_configs (id) on delete cascade,
  last_slot_at timestamptz,
  next_slot_at timestamptz,
  consecutive_failures integer not null default 0,
  paused_at timestamptz,
  paused_reason text
);

create table execution_logs (
  id bigint generated always as identity primary key,
  execution_id uuid not null references executions (id) on delete cascade,
  logged_at timestamptz not null,
  level text not null check (level in ('debug', 'info', 'warn', 'error')),
  message text not null,
  data jsonb
);
create index execution_logs_execution_idx on execution_logs (execution_id, id);
