import type { ConfigChange, ExecutionStatus, ExecutionTrigger, FieldOwners, JobConfig, LogLevel } from '../domain/config/index.js';
import type { LedgerInput } from '../domain/schedule/ledger.js';
import type { Digest, HealthCheckResult, HealthSeverity, HealthStatus } from '../domain/grove/index.js';

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
  /** The writer's note (`grove-jobs apply --message`, fields an apply took back by force). */
  message?: string;
}

/** What a write records besides the config itself. */
export interface ConfigWrite {
  config: JobConfig;
  changes: ConfigChange[];
  restoredFrom?: number;
  /** A declaration's apply: what it stated, remembered with the write (domain/config/apply.ts). */
  applied?: AppliedDeclaration;
  /** Who set each field, after this write. */
  owners: FieldOwners;
  /** The writer's note, kept with the version. */
  message?: string;
}

/** Why Store.applyConfigs rolled back: someone else wrote the config first (or it runs, for a deletion). */
export class ConfigApplyRace extends Error {
  constructor(
    readonly configId: string,
    readonly reason: 'changed' | 'exists' | 'running',
  ) {
    super(`job config '${configId}' ${reason === 'exists' ? 'was created' : reason === 'running' ? 'has a running execution' : 'was changed'} by someone else during the apply; nothing was applied`);
    this.name = 'ConfigApplyRace';
  }
}

/**
 * One config's part of an apply, written with the others in one transaction (Store.applyConfigs):
 * a new config, a new version, or only what the apply remembers and owns (its fields were already as stated).
 */
export type ConfigApplyWrite =
  | { kind: 'insert'; write: ConfigWrite }
  | { kind: 'replace'; write: ConfigWrite; expectedVersion: number }
  | { kind: 'remember'; id: string; version: number; owners: FieldOwners; applied: AppliedDeclaration }
  | { kind: 'delete'; id: string; expectedVersion: number };

/** What one declaration (a manager: code, a folder of files) stated at its last apply of a config. */
export interface AppliedDeclaration {
  manager: string;
  /** Its stated fields as leaves; secret fields as fingerprints. */
  stated: Record<string, unknown>;
  at: Date;
}

/** Persistence as the engine needs it; implemented once, in SQL, by `store/`. */
export interface Store extends ExecutionStore {
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
  /** What `manager` stated at its last apply of config `id`. */
  getAppliedDeclaration(id: string, manager: string): Promise<AppliedDeclaration | undefined>;
  /** Remembers an apply that stored no new version (its fields were already as stated). */
  rememberAppliedDeclaration(id: string, applied: AppliedDeclaration): Promise<void>;
  /** Who set each field of a config ({} for one stored before owners were recorded, or missing). */
  getConfigOwners(id: string): Promise<FieldOwners>;
  /**
   * An apply's writes, all or none: a version conflict, a taken id, or a deletion refused
   * (running execution) rolls every one back and is thrown as a ConfigApplyRace naming the config.
   */
  applyConfigs(writes: readonly ConfigApplyWrite[]): Promise<void>;
  close(): Promise<void>;
}

/** Why a notification is sent. */
export const NotificationKind = {
  Success: 'execution.success',
  Failure: 'execution.failure',
  /** The config failed `pauseAfterConsecutiveFailures` runs in a row and was paused. */
  Critical: 'config.paused',
  /** A `notification-digest` run's report: failures, advancements and rollbacks since the last one. */
  Digest: 'digest.ready',
  /** A `health-check` run found checks at or above its alert threshold. */
  HealthAlert: 'health.alert',
} as const;
export type NotificationKind = (typeof NotificationKind)[keyof typeof NotificationKind];
/** The kinds that carry one finished execution (`Notification`). */
export type ExecutionNotificationKind = (typeof NotificationKind)['Success' | 'Failure' | 'Critical'];

