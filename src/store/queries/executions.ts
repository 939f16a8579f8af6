import type { ExecutionOutcome, NewExecutionInput, RunInput } from '../../engine/ports.js';
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
 * What a worker's claim reads of each execution it claimed, with the room its config had left
 * after the claim (migration 0015). The rest is the claimer's own (running, its worker id,
 * started and renewed at its `now`, leased until its `leaseUntil`) or unset while it runs
 * (finished_at, duration_ms). Reading a column the driver finds null costs next to nothing,
 * and a claim carries hundreds of rows: so what is usual comes as null (a first attempt, its
 * own run, no dry run, due as queued, no items counted) and instants as epoch milliseconds,
 * cheaper to send and to read than a timestamp's text. Measured on a worker's claims, reading
 * every column as stored cost the worker about 10 µs per execution.
 */
export interface ClaimRow {
  id: string;
  config_id: string;
  config_version: number;
  /** Null when the claimer named it as known (migration 0010). */
  config: unknown;
  trigger: string;
  slot_ms: number | null;
  /** Null for 1. */
  attempt: number | null;
  /** Null for its own id. */
  run_id: string | null;
  retry_of: string | null;
  requested_by: string | null;
  idempotency_key: string | null;
  /** Null for false. */
  dry_run: true | null;
  batch_size: number | null;
  queued_ms: number;
  /** Null when due as queued. */
  run_after_ms: number | null;
  cancel_ms: number | null;
  items_total: number | null;
  /** Null for 0. */
  items_processed: number | null;
  items_succeeded: number | null;
  items_failed: number | null;
  summary: string | null;
  result: unknown;
  error: unknown;
  room: number;
}

/**
 * An instant as whole epoch milliseconds, exactly (as the driver reads a timestamp: sub-millisecond
 * digits dropped). In float8 seconds, as date_part reads it (extract's numeric costs about 0.8 µs
 * more per value), the milliseconds of an instant are off by less than 0.0004: half a microsecond
 * added before rounding down keeps both a whole millisecond and 999 µs past one on their own
 * millisecond.
 */
const epochMs = (column: string) => `floor(date_part('epoch', ${column}) * 1000 + 0.0005)`;

const CLAIMED_COLUMNS = `id, config_id, config_version, config, trigger, ${epochMs('slot_at')} as slot_ms, nullif(attempt, 1) as attempt,
  nullif(run_id, id) as run_id, retry_of, requested_by, idempotency_key, nullif(dry_run, false) as dry_run, batch_size,
  ${epochMs('queued_at')} as queued_ms, case when run_after <> queued_at then ${epochMs('run_after')} end as run_after_ms,
  ${epochMs('cancel_requested_at')} as cancel_ms, items_total, nullif(items_processed, 0) as items_processed,
  nullif(items_succeeded, 0) as items_succeeded, nullif(items_failed, 0) as items_failed, summary, result, error, room`;

/** recordColumns' lists, built once per alias and reading (queries are built on every request). */
const recordColumnsByAlias = new Map<string, string>();

/**
 * How a record's running state is read (migration 0023: a claim leaves the rows it claims as
 * they were queued): `row` as written; `live` through the claim holding it, joined as `h` by
 * `claimJoin(e)`; `fresh` for a row just written in this statement (a claim made in the same
 * statement is not visible to it), whose worker is set only when it starts at once.
 */
export type Reading = 'row' | 'live' | 'fresh';

/** An execution's status read through the claim joined as `h` by claimJoin (see Reading). */
export const liveStatus = (e: string): string => `case when h.worker_id is null then ${e}.status else 'running' end`;

/** When an execution started, read through the claim joined as `h` by claimJoin (its claim's instant while it runs). */
export const liveStartedAt = (e: string): string => `coalesce(h.claimed_at, ${e}.started_at)`;

const RUNNING_COLUMNS: Record<Exclude<Reading, 'row'>, (e: string) => Record<string, string>> = {
  live: (e) => ({
    status: `${liveStatus(e)} as status`,
    started_at: `${liveStartedAt(e)} as started_at`,
    worker_id: `coalesce(h.worker_id, ${e}.worker_id) as worker_id`,
    lease_expires_at: `coalesce(h.lease_expires_at, ${e}.lease_expires_at) as lease_expires_at`,
  }),
  fresh: (e) => ({
    status: `case when ${e}.status = 'queued' and ${e}.worker_id is not null then 'running' else ${e}.status end as status`,
  }),
};

/**
 * An execution record's columns read through alias `e`, its config from the version it runs
 * with (migration 0012; rows written before carry their own copy): use with `versionJoin(e)`,
 * and for a `live` reading with `claimJoin(e)`.
 */
