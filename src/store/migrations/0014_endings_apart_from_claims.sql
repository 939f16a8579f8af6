-- A worker's endings and its claims no longer wait for each other.
--
-- Each config's running count was one row (config_running, migration 0003) that claims
-- raised and endings lowered, each under that row's lock: so one worker's round trip of
-- endings and its next claim could only run one after the other, and a busy worker left the
-- database idle while it started what it had claimed. The count is now two counters that
-- only grow, on rows of their own: `config_running.claimed`, raised by claims under its lock
-- as before, and `config_ended.ended`, raised by endings, hand-backs and expired leases under
-- theirs. Running = claimed - ended. A claim reads `claimed` through its lock (the latest
-- committed value, as before) and `ended` from its snapshot, which can only lag behind: it
-- may count an execution that has just ended as still running (claiming it next time), never
-- the other way, so maxConcurrent still holds across all workers. The two counters are
-- bigint: they count every execution a config ever ran.
--
-- Claims also run without JIT: the generic plan of claim_executions cannot know how few rows
-- its lateral picks return, and its cost estimate (a sort of hundreds of thousands of rows)
-- passed jit_above_cost, so on a server with JIT (the default since PostgreSQL 12) every
-- claim first compiled its expressions with LLVM. Measured here, a claim of 250 executions
-- took 20 ms of server time with JIT and 16 ms without. Its plan is a few hundred index
-- probes and never gains from compiling. (The embedded store and servers built without JIT
-- ignore the setting.)
alter table config_running rename column running to claimed;
alter table config_running alter column claimed type bigint;

create table config_ended (
  config_id text primary key references job_configs (id) on delete cascade,
  ended bigint not null default 0
);
insert into config_ended (config_id) select config_id from config_running;

