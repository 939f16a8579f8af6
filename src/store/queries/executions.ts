import type { NewExecutionInput } from '../../engine/ports.js';
import type { SqlQuery } from '../sql.js';

/** An executions row; never leaves store/. */
export interface ExecutionRow {
  id: string;
  config_id: string;
  config_version: number;
  config: unknown;
  status: string;
  trigger: string;
  slot_at: Date | null;
  attempt: number;
  run_id: string;
  retry_of: string | null;
  requested_by: string | null;
  idempotency_key: string | null;
  dry_run: boolean;
  batch_size: number | null;
  queued_at: Date;
  run_after: Date;
  started_at: Date | null;
  finished_at: Date | null;
  duration_ms: number | null;
  worker_id: string | null;
  lease_expires_at: Date | null;
  cancel_requested_at: Date | null;
  items_total: number | null;
  items_processed: number;
  items_succeeded: number;
  items_failed: number;
  summary: string | null;
  result: unknown;
  error: unknown;
}

export const EXECUTION_COLUMNS = `id, config_id, config_version, config, status, trigger, slot_at, attempt, run_id, retry_of,
  requested_by, idempotency_key, dry_run, batch_size, queued_at, run_after, started_at, finished_at, duration_ms,
  worker_id, lease_expires_at, cancel_requested_at, items_total, items_processed, items_succeeded, items_failed,
  summary, result, error`;

/**
 * Inserts an execution. A first attempt is its own run (run_id = id). A repeated
 * idempotency key for the same config inserts nothing and returns no row.
 */
export const insertExecution = (e: NewExecutionInput): SqlQuery => ({
  name: 'executions-insert',
  text: `with new_id as (select gen_random_uuid() as id),
         inserted as (
           insert into executions (id, run_id, config_id, config_version, config, status, trigger, slot_at, attempt, retry_of,
                                   requested_by, idempotency_key, dry_run, batch_size, queued_at, run_after, summary, result,
                                   finished_at, duration_ms)
           select id, coalesce($1::uuid, id), $2, $3, $4::jsonb, $5, $6, $7::timestamptz, $8, $9::uuid,
                  $10, $11, $12, $13, $14::timestamptz, $15::timestamptz, $16, $17::jsonb,
                  case when $5 = 'skipped' then $14::timestamptz end, case when $5 = 'skipped' then 0 end
             from new_id
           on conflict (config_id, idempotency_key) where idempotency_key is not null do nothing
           returning ${EXECUTION_COLUMNS}
         )
         -- A queued execution wakes workers in other processes (delivered when this commits).
         select inserted.*,
                (select pg_notify('grove_jobs_execution', inserted.config_id) where inserted.status = 'queued') is not null as notified
           from inserted`,
  values: [
    e.runId,
    e.config.meta.id,
    e.config.meta.version,
    JSON.stringify(e.config),
    e.status,
    e.trigger,
    e.slot,
    e.attempt,
    e.retryOf,
    e.requestedBy,
    e.idempotencyKey,
    e.dryRun,
    e.batchSize,
    e.queuedAt,
    e.runAfter,
    e.summary,
    e.result === undefined || e.result === null ? null : JSON.stringify(e.result),
  ],
});

export const getExecutionByKey = (configId: string, key: string): SqlQuery => ({
  name: 'executions-by-key',
  text: `select ${EXECUTION_COLUMNS} from executions where config_id = $1 and idempotency_key = $2`,
  values: [configId, key],
});

export const getExecution = (id: string): SqlQuery => ({
  name: 'executions-get',
  text: `select ${EXECUTION_COLUMNS} from executions where id = $1::uuid`,
  values: [id],
});

export const listExecutions = (configId: string, limit: number, status: string | null): SqlQuery => ({
  name: 'executions-list',
  text: `select ${EXECUTION_COLUMNS} from executions
          where config_id = $1 and ($3::text is null or status = $3)
          order by queued_at desc, attempt desc limit $2`,
  values: [configId, limit, status],
});

/** Queued and running executions of a config: what the overlap policy weighs. */
export const countActive = (configId: string): SqlQuery => ({
  name: 'executions-count-active',
  text: `select count(*)::int as active from executions where config_id = $1 and status in ('queued', 'running')`,
  values: [configId],
});

/**
 * Configs with due queued executions, each locked for this transaction. SKIP LOCKED lets
 * racing workers take different configs; holding the config's lock while counting its
 * running executions and claiming is what makes maxConcurrent hold across all workers.
 */
export const lockClaimableConfigs = (now: Date, limit: number): SqlQuery => ({
  name: 'executions-lock-claimable-configs',
  text: `select s.config_id from schedule_state s
           cross join lateral (
             select e.run_after from executions e
              where e.config_id = s.config_id and e.status = 'queued' and e.run_after <= $1::timestamptz
              order by e.run_after limit 1
           ) due
          order by due.run_after
          limit $2
          for update of s skip locked`,
  values: [now, limit],
});

