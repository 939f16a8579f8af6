-- The history row no longer carries the queue: claims and endings rewrite it in place.
--
-- Every claim and every ending changed an execution's status, and five indexes of executions
-- involved the status or the finish time (the queue, the running set, the finished and failed
-- ones). A change to any column an index covers, or that a partial index's condition reads,
-- makes PostgreSQL write a whole new version of the row with a new entry in every index:
-- primary key and history included. Measured on the server's CPU profile, index inserts were
-- 38% of the time a worker's claims and endings cost.
--
-- The queue and the running set now live in narrow tables of their own, and the finish times
-- in a narrow log, all kept by the same statements that change the status:
--   execution_queue    one row per queued execution (its due instant and queue time): what
--                      claims scan, deleted as the execution is claimed or cancelled;
--   execution_leases   one row per running execution (its config and worker): what the lease
--                      reaper and the live view read, deleted as the execution ends;
--   execution_endings  one row per finished execution (its finish instant): what the live
--                      view reads for "ended since".
-- No index of executions covers a column a claim or an ending changes, so both are HOT
-- updates (the new version on the same page, no index entry), given room on the page:
-- fillfactor 50 leaves it for new pages (about 9 in 10 updates were HOT in a run of 20,000).
-- In the throughput bench, index inserts fell from 38% to 11% of the server's CPU profile;
-- database-only, alternating runs of a worker's claims and endings cost 15-25% less server
-- CPU per execution.
--
-- Claims and endings reach the queue and the leases through their indexes only (enable_seqscan
-- off for the two functions). Their statistics are always stale: a store's first claims plan
-- for empty tables, and those plans are kept, so a lease table that had grown (or filled with
-- rows deleted since) was read whole by every ending, checking each row against its hundreds
-- of ids; the config versions were scanned once per claimed row. An ending now finds each
-- execution by primary key, one probe per ending: the array of ids it matched before could be
-- rescanned (and re-sorted) once per ending when the plan put it inside a nested loop.
--
-- claim_slots also takes its configs before their schedule state (see there).
--
-- The running count of a config, which the overview and a deletion read, is the count that
-- claims keep (claimed - ended, migration 0014), not a count of rows. The digest's failures
-- read executions by finish time without an index: once per digest.
create table execution_queue (
  id uuid primary key references executions (id) on delete cascade,
  config_id text not null,
  run_after timestamptz not null,
  queued_at timestamptz not null
);
create index execution_queue_config_idx on execution_queue (config_id, run_after, queued_at);
create index execution_queue_due_idx on execution_queue (run_after, queued_at);
create index execution_queue_newest_idx on execution_queue (queued_at);

-- No foreign key: its check would cost every claim a look-up per execution. No lease outlives
-- its execution: a config with a running execution cannot be deleted (configs.ts), and the
-- cleanup deletes only finished executions.
create table execution_leases (
  id uuid primary key,
  config_id text not null,
  worker_id text not null
);

create table execution_endings (
  finished_at timestamptz not null,
  id uuid not null
);
create index execution_endings_finished_idx on execution_endings (finished_at);

insert into execution_queue (id, config_id, run_after, queued_at)
  select id, config_id, run_after, queued_at from executions where status = 'queued';
insert into execution_leases (id, config_id, worker_id)
  select id, config_id, coalesce(worker_id, '') from executions where status = 'running';
insert into execution_endings (finished_at, id)
  select finished_at, id from executions where finished_at is not null;

drop index executions_claim_idx;
drop index executions_config_queue_idx;
drop index executions_running_idx;
drop index executions_finished_idx;
drop index executions_failures_finished_idx;
alter table executions set (fillfactor = 50);

create or replace function claim_executions(p_worker text, p_now timestamptz, p_lease_until timestamptz, p_limit integer, p_known text[])
returns table (id uuid, config_id text, config_version integer, config jsonb, status text, trigger text, slot_at timestamptz,
               attempt integer, run_id uuid, retry_of uuid, requested_by text, idempotency_key text, dry_run boolean,
               batch_size integer, queued_at timestamptz, run_after timestamptz, cancel_requested_at timestamptz,
               items_total integer, items_processed integer, items_succeeded integer, items_failed integer, summary text,
               result jsonb, error jsonb, room integer)