/** A worker in this process that can take an execution at once as it is recorded (see Worker.reserve). */
export interface LocalRunner {
  /** A free place to run one execution now, held until adopted or given back; undefined when there is none. */
  reserve(): { workerId: string; leaseUntil: Date } | undefined;
  /** Runs an execution claimed for it with a reserved place (or gives the place back: undefined). */
  adopt(execution: ExecutionRecord | undefined): void;
}

/**
 * An execution recorded and claimed in one statement, as watchers first see it: queued (then
 * started by the worker that adopts it), as if it had gone through the queue.
 */
export function asQueued(execution: ExecutionRecord): ExecutionRecord {
  return { ...execution, status: 'queued', workerId: null, startedAt: null, leaseExpiresAt: null };
}

/** Where a notification goes: the `notifications` section of the config that sent it. */
export interface NotificationDelivery {
  channels: ReadonlyArray<'log' | 'webhook'>;
  webhookUrl?: string;
  /** Used to sign the webhook body; never part of the body. */
  webhookSecret?: string;
}

/** What a notifier delivers: the facts of one finished execution, never a secret. */
export interface Notification extends NotificationDelivery {
  kind: ExecutionNotificationKind;
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
}

/** Sent by a job while it runs (digest, health alert): the config and execution it came from. */
interface JobReportBase extends NotificationDelivery {
  /** Job clock, ISO 8601. */
  at: string;
  configId: string;
  configVersion: number;
  displayName: string;
  executionId: string;
}

/** A digest: carries the digest instead of an execution. */
export interface DigestNotification extends JobReportBase {
  kind: typeof NotificationKind.Digest;
  digest: Digest;
}

/** Health checks at or above the config's alert threshold. */
export interface HealthAlertNotification extends JobReportBase {
  kind: typeof NotificationKind.HealthAlert;
  threshold: HealthSeverity;
  /** The worst status among all checks of the run. */
  worst: HealthStatus;
  /** Only the checks at or above the threshold. */
  checks: HealthCheckResult[];
}

/** Every notification a notifier may be given. */
export type AnyNotification = Notification | DigestNotification | HealthAlertNotification;

/**
 * Delivers notifications to their channels. `notify` must return at once: delivery (and its
 * bounded retries) happens in the background and never blocks a worker. The engine needs
 * only execution notifications (`Notifier`); jobs that report (digest, health check) take a
 * `Notifier<AnyNotification>`, which the notify/ channels implement.
 */
export interface Notifier<N extends AnyNotification = Notification> {
  notify(notification: N): void;
  /** Waits for deliveries in flight, for shutdown and tests. */
  flush(): Promise<void>;
}

/** Item counters of an execution. */
export interface ExecutionItems {
  total: number | null;
  processed: number;
  succeeded: number;
  failed: number;
}

/** One execution as the engine sees it (SPEC §4). */
export interface ExecutionRecord {
  id: string;
  configId: string;
  configVersion: number;
  /** The config as it was when the execution was created; later edits do not reach it. */
  config: JobConfig;
  status: ExecutionStatus;
  trigger: ExecutionTrigger;
  slot: Date | null;
  attempt: number;
  /** The run's first execution (its own id for a first attempt). */
  runId: string;
  retryOf: string | null;
  requestedBy: string | null;
  idempotencyKey: string | null;
  dryRun: boolean;
  /** The per-run batch-size override, if any. */
  batchSize: number | null;
  queuedAt: Date;
  runAfter: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  workerId: string | null;
  leaseExpiresAt: Date | null;
  cancelRequestedAt: Date | null;
  items: ExecutionItems;
  summary: string | null;
  result: unknown;
  error: ExecutionError | null;
}

export interface ExecutionError {
  message: string;
  code?: string;
  details?: unknown;
}

/** The inputs of planLedger that the store reads. */
export type LedgerReading = Pick<LedgerInput, 'versions' | 'claims' | 'pauses' | 'cursor' | 'manual'>;

