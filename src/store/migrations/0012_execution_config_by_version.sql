-- An execution runs with its config as job_config_versions keeps that version (versions
-- are never changed or removed while their config exists, and go with it): new executions
-- no longer copy the whole config into their row, which shrinks from about a kilobyte to a
-- few hundred bytes, and every claim and ending rewrites that much less. Rows written before
-- keep their copy; readers take coalesce(executions.config, job_config_versions.config).
alter table executions alter column config drop not null;

-- Claims up to p_limit due queued executions, oldest first, each config within its
-- maxConcurrent across all workers (see migration 0003 for how the count stays exact).
create or replace function claim_executions(p_worker text, p_now timestamptz, p_lease_until timestamptz, p_limit integer, p_known text[])
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
          limit least(p_limit, greatest(0, coalesce((c.config -> 'payload' -> 'limits' ->> 'maxConcurrent')::int, 1) - l.running))
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

-- The scheduler's bulk claim (migration 0003), now recording executions without a config
-- copy; its callers read each with its version's config.
create or replace function claim_slots(p_items jsonb, p_now timestamptz, p_claimed_by text)
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
      select p.execution_id, p.execution_id, p.config_id, p.version, null, case when p.skip then 'skipped' else 'queued' end,
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
