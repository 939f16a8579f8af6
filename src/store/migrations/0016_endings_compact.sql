-- Endings travel lighter.
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