export const BackfillOverlap = { Skip: 'skip', Queue: 'queue', All: 'all' } as const;
export type BackfillOverlap = (typeof BackfillOverlap)[keyof typeof BackfillOverlap];

export interface BackfillInput {
  config: JobConfig;
  /** Oldest first. */
  slots: readonly Date[];
  now: Date;
  actor: string;
  overlap: BackfillOverlap;
}

export interface BackfillOutcome {
  /** The queued executions, oldest slot first. */
  created: ExecutionRecord[];
  /** Slots run or backfilled meanwhile (by a racing backfill). */
  taken: Date[];
  /** Slots left open: no room for them now (overlap `skip`). */
  noRoom: Date[];
}

export interface NewExecutionInput {
  config: JobConfig;
  status: 'queued' | 'skipped';
  trigger: ExecutionTrigger;
  slot: Date | null;
  attempt: number;
  runId: string | null;
  retryOf: string | null;
  requestedBy: string | null;
  idempotencyKey: string | null;
  dryRun: boolean;
  batchSize: number | null;
  queuedAt: Date;
  runAfter: Date;
  summary: string | null;
  result: unknown;
}

/** An on-time slot of a config as the scheduler read it, and when it should start (jitter included). */
export interface OnTimeSlot {
  configId: string;
  version: number;
  slot: Date;
  runAfter: Date;
}

/** A manual run of a config as it is stored when the run is queued. */
export interface RunInput {
  trigger: Extract<ExecutionTrigger, 'manual' | 'api'>;
  requestedBy: string;
  idempotencyKey: string | null;
  dryRun: boolean;
  batchSize: number | null;
  queuedAt: Date;
}

export interface ExecutionOutcome {
  status: ExecutionStatus;
  /** When its handler began (a worker may hold an execution a moment before it starts it); null keeps the claim's. */
  startedAt?: Date | null;
  finishedAt: Date;
  durationMs: number;
  summary: string | null;
  result: unknown;
  error: ExecutionError | null;
  items: ExecutionItems;
}

export interface LogLine {
  id: number;
  executionId: string;
  at: Date;
  level: LogLevel;
  message: string;
  data: unknown;
}

/** An enabled config and where its schedule stands. */
export interface SchedulableConfig {
  config: JobConfig;
  /** Slots up to and including this instant are claimed or decided; null: never scheduled. */
  lastSlotAt: Date | null;
  /** Paused (by hand or after consecutive failures) since then: no slot runs; null: not paused. */
  pausedAt: Date | null;
  /** The pause ends by itself at this instant; null: it lasts until resumed. */
  pausedUntil: Date | null;
}

/** A pause by hand: the schedule stays switched on, no slot runs until it ends. */
export interface PauseInput {
  at: Date;
  /** Null: until resumed. */
  until: Date | null;
  reason: string;
  /** The actor who paused. */
  by: string;
}

/** The outcome of one slot claim. */
export interface SlotClaim {
  /** False when another scheduler claimed the slot first. */
  claimed: boolean;
  execution?: ExecutionRecord;
}

export interface ScheduleState {
  consecutiveFailures: number;
  pausedAt: Date | null;
  pausedReason: string | null;
  pausedUntil: Date | null;
  pausedBy: string | null;
}

/** An execution as live updates show it (no config snapshot, no result). */
export interface ExecutionChange {
  id: string;
  configId: string;
  /** The job type the execution runs (from its config snapshot). */
  jobType: string;
  status: ExecutionStatus;
  trigger: ExecutionTrigger;
  attempt: number;
  slot: Date | null;
  queuedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  items: ExecutionItems;
  summary: string | null;
  error: { message: string } | null;
  /** A dry run: the per-run override, or the dryRun parameter of the config version it runs. */
  dryRun: boolean;
}

