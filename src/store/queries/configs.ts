import type { ConfigChange, FieldOwners, JobConfig } from '../../domain/config/index.js';
import type { SqlQuery } from '../sql.js';
import { claimJoin, liveStartedAt, liveStatus } from './executions.js';

/** A job_configs row; never leaves store/. */
export interface ConfigRow {
  config: JobConfig;
}

export interface ConfigVersionRow {
  version: number;
  config: JobConfig;
  changed_by: string;
  changed_at: Date;
  changes: ConfigChange[];
  restored_from: number | null;
  message: string | null;
}

export const listConfigs = (): SqlQuery => ({
  name: 'configs-list',
  text: 'select config from job_configs order by id',
});

export const getConfig = (id: string): SqlQuery => ({
  name: 'configs-get',
  text: 'select config from job_configs where id = $1',
  values: [id],
});

/** Who set each field of a config (migration 0027); no row for a config that does not exist. */
export const getConfigOwners = (id: string): SqlQuery => ({
  name: 'configs-get-owners',
  text: 'select owners from job_configs where id = $1',
  values: [id],
});

/** Records the owners a write (or an apply that took fields without changing them) leaves; only at the version they describe. */
export const setConfigOwners = (id: string, owners: FieldOwners, version: number): SqlQuery => ({
  name: 'configs-set-owners',
  text: 'update job_configs set owners = $2::jsonb where id = $1 and version = $3 returning id',
  values: [id, JSON.stringify(owners), version],
});

const configColumns = (config: JobConfig) => [
  config.meta.id,
  config.payload.jobType,
  config.meta.version,
  config.payload.schedule.isEnabled,
  JSON.stringify(config),
  config.meta.createdAt,
  config.meta.updatedAt,
  config.meta.createdBy,
  config.meta.updatedBy,
];

/** Inserts version 1; returns no row when the id is taken (a concurrent create included). */
export const insertConfig = (config: JobConfig): SqlQuery => ({
  name: 'configs-insert',
  text: `insert into job_configs (id, job_type, version, is_enabled, config, created_at, updated_at, created_by, updated_by)
         values ($1, $2, $3, $4, $5::jsonb, $6::timestamptz, $7::timestamptz, $8, $9)
         on conflict (id) do nothing
         returning id`,
  values: configColumns(config),
});

/**
 * Optimistic concurrency: the row changes only while it is still at the version the write
 * was based on. Two writers based on the same version race here; exactly one gets a row back.
 */
export const replaceConfig = (config: JobConfig, expectedVersion: number): SqlQuery => ({
  name: 'configs-replace',
  text: `update job_configs
            set job_type = $2, version = $3, is_enabled = $4, config = $5::jsonb,
                created_at = $6::timestamptz, updated_at = $7::timestamptz, created_by = $8, updated_by = $9
          where id = $1 and version = $10
      returning id`,
  values: [...configColumns(config), expectedVersion],
});

export const insertConfigVersion = (
  config: JobConfig,
  changes: readonly ConfigChange[],
  restoredFrom: number | undefined,
  message: string | undefined,
): SqlQuery => ({
  name: 'config-versions-insert',
  text: `insert into job_config_versions (config_id, version, config, changed_by, changed_at, changes, restored_from, message)
         values ($1, $2, $3::jsonb, $4, $5::timestamptz, $6::jsonb, $7, $8)`,
  values: [
    config.meta.id,
    config.meta.version,
    JSON.stringify(config),
    config.meta.updatedBy,
    config.meta.updatedAt,
    JSON.stringify(changes),
    restoredFrom ?? null,
    message ?? null,
  ],
});

export const listConfigVersions = (id: string): SqlQuery => ({
  name: 'config-versions-list',
  text: `select version, config, changed_by, changed_at, changes, restored_from, message
           from job_config_versions where config_id = $1 order by version desc`,
  values: [id],
});

export const getConfigVersion = (id: string, version: number): SqlQuery => ({
  name: 'config-versions-get',
  text: `select version, config, changed_by, changed_at, changes, restored_from, message
           from job_config_versions where config_id = $1 and version = $2`,
  values: [id, version],
});

/**
 * Every config gets its schedule-state row (schedulers) and its claimed and ended counts
 * (workers; running = claimed - ended, migration 0014) with the config.
 */
export const insertScheduleState = (id: string): SqlQuery => ({
  name: 'configs-insert-state',
  text: `with claimed as (insert into config_running (config_id) values ($1) on conflict (config_id) do nothing),
              ended as (insert into config_ended (config_id) values ($1) on conflict (config_id) do nothing)
         insert into schedule_state (config_id) values ($1) on conflict (config_id) do nothing`,
  values: [id],
});

/**
 * A changed schedule (cron, zone, or switched on) applies from the change on: slots before
 * it are neither due nor missed under the new schedule. Switching it on ends a pause (the
 * pause after consecutive failures switched it off); a cron or zone change keeps a pause.
 */
