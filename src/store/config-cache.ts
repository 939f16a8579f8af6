import type { JobConfig } from '../domain/config/index.js';
import type { ExecutionRecord } from '../engine/ports.js';

/** Config versions remembered per store: enough for every config a busy worker claims from. */
const MAX_ENTRIES = 64;

/**
 * The config snapshots a store has read with claimed executions, so a claim can leave out
 * those the caller holds already (`p_known` of claim_executions, migrations 0010 and 0012). A
 * version is keyed with the instant it was saved, as a config deleted and created again starts
 * its versions over.
 */
export class ConfigSnapshotCache {
  readonly #entries = new Map<string, JobConfig>();

  /**
   * The entries to name in one query (`keys`), by config id and version (`byVersion`); the
   * answer is completed from this same copy. A version held under two save instants (a
   * config deleted and created again) is not named, so its rows carry their config.
   */
  snapshot(): KnownConfigs {
    const byVersion = new Map<string, JobConfig>();
    const ambiguous = new Set<string>();
    for (const config of this.#entries.values()) {
      const version = `${config.meta.id}@${config.meta.version}`;
      if (byVersion.has(version)) ambiguous.add(version);
      byVersion.set(version, config);
    }
    for (const version of ambiguous) byVersion.delete(version);
    return { keys: [...byVersion.values()].map(snapshotKey), byVersion };
  }

  /** Fills in a left-out config from `known` (in place: the record was just read), or remembers the one the row carried. */
  complete(record: ExecutionRecord, known: KnownConfigs): ExecutionRecord {
    if (record.config === null) {
      const config = known.byVersion.get(`${record.configId}@${record.configVersion}`);
      if (!config) throw new Error(`execution ${record.id}: config ${record.configId} v${record.configVersion} was left out but is not cached`);
      record.config = config;
      return record;
    }
    this.remember(record.config);
    return record;
  }

  /** The snapshot held under this key ('id@version@meta.updatedAt'), if any. */
  get(key: string): JobConfig | undefined {
    return this.#entries.get(key);
  }

  remember(config: JobConfig): void {
    const key = snapshotKey(config);
    if (!this.#entries.has(key)) {
      this.#entries.set(key, config);
      if (this.#entries.size > MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value as string);
    }
  }
}

export interface KnownConfigs {
  keys: string[];
  byVersion: ReadonlyMap<string, JobConfig>;
}

/** The key the SQL side computes as `config_id @ config_version @ meta.updatedAt`. */
export function snapshotKey(config: JobConfig): string {
  return `${config.meta.id}@${config.meta.version}@${config.meta.updatedAt}`;
}
