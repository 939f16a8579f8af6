import type { ConfigChange, JobConfig } from '../domain/config/index.js';
import * as configs from './queries/configs.js';
import type { Sql } from './sql.js';

/** How a key rotation rewrites what it finds. */
export interface Resealer {
  /** The stored config with every secret sealed under the new key (plain ones from before sealing included). */
  config(config: JobConfig): JobConfig;
  /** A version's recorded changes without any secret value (histories written before they were kept out). */
  changes(changes: ConfigChange[]): ConfigChange[];
}

export interface ResealReport {
  configs: number;
  versions: number;
  /** Config snapshots of executions (written before migration 0012, or archived). */
  snapshots: number;
}

/**
 * Rewrites every stored secret (configs, versions and their changes, execution snapshots) in
 * one transaction: all rows under the new key, or, on any error (a value the old key does
 * not open), none. Rows the rewrite leaves as they were are not written.
 */
export function resealSecretRows(sql: Sql, reseal: Resealer): Promise<ResealReport> {
  return sql.transaction(async (tx) => {
    const report: ResealReport = { configs: 0, versions: 0, snapshots: 0 };
    for (const row of await tx.query<{ id: string; config: JobConfig }>(configs.lockConfigsForResealing())) {
      const config = reseal.config(row.config);
      if (config === row.config) continue;
      await tx.query(configs.resealConfig(row.id, config));
      report.configs++;
    }
    const versions = await tx.query<{ config_id: string; version: number; config: JobConfig; changes: ConfigChange[] }>(configs.lockConfigVersionsForResealing());
    for (const row of versions) {
      const config = reseal.config(row.config);
      const changes = reseal.changes(row.changes);
      if (config === row.config && JSON.stringify(changes) === JSON.stringify(row.changes)) continue;
      await tx.query(configs.resealConfigVersion(row.config_id, row.version, config, changes));
      report.versions++;
    }
    for (const row of await tx.query<{ source: string; id: string; config: JobConfig }>(configs.listExecutionSnapshotsForResealing())) {
      const config = reseal.config(row.config);
      if (config === row.config) continue;
      await tx.query(configs.resealExecutionSnapshot(row.source, row.id, config));
      report.snapshots++;
    }
    return report;
  });
}