export const restartSchedule = (id: string, from: string, switchedOn: boolean): SqlQuery => ({
  name: 'configs-restart-schedule',
  text: `with closed as (
           update schedule_pauses set ended_at = $2::timestamptz where config_id = $1 and ended_at is null and $3::boolean
         )
         update schedule_state set last_slot_at = greatest(coalesce(last_slot_at, $2::timestamptz), $2::timestamptz),
                paused_at = case when $3::boolean then null else paused_at end,
                paused_reason = case when $3::boolean then null else paused_reason end,
                paused_until = case when $3::boolean then null else paused_until end,
                paused_by = case when $3::boolean then null else paused_by end
          where config_id = $1`,
  values: [id, from, switchedOn],
});

/** A config with its running count, schedule state and last (not skipped) execution. */
export interface ConfigOverviewRow {
  config: JobConfig;
  running: number;
  consecutive_failures: number | null;
  paused_at: Date | null;
  paused_reason: string | null;
  paused_until: Date | null;
  paused_by: string | null;
  last_id: string | null;
  last_status: string | null;
  last_trigger: string | null;
  last_attempt: number | null;
  last_queued_at: Date | null;
  last_started_at: Date | null;
  last_finished_at: Date | null;
  last_duration_ms: number | null;
  last_items_total: number | null;
  last_items_processed: number | null;
  last_items_succeeded: number | null;
  last_items_failed: number | null;
  last_summary: string | null;
  last_error_message: string | null;
  last_dry_run: boolean | null;
}

/**
 * One round trip for a list of jobs: the last execution comes from executions_history_idx
 * (config_id, queued_at desc) per config, the running count from the counts claims keep
 * (claimed less ended, migration 0014).
 * `$1` null lists every config.
 */
export const listConfigOverviews = (id: string | null): SqlQuery => ({
  name: 'configs-overview',
  text: `select c.config,
                (select (r.claimed - coalesce(d.ended, 0))::int from config_running r left join config_ended d on d.config_id = r.config_id
                  where r.config_id = c.id) as running,
                s.consecutive_failures, s.paused_at, s.paused_reason, s.paused_until, s.paused_by,
                l.id as last_id, l.status as last_status, l.trigger as last_trigger, l.attempt as last_attempt,
                l.queued_at as last_queued_at, l.started_at as last_started_at, l.finished_at as last_finished_at,
                l.duration_ms as last_duration_ms, l.items_total as last_items_total, l.items_processed as last_items_processed,
                l.items_succeeded as last_items_succeeded, l.items_failed as last_items_failed,
                l.summary as last_summary, l.error ->> 'message' as last_error_message, l.dry_run as last_dry_run
           from job_configs c
           left join schedule_state s on s.config_id = c.id
           left join lateral (
             select e.id, ${liveStatus('e')} as status, e.trigger, e.attempt, e.queued_at, ${liveStartedAt('e')} as started_at,
                    e.finished_at, e.duration_ms, e.items_total, e.items_processed, e.items_succeeded, e.items_failed, e.summary, e.error,
                    -- A dry run by the per-run override or by the dryRun parameter of the version it ran (as the worker runs it).
                    e.dry_run or coalesce((select v.config #>> '{payload,parameters,dryRun}' from job_config_versions v
                                            where v.config_id = e.config_id and v.version = e.config_version),
                                          e.config #>> '{payload,parameters,dryRun}') = 'true' as dry_run
               from executions e ${claimJoin('e')}
              where e.config_id = c.id and e.status <> 'skipped'
              order by e.queued_at desc
              limit 1
           ) l on true
          where $1::text is null or c.id = $1
          order by c.id`,
  values: [id],
});

/**
 * Locks a config's row, then its claim lock, in the order a manual run takes them: the claim
 * lock is reached only through the config's row (LockRows sits above the join), so a claim in
 * flight for the config finishes first, and a deletion that follows counts it.
 */
export const lockForDeletion = (id: string): SqlQuery => ({
  name: 'configs-lock-for-deletion',
  text: `with config as (select id from job_configs where id = $1 for update)
         select r.config_id from config_running r where r.config_id in (select id from config) for update of r`,
  values: [id],
});

/**
 * Deletes a config (versions, slots, state and executions go with it by cascade) only while
 * it is at the expected version ($2 null: any) and none of its executions runs. The row lock
 * taken by `for update` makes a concurrent edit wait, so the version read is the one deleted.
 */