/**
 * Claims up to `limit` due queued executions of the configs this transaction has locked,
 * oldest first, each config within its maxConcurrent. Runs as a statement after the lock:
 * its snapshot sees every claim committed before the locks were taken, so the count of
 * running executions is current.
 */
export const claimForConfigs = (configIds: readonly string[], workerId: string, now: Date, leaseUntil: Date, limit: number): SqlQuery => ({
  name: 'executions-claim-for-configs',
  text: `with room as (
           select c.id as config_id,
                  greatest(0, coalesce((c.config -> 'payload' -> 'limits' ->> 'maxConcurrent')::int, 1)
                    - (select count(*) from executions r where r.config_id = c.id and r.status = 'running'))::int as free
             from job_configs c where c.id = any($1::text[])
         ), picked as (
           select p.id from room
            cross join lateral (
              select e.id, e.run_after, e.queued_at from executions e
               where e.config_id = room.config_id and e.status = 'queued' and e.run_after <= $3::timestamptz
               order by e.run_after, e.queued_at
               limit room.free
               for update skip locked
            ) p
            order by p.run_after, p.queued_at
            limit $5
         )
         update executions e
            set status = 'running', worker_id = $2, started_at = $3::timestamptz, heartbeat_at = $3::timestamptz,
                lease_expires_at = $4::timestamptz
          where e.id = any(array(select id from picked))
         returning ${EXECUTION_COLUMNS.split(',').map((c) => `e.${c.trim()}`).join(', ')}`,
  values: [[...configIds], workerId, now, leaseUntil, limit],
});

/** Renews a lease this worker still holds; no row means it was lost (expired, cancelled, finished). */
export const renewLease = (id: string, workerId: string, now: Date, leaseUntil: Date): SqlQuery => ({
  name: 'executions-renew-lease',
  text: `update executions set heartbeat_at = $3::timestamptz, lease_expires_at = $4::timestamptz
          where id = $1::uuid and worker_id = $2 and status = 'running'
      returning cancel_requested_at`,
  values: [id, workerId, now, leaseUntil],
});

export const recordProgress = (
  id: string,
  workerId: string,
  items: { total: number | null; processed: number; succeeded: number; failed: number },
): SqlQuery => ({
  name: 'executions-progress',
  text: `update executions set items_total = $3, items_processed = $4, items_succeeded = $5, items_failed = $6
          where id = $1::uuid and worker_id = $2 and status = 'running'`,
  values: [id, workerId, items.total, items.processed, items.succeeded, items.failed],
});

export interface FinishValues {
  status: string;
  finishedAt: Date;
  durationMs: number;
  summary: string | null;
  result: unknown;
  error: unknown;
  items: { total: number | null; processed: number; succeeded: number; failed: number };
}

/**
 * Ends a running execution, only while this worker holds it: a worker whose lease expired
 * (and whose execution was already ended as "worker lost") changes nothing here.
 */
export const finishExecution = (id: string, workerId: string, v: FinishValues): SqlQuery => ({
  name: 'executions-finish',
  text: `with finished as (
           update executions
              set status = $3, finished_at = $4::timestamptz, duration_ms = $5, summary = $6, result = $7::jsonb, error = $8::jsonb,
                  items_total = $9, items_processed = $10, items_succeeded = $11, items_failed = $12, lease_expires_at = null
            where id = $1::uuid and worker_id = $2 and status = 'running'
        returning ${EXECUTION_COLUMNS}
         ), streak_ended as (
           -- A success or partial run ends a failure streak; the row is touched only when there is one.
           update schedule_state set consecutive_failures = 0
            where config_id = (select config_id from finished) and consecutive_failures <> 0
              and (select status from finished) in ('success', 'partial')
           returning 1
         )
         -- Wake workers elsewhere only when this config has executions waiting for room.
         select finished.*, (select count(*) from streak_ended)::int as streak_ended,
                (select pg_notify('grove_jobs_execution', finished.config_id)
                  where exists (select 1 from executions q where q.config_id = finished.config_id and q.status = 'queued')) is not null as notified
           from finished`,
  values: [
    id,
    workerId,
    v.status,
    v.finishedAt,
    v.durationMs,
    v.summary,
    v.result === undefined || v.result === null ? null : JSON.stringify(v.result),
    v.error === undefined || v.error === null ? null : JSON.stringify(v.error),
    v.items.total,
    v.items.processed,
    v.items.succeeded,
    v.items.failed,
  ],
});

/** Gives a running execution back to the queue (graceful shutdown past its grace period). */
export const releaseExecution = (id: string, workerId: string, runAfter: Date): SqlQuery => ({
  name: 'executions-release',
  text: `update executions set status = 'queued', worker_id = null, started_at = null, lease_expires_at = null, run_after = $3::timestamptz
          where id = $1::uuid and worker_id = $2 and status = 'running'`,
  values: [id, workerId, runAfter],
});

