import type { ExecutionStatus, ExecutionTrigger, FieldOwners, JobConfig, LogLevel } from '../domain/config/index.js';
import {
  ConfigApplyRace,
  type ConfigOverview,
  type ConfigVersionRecord,
  type ConfigWrite,
  type ExecutionChange,
  type ExecutionError,
  type ExecutionRecord,
  type ExecutionSummary,
  type Store,
} from '../engine/ports.js';
import * as configs from './queries/configs.js';
import * as executionIds from './queries/execution-ids.js';
import * as executions from './queries/executions.js';
import * as liveEvents from './queries/live-events.js';
import * as slots from './queries/slots.js';
import { ClaimBook } from './claim-book.js';
import { createLedgerStore } from './ledger-store.js';
import { ConfigSnapshotCache } from './config-cache.js';
import type { Sql } from './sql.js';

const CONFIG_CHANNEL = 'grove_jobs_config';
const EXECUTION_CHANNEL = 'grove_jobs_execution';
/** Runs handed over to idle workers (migration 0024). */
const HAND_OVER_CHANNEL = 'grove_jobs_push';

function toVersionRecord(row: configs.ConfigVersionRow): ConfigVersionRecord {
  const record: ConfigVersionRecord = {
    version: row.version,
    config: row.config,
    changedBy: row.changed_by,
    changedAt: new Date(row.changed_at),
    changes: row.changes,
  };
  if (row.restored_from !== null) record.restoredFrom = row.restored_from;
  if (row.message !== null) record.message = row.message;
  return record;
}

const date = (value: Date | null) => (value === null ? null : new Date(value));

/** An execution as live updates show it, from its row (`watchExecutions`, `executionsChangedSince`). */
function toExecutionChange(row: executions.ExecutionChangeRow): ExecutionChange {
  return {
    id: row.id,
    configId: row.config_id,
    jobType: row.job_type,
    status: row.status as ExecutionStatus,
    trigger: row.trigger as ExecutionTrigger,
    attempt: row.attempt,
    slot: date(row.slot_at),
    queuedAt: new Date(row.queued_at),
    startedAt: date(row.started_at),
    finishedAt: date(row.finished_at),
    durationMs: row.duration_ms,
    items: { total: row.items_total, processed: row.items_processed, succeeded: row.items_succeeded, failed: row.items_failed },
    summary: row.summary,
    error: row.error_message === null ? null : { message: row.error_message },
    dryRun: row.dry_run,
  };
}

/**
 * An execution record from its row, built as one object literal: spreading a shared part into
 * a larger literal instead cost V8 about 35 µs per record (measured), more than the rest of a
 * worker's handling of a no-op execution.
 */
function toExecution(row: executions.ExecutionRow): ExecutionRecord {
  return {
    id: row.id,
    configId: row.config_id,
    configVersion: row.config_version,
    config: row.config as JobConfig,
    status: row.status as ExecutionStatus,
    trigger: row.trigger as ExecutionTrigger,
    slot: date(row.slot_at),
    attempt: row.attempt,
    runId: row.run_id,
    retryOf: row.retry_of,
    requestedBy: row.requested_by,
    idempotencyKey: row.idempotency_key,
    dryRun: row.dry_run,
    batchSize: row.batch_size,
    queuedAt: new Date(row.queued_at),
    runAfter: new Date(row.run_after),
    startedAt: date(row.started_at),
    finishedAt: date(row.finished_at),
    durationMs: row.duration_ms,
    workerId: row.worker_id,
    leaseExpiresAt: date(row.lease_expires_at),
    cancelRequestedAt: date(row.cancel_requested_at),
    items: { total: row.items_total, processed: row.items_processed, succeeded: row.items_succeeded, failed: row.items_failed },
    summary: row.summary,
    result: row.result,
    error: row.error as ExecutionError | null,
  };
}

