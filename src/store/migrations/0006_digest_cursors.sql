-- Where each notification-digest config's last digest stopped: the next one covers
-- (covered_until, its own clock time]. No foreign key to job_configs: a config deleted and
-- created again under the same id carries on where its digests stopped.
create table digest_cursors (
  config_id text primary key,
  covered_until timestamptz not null,
  -- The digest execution that moved the cursor last.
  execution_id uuid,
  updated_at timestamptz not null
);

-- The digest's failures section reads failed and timed-out executions by when they ended.
create index executions_failures_finished_idx on executions (finished_at) where status in ('failed', 'timeout');
