-- A claim no longer rewrites the history rows it claims: it records itself, once.
--
-- Until now every claimed execution cost a rewrite of its history row (status, worker, start,
-- lease) and a lease row of its own, inserted with an index entry and deleted again as it
-- ended: three writes per execution between the queue and the ending. A worker claims
-- hundreds at once and holds them under one lease, renewed by one heartbeat, so the lease now
-- belongs to the claim:
--   execution_claims   one row per claim: its worker, when it claimed, its lease, and the ids
--                      of the executions it holds (one array, stored apart from the row).
-- A claimed execution's history row stays as it was queued until it ends; it is running
-- while its queue row is gone and a claim holds its id. Readers see it running through the
-- claim (queries/executions.ts: claimJoin); the ending writes the row once, with its start,
-- worker and outcome. The claim's worker deletes the claim with the ending of the last
-- execution it held (the store keeps the count); hand-backs take ids out of it; an expired
-- claim's executions that have not ended end as "worker lost", and the claim goes.
-- Database-only, claiming and ending 20,000 executions ten at a time, 500 ahead, ran about 40%
-- faster (alternating runs, median).
--
-- The running counts (claimed - ended) are kept as before.
create table execution_claims (
  id uuid primary key,
  worker_id text not null,
  claimed_at timestamptz not null,
  heartbeat_at timestamptz not null,
  lease_expires_at timestamptz not null,
  ids uuid[] not null
);
-- Random ids do not compress: do not try.
alter table execution_claims alter column ids set storage external;

-- Each execution running under a lease of its own becomes a claim of one.
insert into execution_claims (id, worker_id, claimed_at, heartbeat_at, lease_expires_at, ids)
  select e.id, coalesce(l.worker_id, e.worker_id, ''), coalesce(e.started_at, e.queued_at),
         coalesce(e.heartbeat_at, e.started_at, e.queued_at), coalesce(e.lease_expires_at, e.started_at, e.queued_at), array[e.id]
    from executions e left join execution_leases l on l.id = e.id
   where e.status = 'running';
update executions set status = 'queued' where status = 'running';
drop table execution_leases;

drop function claim_executions(text, timestamptz, timestamptz, integer, text[]);

create function claim_executions(p_worker text, p_now timestamptz, p_lease_until timestamptz, p_limit integer, p_known text[],
                                 p_claim uuid)
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
      -- Read, not written: each by its primary key (see migration 0018).
      select e.* from executions e join taken t on e.id = t.id where e.status = 'queued'
    ), held as (
      insert into execution_claims (id, worker_id, claimed_at, heartbeat_at, lease_expires_at, ids)
      select p_claim, p_worker, p_now, p_now, p_lease_until, array(select c.id from claimed c)
       where exists (select 1 from claimed)
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
    ), snapshots as materialized (
      -- Each config version once (not once per row): its snapshot, or null when the caller named
      -- it as known. Materialized: inlined, it was read again for every claimed row, its snapshot
      -- decompressed each time (more than half of a claim of 500).
      select k.config_id, k.config_version,
             case when (k.config_id || '@' || k.config_version || '@' || (v.config -> 'meta' ->> 'updatedAt')) = any(p_known)
                  then null else v.config end as config
        from (select distinct c.config_id, c.config_version from claimed c where c.config is null) k
        join job_config_versions v on v.config_id = k.config_id and v.version = k.config_version
    )
    select c.id, c.config_id, c.config_version,
           case when c.config is null then v.config
                when (c.config_id || '@' || c.config_version || '@' || (c.config -> 'meta' ->> 'updatedAt')) = any(p_known) then null
                else c.config end,
           'running'::text, c.trigger, c.slot_at, c.attempt, c.run_id, c.retry_of, c.requested_by, c.idempotency_key,
           c.dry_run, c.batch_size, c.queued_at, c.run_after, c.cancel_requested_at, c.items_total, c.items_processed,
           c.items_succeeded, c.items_failed, c.summary, c.result, c.error, (s.room - n.claimed)::int
      from claimed c
      join per_config n on n.config_id = c.config_id
      join sized s on s.config_id = c.config_id
      left join snapshots v on v.config_id = c.config_id and v.config_version = c.config_version
     where (select count(*) from counted) >= 0 and (select count(*) from woken) >= 0 and (select count(*) from held) >= 0;
end
$$;

drop function claim_slots(jsonb, timestamptz, text, text, timestamptz, integer);

-- As in migration 0022; the slots that start here are held by one claim (p_claim), and come
-- back as running. Their rows carry the worker, start and lease from the start (a release
-- clears them), so what comes back is the row as written.
create function claim_slots(p_items jsonb, p_now timestamptz, p_claimed_by text,
                            p_worker text default null, p_lease_until timestamptz default null, p_places integer default 0,
                            p_claim uuid default null)
