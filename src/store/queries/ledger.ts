import type { SqlQuery } from '../sql.js';

/**
 * What the slot ledger reads (domain/schedule/ledger.ts decides the fates): a config's
 * versions, its claimed slots in a range with their executions, its pauses, where the
 * schedulers stand and the manual runs. Each is one index range scan: schedule_slots by its
 * primary key, executions by theirs (and run_id for retries), the history index for manual runs.
 */

export interface LedgerVersionRow {
  version: number;
  changed_at: Date;
  changed_by: string;
  cron_expression: string;
  timezone: string;
  is_enabled: boolean;
  misfire_policy: string;
  overlap_policy: string;
}

/** The schedule of every version, oldest first (a config has tens, not thousands). */
export const ledgerVersions = (configId: string): SqlQuery => ({
  name: 'ledger-versions',
  text: `select version, changed_at, changed_by,
                config -> 'payload' -> 'schedule' ->> 'cronExpression' as cron_expression,
                coalesce(config -> 'payload' -> 'schedule' ->> 'timezone', 'UTC') as timezone,
                coalesce((config -> 'payload' -> 'schedule' ->> 'isEnabled')::boolean, true) as is_enabled,
                coalesce(config -> 'payload' -> 'schedule' ->> 'misfirePolicy', 'run-once') as misfire_policy,
                coalesce(config -> 'payload' -> 'schedule' ->> 'overlapPolicy', 'skip') as overlap_policy
           from job_config_versions where config_id = $1 order by version`,
  values: [configId],
});

/** Milliseconds since the epoch as a float8: the driver returns a number, not a Date to parse. */
const ms = (column: string) => `(extract(epoch from ${column}) * 1000)::float8`;

/**
 * An execution's columns as the ledger reads them: its run's latest attempt (joined as
 * `e`_l), read through the claim that holds it while it runs (`e`_h; a claim leaves its rows as
 * queued, migration 0023). Instants as epoch milliseconds.
 */
const executionColumns = (e: string, prefix: string) =>
  `${e}.id as ${prefix}_id,
   case when ${e}_h.worker_id is not null then 'running' else coalesce(${e}_l.status, ${e}.status) end as ${prefix}_status,
   ${e}.trigger as ${prefix}_trigger, coalesce(${e}_l.attempt, ${e}.attempt) as ${prefix}_attempts, ${ms(`${e}.queued_at`)} as ${prefix}_queued_at,
   ${ms(`coalesce(${e}_h.claimed_at, ${e}_l.started_at, ${e}.started_at)`)} as ${prefix}_started_at,
   ${ms(`coalesce(${e}.started_at, case when ${e}_l.id is null then ${e}_h.claimed_at end)`)} as ${prefix}_first_started_at,
   ${ms(`case when ${e}_l.id is not null then ${e}_l.finished_at else ${e}.finished_at end`)} as ${prefix}_finished_at,
   case when ${e}_l.id is not null then ${e}_l.duration_ms else ${e}.duration_ms end as ${prefix}_duration_ms,
   ${e}.requested_by as ${prefix}_requested_by`;
/**
 * The latest retry of a run (executions_run_idx, (run_id, attempt) over attempts after the
 * first: read backwards, no sort), and the claim holding the attempt while it runs.
 */
const latestAttempt = (e: string) =>
  `left join lateral (select r.id, r.status, r.attempt, r.started_at, r.finished_at, r.duration_ms
                        from executions r where r.run_id = ${e}.id and r.attempt > 1 and ${e}.id is not null
                       order by r.attempt desc limit 1) ${e}_l on true
   left join lateral (select c.worker_id, c.claimed_at from execution_claims c
                       where coalesce(${e}_l.status, ${e}.status) = 'queued' and coalesce(${e}_l.id, ${e}.id) = any(c.ids) limit 1) ${e}_h on true`;

export interface LedgerClaimRow {
  slot_at: number;
  decision: string;
  claimed_at: number;
  claimed_by: string | null;
  missed_through: string | null;
  active: string[] | null;
  /** The backfill's execution (as the e_ columns, unprefixed), when the slot was backfilled: rare, so one json value rather than a dozen empty columns. */
  backfill: Record<string, unknown> | null;
  [column: string]: unknown;
}

/** Executions read back before a skipped slot's claim to find those queued or running then. */
const OVERLAP_LOOKBACK = 200;

/**
 * Claimed slots in [from, until], at most `limit`, plus the last missed-slots record before
 * `from` (it may stand for slots of the range). A slot skipped for overlap lists the executions
 * queued or running at its claim, among the OVERLAP_LOOKBACK queued before it.
 */