export const deleteConfig = (id: string, expectedVersion: number | null): SqlQuery => ({
  name: 'configs-delete',
  text: `with target as (select id, version from job_configs where id = $1 for update),
              -- Its running count as claims keep it (claimed - ended; read under the claim lock, lockForDeletion).
              busy as (select coalesce((select r.claimed - coalesce((select d.ended from config_ended d where d.config_id = r.config_id), 0)
                                          from config_running r where r.config_id = $1), 0)::int as n),
              deleted as (
                delete from job_configs c using target t
                 where c.id = t.id and ($2::int is null or t.version = $2) and (select n from busy) = 0
                returning c.id
              )
         select (select version from target) as version, (select n from busy) as running, (select count(*)::int from deleted) as deleted`,
  values: [id, expectedVersion],
});

// ── secrets at rest (`grove-jobs secrets rotate-key`) ───────────────────────────────────

/**
 * Every stored config with a secret in it, locked: the rows a key rotation rewrites. `for
 * update` makes a concurrent edit wait for the rotation, so no row is written under the old
 * key after the rotation read it.
 */
export const lockConfigsForResealing = (): SqlQuery => ({
  name: 'configs-lock-for-resealing',
  text: 'select id, config from job_configs order by id for update',
});

export const resealConfig = (id: string, config: unknown): SqlQuery => ({
  name: 'configs-reseal',
  text: 'update job_configs set config = $2::jsonb where id = $1',
  values: [id, JSON.stringify(config)],
});

export const lockConfigVersionsForResealing = (): SqlQuery => ({
  name: 'config-versions-lock-for-resealing',
  text: 'select config_id, version, config, changes from job_config_versions order by config_id, version for update',
});

export const resealConfigVersion = (id: string, version: number, config: unknown, changes: unknown): SqlQuery => ({
  name: 'config-versions-reseal',
  text: 'update job_config_versions set config = $3::jsonb, changes = $4::jsonb where config_id = $1 and version = $2',
  values: [id, version, JSON.stringify(config), JSON.stringify(changes)],
});

/** Config snapshots executions kept before migration 0012, and those of archived executions. */
export const listExecutionSnapshotsForResealing = (): SqlQuery => ({
  name: 'executions-lock-for-resealing',
  text: `select 'executions' as source, id::text as id, config from executions where config is not null
         union all
         select 'archived_rows', id::text, row_data -> 'config' from archived_rows
          where source_table = 'executions' and jsonb_typeof(row_data -> 'config') = 'object'`,
});

export const resealExecutionSnapshot = (source: string, id: string, config: unknown): SqlQuery =>
  source === 'executions'
    ? { name: 'executions-reseal', text: 'update executions set config = $2::jsonb where id = $1::uuid', values: [id, JSON.stringify(config)] }
    : {
        name: 'archived-executions-reseal',
        text: `update archived_rows set row_data = jsonb_set(row_data, '{config}', $2::jsonb) where id = $1::bigint`,
        values: [id, JSON.stringify(config)],
      };

/** A config's run output, locked: what a rotation masks when runs wrote it before secrets were masked by value. */
export const lockRunOutputForMasking = (configId: string): SqlQuery => ({
  name: 'executions-lock-output-for-masking',
  text: 'select id::text as id, summary, result, error from executions where config_id = $1 for update',
  values: [configId],
});

export const maskRunOutput = (id: string, summary: string | null, result: unknown, error: unknown): SqlQuery => ({
  name: 'executions-mask-output',
  text: 'update executions set summary = $2, result = $3::jsonb, error = $4::jsonb where id = $1::uuid',
  values: [id, summary, result === null ? null : JSON.stringify(result), error === null ? null : JSON.stringify(error)],
});

export const lockLogsForMasking = (configId: string): SqlQuery => ({
  name: 'execution-logs-lock-for-masking',
  text: `select l.id::text as id, l.message, l.data from execution_logs l
          where l.execution_id in (select e.id from executions e where e.config_id = $1)
          for update of l`,
  values: [configId],
});

export const maskLogLine = (id: string, message: string, data: unknown): SqlQuery => ({
  name: 'execution-logs-mask',
  text: 'update execution_logs set message = $2, data = $3::jsonb where id = $1::bigint',
  values: [id, message, data === null ? null : JSON.stringify(data)],
});

export interface AppliedRow {
  manager: string;
  stated: Record<string, unknown>;
  applied_at: Date;
}

export const getAppliedDeclaration = (configId: string, manager: string): SqlQuery => ({
  name: 'config-applied-get',
  text: `select manager, stated, applied_at from config_applied where config_id = $1 and manager = $2`,
  values: [configId, manager],
});

export const rememberAppliedDeclaration = (configId: string, manager: string, stated: Record<string, unknown>, at: Date): SqlQuery => ({
  name: 'config-applied-remember',
  text: `insert into config_applied (config_id, manager, stated, applied_at) values ($1, $2, $3::jsonb, $4::timestamptz)
         on conflict (config_id, manager) do update set stated = excluded.stated, applied_at = excluded.applied_at`,
  values: [configId, manager, JSON.stringify(stated), at],
});
