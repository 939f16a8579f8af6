import type { ConfigChange, JobConfig } from '../domain/config/index.js';

/**
 * The only source of time for the engine. `now()` is read once per decision; tests pass a
 * FakeClock that wakes sleepers in time order when advanced.
 */
export interface Clock {
  now(): Date;
  /** Resolves at `at` (at once if it has passed); rejects with the signal's reason on abort. */
  sleepUntil(at: Date, signal?: AbortSignal): Promise<void>;
}

/** One stored version of a config, with who changed what. */
export interface ConfigVersionRecord {
  version: number;
  config: JobConfig;
  changedBy: string;
  changedAt: Date;
  changes: ConfigChange[];
  /** Set when this version restored an earlier one. */
  restoredFrom?: number;
}

/** What a write records besides the config itself. */
export interface ConfigWrite {
  config: JobConfig;
  changes: ConfigChange[];
  restoredFrom?: number;
}

/** Persistence as the engine needs it; implemented once, in SQL, by `store/`. */
export interface Store {
  listConfigs(): Promise<JobConfig[]>;
  getConfig(id: string): Promise<JobConfig | undefined>;
  /** Inserts version 1; false when the id is taken. */
  insertConfig(write: ConfigWrite): Promise<boolean>;
  /**
   * Stores `write.config` (whose meta.version is expectedVersion + 1) only if the stored
   * version is still `expectedVersion`; false, with nothing changed, otherwise.
   */
  replaceConfig(write: ConfigWrite, expectedVersion: number): Promise<boolean>;
  listConfigVersions(id: string): Promise<ConfigVersionRecord[]>;
  getConfigVersion(id: string, version: number): Promise<ConfigVersionRecord | undefined>;
  close(): Promise<void>;
}
