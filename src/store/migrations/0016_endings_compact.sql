-- Endings and claims travel lighter.
--
-- A worker writes hundreds of endings in one call. Each now names its config (the worker
-- knows it), so the lock step takes the configs' ended counts without first looking every
-- execution up by primary key; instants come as epoch milliseconds, cheaper to write and to
-- read than ISO text; and what is zero or absent may be left out.
create or replace function finish_executions(p_worker text, p_endings jsonb)
returns setof executions
language plpgsql volatile
as $$
begin
  -- Count rows in id order, as every other blocking locker takes them, so two never deadlock.
  perform 1 from config_ended r
    where r.config_id in (select v.config_id from jsonb_to_recordset(p_endings) as v(config_id text))
    order by r.config_id
    for update;
  return query
    with ending as (
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
        from ending v
       where e.id = any(array(select v.id from ending v)) and e.id = v.id and e.worker_id = p_worker and e.lease_expires_at is not null
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

-- Claims reach the rows they picked by their place in the table (ctid) rather than a second
-- look-up of each by primary key: the queue scan that picked them read that place already.
-- A row changed meanwhile (cancelled, say) is read again at its latest version and claimed
-- only if still queued; the place cannot be reused by another row while the claim's snapshot
-- can still see the row it picked.
create or replace function claim_executions(p_worker text, p_now timestamptz, p_lease_until timestamptz, p_limit integer, p_known text[])
returns table (id uuid, config_id text, config_version integer, config jsonb, status text, trigger text, slot_at timestamptz,
               attempt integer, run_id uuid, retry_of uuid, requested_by text, idempotency_key text, dry_run boolean,
               batch_size integer, queued_at timestamptz, run_after timestamptz, cancel_requested_at timestamptz,
               items_total integer, items_processed integer, items_succeeded integer, items_failed integer, summary text,
               result jsonb, error jsonb, room integer)
language plpgsql volatile
set jit = off
as $$
#variable_conflict use_column
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
    ), sized as (
      select l.config_id, coalesce((c.config -> 'payload' -> 'limits' ->> 'maxConcurrent')::int, 1) - l.running as room
        from locked l join job_configs c on c.id = l.config_id
    ), picked as (
      select p.ctid from sized s
       cross join lateral (
         select e.ctid, e.run_after, e.queued_at from executions e
          where e.config_id = s.config_id and e.status = 'queued' and e.run_after <= p_now
          order by e.run_after, e.queued_at
          limit least(p_limit, greatest(0, s.room))
       ) p
       order by p.run_after, p.queued_at
       limit p_limit
    ), claimed as (
      update executions e
         set status = 'running', worker_id = p_worker, started_at = p_now, heartbeat_at = p_now, lease_expires_at = p_lease_until
       where e.ctid = any(array(select picked.ctid from picked)) and e.status = 'queued'
      returning e.*
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
     where (select count(*) from counted) >= 0 and (select count(*) from woken) >= 0;
end
$$;
