import type { ConfigWrite } from '../../src/engine/ports.js';
import type { Sql } from '../../src/store/sql.js';

/**
 * A config written the way releases before field owners (migration 0027) wrote one: the row,
 * its version row without a message, and its counters and schedule state. Tests that build a
 * store at an older migration and fill it as that release did use this; the write itself is
 * prepared by today's ConfigService (prepareCreate / prepareChange: validated, secrets sealed).
 */
export async function writeConfigAsOlderRelease(sql: Sql, write: ConfigWrite): Promise<void> {
  const { config, changes } = write;
  const columns = [
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
  await sql.transaction(async (tx) => {
    await tx.query(
      config.meta.version === 1
        ? {
            name: 'older-release-config-insert',
            text: `insert into job_configs (id, job_type, version, is_enabled, config, created_at, updated_at, created_by, updated_by)
                   values ($1, $2, $3, $4, $5::jsonb, $6::timestamptz, $7::timestamptz, $8, $9)`,
            values: columns,
          }
        : {
            name: 'older-release-config-update',
            text: `update job_configs set job_type = $2, version = $3, is_enabled = $4, config = $5::jsonb,
                          created_at = $6::timestamptz, updated_at = $7::timestamptz, created_by = $8, updated_by = $9
                    where id = $1`,
            values: columns,
          },
    );
    await tx.query({
      name: 'older-release-version-insert',
      text: `insert into job_config_versions (config_id, version, config, changed_by, changed_at, changes)
             values ($1, $2, $3::jsonb, $4, $5::timestamptz, $6::jsonb)`,
      values: [config.meta.id, config.meta.version, JSON.stringify(config), config.meta.updatedBy, config.meta.updatedAt, JSON.stringify(changes)],
    });
    await tx.query({
      name: 'older-release-config-state',
      text: `with claimed as (insert into config_running (config_id) values ($1) on conflict (config_id) do nothing),
                  ended as (insert into config_ended (config_id) values ($1) on conflict (config_id) do nothing)
             insert into schedule_state (config_id) values ($1) on conflict (config_id) do nothing`,
      values: [config.meta.id],
    });
  });
}