export const recordColumns = (e: string, reading: Reading = 'row'): string => {
  const key = `${e}:${reading}`;
  let columns = recordColumnsByAlias.get(key);
  if (columns === undefined) {
    const running = reading === 'row' ? {} : RUNNING_COLUMNS[reading](e);
    columns = EXECUTION_COLUMNS.split(',')
      .map((column) => column.trim())
      .map((column) => (column === 'config' ? `coalesce(${e}.config, v.config) as config` : (running[column] ?? `${e}.${column}`)))
      .join(', ');
    recordColumnsByAlias.set(key, columns);
  }
  return columns;
};

/**
 * Joins, as `h`, the claim that holds the execution aliased `e` while it runs (migration
 * 0023): read only for a row still as queued, one look through the few claims there are.
 */
export const claimJoin = (e: string): string =>
  `left join lateral (select c.worker_id, c.claimed_at, c.lease_expires_at from execution_claims c
                       where ${e}.status = 'queued' and ${e}.id = any(c.ids) limit 1) h on true`;

/** Joins, as `v`, the config version the execution aliased `e` runs with. */
export const versionJoin = (e: string): string => `left join job_config_versions v on v.config_id = ${e}.config_id and v.version = ${e}.config_version`;

/*
 * The narrow tables kept beside executions (migrations 0017, 0023), each filled from a CTE of
 * executions rows (`from`, optionally filtered by `where`) in the statement that changes
 * their status: the queue (queued ones), the claims (running ones) and the finish times.
 */
const only = (where: string | undefined) => (where ? ` where ${where}` : '');
const intoQueue = (from: string, where?: string) =>
  `insert into execution_queue (id, config_id, run_after, queued_at) select id, config_id, run_after, queued_at from ${from}${only(where)} returning 1`;
/** A claim (`$claim`: its id) of the rows of `from` this worker starts at once; none when there are none. */
const intoClaims = (from: string, where: string, claim: string) =>
  `insert into execution_claims (id, worker_id, claimed_at, heartbeat_at, lease_expires_at, ids)
   select ${claim}::uuid, min(worker_id), min(started_at), min(started_at), min(lease_expires_at), array_agg(id)
     from ${from} where ${where} having count(*) > 0 returning 1`;
const intoEndings = (from: string, where?: string) =>
  `insert into execution_endings (finished_at, id) select finished_at, id from ${from}${only(where)} returning 1`;

/**
 * Inserts an execution. A first attempt is its own run (run_id = id). A repeated
 * idempotency key for the same config inserts nothing and returns no row.
 */
