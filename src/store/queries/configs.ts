import type { ConfigChange, JobConfig } from '../../domain/config/index.js';
import type { SqlQuery } from '../sql.js';

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
): SqlQuery => ({
  name: 'config-versions-insert',
  text: `insert into job_config_versions (config_id, version, config, changed_by, changed_at, changes, restored_from)
         values ($1, $2, $3::jsonb, $4, $5::timestamptz, $6::jsonb, $7)`,
  values: [
    config.meta.id,
    config.meta.version,
    JSON.stringify(config),
    config.meta.updatedBy,
    config.meta.updatedAt,
    JSON.stringify(changes),
    restoredFrom ?? null,
  ],
});

export const listConfigVersions = (id: string): SqlQuery => ({
  name: 'config-versions-list',
  text: `select version, config, changed_by, changed_at, changes, restored_from
           from job_config_versions where config_id = $1 order by version desc`,
  values: [id],
});

export const getConfigVersion = (id: string, version: number): SqlQuery => ({
  name: 'config-versions-get',
  text: `select version, config, changed_by, changed_at, changes, restored_from
           from job_config_versions where config_id = $1 and version = $2`,
  values: [id, version],
});

/** Every config gets its schedule-state row (schedulers) and its running-count row (workers) with the config. */
export const insertScheduleState = (id: string): SqlQuery => ({
  name: 'configs-insert-state',
  text: `with running as (insert into config_running (config_id) values ($1) on conflict (config_id) do nothing)
         insert into schedule_state (config_id) values ($1) on conflict (config_id) do nothing`,
  values: [id],
});

/**
 * A changed schedule (cron, zone, or switched on) applies from the change on: slots before
 * it are neither due nor missed under the new schedule.
 */
export const restartSchedule = (id: string, from: string): SqlQuery => ({
  name: 'configs-restart-schedule',
  text: `update schedule_state set last_slot_at = greatest(coalesce(last_slot_at, $2::timestamptz), $2::timestamptz),
                paused_at = null, paused_reason = null
          where config_id = $1`,
  values: [id, from],
});
