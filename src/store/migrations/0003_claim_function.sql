-- Workers claim in one round trip. The claim is two steps that must not share a snapshot:
-- first lock the state rows of configs with due work (SKIP LOCKED, so racing workers take
-- different configs), then count each locked config's running executions and claim within
-- its maxConcurrent. A single SQL statement would count with a snapshot taken before its
-- locks, missing a claim committed by another worker in between; inside a PL/pgSQL
-- function each statement takes a fresh snapshot, so the count sees every claim committed
-- before the lock was granted.
create function claim_executions(p_worker text, p_now timestamptz, p_lease_until timestamptz, p_limit integer)
returns setof executions
language plpgsql volatile
as $$
declare
  locked text[];
begin
  select array_agg(l.config_id) into locked
    from (
      select s.config_id from schedule_state s
       cross join lateral (
         select e.run_after from executions e
          where e.config_id = s.config_id and e.status = 'queued' and e.run_after <= p_now
          order by e.run_after limit 1
       ) due
       order by due.run_after
       limit p_limit
       for update of s skip locked
    ) l;
  if locked is null then
    return;
  end if;
  return query
    with room as (
      select c.id as config_id,
             greatest(0, coalesce((c.config -> 'payload' -> 'limits' ->> 'maxConcurrent')::int, 1)
               - (select count(*) from executions r where r.config_id = c.id and r.status = 'running'))::int as free
        from job_configs c where c.id = any(locked)
    ), picked as (
      select p.id from room
       cross join lateral (
         select e.id, e.run_after, e.queued_at from executions e
          where e.config_id = room.config_id and e.status = 'queued' and e.run_after <= p_now
          order by e.run_after, e.queued_at
          limit room.free
          for update skip locked
       ) p
       order by p.run_after, p.queued_at
       limit p_limit
    )
    update executions e
       set status = 'running', worker_id = p_worker, started_at = p_now, heartbeat_at = p_now, lease_expires_at = p_lease_until
     where e.id = any(array(select id from picked))
    returning e.*;
end
$$;

-- A busy worker ends the executions that just finished and claims their successors in one
-- round trip: the endings are written first, so the claim's fresh snapshot counts them as
-- no longer running. Returns the ended executions, then the claimed ones (status running).
create function finish_and_claim(p_worker text, p_endings jsonb, p_now timestamptz, p_lease_until timestamptz, p_limit integer)
returns setof executions
language plpgsql volatile
as $$
begin
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
       -- Only while this worker holds it: one whose lease expired was already ended as "worker lost".
       where e.id = v.id and e.worker_id = p_worker and e.status = 'running'
      returning e.*
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
     where (select count(*) from streak_ended) >= 0 and (select count(*) from woken) >= 0;
  if p_limit > 0 then
    return query select * from claim_executions(p_worker, p_now, p_lease_until, p_limit);
  end if;
end
$$;
