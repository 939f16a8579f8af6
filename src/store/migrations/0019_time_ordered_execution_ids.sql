-- Execution ids in time order: UUID version 7 (RFC 9562), 48 bits of Unix milliseconds and then
-- random bits, in place of version 4's random bits throughout.
--
-- The ids an execution goes through the queue, the leases and the endings with arrive in the
-- order they were created, near enough: a lease is added at the right edge of its primary key
-- instead of into a random page of it, and the executions a claim or an ending probes by id sit
-- in a few neighbouring pages of the primary key rather than one page each. Measured with
-- auto_explain on claims and endings of 250 executions: 15% less time in each (claims 3.4 ms
-- against 2.9, endings 2.5 against 2.1), with the same plans.
--
-- Ids made before stay as they are: both kinds are uuids, and nothing reads meaning into one.
create function grove_execution_id() returns uuid
language sql volatile parallel safe
as $$
  -- A random version 4 uuid, its first 6 bytes replaced by the milliseconds and its version set to 7.
  select encode(
    set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
                            placing substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
                            from 1 for 6), 52, 1), 53, 1),
    'hex')::uuid
$$;

alter table executions alter column id set default grove_execution_id();

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
      select i.config_id, i.slot_at, i.run_after, c.version, c.config, grove_execution_id() as execution_id,
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