returns setof executions
language plpgsql
as $$
declare
  v_lockable text[] := '{}';
begin
  -- The configs first, as their deletion and a manual run take them: a deletion waits for
  -- this claim, or this finds no config.
  perform 1 from job_configs c
    where c.id in (select i.config_id from jsonb_to_recordset(p_items) as i(config_id text))
    order by c.id
    for key share;
  perform 1 from schedule_state s
    where s.config_id in (select i.config_id from jsonb_to_recordset(p_items) as i(config_id text))
    order by s.config_id
    for update;
  if p_places > 0 and p_worker is not null and p_claim is not null then
    -- The claim locks of the configs whose slot is due now, in id order as every locker takes
    -- them; one held by a worker's claim in flight is passed over.
    select coalesce(array_agg(x.config_id), '{}') into v_lockable
      from (select r.config_id from config_running r
             where r.config_id in (select i.config_id from jsonb_to_recordset(p_items) as i(config_id text, run_after timestamptz)
                                    where i.run_after <= p_now)
             order by r.config_id
             for update skip locked) x;
  end if;
  return query
    with item as (
      select i.config_id, i.slot_at, i.run_after, c.version, c.config, grove_execution_id() as execution_id,
             coalesce((c.config -> 'payload' -> 'limits' ->> 'maxConcurrent')::int, 1) as max_concurrent,
             ((select count(*) from execution_queue q where q.config_id = i.config_id)
              + coalesce((select r.claimed - coalesce((select d.ended from config_ended d where d.config_id = r.config_id), 0)
                            from config_running r where r.config_id = i.config_id), 0))::int as active,
             c.config -> 'payload' -> 'schedule' ->> 'overlapPolicy' as overlap_policy,
             -- Claims by other workers are read through the lock, endings from the snapshot (a
             -- count that can only lag, never too low), as in claim_executions.
             case when i.config_id = any(v_lockable) then
               (select r.claimed - coalesce((select d.ended from config_ended d where d.config_id = r.config_id), 0)
                  from config_running r where r.config_id = i.config_id)
             end as running
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
    ), startable as (
      select p.*, (not p.skip and p.running is not null and p.running < p.max_concurrent) as fits
        from planned p join won w on w.config_id = p.config_id and w.slot_at = p.slot_at
    ), placed as (
      -- The places offered go to the earliest slots that fit.
      select s.*, s.fits and row_number() over (partition by s.fits order by s.run_after, s.config_id) <= p_places as here
        from startable s
    ), inserted as (
      insert into executions (id, run_id, config_id, config_version, config, status, trigger, slot_at, attempt, queued_at,
                              run_after, summary, result, finished_at, duration_ms, worker_id, started_at, heartbeat_at,
                              lease_expires_at)
      select p.execution_id, p.execution_id, p.config_id, p.version, null,
             case when p.skip then 'skipped' else 'queued' end,
             'schedule', p.slot_at, 1, p_now, case when p.skip then p_now else p.run_after end,
             case when p.skip then format('Skipped: %s execution(s) of this config already queued or running (overlap policy skip, at most %s)', p.active, p.max_concurrent) end,
             case when p.skip then jsonb_build_object('reason', 'overlap', 'active', p.active, 'maxConcurrent', p.max_concurrent) end,
             case when p.skip then p_now end, case when p.skip then 0 end,
             case when p.here then p_worker end, case when p.here then p_now end, case when p.here then p_now end,
             case when p.here then p_lease_until end
        from placed p
      returning *
    ), queued as (
      insert into execution_queue (id, config_id, run_after, queued_at)
      select x.id, x.config_id, x.run_after, x.queued_at from inserted x where x.status = 'queued' and x.worker_id is null
      returning 1
    ), held as (
      insert into execution_claims (id, worker_id, claimed_at, heartbeat_at, lease_expires_at, ids)
      select p_claim, p_worker, p_now, p_now, p_lease_until, array(select x.id from inserted x where x.worker_id is not null)
       where exists (select 1 from inserted x where x.worker_id is not null)
      returning 1
    ), raised as (
      update config_running r set claimed = r.claimed + n.claimed
        from (select x.config_id, count(*)::int as claimed from inserted x where x.worker_id is not null group by x.config_id) n
       where r.config_id = n.config_id
      returning 1
    ), logged as (
      insert into execution_endings (finished_at, id) select x.finished_at, x.id from inserted x where x.finished_at is not null
      returning 1
    ), moved as (
      update schedule_state s set last_slot_at = greatest(s.last_slot_at, w.slot_at)
        from won w where s.config_id = w.config_id
      returning 1
    ), woken as (
      select pg_notify('grove_jobs_execution', '') where exists (select 1 from inserted where inserted.status = 'queued' and inserted.worker_id is null)
    )
    select x.id, x.config_id, x.config_version, x.config,
           case when x.worker_id is not null then 'running' else x.status end,
           x.trigger, x.slot_at, x.attempt, x.run_id, x.retry_of, x.requested_by, x.idempotency_key, x.dry_run, x.batch_size,
           x.queued_at, x.run_after, x.started_at, x.finished_at, x.duration_ms, x.worker_id, x.lease_expires_at, x.heartbeat_at,
           x.cancel_requested_at, x.items_total, x.items_processed, x.items_succeeded, x.items_failed, x.summary, x.result, x.error
      from inserted x
     where (select count(*) from moved) >= 0 and (select count(*) from woken) >= 0 and (select count(*) from queued) >= 0
       and (select count(*) from logged) >= 0 and (select count(*) from held) >= 0 and (select count(*) from raised) >= 0;
