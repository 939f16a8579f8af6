import type { ConfigChange, JobConfig } from '../domain/config/index.js';
import * as configs from './queries/configs.js';
import type { Sql } from './sql.js';

/** How a key rotation rewrites what it finds. */
export interface Resealer {
  /** The stored config with every secret sealed under the new key (plain ones from before sealing included). */
  config(config: JobConfig): JobConfig;
  /** A version's recorded changes without any secret value (histories written before they were kept out). */
  changes(changes: ConfigChange[]): ConfigChange[];
  /**
   * Masks the secret values of a config's versions in run output (undefined when they hold
   * none): results and logs written before run output was masked by value.
   */
  masker(versions: JobConfig[]): { value<T>(value: T): T } | undefined;
}

export interface ResealReport {
  configs: number;
  versions: number;
  /** Config snapshots of executions (written before migration 0012, or archived). */
  snapshots: number;
  /** Executions and log lines whose text held a secret value, now masked. */
  runOutputs: number;
}

/**
 * Rewrites every stored secret (configs, versions and their changes, execution snapshots, and
 * secret values in run output written before it was masked by value) in one transaction: all rows under the new key, or, on any error (a value the old key does
 * not open), none. Rows the rewrite leaves as they were are not written.
 */
export function resealSecretRows(sql: Sql, reseal: Resealer): Promise<ResealReport> {
  return sql.transaction(async (tx) => {
    const report: ResealReport = { configs: 0, versions: 0, snapshots: 0, runOutputs: 0 };
    for (const row of await tx.query<{ id: string; config: JobConfig }>(configs.lockConfigsForResealing())) {
      const config = reseal.config(row.config);
      if (config === row.config) continue;
      await tx.query(configs.resealConfig(row.id, config));
      report.configs++;
    }
    const versions = await tx.query<{ config_id: string; version: number; config: JobConfig; changes: ConfigChange[] }>(configs.lockConfigVersionsForResealing());
    const byConfig = new Map<string, JobConfig[]>();
    for (const row of versions) byConfig.set(row.config_id, [...(byConfig.get(row.config_id) ?? []), row.config]);
    for (const [configId, configsOfId] of byConfig) report.runOutputs += await maskRunOutput(tx, configId, reseal.masker(configsOfId));
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

/** Masks one config's stored run output; returns the rows it rewrote. */
async function maskRunOutput(tx: Sql, configId: string, masker: { value<T>(value: T): T } | undefined): Promise<number> {
  if (!masker) return 0;
  let rewritten = 0;
  type OutputRow = { id: string; summary: string | null; result: unknown; error: unknown };
  for (const row of await tx.query<OutputRow>(configs.lockRunOutputForMasking(configId))) {
    const masked = masker.value({ summary: row.summary, result: row.result, error: row.error });
    if (masked.summary === row.summary && masked.result === row.result && masked.error === row.error) continue;
    await tx.query(configs.maskRunOutput(row.id, masked.summary, masked.result, masked.error));
    rewritten++;
  }
  for (const row of await tx.query<{ id: string; message: string; data: unknown }>(configs.lockLogsForMasking(configId))) {
    const masked = masker.value({ message: row.message, data: row.data });
    if (masked.message === row.message && masked.data === row.data) continue;
    await tx.query(configs.maskLogLine(row.id, masked.message, masked.data));
    rewritten++;
  }
  return rewritten;
}
