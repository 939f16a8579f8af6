-- What the slot ledger (GET /api/jobs/{id}/slots, `grove-jobs explain`) reads besides the
-- claimed slots and the config's versions.

-- Every pause, past and present: schedule_state holds only the one in force. `ended_at` null
-- while it lasts; otherwise the instant from which slots ran again (the pause's end, or when
-- it was resumed). Written with the pause, in the same statement as schedule_state.
create table schedule_pauses (
  config_id text not null references job_configs (id) on delete cascade,
  paused_at timestamptz not null,
  paused_until timestamptz,
  ended_at timestamptz,
  reason text,
  paused_by text,
  primary key (config_id, paused_at)
);

-- The pause in force when this migration runs, so that the ledger explains its slots too.
insert into schedule_pauses (config_id, paused_at, paused_until, reason, paused_by)
select config_id, paused_at, paused_until, paused_reason, paused_by from schedule_state where paused_at is not null;

-- A slot run by a backfill: its execution (trigger 'backfill'). A slot the schedule had
-- decided (missed, skipped for overlap) keeps that decision beside it; a slot no scheduler
-- decided gets its row with decision 'backfill'. Set once: a second backfill of the slot adds nothing.
alter table schedule_slots add column backfill_id uuid references executions (id) on delete set null;

alter table executions drop constraint executions_trigger_check;
alter table executions add constraint executions_trigger_check
  check (trigger in ('schedule', 'manual', 'retry', 'api', 'backfill')) not valid;
alter table executions validate constraint executions_trigger_check;

-- The ledger reads each run's latest attempt backwards from the index (no sort per slot):
-- the same rows as before (attempts after the first), by attempt too.
drop index executions_run_idx;
create index executions_run_idx on executions (run_id, attempt) where attempt > 1;

-- Manual runs listed beside the slots, found without reading the config's scheduled runs.
create index executions_manual_idx on executions (config_id, queued_at) where trigger in ('manual', 'api');
