import type { SqlQuery } from '../sql.js';

export interface SchedulableRow {
  config: unknown;
  last_slot_at: Date | null;
  paused_at: Date | null;
  paused_until: Date | null;
}

/**
 * Enabled configs with where their schedule stands. The scheduler reads them just before a
 * slot, and claims the slot right after on the connection the pool hands out again (the one
 * it used last): the read also runs claim_slots with nothing to claim, so that connection has
 * the function compiled and its statements planned. A connection's first call pays for both
 * (8-9 ms measured; 0.4 ms once done), which made the first slots after a start late.
 */
export const listSchedulable = (): SqlQuery => ({
  name: 'slots-list-schedulable',
  text: `with readied as materialized (select count(*) from claim_slots('[]'::jsonb, now(), ''))
         select c.config, s.last_slot_at, s.paused_at, s.paused_until
           from job_configs c left join schedule_state s on s.config_id = c.id
          where c.is_enabled and (select count(*) from readied) >= 0
          order by c.id`,
});

/**
 * Where a config's schedule starts: slots after `from` are its to claim. A config seen for
 * the first time (or re-enabled) starts from the moment the scheduler first sees it.
 */
export const ensureScheduleState = (configId: string, from: Date): SqlQuery => ({
  name: 'slots-ensure-state',
  text: `insert into schedule_state (config_id, last_slot_at) values ($1, $2::timestamptz)
         on conflict (config_id) do update set last_slot_at = coalesce(schedule_state.last_slot_at, excluded.last_slot_at)
         returning last_slot_at`,
  values: [configId, from],
});

/** Serializes slot claims of one config across schedulers for the overlap count. */
export const lockScheduleState = (configId: string): SqlQuery => ({
  name: 'slots-lock-state',
  text: `select last_slot_at from schedule_state where config_id = $1 for update`,
  values: [configId],
});

/**
 * Exactly once per slot: any number of schedulers may try to claim (config, slot); the
 * primary key lets one insert win and the others get no row back.
 */
export const claimSlot = (configId: string, slot: Date, decision: string, now: Date, claimedBy: string): SqlQuery => ({
  name: 'slots-claim',
  text: `insert into schedule_slots (config_id, slot_at, decision, claimed_at, claimed_by)
         values ($1, $2::timestamptz, $3, $4::timestamptz, $5)
         on conflict (config_id, slot_at) do nothing
         returning config_id`,
  values: [configId, slot, decision, now, claimedBy],
});

/**
 * Claims on-time slots of many configs at once (the claim_slots function, migrations 0003,
 * 0012, 0020 and 0023); `read` names the columns and joins that read each recorded execution
 * as `x`. With `here`, up to `places` of the slots due by `now` whose config has room start at
 * once under that worker's lease, held by one claim (`claimId`).
 */
export const claimSlots = (
  items: ReadonlyArray<{ configId: string; version: number; slot: Date; runAfter: Date }>,
  now: Date,
  claimedBy: string,
  read: { columns: string; join: string },
  here?: { workerId: string; leaseUntil: Date; places: number; claimId: string },
): SqlQuery => ({
  name: 'slots-claim-many',
  text: `select ${read.columns} from claim_slots($1::jsonb, $2::timestamptz, $3, $4, $5::timestamptz, $6, $7::uuid) x ${read.join}`,
  values: [
    JSON.stringify(items.map((i) => ({ config_id: i.configId, version: i.version, slot_at: i.slot.toISOString(), run_after: i.runAfter.toISOString() }))),
    now,
    claimedBy,
    here?.workerId ?? null,
    here?.leaseUntil ?? null,
    here?.places ?? 0,
    here?.claimId ?? null,
  ],
});

export const setSlotExecution = (configId: string, slot: Date, decision: string, executionId: string): SqlQuery => ({
  name: 'slots-set-execution',
  text: `update schedule_slots set decision = $3, execution_id = $4::uuid where config_id = $1 and slot_at = $2::timestamptz`,
  values: [configId, slot, decision, executionId],
});

/** Moves the cursor forward only: a slower scheduler never drags it back. */
export const advanceCursor = (configId: string, to: Date): SqlQuery => ({
  name: 'slots-advance-cursor',
  text: `update schedule_state set last_slot_at = greatest(last_slot_at, $2::timestamptz) where config_id = $1`,
  values: [configId, to],
});

/** Raises a config's count of failed runs in a row; returns the new count. */
export const recordFailedRun = (configId: string): SqlQuery => ({
  name: 'slots-record-failure',
  text: `insert into schedule_state (config_id, consecutive_failures) values ($1, 1)
         on conflict (config_id) do update set consecutive_failures = schedule_state.consecutive_failures + 1
         returning consecutive_failures`,
  values: [configId],
});

