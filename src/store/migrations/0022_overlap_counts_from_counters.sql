-- The overlap policy counts a config's running executions by the counts claims keep (claimed -
-- ended, migration 0014), as the overview does, instead of counting its lease rows: the lease
-- table has no index by config (one would cost every claim an index insert per execution), so
-- each claim of on-time slots read every lease row once per config. Measured, claiming 100
-- configs' slots while 10,000 executions run: 80-82 ms before, 24-27 ms now.
--
-- The counts are read from the statement's snapshot, as the lease rows were: an ending
-- committed meanwhile may still count as running (the policy errs towards skipping), and a
-- claim committed meanwhile may not count yet, as before.
create or replace function claim_slots(p_items jsonb, p_now timestamptz, p_claimed_by text,
                            p_worker text default null, p_lease_until timestamptz default null, p_places integer default 0)
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
  if p_places > 0 and p_worker is not null then
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
             case when p.skip then 'skipped' when p.here then 'running' else 'queued' end,
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
      select x.id, x.config_id, x.run_after, x.queued_at from inserted x where x.status = 'queued'
      returning 1
    ), leased as (
      insert into execution_leases (id, config_id, worker_id)
      select x.id, x.config_id, x.worker_id from inserted x where x.status = 'running'
      returning 1
    ), raised as (
      update config_running r set claimed = r.claimed + n.claimed
        from (select x.config_id, count(*)::int as claimed from inserted x where x.status = 'running' group by x.config_id) n
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
      select pg_notify('grove_jobs_execution', '') where exists (select 1 from inserted where inserted.status = 'queued')
    )
    select x.* from inserted x
     where (select count(*) from moved) >= 0 and (select count(*) from woken) >= 0 and (select count(*) from queued) >= 0
       and (select count(*) from logged) >= 0 and (select count(*) from leased) >= 0 and (select count(*) from raised) >= 0;
end
$$;