/** An execution this worker just claimed, from what the claim read (see ClaimRow) and what the worker knows. */
function toClaimed(row: executions.ClaimRow, workerId: string, now: Date, leaseUntil: Date): ExecutionRecord {
  const queuedAt = new Date(row.queued_ms);
  return {
    id: row.id,
    configId: row.config_id,
    configVersion: row.config_version,
    config: row.config as JobConfig,
    status: 'running',
    trigger: row.trigger as ExecutionTrigger,
    slot: row.slot_ms === null ? null : new Date(row.slot_ms),
    attempt: row.attempt ?? 1,
    runId: row.run_id ?? row.id,
    retryOf: row.retry_of,
    requestedBy: row.requested_by,
    idempotencyKey: row.idempotency_key,
    dryRun: row.dry_run ?? false,
    batchSize: row.batch_size,
    queuedAt,
    runAfter: row.run_after_ms === null ? queuedAt : new Date(row.run_after_ms),
    startedAt: now,
    finishedAt: null,
    durationMs: null,
    workerId,
    leaseExpiresAt: leaseUntil,
    cancelRequestedAt: row.cancel_ms === null ? null : new Date(row.cancel_ms),
    items: { total: row.items_total, processed: row.items_processed ?? 0, succeeded: row.items_succeeded ?? 0, failed: row.items_failed ?? 0 },
    summary: row.summary,
    result: row.result,
    error: row.error as ExecutionError | null,
  };
}

function toOverview(row: configs.ConfigOverviewRow): ConfigOverview {
  const last: ExecutionSummary | null =
    row.last_id === null
      ? null
      : {
          id: row.last_id,
          status: row.last_status as ExecutionStatus,
          trigger: row.last_trigger as ExecutionTrigger,
          attempt: row.last_attempt ?? 1,
          queuedAt: new Date(row.last_queued_at ?? 0),
          startedAt: date(row.last_started_at),
          finishedAt: date(row.last_finished_at),
          durationMs: row.last_duration_ms,
          items: {
            total: row.last_items_total,
            processed: row.last_items_processed ?? 0,
            succeeded: row.last_items_succeeded ?? 0,
            failed: row.last_items_failed ?? 0,
          },
          summary: row.last_summary,
          error: row.last_error_message === null ? null : { message: row.last_error_message },
          dryRun: row.last_dry_run === true,
        };
  return {
    config: row.config,
    running: row.running,
    consecutiveFailures: row.consecutive_failures ?? 0,
    pausedAt: date(row.paused_at),
    pausedReason: row.paused_reason,
    pausedUntil: date(row.paused_until),
    pausedBy: row.paused_by,
    lastExecution: last,
  };
}

function scheduleChanged(before: JobConfig | undefined, after: JobConfig): boolean {
  const a = before?.payload.schedule;
  const b = after.payload.schedule;
  return !a || (!a.isEnabled && b.isEnabled) || a.cronExpression !== b.cronExpression || a.timezone !== b.timezone;
}

