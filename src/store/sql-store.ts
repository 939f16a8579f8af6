import type { ConfigVersionRecord, ConfigWrite, Store } from '../engine/ports.js';
import * as configs from './queries/configs.js';
import type { Sql } from './sql.js';

function toVersionRecord(row: configs.ConfigVersionRow): ConfigVersionRecord {
  const record: ConfigVersionRecord = {
    version: row.version,
    config: row.config,
    changedBy: row.changed_by,
    changedAt: new Date(row.changed_at),
    changes: row.changes,
  };
  if (row.restored_from !== null) record.restoredFrom = row.restored_from;
  return record;
}

/** The Store port implemented once, in SQL, for both drivers. */
export function createSqlStore(sql: Sql): Store {
  return {
    listConfigs: async () => (await sql.query<configs.ConfigRow>(configs.listConfigs())).map((row) => row.config),

    getConfig: async (id) => (await sql.query<configs.ConfigRow>(configs.getConfig(id)))[0]?.config,

    insertConfig: (write: ConfigWrite) =>
      sql.transaction(async (tx) => {
        const inserted = await tx.query(configs.insertConfig(write.config));
        if (inserted.length === 0) return false;
        await tx.query(configs.insertConfigVersion(write.config, write.changes, write.restoredFrom));
        return true;
      }),

    replaceConfig: (write: ConfigWrite, expectedVersion: number) =>
      sql.transaction(async (tx) => {
        const updated = await tx.query(configs.replaceConfig(write.config, expectedVersion));
        if (updated.length === 0) return false;
        await tx.query(configs.insertConfigVersion(write.config, write.changes, write.restoredFrom));
        return true;
      }),

    listConfigVersions: async (id) =>
      (await sql.query<configs.ConfigVersionRow>(configs.listConfigVersions(id))).map(toVersionRecord),

    getConfigVersion: async (id, version) => {
      const row = (await sql.query<configs.ConfigVersionRow>(configs.getConfigVersion(id, version)))[0];
      return row ? toVersionRecord(row) : undefined;
    },

    close: () => sql.close(),
  };
}