/** What the live-events watcher reads on each poll (`watchExecutions`). */
export interface ExecutionWatch {
  executions: ExecutionChange[];
  /** Every config's id and version, when asked for. */
  configs?: Array<{ id: string; version: number }>;
}

/** What a resumed event stream replays (`changesSince`). */
export interface ChangesSince {
  /** Executions changed at or after `since`, every running one included (progress carries no time), oldest change first. */
  executions: ExecutionChange[];
  /** Every config: when it was created and last changed, and when it was paused (null: not paused). */
  configs: Array<{ id: string; version: number; createdAt: Date; updatedAt: Date; pausedAt: Date | null; consecutiveFailures: number }>;
}

/** Queued or running executions of one job type, for metrics. */
export interface ActiveExecutionCount {
  jobType: string;
  status: 'queued' | 'running';
  count: number;
}

/** What a worker's claim brought. */
export interface Claim {
  executions: ExecutionRecord[];
  /**
   * By config id: its maxConcurrent less its running executions after this claim, counting
   * as running those whose endings the claim did not see committed.
   */
  room: ReadonlyMap<string, number>;
}

/** The execution side of the Store port. */
export interface ExecutionStore {
  listSchedulable(): Promise<SchedulableConfig[]>;
  ensureScheduleState(configId: string, from: Date): Promise<Date>;
  /**
   * Claims (config, slot) exactly once. In one transaction, serialized per config: inserts
   * the slot; if this call won, asks `decide(active)` (active = queued + running executions of
   * the config) for the execution to record, inserts it and moves the config's cursor (to
   * `through` when given: a record that stands for the missed slots up to it).
   */
  claimSlot(input: {
    configId: string;
    slot: Date;
    through?: Date;
    now: Date;
    claimedBy: string;
    decision: string;
    build: (active: number) => { execution: NewExecutionInput; decision: string } | undefined;
  }): Promise<SlotClaim>;
  /**
   * Claims one on-time slot for each of many configs in one round trip, with the same
   * exactly-once key, per-config serialization and overlap count as `claimSlot`. Returns
   * the executions recorded (queued, or skipped by the overlap policy); a slot another
   * scheduler won, or of a config whose version is no longer `version`, yields none.
   * With `here`, up to `places` slots due by `now` whose config has room are claimed at once
   * for that worker under that lease (running), as a worker's claim would.
   */
  claimSlots(
    items: ReadonlyArray<OnTimeSlot>,
    now: Date,
    claimedBy: string,
    here?: { workerId: string; leaseUntil: Date; places: number },
  ): Promise<ExecutionRecord[]>;
  advanceCursor(configId: string, to: Date): Promise<void>;
  /** Inserts an execution; with an idempotency key already used, returns that execution instead. */
  insertExecution(input: NewExecutionInput): Promise<{ execution: ExecutionRecord; created: boolean }>;
  /**
   * Queues a run of the config as stored now, in one statement. With an idempotency key
   * already used, returns that execution instead; undefined when the config does not exist.
   */
  insertRun(
    configId: string,
    run: RunInput,
    /**
     * Claim it at once for this worker, under this lease, when its config has room (it stays
     * queued otherwise). Without one, it is handed to an idle worker that offered a place
     * (offerPlaces) when the config has room, or queued.
     */
    here?: { workerId: string; leaseUntil: Date },
    /** False keeps it queued rather than handed to an idle worker (a run that this process claims next). */
    handOver?: boolean,
  ): Promise<{ execution: ExecutionRecord; created: boolean } | undefined>;
  /**
   * Offers `places` of this idle worker to runs recorded in other processes (0 withdraws
   * them); a run handed over is claimed for it under a lease of `leaseMs`. False where the
   * store cannot hand runs between processes (an embedded store).
   */
  offerPlaces(workerId: string, places: number, leaseMs: number): Promise<boolean>;
  /**
   * Calls `listener` with each run handed over to this worker: claimed for it, running; with
   * none when the store listens on a new connection (the last was lost): places offered
   * before no longer reach the worker, so it offers them again.
   */
  onHandedOver(workerId: string, listener: (execution: ExecutionRecord | undefined) => void): Promise<() => Promise<void>>;
  getExecution(id: string): Promise<ExecutionRecord | undefined>;
  listExecutions(configId: string, options: { limit: number; status?: ExecutionStatus }): Promise<ExecutionRecord[]>;
  /** Ids from `lo` to `hi` (canonical uuids, both included) in id order, at most `limit`: the executions an id prefix names. */
  findExecutionIds(lo: string, hi: string, limit: number): Promise<string[]>;
  /** Each of `ids` with the ids just before and after it in id order, among all executions (null at either end). */
  executionIdNeighbours(ids: readonly string[]): Promise<{ id: string; before: string | null; after: string | null }[]>;
  /**
   * Claims up to `limit` due queued executions, oldest first, each config within its
   * maxConcurrent across all workers; says how much room each config it claimed from had
   * left after the claim, as the claim counted its running executions.
   */
  claimExecutions(workerId: string, now: Date, leaseUntil: Date, limit: number): Promise<Claim>;
  /** Claims one queued execution if its config has room; undefined otherwise. */
  claimExecution(id: string, workerId: string, now: Date, leaseUntil: Date): Promise<ExecutionRecord | undefined>;
  /** The earliest run_after of any queued execution. */
  nextRunAfter(): Promise<Date | undefined>;
  /**
   * Calls back when any process queues an execution or ends a running one, and when the
   * store listens on a new connection (the last was lost, and what was sent meanwhile with it).
   */
  onExecutionsChanged(listener: () => void): Promise<() => Promise<void>>;
  /**
   * Renews the leases of the executions in `ids` this worker still holds, in one round trip;
   * returns those it holds, each with whether someone asked to cancel it.
   */
  renewLeases(ids: readonly string[], workerId: string, now: Date, leaseUntil: Date): Promise<Map<string, { cancelRequested: boolean }>>;
  recordProgress(id: string, workerId: string, items: ExecutionItems): Promise<void>;
  appendLogs(lines: ReadonlyArray<Omit<LogLine, 'id'>>): Promise<void>;
  listLogs(executionId: string, options: { after: number; limit: number }): Promise<LogLine[]>;
  /**
   * Ends running executions this worker still holds, in one round trip; returns the ids of
   * those it ended (an execution whose lease expired meanwhile is left as it is). A `success`
   * or `partial` ending also ends the config's failure streak. Endings and claims take
   * different locks: a worker sends its endings and its next claim at the same time.
   */
  finishExecutions(workerId: string, endings: ReadonlyArray<{ id: string; configId: string; outcome: ExecutionOutcome }>): Promise<Set<string>>;
  /** Hands running executions this worker holds back to the queue (shutdown), due at `runAfter`. */
  releaseExecutions(ids: readonly string[], workerId: string, runAfter: Date): Promise<void>;
  expireLeases(now: Date, limit: number): Promise<ExecutionRecord[]>;
  cancelQueued(id: string, now: Date, actor: string): Promise<ExecutionRecord | undefined>;
  requestCancel(id: string, now: Date): Promise<ExecutionRecord | undefined>;
  /** Counts a failed run (returns the streak); a success resets it. */
  recordRunOutcome(configId: string, failed: boolean): Promise<number>;
  markPaused(configId: string, at: Date | null, reason: string | null, by: string | null): Promise<void>;
  /** Pauses a config's schedule (replacing a pause it has) and tells the schedulers. */
  pauseSchedule(configId: string, pause: PauseInput): Promise<void>;
  /**
   * Ends a config's pause; slots up to `from` fell in it and are passed. With `until`, only a
   * pause that ends at that instant (one set again meanwhile stays). False when none ended.
   */
  endPause(configId: string, from: Date, until: Date | null): Promise<boolean>;
  getScheduleState(configId: string): Promise<ScheduleState | undefined>;
  /**
   * What the slot ledger of a config needs for [from, until]: its versions, its claimed slots
   * (at most `limit`), pauses, where the schedulers stand and its manual runs
   * (domain/schedule/ledger.ts decides the fates).
   */
  readSlotLedger(configId: string, from: Date, until: Date, limit: number): Promise<LedgerReading>;
  /**
   * Queues one execution (trigger `backfill`) per slot of `slots` that no run or backfill took
   * meanwhile, in one transaction under the config's schedule lock; with overlap `skip`, only
   * as many as the config has room for now.
   */
  backfillSlots(input: BackfillInput): Promise<BackfillOutcome>;
  /**
   * Calls back when any process changes a config, with its id; without one when the store
   * listens on a new connection (the last was lost): any config may have changed meanwhile,
   * read them all again. Returns the unsubscribe.
   */
  onConfigChanged(listener: (configId: string | undefined) => void): Promise<() => Promise<void>>;
  /** Whether the change callbacks hear other processes too (false through an embedded store's socket: poll instead). */
  readonly hearsOtherProcesses: boolean;
  /**
   * For live updates across processes (the API's event stream polls it): the queued and
   * running executions, those in `ids` whatever their status (seen active before, perhaps
   * ended since), and those finished at or after `finishedSince`; at most `limit`, newest
   * queued first. With `configs`, also every config's id and version.
   */
  watchExecutions(input: { ids: readonly string[]; finishedSince: Date; limit: number; configs: boolean }): Promise<ExecutionWatch>;
  /**
   * For a client of the event stream that reconnects: what changed at or after `since`, read
   * from the database. At most `limit` executions (ask for one more than you will send, to
   * learn that there were too many).
   */
  changesSince(input: { since: Date; limit: number }): Promise<ChangesSince>;
  /** Queued and running executions by job type, across all processes (metrics at scrape). */
  countActiveExecutions(): Promise<ActiveExecutionCount[]>;
}