/** The Store port implemented once, in SQL, for both drivers. */
export function createSqlStore(sql: Sql): Store {
  const configCache = new ConfigSnapshotCache();
  const claims = new ClaimBook();
  /** This process's workers that take runs handed over, by worker id. */
  const takers = new Map<string, (execution: ExecutionRecord | undefined) => void>();
  let handOvers: Promise<unknown> | undefined;
  /** A run handed over to one of this process's workers: recorded as its claim, completed with its config, passed on. */
  const receiveHandOver = async (payload: string | undefined) => {
    if (payload === undefined) {
      // A new listening connection: offers made from the old one are void.
      for (const take of takers.values()) take(undefined);
      return;
    }
    const run = JSON.parse(payload) as executions.HandOver;
    const take = takers.get(run.workerId);
    if (!take) return;
    const queuedAt = new Date(run.queuedMs);
    claims.record(run.claimId, run.workerId, [run.id], queuedAt);
    try {
      let config = configCache.get(run.configKey);
      if (!config) {
        const row = (await sql.query<configs.ConfigVersionRow>(configs.getConfigVersion(run.configId, run.configVersion)))[0];
        if (!row) throw new Error(`config ${run.configId} v${run.configVersion} of handed-over run ${run.id} is gone`);
        config = row.config;
        configCache.remember(config);
      }
      // A new manual run, as a claim reads one (the usual values as null): its record is built the same way.
      const row: executions.ClaimRow = {
        id: run.id,
        config_id: run.configId,
        config_version: run.configVersion,
        config,
        trigger: run.trigger,
        slot_ms: null,
        attempt: null,
        run_id: null,
        retry_of: null,
        requested_by: run.requestedBy,
        idempotency_key: run.idempotencyKey,
        dry_run: run.dryRun || null,
        batch_size: run.batchSize,
        queued_ms: run.queuedMs,
        run_after_ms: null,
        cancel_ms: null,
        items_total: null,
        items_processed: null,
        items_succeeded: null,
        items_failed: null,
        summary: null,
        result: null,
        error: null,
        room: 0,
      };
      take(toClaimed(row, run.workerId, queuedAt, new Date(run.leaseMs)));
    } catch {
      // Not runnable here: back to the queue for any worker.
      await release([run.id], run.workerId, queuedAt).catch(() => undefined);
    }
  };
  /** Hands running executions a worker of this process holds back to the queue, out of their claims. */
  const release = async (ids: readonly string[], workerId: string, runAfter: Date) => {
    await sql.transaction(async (tx) => {
      await tx.query(executions.lockEndedCountsOf(ids));
      await tx.query(executions.releaseExecutions(ids, claims.claimsOf(ids, workerId), workerId, runAfter));
      await tx.query(executions.notifyExecutions(''));
    });
    claims.settle(ids, workerId);
  };
  /** Records the executions in `records` that started here under claim `claimId`. */
  const recordClaim = (claimId: string, records: ReadonlyArray<ExecutionRecord | undefined>, workerId: string, at: Date) => {
    const held = records.filter((r): r is ExecutionRecord => r?.status === 'running' && r.workerId === workerId).map((r) => r.id);
    claims.record(claimId, workerId, held, at);
  };
  const one = async <Row>(query: ReturnType<typeof executions.getExecution>) => (await sql.query<Row>(query))[0];
  const execution = async (query: ReturnType<typeof executions.getExecution>, on: Sql = sql) => {
    const row = (await on.query<executions.ExecutionRow>(query))[0];
    return row ? toExecution(row) : undefined;
  };

  /** Inserts version 1 with its version row, schedule state and owners; false when the id is taken. */
  const insertConfigIn = async (tx: Sql, write: ConfigWrite): Promise<boolean> => {
    const inserted = await tx.query(configs.insertConfig(write.config));
    if (inserted.length === 0) return false;
    await writeVersionIn(tx, write);
    return true;
  };
  /** Stores a new version while the stored one is still `expectedVersion`; false otherwise. */
  const replaceConfigIn = async (tx: Sql, write: ConfigWrite, expectedVersion: number): Promise<boolean> => {
    const before = (await tx.query<configs.ConfigRow>(configs.getConfig(write.config.meta.id)))[0]?.config;
    const updated = await tx.query(configs.replaceConfig(write.config, expectedVersion));
    if (updated.length === 0) return false;
    if (scheduleChanged(before, write.config)) {
      const switchedOn = before?.payload.schedule.isEnabled === false && write.config.payload.schedule.isEnabled;
      await tx.query(configs.restartSchedule(write.config.meta.id, write.config.meta.updatedAt, switchedOn));
    }
    await writeVersionIn(tx, write);
    return true;
  };
  const writeVersionIn = async (tx: Sql, write: ConfigWrite): Promise<void> => {
    const id = write.config.meta.id;
    await tx.query(configs.insertConfigVersion(write.config, write.changes, write.restoredFrom, write.message));
    await tx.query(configs.setConfigOwners(id, write.owners, write.config.meta.version));
    await tx.query(configs.insertScheduleState(id));
    if (write.applied) await tx.query(configs.rememberAppliedDeclaration(id, write.applied.manager, write.applied.stated, write.applied.at));
    await tx.query(slots.notifyConfigChanged(id));
  };
  const deleteConfigIn = async (tx: Sql, id: string, expectedVersion: number | undefined) => {
    // A claim in flight for this config finishes first (a claim never waits on a deletion),
    // and the deletion then counts the executions running from a snapshot that includes it.
    await tx.query(configs.lockForDeletion(id));
    const [row] = await tx.query<{ version: number | null; running: number; deleted: number }>(configs.deleteConfig(id, expectedVersion ?? null));
    if (!row || row.version === null) return { outcome: 'not-found' as const };
    if (row.deleted === 1) {
      await tx.query(slots.notifyConfigChanged(id));
      return { outcome: 'deleted' as const, version: row.version };
    }
    return { outcome: row.running > 0 ? ('running' as const) : ('version-conflict' as const), version: row.version };
  };

  return {
    ...createLedgerStore(sql, (input, on) => execution(executions.insertExecution(input), on)),
    hearsOtherProcesses: sql.hearsOtherProcesses,
    listConfigs: async () => (await sql.query<configs.ConfigRow>(configs.listConfigs())).map((row) => row.config),

    getConfig: async (id) => (await sql.query<configs.ConfigRow>(configs.getConfig(id)))[0]?.config,

    insertConfig: (write: ConfigWrite) => sql.transaction((tx) => insertConfigIn(tx, write)),

    replaceConfig: (write: ConfigWrite, expectedVersion: number) => sql.transaction((tx) => replaceConfigIn(tx, write, expectedVersion)),

    getConfigOwners: async (id) => (await sql.query<{ owners: FieldOwners }>(configs.getConfigOwners(id)))[0]?.owners ?? {},

    applyConfigs: (writes) =>
      sql.transaction(async (tx) => {
        for (const step of writes) {
          if (step.kind === 'insert') {
            if (!(await insertConfigIn(tx, step.write))) throw new ConfigApplyRace(step.write.config.meta.id, 'exists');
          } else if (step.kind === 'replace') {
            if (!(await replaceConfigIn(tx, step.write, step.expectedVersion))) throw new ConfigApplyRace(step.write.config.meta.id, 'changed');
          } else if (step.kind === 'remember') {
            if ((await tx.query(configs.setConfigOwners(step.id, step.owners, step.version))).length === 0) throw new ConfigApplyRace(step.id, 'changed');
            await tx.query(configs.rememberAppliedDeclaration(step.id, step.applied.manager, step.applied.stated, step.applied.at));
          } else {
            const outcome = await deleteConfigIn(tx, step.id, step.expectedVersion);
            if (outcome.outcome !== 'deleted') throw new ConfigApplyRace(step.id, outcome.outcome === 'running' ? 'running' : 'changed');
          }
        }
      }),

    getAppliedDeclaration: async (id, manager) => {
      const [row] = await sql.query<configs.AppliedRow>(configs.getAppliedDeclaration(id, manager));
      return row ? { manager: row.manager, stated: row.stated, at: new Date(row.applied_at) } : undefined;
    },

    rememberAppliedDeclaration: async (id, applied) => {
      await sql.query(configs.rememberAppliedDeclaration(id, applied.manager, applied.stated, applied.at));
    },

    listConfigOverviews: async (id) =>
      (await sql.query<configs.ConfigOverviewRow>(configs.listConfigOverviews(id ?? null))).map(toOverview),

    deleteConfig: (id, expectedVersion) => sql.transaction((tx) => deleteConfigIn(tx, id, expectedVersion)),

    listConfigVersions: async (id) =>
      (await sql.query<configs.ConfigVersionRow>(configs.listConfigVersions(id))).map(toVersionRecord),

    getConfigVersion: async (id, version) => {
      const row = (await sql.query<configs.ConfigVersionRow>(configs.getConfigVersion(id, version)))[0];
      return row ? toVersionRecord(row) : undefined;
    },

    listSchedulable: async () =>
      (await sql.query<slots.SchedulableRow>(slots.listSchedulable())).map((row) => ({
        config: row.config as JobConfig,
        lastSlotAt: date(row.last_slot_at),
        pausedAt: date(row.paused_at),
        pausedUntil: date(row.paused_until),
      })),

    ensureScheduleState: async (configId, from) => {
      const row = (await sql.query<{ last_slot_at: Date }>(slots.ensureScheduleState(configId, from)))[0];
      return new Date(row?.last_slot_at ?? from);
    },

    claimSlot: (input) =>
      sql.transaction(async (tx) => {
        await tx.query(slots.lockScheduleState(input.configId));
        const won = await tx.query(slots.claimSlot(input.configId, input.slot, input.decision, input.now, input.claimedBy));
        if (won.length === 0) return { claimed: false };
        const active = (await tx.query<{ active: number }>(executions.countActive(input.configId)))[0]?.active ?? 0;
        const planned = input.build(active);
        let record: ExecutionRecord | undefined;
        if (planned) {
          record = await execution(executions.insertExecution(planned.execution), tx);
          if (record) await tx.query(slots.setSlotExecution(input.configId, input.slot, planned.decision, record.id));
        }
        await tx.query(slots.advanceCursor(input.configId, input.through ?? input.slot));
        return record ? { claimed: true, execution: record } : { claimed: true };
      }),

    claimSlots: async (items, now, claimedBy, here) => {
      if (items.length === 0) return [];
      const claimId = claims.newId();
      const columns = { columns: executions.recordColumns('x'), join: executions.versionJoin('x') };
      const rows = await sql.query<executions.ExecutionRow>(slots.claimSlots(items, now, claimedBy, columns, here && { ...here, claimId }));
      const records = rows.map(toExecution);
      if (here) recordClaim(claimId, records, here.workerId, now);
      return records;
    },

    advanceCursor: async (configId, to) => {
      await sql.query(slots.advanceCursor(configId, to));
    },

    insertExecution: async (input) => {
      const created = await execution(executions.insertExecution(input));
      if (created) return { execution: created, created: true };
      const existing = await execution(executions.getExecutionByKey(input.config.meta.id, input.idempotencyKey ?? ''));
      if (!existing) throw new Error('an execution with this idempotency key vanished while being read');
      return { execution: existing, created: false };
    },

    insertRun: async (configId, run, here, handOver = true) => {
      const claimId = claims.newId();
      const handing = handOver && sql.hearsOtherProcesses ? { except: [...takers.keys()] } : undefined;
      const created = await execution(executions.insertRun(configId, run, claimId, here, handing));
      if (created && here) recordClaim(claimId, [created], here.workerId, run.queuedAt);
      if (created) return { execution: created, created: true };
      const existing = run.idempotencyKey === null ? undefined : await execution(executions.getExecutionByKey(configId, run.idempotencyKey));
      return existing ? { execution: existing, created: false } : undefined;
    },

    offerPlaces: async (workerId, places, leaseMs) => {
      const pid = await sql.listenerPid();
      if (pid === undefined) return false;
      return (await sql.query(executions.offerPlaces(workerId, pid, Math.max(0, places), leaseMs))).length > 0;
    },

    onHandedOver: async (workerId, listener) => {
      takers.set(workerId, listener);
      handOvers ??= sql.listen(HAND_OVER_CHANNEL, (payload) => void receiveHandOver(payload));
      await handOvers;
      return async () => {
        takers.delete(workerId);
        await sql.query(executions.withdrawPlaces(workerId)).catch(() => undefined);
      };
    },

    getExecution: (id) => execution(executions.getExecution(id)),

    listExecutions: async (configId, options) =>
      (await sql.query<executions.ExecutionRow>(executions.listExecutions(configId, options.limit, options.status ?? null))).map(toExecution),

    findExecutionIds: async (lo, hi, limit) => (await sql.query<{ id: string }>(executionIds.executionIdsInRange(lo, hi, limit))).map((row) => row.id),

    executionIdNeighbours: async (ids) =>
      ids.length === 0 ? [] : sql.query<{ id: string; before: string | null; after: string | null }>(executionIds.executionIdNeighbours(ids)),

    claimExecutions: async (workerId, now, leaseUntil, limit) => {
      const known = configCache.snapshot();
      const claimId = claims.newId();
      const rows = await sql.query<executions.ClaimRow>(executions.claimExecutions(workerId, now, leaseUntil, limit, known.keys, claimId));
      claims.record(
        claimId,
        workerId,
        rows.map((row) => row.id),
        now,
      );
      const room = new Map<string, number>();
      for (const row of rows) room.set(row.config_id, row.room);
      return { executions: rows.map((row) => configCache.complete(toClaimed(row, workerId, now, leaseUntil), known)), room };
    },

    claimExecution: (id, workerId, now, leaseUntil) =>
      sql.transaction(async (tx) => {
        const target = await execution(executions.getExecution(id), tx);
        if (!target || target.status !== 'queued') return undefined;
        // The same per-config lock as claimExecutions, so maxConcurrent holds against workers too.
        await tx.query(executions.lockClaimedCount(target.configId));
        const claimId = claims.newId();
        const claimed = await execution(executions.claimById(id, workerId, now, leaseUntil, claimId), tx);
        recordClaim(claimId, [claimed], workerId, now);
        return claimed;
      }),

    nextRunAfter: async () => {
      const row = (await sql.query<{ at: Date | null }>(executions.nextRunAfter()))[0];
      return row?.at ? new Date(row.at) : undefined;
    },

    onExecutionsChanged: (listener) => sql.listen(EXECUTION_CHANNEL, () => listener()),

    renewLeases: async (ids, workerId, now, leaseUntil) => {
      const held = new Map<string, { cancelRequested: boolean }>();
      if (ids.length === 0) return held;
      const rows = await sql.query<{ id: string; cancel_requested_at: Date | null }>(
        executions.renewLeases(ids, claims.claimsOf(ids, workerId), workerId, now, leaseUntil),
      );
      for (const row of rows) held.set(row.id, { cancelRequested: row.cancel_requested_at !== null });
      return held;
    },

    recordProgress: async (id, workerId, items) => {
      const claimId = claims.claimOf(id, workerId);
      if (claimId !== undefined) await sql.query(executions.recordProgress(id, workerId, claimId, items));
    },

    appendLogs: async (lines) => {
      if (lines.length > 0) await sql.query(executions.insertLogs(lines));
    },

    listLogs: async (executionId, options) =>
      (await sql.query<executions.LogRow>(executions.listLogs(executionId, options.after, options.limit))).map((row) => ({
        id: row.id,
        executionId: row.execution_id,
        at: new Date(row.logged_at),
        level: row.level as LogLevel,
        message: row.message,
        data: row.data,
      })),

    finishExecutions: async (workerId, endings) => {
      if (endings.length === 0) return new Set();
      const ids = endings.map((ending) => ending.id);
      // An ending that does not say when its handler began keeps its claim's instant.
      const started = endings.map((ending) => ending.outcome.startedAt ?? claims.claimedAt(ending.id, workerId) ?? null);
      const missed = await sql.query<{ id: string }>(
        executions.finishExecutions(workerId, claims.claimsOf(ids, workerId), claims.emptiedBy(ids, workerId), endings, started),
      );
      claims.settle(ids, workerId);
      const ended = new Set(ids);
      for (const row of missed) ended.delete(row.id);
      return ended;
    },

    releaseExecutions: async (ids, workerId, runAfter) => {
      if (ids.length > 0) await release(ids, workerId, runAfter);
    },

    expireLeases: async (now, limit) => {
      // Most looks find nothing: one read, and a transaction only when a lease did expire.
      if (!(await one<{ expired: boolean }>(executions.anyExpiredLease(now)))?.expired) return [];
      return sql.transaction(async (tx) => {
        const locked = await tx.query<{ config_id: string }>(executions.lockConfigsWithExpiredLeases(now));
        // With none locked, expired claims that hold nothing still running go.
        const ids = locked.map((row) => row.config_id);
        const lost = (await tx.query<executions.ExecutionRow>(executions.expireLeases(ids, now, limit))).map(toExecution);
        claims.settle(lost.map((e) => e.id));
        return lost;
      });
    },

    cancelQueued: (id, now, actor) => execution(executions.cancelQueued(id, now, actor)),

    requestCancel: (id, now) => execution(executions.requestCancel(id, now)),

    recordRunOutcome: async (configId, failed) => {
      if (!failed) {
        await sql.query(slots.endFailureStreak(configId));
        return 0;
      }
      return (await one<{ consecutive_failures: number }>(slots.recordFailedRun(configId)))?.consecutive_failures ?? 0;
    },

    markPaused: async (configId, at, reason, by) => {
      await sql.query(slots.markPaused(configId, at, reason, by));
    },

    pauseSchedule: async (configId, pause) => {
      await sql.transaction(async (tx) => {
        await tx.query(slots.pauseSchedule(configId, pause.at, pause.until, pause.reason, pause.by));
        await tx.query(slots.notifyConfigChanged(configId));
      });
    },

    endPause: async (configId, from, until) =>
      sql.transaction(async (tx) => {
        const ended = await tx.query(slots.endPause(configId, from, until));
        if (ended.length > 0) await tx.query(slots.notifyConfigChanged(configId));
        return ended.length > 0;
      }),

    getScheduleState: async (configId) => {
      const row = await one<slots.ScheduleStateRow>(slots.getScheduleState(configId));
      return row
        ? {
            consecutiveFailures: row.consecutive_failures,
            pausedAt: date(row.paused_at),
            pausedReason: row.paused_reason,
            pausedUntil: date(row.paused_until),
            pausedBy: row.paused_by,
          }
        : undefined;
    },

    onConfigChanged: (listener) => sql.listen(CONFIG_CHANNEL, listener),

    watchExecutions: async (input) => {
      const rows = await sql.query<executions.ExecutionChangeRow>(executions.watchExecutions(input.ids, input.finishedSince, input.limit));
      const changes = rows.map(toExecutionChange);
      if (!input.configs) return { executions: changes };
      return { executions: changes, configs: await sql.query<{ id: string; version: number }>(executions.configVersions()) };
    },

    changesSince: async ({ since, limit }) => {
      // Two reads, not one snapshot: the stream already receives live events when it asks,
      // so whatever changes between them reaches the client live.
      const configRows = await sql.query<liveEvents.ConfigChangeRow>(liveEvents.configChanges());
      const rows = await sql.query<executions.ExecutionChangeRow>(liveEvents.executionsChangedSince(since, limit));
      return {
        executions: rows.map(toExecutionChange),
        configs: configRows.map((row) => ({
          id: row.id,
          version: row.version,
          createdAt: new Date(row.created_at),
          updatedAt: new Date(row.updated_at),
          pausedAt: date(row.paused_at),
          consecutiveFailures: row.consecutive_failures,
        })),
      };
    },

    countActiveExecutions: async () =>
      (await sql.query<{ job_type: string; status: 'queued' | 'running'; count: number }>(executions.countActiveByType())).map((row) => ({
        jobType: row.job_type,
        status: row.status,
        count: row.count,
      })),

    close: () => sql.close(),
  };
}
