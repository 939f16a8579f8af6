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

/** Why a notification is sent. */
export const NotificationKind = {
  Success: 'execution.success',
  Failure: 'execution.failure',
  /** The config failed `pauseAfterConsecutiveFailures` runs in a row and was paused. */
  Critical: 'config.paused',
} as const;
export type NotificationKind = (typeof NotificationKind)[keyof typeof NotificationKind];

/** What a notifier delivers: the facts of one finished execution, never a secret. */
export interface Notification {
  kind: NotificationKind;
  /** When the engine decided to notify (engine clock), ISO 8601. */
  at: string;
  configId: string;
  configVersion: number;
  displayName: string;
  execution: {
    id: string;
    status: string;
    trigger: string;
    attempt: number;
    slot: string | null;
    startedAt: string | null;
    finishedAt: string | null;
    durationMs: number | null;
    itemsProcessed: number;
    itemsFailed: number;
    error: { message: string } | null;
  };
  /** Failed runs in a row, for failures and pauses. */
  consecutiveFailures?: number;
  /** Delivery settings from the config's `notifications` section. */
  channels: ReadonlyArray<'log' | 'webhook'>;
  webhookUrl?: string;
  /** Used to sign the webhook body; never part of the body. */
  webhookSecret?: string;
}

/**
 * Delivers notifications to their channels. `notify` must return at once: delivery (and its
 * bounded retries) happens in the background and never blocks a worker.
 */
export interface Notifier {
  notify(notification: Notification): void;
  /** Waits for deliveries in flight, for shutdown and tests. */
  flush(): Promise<void>;
}