end
$$;

drop function finish_executions(text, uuid[], text[], text[], float8[], float8[], integer[], text[], text[], text[],
                                 integer[], integer[], integer[], integer[]);

-- As in migration 0021, against the claims: an ending takes effect only for an execution
-- that one of this worker's claims (p_claims, each once) still holds, and writes its history
-- row once, start and worker included. The claims in p_retire held nothing else: they go.
create function finish_executions(p_worker text, p_claims uuid[], p_retire uuid[], p_ids uuid[], p_config_ids text[],
                                  p_status text[], p_started_ms float8[], p_finished_ms float8[], p_duration_ms integer[],
                                  p_summary text[], p_result text[], p_error text[], p_items_total integer[],
                                  p_items_processed integer[], p_items_succeeded integer[], p_items_failed integer[])
returns setof uuid
language plpgsql volatile
set enable_seqscan = off
as $$
begin
  -- Count rows in id order, as every other blocking locker takes them, so two never deadlock.
  perform 1 from config_ended r
    where r.config_id = any(p_config_ids)
    order by r.config_id
    for update;
  return query
    with ending as materialized (
      select v.id, v.status, to_timestamp(v.started_ms / 1000) as started_at, to_timestamp(v.finished_ms / 1000) as finished_at,
             v.duration_ms, v.summary, v.result::jsonb as result, v.error::jsonb as error, v.items_total,
             coalesce(v.items_processed, 0) as items_processed, coalesce(v.items_succeeded, 0) as items_succeeded,
             coalesce(v.items_failed, 0) as items_failed
        from unnest(p_ids, p_status, p_started_ms, p_finished_ms, p_duration_ms, p_summary, p_result, p_error,
                    p_items_total, p_items_processed, p_items_succeeded, p_items_failed)
          as v(id, status, started_ms, finished_ms, duration_ms, summary, result, error, items_total, items_processed,
               items_succeeded, items_failed)
    ), held as materialized (
      -- Only what this worker's claims still hold: an expired claim was ended as lost, and is gone.
      select u.id from execution_claims c cross join unnest(c.ids) as u(id)
       where c.id = any(p_claims) and c.worker_id = p_worker
    ), finished as (
      update executions e
         set status = v.status, worker_id = p_worker, started_at = coalesce(v.started_at, e.started_at), finished_at = v.finished_at,
             duration_ms = v.duration_ms, summary = v.summary, result = v.result, error = v.error, items_total = v.items_total,
             items_processed = v.items_processed, items_succeeded = v.items_succeeded, items_failed = v.items_failed,
             heartbeat_at = null, lease_expires_at = null
        from ending v
       -- "is true" keeps the test a hashed look-up: as a semi-join, planned for a few rows, it
       -- read all the held ids once per ending.
       where e.id = v.id and e.status = 'queued' and (v.id in (select h.id from held h)) is true
      returning e.id, e.config_id, e.status, e.finished_at
    ), retired as (
      delete from execution_claims c where c.id = any(p_retire) and c.worker_id = p_worker
      returning 1
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
    -- The worker holds everything else of an ended execution: only the endings that did not
    -- take effect come back (almost always none).
    select v.id from ending v left join finished f on f.id = v.id
     where f.id is null
       and (select count(*) from counted) >= 0 and (select count(*) from streak_ended) >= 0 and (select count(*) from woken) >= 0
       and (select count(*) from logged) >= 0 and (select count(*) from retired) >= 0;
end
$$;