/**
 * A success ends a failure streak. Touches the row only when there is a streak, so the
 * steady state (success after success) neither writes nor waits on a worker's lock of it.
 */
export const endFailureStreak = (configId: string): SqlQuery => ({
  name: 'slots-end-failure-streak',
  text: `update schedule_state set consecutive_failures = 0 where config_id = $1 and consecutive_failures <> 0`,
  values: [configId],
});

/**
 * The pause after consecutive failures (`at` set), or the end of whatever pause there is (`at`
 * null; `endedAt` is then the instant it ends). Its history row goes with it.
 */
export const markPaused = (configId: string, at: Date | null, reason: string | null, by: string | null, endedAt: Date | null = null): SqlQuery => ({
  name: 'slots-mark-paused',
  text: `with ended as (
           update schedule_pauses set ended_at = coalesce($2::timestamptz, $5::timestamptz)
            where config_id = $1 and ended_at is null and coalesce($2::timestamptz, $5::timestamptz) is not null
              and paused_at is distinct from $2::timestamptz
         ), begun as (
           insert into schedule_pauses (config_id, paused_at, reason, paused_by)
           select $1, $2::timestamptz, $3, $4 where $2::timestamptz is not null
           on conflict (config_id, paused_at) do update set reason = excluded.reason, paused_by = excluded.paused_by, ended_at = null
         )
         update schedule_state set paused_at = $2::timestamptz, paused_reason = $3, paused_by = $4, paused_until = null,
                consecutive_failures = case when $2::timestamptz is null then 0 else consecutive_failures end
          where config_id = $1`,
  values: [configId, at, reason, by, endedAt],
});

/**
 * A pause by hand. A config the scheduler has not seen yet gets its state row here, its
 * schedule starting at the pause (slots before it were never due). A second pause replaces the
 * first (new reason, end and actor).
 */
export const pauseSchedule = (configId: string, at: Date, until: Date | null, reason: string, by: string): SqlQuery => ({
  name: 'slots-pause',
  text: `with ended as (
           update schedule_pauses set ended_at = $2::timestamptz where config_id = $1 and ended_at is null and paused_at <> $2::timestamptz
         ), begun as (
           insert into schedule_pauses (config_id, paused_at, paused_until, reason, paused_by)
           values ($1, $2::timestamptz, $3::timestamptz, $4, $5)
           on conflict (config_id, paused_at) do update set paused_until = excluded.paused_until, reason = excluded.reason,
                  paused_by = excluded.paused_by, ended_at = null
         )
         insert into schedule_state (config_id, last_slot_at, paused_at, paused_until, paused_reason, paused_by)
         values ($1, $2::timestamptz, $2::timestamptz, $3::timestamptz, $4, $5)
         on conflict (config_id) do update set paused_at = excluded.paused_at, paused_until = excluded.paused_until,
                paused_reason = excluded.paused_reason, paused_by = excluded.paused_by`,
  values: [configId, at, until, reason, by],
});

/**
 * Ends a pause: slots up to `from` fell in the pause and are passed, not missed (the cursor
 * moves there, never back). `until` non-null: only the pause that ends then (the scheduler
 * ending it at its end; a pause set again meanwhile stays). Returns the row when a pause ended.
 */
export const endPause = (configId: string, from: Date, until: Date | null): SqlQuery => ({
  name: 'slots-end-pause',
  text: `with ended as (
           update schedule_state set last_slot_at = greatest(coalesce(last_slot_at, $2::timestamptz), $2::timestamptz),
                  paused_at = null, paused_until = null, paused_reason = null, paused_by = null, consecutive_failures = 0
            where config_id = $1 and paused_at is not null
              and ($3::timestamptz is null or paused_until = $3::timestamptz)
           returning config_id
         ), closed as (
           -- Slots ran again from the pause's end, or from the resume.
           update schedule_pauses p set ended_at = coalesce($3::timestamptz, $2::timestamptz)
             from ended e where p.config_id = e.config_id and p.ended_at is null
         )
         select config_id from ended`,
  values: [configId, from, until],
});

export interface ScheduleStateRow {
  config_id: string;
  last_slot_at: Date | null;
  consecutive_failures: number;
  paused_at: Date | null;
  paused_reason: string | null;
  paused_until: Date | null;
  paused_by: string | null;
}

export const getScheduleState = (configId: string): SqlQuery => ({
  name: 'slots-get-state',
  text: `select config_id, last_slot_at, consecutive_failures, paused_at, paused_reason, paused_until, paused_by from schedule_state where config_id = $1`,
  values: [configId],
});

/** Notifies other processes that a config changed (PostgreSQL LISTEN/NOTIFY). */
export const notifyConfigChanged = (configId: string): SqlQuery => ({
  name: 'configs-notify-changed',
  text: `select pg_notify('grove_jobs_config', $1)`,
  values: [configId],
});