/** Running executions whose worker stopped renewing: ended once, by whichever process gets here first. */
export const expireLeases = (now: Date, limit: number): SqlQuery => ({
  name: 'executions-expire-leases',
  text: `with lost as (
           select id from executions where status = 'running' and lease_expires_at < $1::timestamptz
            order by lease_expires_at limit $2 for update skip locked
         )
         update executions e
            set status = 'failed', finished_at = $1::timestamptz,
                duration_ms = (extract(epoch from ($1::timestamptz - e.started_at)) * 1000)::int,
                error = jsonb_build_object('message', 'worker lost: its lease expired at ' || to_char(e.lease_expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ' without a heartbeat', 'code', 'WORKER_LOST', 'workerId', e.worker_id),
                lease_expires_at = null
           from lost where e.id = lost.id
       returning ${EXECUTION_COLUMNS.split(',').map((c) => `e.${c.trim()}`).join(', ')}`,
  values: [now, limit],
});

/** Cancels a queued execution at once. */
export const cancelQueued = (id: string, now: Date, actor: string): SqlQuery => ({
  name: 'executions-cancel-queued',
  text: `update executions set status = 'cancelled', finished_at = $2::timestamptz, duration_ms = 0, cancel_requested_at = $2::timestamptz,
                error = jsonb_build_object('message', 'cancelled by ' || $3 || ' before it started')
          where id = $1::uuid and status = 'queued'
      returning ${EXECUTION_COLUMNS}`,
  values: [id, now, actor],
});

/** Asks the worker running an execution to stop; it sees the request on its next heartbeat. */
export const requestCancel = (id: string, now: Date): SqlQuery => ({
  name: 'executions-request-cancel',
  text: `update executions set cancel_requested_at = coalesce(cancel_requested_at, $2::timestamptz)
          where id = $1::uuid and status = 'running'
      returning ${EXECUTION_COLUMNS}`,
  values: [id, now],
});

export interface LogRow {
  id: number;
  execution_id: string;
  logged_at: Date;
  level: string;
  message: string;
  data: unknown;
}

/** Log lines go in as one JSON document: the same text on both drivers, whatever the count. */
export const insertLogs = (lines: ReadonlyArray<{ executionId: string; at: Date; level: string; message: string; data: unknown }>): SqlQuery => ({
  name: 'execution-logs-insert',
  text: `insert into execution_logs (execution_id, logged_at, level, message, data)
         select execution_id, logged_at, level, message, data
           from jsonb_to_recordset($1::jsonb) as l(execution_id uuid, logged_at timestamptz, level text, message text, data jsonb)`,
  values: [
    JSON.stringify(
      lines.map((l) => ({ execution_id: l.executionId, logged_at: l.at.toISOString(), level: l.level, message: l.message, data: l.data ?? null })),
    ),
  ],
});

export const listLogs = (executionId: string, after: number, limit: number): SqlQuery => ({
  name: 'execution-logs-list',
  text: `select id::int as id, execution_id, logged_at, level, message, data from execution_logs
          where execution_id = $1::uuid and id > $2 order by id limit $3`,
  values: [executionId, after, limit],
});

/** Claims one specific queued execution (a `run` in this process), within the config's maxConcurrent. */
export const claimById = (id: string, workerId: string, now: Date, leaseUntil: Date): SqlQuery => ({
  name: 'executions-claim-by-id',
  text: `update executions e
            set status = 'running', worker_id = $2, started_at = $3::timestamptz, heartbeat_at = $3::timestamptz,
                lease_expires_at = $4::timestamptz
          where e.id = $1::uuid and e.status = 'queued'
            and (select count(*) from executions r where r.config_id = e.config_id and r.status = 'running')
                < coalesce((select (c.config -> 'payload' -> 'limits' ->> 'maxConcurrent')::int from job_configs c where c.id = e.config_id), 1)
      returning ${EXECUTION_COLUMNS.split(',').map((c) => `e.${c.trim()}`).join(', ')}`,
  values: [id, workerId, now, leaseUntil],
});

/** The earliest instant a queued execution becomes due, for the worker's sleep. */
export const nextRunAfter = (): SqlQuery => ({
  name: 'executions-next-run-after',
  text: `select min(run_after) as at from executions where status = 'queued'`,
});

export const lockConfigState = (configId: string): SqlQuery => ({
  name: 'executions-lock-config-state',
  text: `select config_id from schedule_state where config_id = $1 for update`,
  values: [configId],
});

/** Wakes workers in other processes: an execution was queued or a running one ended. */
export const notifyExecutions = (configId: string): SqlQuery => ({
  name: 'executions-notify',
  text: `select pg_notify('grove_jobs_execution', $1)`,
  values: [configId],
});