language plpgsql volatile
set jit = off
set enable_seqscan = off
as $$
#variable_conflict use_column
begin
  return query
    with locked as (
      -- As in migration 0015: claims by other workers read through the lock, endings from the snapshot.
      select r.config_id,
             r.claimed - coalesce((select d.ended from config_ended d where d.config_id = r.config_id), 0) as running
        from config_running r
       cross join lateral (
         select q.run_after from execution_queue q
          where q.config_id = r.config_id and q.run_after <= p_now
          order by q.run_after limit 1
       ) due
       order by due.run_after
       limit p_limit
       for update of r skip locked
    ), sized as (
      select l.config_id, coalesce((c.config -> 'payload' -> 'limits' ->> 'maxConcurrent')::int, 1) - l.running as room
        from locked l join job_configs c on c.id = l.config_id
    ), picked as (
      select p.ctid from sized s
       cross join lateral (
         select q.ctid, q.run_after, q.queued_at from execution_queue q
          where q.config_id = s.config_id and q.run_after <= p_now
          order by q.run_after, q.queued_at
          limit least(p_limit, greatest(0, s.room))
       ) p
       order by p.run_after, p.queued_at
       limit p_limit
    ), taken as (
      -- Out of the queue by the place the scan read; one cancelled meanwhile is gone already.
      delete from execution_queue q where q.ctid = any(array(select picked.ctid from picked))
      returning q.id
    ), claimed as (
      update executions e
         set status = 'running', worker_id = p_worker, started_at = p_now, heartbeat_at = p_now, lease_expires_at = p_lease_until
       where e.id = any(array(select taken.id from taken)) and e.status = 'queued'
      returning e.*
    ), leased as (
      insert into execution_leases (id, config_id, worker_id) select c.id, c.config_id, p_worker from claimed c
      returning 1
    ), per_config as (
      select c.config_id, count(*)::int as claimed from claimed c group by c.config_id
    ), counted as (
      update config_running r set claimed = r.claimed + n.claimed
        from per_config n
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
           c.dry_run, c.batch_size, c.queued_at, c.run_after, c.cancel_requested_at, c.items_total, c.items_processed,
           c.items_succeeded, c.items_failed, c.summary, c.result, c.error, (s.room - n.claimed)::int
      from claimed c
      join per_config n on n.config_id = c.config_id
      join sized s on s.config_id = c.config_id
      left join job_config_versions v on v.config_id = c.config_id and v.version = c.config_version
     where (select count(*) from counted) >= 0 and (select count(*) from woken) >= 0 and (select count(*) from leased) >= 0;
end
$$;

create or replace function finish_executions(p_worker text, p_endings jsonb)
returns setof executions
language plpgsql volatile
set enable_seqscan = off
as $$
begin
  -- Count rows in id order, as every other blocking locker takes them, so two never deadlock.
  perform 1 from config_ended r
    where r.config_id in (select v.config_id from jsonb_to_recordset(p_endings) as v(config_id text))
    order by r.config_id
    for update;
  return query
    with unleased as (
      -- Only what this worker still holds: a lease that expired was ended as lost, and is gone.
      delete from execution_leases l
       where l.id = any(array(select v.id from jsonb_to_recordset(p_endings) as v(id uuid))) and l.worker_id = p_worker
      returning l.id
    ), ending as (
      select v.id, v.status, to_timestamp(v.started_ms / 1000) as started_at, to_timestamp(v.finished_ms / 1000) as finished_at,
             v.duration_ms, v.summary, v.result, v.error, v.items_total, coalesce(v.items_processed, 0) as items_processed,
             coalesce(v.items_succeeded, 0) as items_succeeded, coalesce(v.items_failed, 0) as items_failed
        from jsonb_to_recordset(p_endings) as v(id uuid, status text, started_ms float8, finished_ms float8, duration_ms int,
          summary text, result jsonb, error jsonb, items_total int, items_processed int, items_succeeded int, items_failed int)
    ), finished as (
      update executions e
         set status = v.status, started_at = coalesce(v.started_at, e.started_at), finished_at = v.finished_at,
             duration_ms = v.duration_ms, summary = v.summary, result = v.result, error = v.error, items_total = v.items_total,
             items_processed = v.items_processed, items_succeeded = v.items_succeeded, items_failed = v.items_failed,
             lease_expires_at = null
        from ending v join unleased u on u.id = v.id
       where e.id = v.id and e.worker_id = p_worker and e.status = 'running'
      returning e.*
    ), logged as (
      insert into execution_endings (finished_at, id) select f.finished_at, f.id from finished f
      returning 1
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
       where exists (select 1 from execution_queue q where q.config_id = w.config_id)
    )
    -- The worker holds everything else of an ended execution: only which ones ended comes back.
    select f.id, f.config_id, f.config_version, null::jsonb, f.status, f.trigger, null::timestamptz, f.attempt, f.run_id,
           null::uuid, null::text, null::text, f.dry_run, null::int, f.queued_at, f.run_after, null::timestamptz,
           null::timestamptz, null::int, null::text, null::timestamptz, null::timestamptz, null::timestamptz, null::int,
           0, 0, 0, null::text, null::jsonb, null::jsonb
      from finished f
     where (select count(*) from counted) >= 0 and (select count(*) from streak_ended) >= 0 and (select count(*) from woken) >= 0
       and (select count(*) from logged) >= 0;
end
$$;

create or replace function claim_slots(p_items jsonb, p_now timestamptz, p_claimed_by text)
returns setof executions
language plpgsql
as $$
begin
  -- The configs first, as their deletion and a manual run take them: a deletion waits for
  -- this claim, or this finds no config. Before, a claim holding a config's schedule state
  -- could wait for the config (the foreign key of the execution it inserts) while a deletion
  -- holding the config waited for that schedule state: a deadlock.
  perform 1 from job_configs c
    where c.id in (select i.config_id from jsonb_to_recordset(p_items) as i(config_id text))
    order by c.id
    for key share;
  perform 1 from schedule_state s
    where s.config_id in (select i.config_id from jsonb_to_recordset(p_items) as i(config_id text))
    order by s.config_id
    for update;
  return query
    with item as (
      select i.config_id, i.slot_at, i.run_after, c.version, c.config, gen_random_uuid() as execution_id,
             coalesce((c.config -> 'payload' -> 'limits' ->> 'maxConcurrent')::int, 1) as max_concurrent,
             ((select count(*) from execution_queue q where q.config_id = i.config_id)
              + (select count(*) from execution_leases l where l.config_id = i.config_id))::int as active,
             c.config -> 'payload' -> 'schedule' ->> 'overlapPolicy' as overlap_policy
        from jsonb_to_recordset(p_items) as i(config_id text, version int, slot_at timestamptz, run_after timestamptz)
        join job_configs c on c.id = i.config_id and c.version = i.version
    ), planned as (
      select item.*, (item.active >= item.max_concurrent and item.overlap_policy <> 'queue') as skip from item
    ), won as (
      -- Exactly once per slot: the primary key lets one scheduler's insert win.
      insert into schedule_slots (config_id, slot_at, decision, execution_id, claimed_at, claimed_by)
      select p.config_id, p.slot_at, case when p.skip then 'skipped-overlap' else 'run' end, p.execution_id, p_now, p_claimed_by
        from planned p
      on conflict (config_id, slot_at) do nothing
      returning config_id, slot_at
    ), inserted as (
      insert into executions (id, run_id, config_id, config_version, config, status, trigger, slot_at, attempt, queued_at,
                              run_after, summary, result, finished_at, duration_ms)
      select p.execution_id, p.execution_id, p.config_id, p.version, null, case when p.skip then 'skipped' else 'queued' end,
             'schedule', p.slot_at, 1, p_now, case when p.skip then p_now else p.run_after end,
             case when p.skip then format('Skipped: %s execution(s) of this config already queued or running (overlap policy skip, at most %s)', p.active, p.max_concurrent) end,
             case when p.skip then jsonb_build_object('reason', 'overlap', 'active', p.active, 'maxConcurrent', p.max_concurrent) end,
             case when p.skip then p_now end, case when p.skip then 0 end
        from planned p join won w on w.config_id = p.config_id and w.slot_at = p.slot_at
      returning *
    ), queued as (
      insert into execution_queue (id, config_id, run_after, queued_at)
      select x.id, x.config_id, x.run_after, x.queued_at from inserted x where x.status = 'queued'
      returning 1
    ), logged as (
      insert into execution_endings (finished_at, id) select x.finished_at, x.id from inserted x where x.finished_at is not null
      returning 1
    ), moved as (
      update schedule_state s set last_slot_at = greatest(s.last_slot_at, w.slot_at)
        from won w where s.config_id = w.config_id
      returning 1
    ), woken as (
      select pg_notify('grove_jobs_execution', '') where exists (select 1 from inserted where inserted.status = 'queued')
    )
    select x.* from inserted x
     where (select count(*) from moved) >= 0 and (select count(*) from woken) >= 0 and (select count(*) from queued) >= 0
       and (select count(*) from logged) >= 0;
end
$$;