// The Grove domain's store ports (sprouts and events, signals, advancement, maintenance).
export type * from './grove/sprouts-port.js';
export type * from './grove/aggregation-port.js';
export type * from './grove/advancement-port.js';
export type * from './grove/maintenance-port.js';
export type * from './tokens-port.js';

/** The last execution of a config, as lists show it (no config snapshot). */
export interface ExecutionSummary {
  id: string;
  status: ExecutionStatus;
  trigger: ExecutionTrigger;
  attempt: number;
  queuedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  items: ExecutionItems;
  summary: string | null;
  error: { message: string } | null;
  /** A dry run (the per-run override, or the dryRun parameter of the version it ran): it changes nothing. */
  dryRun: boolean;
}

/** A config with what a list of jobs shows beside it, read in one round trip. */
export interface ConfigOverview {
  config: JobConfig;
  /** Executions of the config running now, across all workers. */
  running: number;
  consecutiveFailures: number;
  pausedAt: Date | null;
  pausedReason: string | null;
  pausedUntil: Date | null;
  pausedBy: string | null;
  /** The latest execution that was not skipped, if any. */
  lastExecution: ExecutionSummary | null;
}

/** Why a config delete changed nothing. */
export type ConfigDeleteOutcome = 'deleted' | 'not-found' | 'version-conflict' | 'running';

// Declaration merging: the API's additions to the Store port (config overviews and deletes).
export interface Store {
  /** Every config (or the one with `id`) with its running count, schedule state and last execution, in id order. */
  listConfigOverviews(id?: string): Promise<ConfigOverview[]>;
  /**
   * Deletes a config with its versions, slots and execution history, unless it is no longer
   * at `expectedVersion` or an execution of it is running.
   */
  deleteConfig(id: string, expectedVersion?: number): Promise<{ outcome: ConfigDeleteOutcome; version?: number }>;
}