-- Claims up to p_limit due queued executions, oldest first, each config within its
-- maxConcurrent across all workers.
create or replace function claim_executions(p_worker text, p_now timestamptz, p_lease_until timestamptz, p_limit integer, p_known text[])
returns setof executions
language plpgsql volatile
set jit = off
as $$
begin
  return query
    with locked as (
      -- Claims committed by other workers are read through the lock (the row's latest version);
      -- endings from the statement's snapshot, which can only lag: a count never too low.
      select r.config_id,
             r.claimed - coalesce((select d.ended from config_ended d where d.config_id = r.config_id), 0) as running
        from config_running r
       cross join lateral (
         select e.run_after from executions e
          where e.config_id = r.config_id and e.status = 'queued' and e.run_after <= p_now
          order by e.run_after limit 1
       ) due
       order by due.run_after
       limit p_limit
       for update of r skip locked
    ), picked as (
      select p.id, p.config_id from locked l
        join job_configs c on c.id = l.config_id
       cross join lateral (
         select e.id, e.config_id, e.run_after, e.queued_at from executions e
          where e.config_id = l.config_id and e.status = 'queued' and e.run_after <= p_now
          order by e.run_after, e.queued_at
          limit least(p_limit, greatest(0, coalesce((c.config -> 'payload' -> 'limits' ->> 'maxConcurrent')::int, 1) - l.running))
       ) p
       order by p.run_after, p.queued_at
       limit p_limit
    ), claimed as (
      update executions e
         set status = 'running', worker_id = p_worker, started_at = p_now, heartbeat_at = p_now, lease_expires_at = p_lease_until
       where e.id = any(array(select picked.id from picked)) and e.status = 'queued'
      returning e.*
    ), counted as (
      update config_running r set claimed = r.claimed + n.claimed
        from (select c.config_id, count(*)::int as claimed from claimed c group by c.config_id) n
       where r.config_id = n.config_id
      returning 1
    ), woken as (
      -- A claim that took all it asked for may have left due work behind, which racing
      -- workers passed over while this one held the rows: let them look again.
      select pg_notify('grove_jobs_execution', '') where p_limit > 0 and (select count(*) from claimed) >= p_limit
    )
    select c.id, c.config_id, c.config_version,
           case when (c.config_id || '@' || c.config_version || '@' || (coalesce(c.config, v.config) -> 'meta' ->> 'updatedAt')) = any(p_known)
                then null else coalesce(c.config, v.config) end,
           c.status, c.trigger, c.slot_at, c.attempt, c.run_id, c.retry_of, c.requested_by, c.idempotency_key,
           c.dry_run, c.batch_size, c.queued_at, c.run_after, c.started_at, c.finished_at, c.duration_ms, c.worker_id,
           c.lease_expires_at, c.heartbeat_at, c.cancel_requested_at, c.items_total, c.items_processed,
           c.items_succeeded, c.items_failed, c.summary, c.result, c.error
      from claimed c left join job_config_versions v on v.config_id = c.config_id and v.version = c.config_version
     where (select count(*) from counted) >= 0 and (select count(*) from woken) >= 0;
end
$$;

-- Ends running executions of this worker (p_endings: a JSON array of their outcomes; absent
-- keys are null) and counts them ended.
create or replace function finish_executions(p_worker text, p_endings jsonb)
returns setof executions
language plpgsql volatile
as $$
begin
  -- Count rows in id order, as every other blocking locker takes them, so two never deadlock.
  perform 1 from config_ended r
    where r.config_id in (select e.config_id from executions e
                           where e.id = any(array(select v.id from jsonb_to_recordset(p_endings) as v(id uuid))))
    order by r.config_id
    for update;
  return query
    with ending as (
      select * from jsonb_to_recordset(p_endings) as v(id uuid, status text, started_at timestamptz, finished_at timestamptz,
        duration_ms int, summary text, result jsonb, error jsonb, items_total int, items_processed int, items_succeeded int,
        items_failed int)
    ), finished as (
      update executions e
         set status = v.status, started_at = coalesce(v.started_at, e.started_at), finished_at = v.finished_at,
             duration_ms = v.duration_ms, summary = v.summary, result = v.result, error = v.error, items_total = v.items_total,
             items_processed = v.items_processed, items_succeeded = v.items_succeeded, items_failed = v.items_failed,
             lease_expires_at = null
        from ending v
       where e.id = any(array(select v.id from jsonb_to_recordset(p_endings) as v(id uuid))) and e.id = v.id and e.worker_id = p_worker and e.lease_expires_at is not null
      returning e.*
    ), counted as (
      update config_ended r set ended = r.ended + n.ended
        from (select f.config_id, count(*)::int as ended from finished f group by f.config_id) n
       where r.config_id = n.config_id
      returning 1
    ), streak_ended as (
      -- A success or partial run ends a failure streak; the row is touched only when there is one.
      update schedule_state s set consecutive_failures = 0
       where s.config_id in (select f.config_id from finished f where f.status in ('success', 'partial'))
         and s.consecutive_failures <> 0
      returning 1
    ), woken as (
      -- Wake workers elsewhere only for configs with executions waiting for room.
      select pg_notify('grove_jobs_execution', w.config_id)
        from (select distinct f.config_id from finished f) w
       where exists (select 1 from executions q where q.config_id = w.config_id and q.status = 'queued')
    )
    -- The worker holds everything else of an ended execution: only which ones ended comes back.
    select f.id, f.config_id, f.config_version, null::jsonb, f.status, f.trigger, null::timestamptz, f.attempt, f.run_id,
           null::uuid, null::text, null::text, f.dry_run, null::int, f.queued_at, f.run_after, null::timestamptz,
           null::timestamptz, null::int, null::text, null::timestamptz, null::timestamptz, null::timestamptz, null::int,
           0, 0, 0, null::text, null::jsonb, null::jsonb
      from finished f
     where (select count(*) from counted) >= 0 and (select count(*) from streak_ended) >= 0 and (select count(*) from woken) >= 0;
end
$$;

-- Workers now send their endings (finish_executions) and their claims (claim_executions) as
-- two statements at once; the function that ran one after the other in one call goes.
drop function finish_and_claim(text, jsonb, timestamptz, timestamptz, integer, text[]);