export const ledgerClaims = (configId: string, from: Date, until: Date, limit: number): SqlQuery => ({
  name: 'ledger-claims',
  text: `with picked as (
           (select * from schedule_slots where config_id = $1 and slot_at >= $2::timestamptz and slot_at <= $3::timestamptz
             order by slot_at limit $4)
           union all
           (select * from schedule_slots where config_id = $1 and slot_at < $2::timestamptz and decision = 'missed'
             order by slot_at desc limit 1)
         )
         select ${ms('s.slot_at')} as slot_at, s.decision, ${ms('s.claimed_at')} as claimed_at, s.claimed_by,
                e.result ->> 'through' as missed_through, ${executionColumns('e', 'e')},
                case when s.backfill_id is not null then (
                  select to_jsonb(x) from (select ${executionColumns('b', 'e')} from executions b ${latestAttempt('b')} where b.id = s.backfill_id) x
                ) end as backfill,
                case when s.decision = 'skipped-overlap' then array(
                  select w.id from (select o.id, o.status, o.started_at, o.finished_at from executions o
                                     where o.config_id = $1 and o.queued_at <= s.claimed_at
                                     order by o.queued_at desc limit ${OVERLAP_LOOKBACK}) w
                   where w.id <> s.execution_id and w.status <> 'skipped'
                     and (w.finished_at is null or w.finished_at > s.claimed_at)
                   -- As many as were active at the claim (its record says): the scan stops at the last.
                   limit least(20, greatest(1, coalesce((e.result ->> 'active')::int, 20)))) end as active
           from picked s
           left join executions e on e.id = s.execution_id
           ${latestAttempt('e')}
          order by s.slot_at`,
  values: [configId, from, until, limit],
});

export interface LedgerPauseRow {
  paused_at: Date;
  paused_until: Date | null;
  ended_at: Date | null;
  reason: string | null;
  paused_by: string | null;
}

export const ledgerPauses = (configId: string, from: Date, until: Date): SqlQuery => ({
  name: 'ledger-pauses',
  text: `select paused_at, paused_until, ended_at, reason, paused_by from schedule_pauses
          where config_id = $1 and paused_at <= $3::timestamptz and (ended_at is null or ended_at >= $2::timestamptz)
          order by paused_at`,
  values: [configId, from, until],
});

export const ledgerCursor = (configId: string): SqlQuery => ({
  name: 'ledger-cursor',
  text: `select last_slot_at from schedule_state where config_id = $1`,
  values: [configId],
});

/** Manual runs listed beside the slots at most. */
export const MAX_LEDGER_MANUAL = 1000;

/** Runs no slot started (manual, API), first attempts, queued in [from, until] (executions_manual_idx). */
export const ledgerManual = (configId: string, from: Date, until: Date): SqlQuery => ({
  name: 'ledger-manual',
  text: `select ${executionColumns('e', 'e')}
           from (select * from executions where config_id = $1 and queued_at >= $2::timestamptz and queued_at <= $3::timestamptz
                    and trigger in ('manual', 'api') order by queued_at desc limit ${MAX_LEDGER_MANUAL}) e
           ${latestAttempt('e')}
          order by e.queued_at`,
  values: [configId, from, until],
});

/**
 * Records a backfill's execution on its slot, unless the slot was backfilled already or
 * someone ran it meanwhile: a slot no scheduler decided gets its row (decision 'backfill'); one
 * decided as missed or skipped keeps that decision beside it. Returns the row when it took.
 */
export const recordBackfill = (configId: string, slot: Date, executionId: string, now: Date, actor: string): SqlQuery => ({
  name: 'ledger-record-backfill',
  text: `insert into schedule_slots (config_id, slot_at, decision, execution_id, backfill_id, claimed_at, claimed_by)
         values ($1, $2::timestamptz, 'backfill', $3::uuid, $3::uuid, $4::timestamptz, $5)
         on conflict (config_id, slot_at) do update set backfill_id = excluded.backfill_id
          where schedule_slots.backfill_id is null and schedule_slots.decision in ('missed', 'skipped-overlap')
         returning slot_at`,
  values: [configId, slot, executionId, now, actor],
});

/** The slots of `slots` that a backfill may no longer take (run or backfilled meanwhile). */
export const takenSlots = (configId: string, slots: readonly Date[]): SqlQuery => ({
  name: 'ledger-taken-slots',
  text: `select slot_at from schedule_slots
          where config_id = $1 and slot_at = any($2::timestamptz[])
            and (backfill_id is not null or decision not in ('missed', 'skipped-overlap'))`,
  values: [configId, slots.map((s) => s.toISOString())],
});
