-- A claim says how much room each config it claimed from had left.
--
-- A worker sends its endings and its next claim at the same moment, on two connections. The
-- claim may see those endings committed (their places free) or not. When the claimed
-- executions fit without the places those endings free, they do not follow from them and
-- may start at once; otherwise they wait until the endings are written, so an execution
-- never starts, in this process, before the one whose place it took is reported finished.
-- Each row now carries `room`: the config's maxConcurrent less its running executions as
-- this claim counted them, after this claim. It returns the columns a worker reads, no more.
--
-- Claims reach the rows they picked by their place in the table (ctid) rather than a second
-- look-up of each by primary key: the queue scan that picked them read that place already.
-- A row changed meanwhile (cancelled, say) is read again at its latest version and claimed
-- only if still queued; the place cannot be reused by another row while the claim's snapshot
-- can still see the row it picked.
drop function claim_executions(text, timestamptz, timestamptz, integer, text[]);

create function claim_executions(p_worker text, p_now timestamptz, p_lease_until timestamptz, p_limit integer, p_known text[])
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
