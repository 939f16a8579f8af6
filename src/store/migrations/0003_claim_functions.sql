-- Each config's running executions, counted on a row of its own that only workers lock:
-- schedulers and config edits lock schedule_state, and a worker must never pass over a
-- config because one of them held its row. A worker claims in one statement: it locks the
-- rows of configs with due work (SKIP LOCKED, so racing workers take different configs) and
-- reads `running` through that lock, which returns the row's latest committed version even
-- when the statement's snapshot is older; so a claim committed by another worker just before
-- is always counted and maxConcurrent holds. Every statement that moves an execution into or
-- out of `running` changes the count with it.
create table config_running (
  config_id text primary key references job_configs (id) on delete cascade,
  running integer not null default 0
);
insert into config_running (config_id, running)
select c.id, (select count(*) from executions e where e.config_id = c.id and e.status = 'running') from job_configs c;

-- Claims up to p_limit due queued executions, oldest first, each config within its
-- maxConcurrent across all workers.
create function claim_executions(p_worker text, p_now timestamptz, p_lease_until timestamptz, p_limit integer)
returns setof executions
language plpgsql volatile
as $$
begin
  return query
    with locked as (
      select r.config_id, r.running from config_running r
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
          limit greatest(0, coalesce((c.config -> 'payload' -> 'limits' ->> 'maxConcurrent')::int, 1) - l.running)
          for update skip locked
       ) p
       order by p.run_after, p.queued_at
       limit p_limit
    ), claimed as (
      update executions e
         set status = 'running', worker_id = p_worker, started_at = p_now, heartbeat_at = p_now, lease_expires_at = p_lease_until
       where e.id in (select picked.id from picked)
      returning e.*
    ), counted as (
      update config_running r set running = r.running + n.claimed
        from (select c.config_id, count(*)::int as claimed from claimed c group by c.config_id) n
       where r.config_id = n.config_id
      returning 1
    ), woken as (
      -- A claim that took all it asked for may have left due work behind, which racing
      -- workers passed over while this one held the rows: let them look again.
      select pg_notify('grove_jobs_execution', '') where p_limit > 0 and (select count(*) from claimed) >= p_limit
    )
    select c.* from claimed c where (select count(*) from counted) >= 0 and (select count(*) from woken) >= 0;
end
$$;

-- Ends running executions of this worker (p_endings: a JSON array of their outcomes) and
-- takes them off their configs' running counts. Only while this worker holds them: one
-- whose lease expired was already ended as "worker lost". Returns the ended executions.
create function finish_executions(p_worker text, p_endings jsonb)
returns setof executions
language plpgsql volatile
as $$
begin
  -- Count rows in id order, as every other blocking locker takes them, so two never deadlock.
  perform 1 from config_running r
    where r.config_id in (select e.config_id from executions e
                           where e.id in (select v.id from jsonb_to_recordset(p_endings) as v(id uuid)))
    order by r.config_id
    for update;
  return query
    with ending as (
      select * from jsonb_to_recordset(p_endings) as v(id uuid, status text, finished_at timestamptz, duration_ms int,
        summary text, result jsonb, error jsonb, items_total int, items_processed int, items_succeeded int, items_failed int)
    ), finished as (
      update executions e
         set status = v.status, finished_at = v.finished_at, duration_ms = v.duration_ms, summary = v.summary,
             result = v.result, error = v.error, items_total = v.items_total, items_processed = v.items_processed,
             items_succeeded = v.items_succeeded, items_failed = v.items_failed, lease_expires_at = null
        from ending v
       where e.id = v.id and e.worker_id = p_worker and e.status = 'running'
      returning e.*
    ), counted as (
      update config_running r set running = greatest(0, r.running - n.ended)
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
    select f.* from finished f
     where (select count(*) from counted) >= 0 and (select count(*) from streak_ended) >= 0 and (select count(*) from woken) >= 0;
end
$$;

-- A busy worker ends the executions that just finished and claims their successors in one
-- round trip: the endings are written first, so the claim counts their places as free.
-- Returns the ended executions, then the claimed ones (status running).
create function finish_and_claim(p_worker text, p_endings jsonb, p_now timestamptz, p_lease_until timestamptz, p_limit integer)
returns setof executions
language plpgsql volatile
as $$
begin
  return query select * from finish_executions(p_worker, p_endings);
  if p_limit > 0 then
    return query select * from claim_executions(p_worker, p_now, p_lease_until, p_limit);
  end if;
end
$$;

-- A scheduler claims every on-time slot of a pass in one round trip. Each item is
-- { config_id, version, slot_at, run_after }: one due slot of a config as the scheduler
-- read it. The state rows of those configs are locked first (in id order, so racing
-- schedulers never deadlock); the next statement's fresh snapshot then counts each config's
-- queued and running executions for the overlap policy, exactly as a one-slot claim does.
-- A slot another scheduler claimed first, or of a config whose version changed since it
-- was read, yields nothing (the latter is claimed again on the next pass). Returns the
-- executions recorded: queued, or skipped by the overlap policy.
create function claim_slots(p_items jsonb, p_now timestamptz, p_claimed_by text)
returns setof executions
language plpgsql volatile
as $$
begin
  perform 1 from schedule_state s
    where s.config_id in (select i.config_id from jsonb_to_recordset(p_items) as i(config_id text))
    order by s.config_id
    for update;
  return query
    with item as (
      select i.config_id, i.slot_at, i.run_after, c.version, c.config, gen_random_uuid() as execution_id,
             coalesce((c.config -> 'payload' -> 'limits' ->> 'maxConcurrent')::int, 1) as max_concurrent,
             (select count(*) from executions a where a.config_id = i.config_id and a.status in ('queued', 'running'))::int as active,
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
      select p.execution_id, p.execution_id, p.config_id, p.version, p.config, case when p.skip then 'skipped' else 'queued' end,
             'schedule', p.slot_at, 1, p_now, case when p.skip then p_now else p.run_after end,
             case when p.skip then format('Skipped: %s execution(s) of this config already queued or running (overlap policy skip, at most %s)', p.active, p.max_concurrent) end,
             case when p.skip then jsonb_build_object('reason', 'overlap', 'active', p.active, 'maxConcurrent', p.max_concurrent) end,
             case when p.skip then p_now end, case when p.skip then 0 end
        from planned p join won w on w.config_id = p.config_id and w.slot_at = p.slot_at
      returning *
    ), moved as (
      update schedule_state s set last_slot_at = greatest(s.last_slot_at, w.slot_at)
        from won w where s.config_id = w.config_id
      returning 1
    ), woken as (
      select pg_notify('grove_jobs_execution', '') where exists (select 1 from inserted where inserted.status = 'queued')
    )
    select x.* from inserted x
     where (select count(*) from moved) >= 0 and (select count(*) from woken) >= 0;
end
$$;