export const insertExecution = (e: NewExecutionInput): SqlQuery => ({
  name: 'executions-insert',
  text: `with new_id as (select grove_execution_id() as id),
         inserted as (
           insert into executions (id, run_id, config_id, config_version, status, trigger, slot_at, attempt, retry_of,
                                   requested_by, idempotency_key, dry_run, batch_size, queued_at, run_after, summary, result,
                                   finished_at, duration_ms)
           select id, coalesce($1::uuid, id), $2, $3, $4, $5, $6::timestamptz, $7, $8::uuid,
                  $9, $10, $11, $12, $13::timestamptz, $14::timestamptz, $15, $16::jsonb,
                  case when $4 = 'skipped' then $13::timestamptz end, case when $4 = 'skipped' then 0 end
             from new_id
           on conflict (config_id, idempotency_key) where idempotency_key is not null do nothing
           returning *
         ),
         queued as (${intoQueue('inserted', "status = 'queued'")}),
         logged as (${intoEndings('inserted', 'finished_at is not null')})
         -- A queued execution wakes workers in other processes (delivered when this commits).
         select ${recordColumns('inserted')},
                (select pg_notify('grove_jobs_execution', inserted.config_id) where inserted.status = 'queued') is not null as notified
           from inserted ${versionJoin('inserted')}
          where (select count(*) from queued) >= 0 and (select count(*) from logged) >= 0`,
  values: [
    e.runId,
    e.config.meta.id,
    e.config.meta.version,
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

/**
 * Whether the offer aliased `w` stands: the backend it was made from still runs (its start
 * tells a reused process id apart). A backend of another role shows no start: such an offer
 * is never taken (and never cleared as gone, see offerPlaces).
 */
const offerStands = (w: string) =>
  `exists (select 1 from pg_stat_get_activity(${w}.backend_pid) a where a.backend_start = ${w}.backend_start)`;

/**
 * Records a run of a config as it is stored now, in one statement (no config read first).
 * With `here`, it is claimed at once for that worker when the config has room (running under
 * its lease, counted as a claim under the same lock a worker's claim takes). Without, and
 * with `handOver`, it is claimed so for an idle worker that offered a place (migration 0024),
 * and handed to it in a NOTIFY. Otherwise it is queued. No row: the config does not exist, or
 * the idempotency key was used already.
 */
export const insertRun = (
  configId: string,
  run: RunInput,
  claimId: string,
  here?: { workerId: string; leaseUntil: Date },
  /** Hand it over to an idle worker, not one of these (this process's own, whose places `here` weighs). */
  handOver?: { except: readonly string[] },
): SqlQuery => ({
  name: 'executions-insert-run',
  text: `with config as (
           -- The config first, held until commit (as its deletion takes it, before the rows that
           -- go with it): a deletion waits, or this finds no config; never the opposite order.
           select c.id, c.version, c.config from job_configs c where c.id = $1 for key share
         ), offer as (
           -- Without a worker here: an idle worker's place, while the backend it hears on is the
           -- one it offered from (a worker killed or cut off has closed it). Runs whose hand-over
           -- would not fit a NOTIFY's payload are queued.
           select w.worker_id, w.lease_ms from worker_places w
            where $8::text is null and $11::boolean and w.places > 0 and w.worker_id <> all($12::text[])
              and octet_length(coalesce($3, '')) + octet_length(coalesce($4, '')) < 4000
              and ${offerStands('w')}
            limit 1
              for update skip locked
         ), taker as (
           select coalesce($8::text, (select o.worker_id from offer o)) as worker_id,
                  coalesce($9::timestamptz, $7::timestamptz + (select o.lease_ms from offer o) * interval '1 millisecond') as lease_until
         ), counted as (
           -- Only to claim it here: the claim lock of this config; claims by other workers are read
           -- through it, endings from the snapshot (which can only lag: a count never too low), as
           -- in claim_executions.
           select r.claimed - coalesce((select d.ended from config_ended d where d.config_id = r.config_id), 0) as running
             from config_running r where r.config_id = (select config.id from config) and (select worker_id from taker) is not null
              for update
         ), placed as (
           select c.id, c.version,
                  exists (select 1 from counted)
                    and (select running from counted) < coalesce((c.config -> 'payload' -> 'limits' ->> 'maxConcurrent')::int, 1) as here
             from config c
         ), inserted as (
           insert into executions (id, run_id, config_id, config_version, status, trigger, attempt, requested_by,
                                   idempotency_key, dry_run, batch_size, queued_at, run_after, worker_id, started_at,
                                   heartbeat_at, lease_expires_at)
           select n.id, n.id, p.id, p.version, 'queued', $2, 1, $3, $4, $5, $6,
                  $7::timestamptz, $7::timestamptz, case when p.here then t.worker_id end, case when p.here then $7::timestamptz end,
                  case when p.here then $7::timestamptz end, case when p.here then t.lease_until end
             from placed p cross join taker t cross join (select grove_execution_id() as id) n
           on conflict (config_id, idempotency_key) where idempotency_key is not null do nothing
           returning *
         ), raised as (
           update config_running r set claimed = r.claimed + 1
            where r.config_id = $1 and exists (select 1 from inserted where inserted.worker_id is not null)
           returning 1
         ),
         taken as (
           update worker_places w set places = w.places - 1 from offer o
            where w.worker_id = o.worker_id and exists (select 1 from inserted where inserted.worker_id is not null)
           returning 1
         ),
         queued as (${intoQueue('inserted', 'worker_id is null')}),
         held as (${intoClaims('inserted', 'worker_id is not null', '$10')})
         -- A queued run wakes workers in other processes, a run handed over its worker (delivered when this commits).
         select ${recordColumns('inserted', 'fresh')},
                (select pg_notify('grove_jobs_execution', inserted.config_id) where inserted.worker_id is null) is not null as notified,
                (select pg_notify('grove_jobs_push', json_build_object(
                          'workerId', inserted.worker_id, 'claimId', $10::text, 'id', inserted.id, 'configId', inserted.config_id,
                          'configVersion', inserted.config_version,
                          'configKey', inserted.config_id || '@' || inserted.config_version || '@' || ((select config.config from config) -> 'meta' ->> 'updatedAt'),
                          'trigger', inserted.trigger, 'requestedBy', inserted.requested_by, 'idempotencyKey', inserted.idempotency_key,
                          'dryRun', inserted.dry_run, 'batchSize', inserted.batch_size, 'queuedMs', ${epochMs('inserted.queued_at')},
                          'leaseMs', ${epochMs('inserted.lease_expires_at')})::text)
                  where inserted.worker_id is not null and $8::text is null) is not null as handed_over
           from inserted ${versionJoin('inserted')}
          where (select count(*) from raised) >= 0 and (select count(*) from queued) >= 0 and (select count(*) from held) >= 0
            and (select count(*) from taken) >= 0`,
  values: [
    configId,
    run.trigger,
    run.requestedBy,
    run.idempotencyKey,
    run.dryRun,
    run.batchSize,
    run.queuedAt,
    here?.workerId ?? null,
    here?.leaseUntil ?? null,
    claimId,
    handOver !== undefined,
    [...(handOver?.except ?? [])],
  ],
});

/** A run handed over to an idle worker (insertRun): what its NOTIFY carries. */
export interface HandOver {
  workerId: string;
  claimId: string;
  id: string;
  configId: string;
  configVersion: number;
  /** 'id@version@meta.updatedAt', as config snapshots are keyed. */
  configKey: string;
  trigger: string;
  requestedBy: string | null;
  idempotencyKey: string | null;
  dryRun: boolean;
  batchSize: number | null;
  queuedMs: number;
  leaseMs: number;
}

/**
 * Offers an idle worker's free places, with the backend it hears on (migration 0024); no row
 * when that backend cannot be read. Offers of workers whose backend is gone (a process that
 * died without withdrawing) are cleared on the way.
 */
export const offerPlaces = (workerId: string, backendPid: number, places: number, leaseMs: number): SqlQuery => ({
  name: 'worker-places-offer',
  text: `with gone as (
           delete from worker_places w
            where w.worker_id <> $1
              -- (A backend of another role shows no start to every role: kept.)
              and not exists (select 1 from pg_stat_get_activity(w.backend_pid) a
                               where a.backend_start is null or a.backend_start = w.backend_start)
           returning 1
         )
         insert into worker_places (worker_id, backend_pid, backend_start, places, lease_ms)
         select $1, a.pid, a.backend_start, $3, $4 from pg_stat_get_activity($2) a
          where a.backend_start is not null and (select count(*) from gone) >= 0
         on conflict (worker_id) do update
           set backend_pid = excluded.backend_pid, backend_start = excluded.backend_start, places = excluded.places, lease_ms = excluded.lease_ms
         returning 1`,
  values: [workerId, backendPid, places, leaseMs],
});

export const withdrawPlaces = (workerId: string): SqlQuery => ({
  name: 'worker-places-withdraw',
  text: `delete from worker_places where worker_id = $1`,
  values: [workerId],
});

export const getExecutionByKey = (configId: string, key: string): SqlQuery => ({
  name: 'executions-by-key',
  text: `select ${recordColumns('e', 'live')} from executions e ${claimJoin('e')} ${versionJoin('e')} where e.config_id = $1 and e.idempotency_key = $2`,
  values: [configId, key],
});

export const getExecution = (id: string): SqlQuery => ({
  name: 'executions-get',
  text: `select ${recordColumns('e', 'live')} from executions e ${claimJoin('e')} ${versionJoin('e')} where e.id = $1::uuid`,
  values: [id],
});

export const listExecutions = (configId: string, limit: number, status: string | null): SqlQuery => ({
  name: 'executions-list',
  text: `select ${recordColumns('e', 'live')} from executions e ${claimJoin('e')} ${versionJoin('e')}
          where e.config_id = $1 and ($3::text is null or ${liveStatus('e')} = $3)
          order by e.queued_at desc, e.attempt desc limit $2`,
  values: [configId, limit, status],
});

/**
 * Queued and running executions of a config: what the overlap policy weighs. Running ones are
 * the counts claims keep (claimed - ended), as in claim_slots (migration 0022).
 */
export const countActive = (configId: string): SqlQuery => ({
  name: 'executions-count-active',
  text: `select ((select count(*) from execution_queue where config_id = $1)
                 + coalesce((select r.claimed - coalesce((select d.ended from config_ended d where d.config_id = r.config_id), 0)
                               from config_running r where r.config_id = $1), 0))::int as active`,
  values: [configId],
});

/**
 * Claims up to `limit` due queued executions, oldest first, each config within its
 * maxConcurrent across all workers: one call of the claim_executions function (see
 * migration 0003 for why the lock and the count are two statements inside it). Config
 * snapshots named in `known` ('id@version@meta.updatedAt') come back as null (migration 0010);
 * each row carries the room its config had left (migration 0015). The claim is recorded as
 * `claimId` (migration 0023).
 */
export const claimExecutions = (
  workerId: string,
  now: Date,
  leaseUntil: Date,
  limit: number,
  known: readonly string[],
  claimId: string,
): SqlQuery => ({
  name: 'executions-claim',
  text: `select ${CLAIMED_COLUMNS} from claim_executions($1, $2::timestamptz, $3::timestamptz, $4, $5::text[], $6::uuid)`,
  values: [workerId, now, leaseUntil, limit, [...known], claimId],
});

/**
 * Renews the leases of this worker's claims, one row each, and reads which of the executions
 * in `ids` (running or claimed ahead) they still hold; those no longer held (expired and ended
 * as lost, finished, handed back) are not returned.
 */
export const renewLeases = (ids: readonly string[], claimIds: readonly string[], workerId: string, now: Date, leaseUntil: Date): SqlQuery => ({
  name: 'executions-renew-leases',
  text: `with renewed as (
           update execution_claims c set heartbeat_at = $3::timestamptz, lease_expires_at = $4::timestamptz
            where c.id = any($5::uuid[]) and c.worker_id = $2
           returning c.ids
         )
         select e.id, e.cancel_requested_at from executions e
          where e.id = any($1::uuid[]) and e.status = 'queued'
            and (e.id in (select u.id from renewed r cross join unnest(r.ids) as u(id))) is true`,
  values: [[...ids], workerId, now, leaseUntil, [...claimIds]],
});

/** Records the progress of a running execution while its worker's claim (`claimId`) holds it. */
export const recordProgress = (
  id: string,
  workerId: string,
  claimId: string,
  items: { total: number | null; processed: number; succeeded: number; failed: number },
): SqlQuery => ({
  name: 'executions-progress',
  text: `update executions set items_total = $3, items_processed = $4, items_succeeded = $5, items_failed = $6
          where id = $1::uuid and status = 'queued'
            and exists (select 1 from execution_claims c where c.id = $7::uuid and c.worker_id = $2 and $1::uuid = any(c.ids))`,
  values: [id, workerId, items.total, items.processed, items.succeeded, items.failed, claimId],
});

/**
 * Ends running executions this worker's claims (`claimIds`, each once) hold, in one call of
 * the finish_executions function (migrations 0010, 0014, 0016, 0021, 0023), and deletes the
 * claims in `retire`, which hold nothing else: the ids of those it did not end come back (one
 * no longer held: its claim's lease expired, and it was ended as lost).
 */
export const finishExecutions = (
  workerId: string,
  claimIds: readonly string[],
  retire: readonly string[],
  endings: ReadonlyArray<{ id: string; configId: string; outcome: ExecutionOutcome }>,
  /** Per ending, when it started (null: as its row says). */
  started: ReadonlyArray<Date | null>,
): SqlQuery => ({
  name: 'executions-finish',
  text: `select missed as id
           from finish_executions($1, $15::uuid[], $16::uuid[], $2::uuid[], $3::text[], $4::text[], $5::float8[], $6::float8[], $7::int[],
                                  $8::text[], $9::text[], $10::text[], $11::int[], $12::int[], $13::int[], $14::int[]) as missed`,
  // One array per field; a field no ending has goes as null (read as null, zero for the counts).
  values: [
    workerId,
    plainArray(endings.map((e) => e.id)),
    plainArray(endings.map((e) => e.configId), true),
    plainArray(endings.map((e) => e.outcome.status), true),
    plainArray(started.map((at) => at?.getTime() ?? 'NULL')),
    plainArray(endings.map((e) => e.outcome.finishedAt.getTime())),
    plainArray(endings.map((e) => e.outcome.durationMs)),
    field(endings, (v) => v.summary),
    field(endings, (v) => (v.result === null || v.result === undefined ? undefined : JSON.stringify(v.result))),
    field(endings, (v) => (v.error ? JSON.stringify(v.error) : undefined)),
    field(endings, (v) => v.items.total),
    field(endings, (v) => v.items.processed || undefined),
    field(endings, (v) => v.items.succeeded || undefined),
    field(endings, (v) => v.items.failed || undefined),
    plainArray(claimIds),
    plainArray(retire),
  ],
});

/**
 * A PostgreSQL array literal of values that need no escaping: uuids and whole numbers (NULL
 * for none) as they are, slugs and status words in double quotes (so that a config named
 * "null" stays a text). It costs a quarter of the driver's serialization, which escapes every
 * element whatever it holds (measured on endings of 250 executions: 0.2 against 0.9 µs per
 * ending). Texts of any other kind go through the driver.
 */
function plainArray(values: ReadonlyArray<string | number>, quoted = false): string {
  if (values.length === 0) return '{}';
  return quoted ? `{"${values.join('","')}"}` : `{${values.join(',')}}`;
}

/** One field of every ending, null where it has none; null altogether when none has it (unnest pads it). */
function field<T>(
  endings: ReadonlyArray<{ outcome: ExecutionOutcome }>,
  read: (outcome: ExecutionOutcome) => T | null | undefined,
): Array<T | null> | null {
  let any = false;
  const values = endings.map(({ outcome }) => {
    const value = read(outcome) ?? null;
    if (value !== null) any = true;
    return value;
  });
  return any ? values : null;
}

/** Locks, in id order, the ended counts of the configs of these executions (before ending or handing back several). */
export const lockEndedCountsOf = (ids: readonly string[]): SqlQuery => ({
  name: 'executions-lock-ended-counts-of',
  text: `select config_id from config_ended
          where config_id in (select config_id from executions where id = any($1::uuid[]))
          order by config_id for update`,
  values: [[...ids]],
});

/**
 * Gives running executions back to the queue (graceful shutdown, or claimed ahead and never
 * started): out of this worker's claims (`claimIds`), a claim left holding nothing deleted.
 */
export const releaseExecutions = (ids: readonly string[], claimIds: readonly string[], workerId: string, runAfter: Date): SqlQuery => ({
  name: 'executions-release',
  text: `with claims as (
           select c.id, c.ids, array(select u from unnest(c.ids) as u where u <> all($1::uuid[])) as kept
             from execution_claims c where c.id = any($4::uuid[]) and c.worker_id = $2
              for update
         ), given as (
           select u.id from claims c cross join unnest(c.ids) as u(id) where (u.id in (select unnest($1::uuid[]))) is true
         ), emptied as (
           delete from execution_claims c using claims k where c.id = k.id and cardinality(k.kept) = 0 returning 1
         ), trimmed as (
           update execution_claims c set ids = k.kept from claims k where c.id = k.id and cardinality(k.kept) > 0 returning 1
         ), released as (
           update executions set worker_id = null, started_at = null, heartbeat_at = null, lease_expires_at = null, run_after = $3::timestamptz
            where id in (select id from given) and status = 'queued'
           returning id, config_id, run_after, queued_at
         ),
         queued as (${intoQueue('released')})
         update config_ended r set ended = r.ended + n.released
           from (select config_id, count(*)::int as released from released group by config_id) n
          where r.config_id = n.config_id
            and (select count(*) from queued) >= 0 and (select count(*) from emptied) >= 0 and (select count(*) from trimmed) >= 0`,
  values: [[...ids], workerId, runAfter, [...claimIds]],
});

/*
 * A claim's lease expires when its worker stops renewing it (migration 0023): the executions
 * it still holds (still as queued, out of the queue) are lost.
 */
const LOST = `select x.id as claim_id, x.worker_id, x.claimed_at, x.lease_expires_at, e.id, e.config_id
                from expired x cross join unnest(x.ids) as u(id) join executions e on e.id = u.id
               where e.status = 'queued' and not exists (select 1 from execution_queue q where q.id = e.id)`;

/** Whether any claim's lease expired before `now`: a read of the claims, no locks. */
export const anyExpiredLease = (now: Date): SqlQuery => ({
  name: 'executions-any-expired-lease',
  text: `select exists (select 1 from execution_claims where lease_expires_at < $1::timestamptz) as expired`,
  values: [now],
});

/**
 * Locks, in id order, the ended counts of configs with executions held by claims whose lease
 * expired before `now`: what ending them as "worker lost" changes, taken in the order every
 * locker uses, before any claim.
 */
export const lockConfigsWithExpiredLeases = (now: Date): SqlQuery => ({
  name: 'executions-lock-expired-configs',
  text: `with expired as (select * from execution_claims where lease_expires_at < $1::timestamptz)
         select r.config_id from config_ended r
          where r.config_id in (select lost.config_id from (${LOST}) lost)
          order by r.config_id
          for update`,
  values: [now],
});

/**
 * Up to `limit` expired claims whose lost executions all belong to the locked configs: those
 * executions end as "worker lost", once, by whichever process gets here first, counted ended,
 * and the claims go (as does an expired claim left holding nothing still running). One a late
 * worker is ending meanwhile is passed over (its lock), and its endings win; an execution it
 * ended first is not lost.
 */
export const expireLeases = (configIds: readonly string[], now: Date, limit: number): SqlQuery => ({
  name: 'executions-expire-leases',
  text: `with expired as (
           select c.id, c.worker_id, c.claimed_at, c.lease_expires_at, c.ids from execution_claims c
            where c.lease_expires_at < $1::timestamptz
            order by c.lease_expires_at limit $2
              for update skip locked
         ), lost as materialized (${LOST}),
         kept as (select distinct claim_id from lost where config_id <> all($3::text[])),
         retired as (
           delete from execution_claims c using expired x where c.id = x.id and x.id not in (select claim_id from kept) returning 1
         ), ended as (
           update executions e
              set status = 'failed', worker_id = l.worker_id, started_at = l.claimed_at, finished_at = $1::timestamptz,
                  duration_ms = (extract(epoch from ($1::timestamptz - l.claimed_at)) * 1000)::int,
                  error = jsonb_build_object('message', 'worker lost: its lease expired at ' || to_char(l.lease_expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ' without a heartbeat', 'code', 'WORKER_LOST', 'workerId', l.worker_id),
                  heartbeat_at = null, lease_expires_at = null
             from lost l
            where e.id = l.id and e.status = 'queued' and l.claim_id not in (select claim_id from kept)
           returning e.*
         ),
         logged as (${intoEndings('ended')}),
         counted as (
           update config_ended r set ended = r.ended + n.ended
             from (select config_id, count(*)::int as ended from ended group by config_id) n
            where r.config_id = n.config_id
           returning 1
         )
         select ${recordColumns('ended')} from ended ${versionJoin('ended')}
          where (select count(*) from counted) >= 0 and (select count(*) from logged) >= 0 and (select count(*) from retired) >= 0`,
  values: [now, limit, [...configIds]],
});

/** Cancels a queued execution at once. */
export const cancelQueued = (id: string, now: Date, actor: string): SqlQuery => ({
  name: 'executions-cancel-queued',
  text: `with dequeued as (
           delete from execution_queue where id = $1::uuid returning id
         ), changed as (
           update executions set status = 'cancelled', finished_at = $2::timestamptz, duration_ms = 0, cancel_requested_at = $2::timestamptz,
                  error = jsonb_build_object('message', 'cancelled by ' || $3 || ' before it started')
            where id in (select id from dequeued) and status = 'queued'
           returning *
         ),
         logged as (${intoEndings('changed')})
         select ${recordColumns('changed')} from changed ${versionJoin('changed')} where (select count(*) from logged) >= 0`,
  values: [id, now, actor],
});

/** Asks the worker running an execution to stop; it sees the request on its next heartbeat. */
export const requestCancel = (id: string, now: Date): SqlQuery => ({
  name: 'executions-request-cancel',
  text: `with changed as (
           update executions set cancel_requested_at = coalesce(cancel_requested_at, $2::timestamptz)
            where id = $1::uuid and status = 'queued' and exists (select 1 from execution_claims c where $1::uuid = any(c.ids))
           returning *
         )
         select ${recordColumns('changed', 'live')} from changed ${claimJoin('changed')} ${versionJoin('changed')}`,
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

/**
 * Claims one specific queued execution (a `run` in this process), within the config's
 * maxConcurrent, as a claim of its own (`claimId`). Its row carries the worker, start and
 * lease (a release clears them) so that it reads as running in this statement too.
 */
export const claimById = (id: string, workerId: string, now: Date, leaseUntil: Date, claimId: string): SqlQuery => ({
  name: 'executions-claim-by-id',
  text: `with dequeued as (
           delete from execution_queue q
            where q.id = $1::uuid
              and (select r.claimed from config_running r where r.config_id = q.config_id)
                  - coalesce((select d.ended from config_ended d where d.config_id = q.config_id), 0)
                  < coalesce((select (c.config -> 'payload' -> 'limits' ->> 'maxConcurrent')::int from job_configs c where c.id = q.config_id), 1)
           returning q.id
         ), claimed as (
           update executions e
              set worker_id = $2, started_at = $3::timestamptz, heartbeat_at = $3::timestamptz, lease_expires_at = $4::timestamptz
            where e.id in (select id from dequeued) and e.status = 'queued'
           returning e.*
         ),
         held as (${intoClaims('claimed', 'true', '$5')}),
         counted as (
           update config_running r set claimed = r.claimed + 1 where r.config_id in (select config_id from claimed)
           returning 1
         )
         select ${recordColumns('claimed', 'fresh')} from claimed ${versionJoin('claimed')}
          where (select count(*) from counted) >= 0 and (select count(*) from held) >= 0`,
  values: [id, workerId, now, leaseUntil, claimId],
});

/** The earliest instant a queued execution becomes due, for the worker's sleep. */
export const nextRunAfter = (): SqlQuery => ({
  name: 'executions-next-run-after',
  text: `select min(run_after) as at from execution_queue`,
});

/** The lock a worker's claim takes on a config (its claimed count), for a claim of one execution. */
export const lockClaimedCount = (configId: string): SqlQuery => ({
  name: 'executions-lock-claimed-count',
  text: `select config_id from config_running where config_id = $1 for update`,
  values: [configId],
});

/** Wakes workers in other processes: an execution was queued or a running one ended. */
export const notifyExecutions = (configId: string): SqlQuery => ({
  name: 'executions-notify',
  text: `select pg_notify('grove_jobs_execution', $1)`,
  values: [configId],
});

/** An execution as the live-events watcher reads it: no config snapshot, no result. */
export interface ExecutionChangeRow {
  id: string;
  config_id: string;
  job_type: string;
  status: string;
  trigger: string;
  attempt: number;
  slot_at: Date | null;
  queued_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  duration_ms: number | null;
  items_total: number | null;
  items_processed: number;
  items_succeeded: number;
  items_failed: number;
  summary: string | null;
  error_message: string | null;
  dry_run: boolean;
}

/** Every id the claims hold, with its claim (each claim's ids read once), as CTE `held`. */
export const HELD = `held as materialized (
  select u.id, c.worker_id, c.claimed_at from execution_claims c cross join unnest(c.ids) as u(id)
)`;

/**
 * The picked executions (a `picked` CTE of ids, after HELD) as the event watcher shows them: one
 * held by a claim counts as running from its claim, before its row says so.
 */
export const SHOWN = `shown as (
           select e.*, case when h.id is null then e.status else 'running' end as live_status,
                  coalesce(h.claimed_at, e.started_at) as live_started_at
             from executions e join picked on picked.id = e.id
             left join held h on h.id = e.id and e.status = 'queued'
         )`;

/** The columns of an ExecutionChangeRow, read from SHOWN as `e` with its version joined as `v`. */
export const CHANGE_COLUMNS = `e.id, e.config_id, coalesce(coalesce(e.config, v.config) -> 'payload' ->> 'jobType', '') as job_type, e.live_status as status,
                e.trigger, e.attempt, e.slot_at, e.queued_at, e.live_started_at as started_at, e.finished_at, e.duration_ms, e.items_total,
                e.items_processed, e.items_succeeded, e.items_failed, e.summary, e.error ->> 'message' as error_message,
                (e.dry_run or coalesce(coalesce(e.config, v.config) -> 'payload' -> 'parameters' -> 'dryRun' = 'true'::jsonb, false)) as dry_run`;

/**
 * What changed for live updates: running executions, the newest `limit` queued ones, the
 * executions in `ids`, and those finished since `finishedSince`. One branch per condition, each
 * read from its own narrow table or index (the claims, the queue's newest, the primary key,
 * the endings' finish times; migrations 0017, 0023). Running and just-ended ones sort first,
 * so the limit drops the oldest queued ones.
 */
export const watchExecutions = (ids: readonly string[], finishedSince: Date, limit: number): SqlQuery => ({
  name: 'executions-watch',
  text: `with ${HELD}, picked as (
           (select id from held)
           union (select id from execution_queue order by queued_at desc limit $3)
           union (select id from executions where id = any($1::uuid[]))
           union (select id from execution_endings where finished_at >= $2::timestamptz)
         ), ${SHOWN}
         select ${CHANGE_COLUMNS}
           from shown e ${versionJoin('e')}
          order by case e.live_status when 'running' then 0 when 'queued' then 2 else 1 end, e.queued_at desc
          limit $3`,
  values: [[...ids], finishedSince, limit],
});

/** Every config's id and version: how a watcher notices config changes made by other processes. */
export const configVersions = (): SqlQuery => ({
  name: 'executions-watch-configs',
  text: `select id, version from job_configs order by id`,
});

/** Queued and running executions by job type (metrics), through the queue and the claims. */
export const countActiveByType = (): SqlQuery => ({
  name: 'executions-count-active-by-type',
  text: `with ${HELD}, active as (
           select id, 'queued' as status from execution_queue
           union all
           select held.id, 'running' from held join executions e on e.id = held.id where e.status = 'queued'
         )
         select coalesce(coalesce(e.config, v.config) -> 'payload' ->> 'jobType', '') as job_type, a.status, count(*)::int as count
           from active a join executions e on e.id = a.id ${versionJoin('e')}
          group by 1, 2 order by 1, 2`,
});
