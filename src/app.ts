import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type AnyJobType,
  ConfigError,
  ConfigErrorCode,
  configSecretPaths,
  JobTypeRegistry,
  redactChanges,
  SecretMasker,
  secretValues,
} from './domain/config/index.js';
import { DEMO_RULES, demoEvents, demoSprouts, SIGNAL_PERIODS } from './domain/grove/index.js';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ConfigService } from './engine/config-service.js';
import { ConfigSecrets, type SecretSealer } from './engine/config-secrets.js';
import { EngineEvents } from './engine/events.js';
import { ExecutionService } from './engine/execution-service.js';
import type { AdvancementStore, AggregationStore, AnyNotification, Clock, ExecutionRecord, MaintenanceStore, Notifier, SproutStore, Store, StoreFlags } from './engine/ports.js';
import { AdvancementService } from './engine/grove/advancement-service.js';
import { SproutService } from './engine/grove/sprout-service.js';
import { Scheduler } from './engine/scheduler/scheduler.js';
import { Worker } from './engine/worker/worker.js';
import { advancementBatchJobType } from './jobs/advancement-batch/index.js';
import { DEFAULT_CONFIGS } from './jobs/defaults.js';
import { healthCheckJobType } from './jobs/health-check/index.js';
import { notificationDigestJobType } from './jobs/notification-digest/index.js';
import { orphanCleanupJobType } from './jobs/orphan-cleanup/index.js';
import { signalAggregationJobType } from './jobs/signal-aggregation/index.js';
import { httpRequestJobType } from './jobs/http-request/index.js';
import { createLogNotifier, createNotifier, createWebhookNotifier } from './notify/index.js';
import { openDataDir } from './store/data-dir.js';
import { createPostgresSql, type PostgresConnection } from './store/drivers/postgres.js';
import { checkSchemaName, DEFAULT_SCHEMA, defaultDomainSchema } from './store/schemas.js';
import { migrate, type MigrationReport } from './store/migrate.js';
import type { Sql } from './store/sql.js';
import { createSqlStore } from './store/sql-store.js';
import {
  currentKeyFile,
  KEY_FILE,
  keyDir,
  keyId,
  parseSecretKey,
  prepareNextKeyFile,
  promoteNextKeyFile,
  SecretBox,
  SecretKeyError,
  type SecretKeyEnv,
} from './store/secret-box.js';
import { resealSecretRows, type ResealReport } from './store/secret-rows.js';
import { createAdvancementStore } from './store/grove/advancement.js';
import { createAggregationStore } from './store/grove/aggregation.js';
import { createMaintenanceStore } from './store/grove/maintenance.js';
import { createSproutStore } from './store/grove/sprouts.js';
import { createStoreFlags } from './store/flags.js';
import { systemClock } from './system-clock.js';
import { createTokenStore } from './store/tokens.js';
import type { TokenStore } from './engine/ports.js';
import { createApi, type Readiness } from './api/app.js';
import { metricsRoute } from './api/metrics.js';
import { issueToken, isRole } from './api/auth.js';
import { clientAddressOf, TrustedProxies } from './api/client-address.js';
import type { Role } from './api/http.js';
import type { ApiSystem } from './api/system.js';
import { serve as serveHttp } from '@hono/node-server';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export { systemClock, TrustedProxies };
export type { Clock, Store };
export type { ExecutionRecord, LogLine, Notification } from './engine/ports.js';
export type { WriteOptions } from './engine/config-service.js';

/** Job types every system gets. */
export const builtInJobTypes: readonly AnyJobType[] = [httpRequestJobType];

/**
 * A structured log (the CLI's pino logger fits): an entry's fields, then its message. Given to
 * openGroveJobs, notifications and given-up webhook deliveries go to it; given to serve, each
 * request and each unexpected error.
 */
export interface ProcessLog {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/**
 * Notifications to standard error as JSON lines, or to `writeLine` (a line writer or a
 * ProcessLog: then given-up webhook deliveries go to it too), and to webhooks, retried on the
 * engine's clock; `secrets` opens webhook secrets stored sealed.
 */
export function defaultNotifier(
  clock: Clock,
  writeLine: ((line: string) => void) | ProcessLog = (line) => process.stderr.write(`${line}\n`),
  secrets?: SecretSealer,
): Notifier<AnyNotification> {
  const log = typeof writeLine === 'function' ? undefined : writeLine;
  return createNotifier({
    log: createLogNotifier(writeLine),
    webhook: createWebhookNotifier({
      ...(log
        ? {
            onDeliveryError: (error, notification) => {
              const executionId = 'execution' in notification ? notification.execution.id : notification.executionId;
              const fields = { event: 'notification:undelivered', configId: notification.configId, executionId, kind: notification.kind, attempts: error.attempts, status: error.status, error: error.message };
              log.error(fields, `${notification.configId}: webhook for ${notification.kind} not delivered after ${error.attempts} attempt(s): ${error.message}`);
            },
          }
        : {}),
      sleep: (ms) => clock.sleepUntil(new Date(clock.now().getTime() + ms)),
      now: () => clock.now(),
      ...(secrets ? { openSecret: (sealed: string) => secrets.open(sealed) } : {}),
    }),
  });
}

/** The Grove domain's stores (sprouts and events, signals, advancement, maintenance). */
export interface GroveStores {
  flags: StoreFlags;
  sprouts: SproutStore;
  signals: AggregationStore;
  advancement: AdvancementStore;
  maintenance: MaintenanceStore;
}

/** The Grove domain's stores over one Sql. */
export function createGroveStores(sql: Sql): GroveStores {
  return {
    flags: createStoreFlags(sql),
    sprouts: createSproutStore(sql),
    signals: createAggregationStore(sql),
    advancement: createAdvancementStore(sql),
    maintenance: createMaintenanceStore(sql),
  };
}

/**
 * The Grove job types over their stores: advancement, signal aggregation, digest, cleanup
 * and health check. `dataDir` is the embedded store's folder (the health check's storage check).
 */
export function groveJobTypes(stores: GroveStores, notifier: Notifier<AnyNotification>, dataDir?: string): AnyJobType[] {
  return [
    advancementBatchJobType({ advancement: stores.advancement }),
    signalAggregationJobType({ signals: stores.signals }),
    notificationDigestJobType({ maintenance: stores.maintenance, notifier }),
    orphanCleanupJobType({ maintenance: stores.maintenance }),
    healthCheckJobType({ maintenance: stores.maintenance, notifier, ...(dataDir ? { dataDir } : {}) }),
  ];
}

/** What the CLI and the API call for the Grove domain. */
export interface GroveFacade {
  readonly flags: StoreFlags;
  readonly sprouts: SproutService;
  readonly signals: AggregationStore;
  readonly advancement: AdvancementService;
}

export interface GroveJobsOptions {
  clock: Clock;
  store: Store;
  /** The Grove domain's stores; without them `grove` is unavailable (engine-only systems). */
  grove?: GroveStores;
  jobTypes: readonly AnyJobType[] | JobTypeRegistry;
  /** Where success and failure notifications go; default: nowhere. */
  notifier?: Notifier;
  /**
   * Encrypts secret values at rest (the store's SecretBox); without it they are stored as
   * given (systems built in tests). `openGroveJobs` always passes one.
   */
  secrets?: SecretSealer;
}

export interface WorkerStartOptions {
  concurrency?: number;
  leaseSeconds?: number;
  id?: string;
  /** See WorkerOptions.maxIdleMs. */
  maxIdleMs?: number;
  /** See WorkerOptions.maxPrefetch (0: claim only for free places). */
  maxPrefetch?: number;
}

/** The whole system: what the API needs (ApiSystem) and the loops, notifier and closing. */
export interface GroveJobs extends ApiSystem {
  readonly notifier: Notifier;
  /** The Grove domain; throws when the system was built without its stores. */
  readonly grove: GroveFacade;
  /** Starts a scheduler loop in this process. */
  startScheduler(options?: { id?: string; maxSleepMs?: number }): Promise<Scheduler>;
  /** Starts a worker loop in this process. */
  startWorker(options?: WorkerStartOptions): Promise<Worker>;
  /** The places of the workers started in this process: running a handler now, and in all (read by `/metrics`). */
  places(): { busy: number; total: number };
  /**
   * Claims one queued execution and runs it in this process (`grove-jobs run`). Undefined
   * when it cannot be claimed now: another worker has it, or its config is at maxConcurrent.
   */
  runHere(executionId: string): Promise<ExecutionRecord | undefined>;
  /** Stops the loops this system started (workers hand running executions back after `graceMs`), then closes the store. */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** A process-unique name for schedulers and workers: host, pid and a random suffix. */
export function processName(role: string): string {
  return `${role}:${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

const silentNotifier: Notifier = { notify: () => undefined, flush: async () => undefined };

/** The single way to build the system: tests pass a FakeClock and a PGlite-backed store. */
export function createGroveJobs(options: GroveJobsOptions): GroveJobs {
  const jobTypes = options.jobTypes instanceof JobTypeRegistry ? options.jobTypes : new JobTypeRegistry(options.jobTypes);
  const { clock, store } = options;
  const notifier = options.notifier ?? silentNotifier;
  const events = new EngineEvents();
  const configs = new ConfigService(store, clock, jobTypes, events, new ConfigSecrets(jobTypes, options.secrets));
  const executions = new ExecutionService(store, clock, configs, events);
  const schedulers: Scheduler[] = [];
  const workers: Worker[] = [];
  let closing: Promise<void> | undefined;
  const grove: GroveFacade | undefined = options.grove
    ? {
        flags: options.grove.flags,
        sprouts: new SproutService(options.grove.sprouts, clock),
        signals: options.grove.signals,
        advancement: new AdvancementService(options.grove.advancement, clock),
      }
    : undefined;
  return {
    clock,
    store,
    jobTypes,
    configs,
    executions,
    events,
    notifier,
    get grove(): GroveFacade {
      if (!grove) throw new Error('this system was built without the Grove stores (createGroveJobs({ grove }))');
      return grove;
    },
    async startScheduler(schedulerOptions = {}) {
      const scheduler = new Scheduler(
        // Slots due now start on this process's workers while they have free places.
        { store, clock, events, runners: workers },
        { id: schedulerOptions.id ?? processName('scheduler'), ...(schedulerOptions.maxSleepMs ? { maxSleepMs: schedulerOptions.maxSleepMs } : {}) },
      );
      schedulers.push(scheduler);
      await scheduler.start();
      return scheduler;
    },
    places() {
      let busy = 0;
      let total = 0;
      for (const worker of workers) {
        busy += worker.activeCount;
        total += worker.concurrency;
      }
      return { busy, total };
    },
    async startWorker(workerOptions = {}) {
      const worker = new Worker(
        { store, clock, events, jobTypes, notifier, configs },
        {
          id: workerOptions.id ?? processName('worker'),
          concurrency: workerOptions.concurrency ?? 4,
          ...(workerOptions.leaseSeconds ? { leaseSeconds: workerOptions.leaseSeconds } : {}),
          ...(workerOptions.maxIdleMs ? { maxIdleMs: workerOptions.maxIdleMs } : {}),
          ...(workerOptions.maxPrefetch !== undefined ? { maxPrefetch: workerOptions.maxPrefetch } : {}),
        },
      );
      workers.push(worker);
      await worker.start();
      // Manual runs recorded in this process start here at once while this worker has room
      // (a stopped worker offers no place).
      executions.addLocalRunner(worker);
      return worker;
    },
    async runHere(executionId) {
      const worker = new Worker({ store, clock, events, jobTypes, notifier, configs }, { id: processName('run'), concurrency: 1 });
      const now = clock.now();
      const claimed = await store.claimExecution(executionId, worker.id, now, new Date(now.getTime() + worker.leaseMs));
      if (!claimed) return undefined;
      await worker.runClaimed(claimed);
      return store.getExecution(executionId);
    },
    close(closeOptions = {}) {
      closing ??= (async () => {
        await Promise.all(schedulers.splice(0).map((s) => s.stop()));
        await Promise.all(workers.splice(0).map((w) => w.stop(closeOptions.graceMs)));
        await notifier.flush();
        await store.close();
      })();
      return closing;
    },
  };
}

export interface StoreLocation {
  /** `postgres` when DATABASE_URL is set, otherwise the embedded store in a data folder. */
  kind: 'postgres' | 'embedded';
  /** The data folder, or the server address without credentials. */
  where: string;
  /** For the embedded store: whether this process opened the files or reached their owner (when opened). */
  role?: 'owner' | 'client';
  /** For the embedded store: the owner's Unix socket (when opened). */
  socket?: string;
}

export interface OpenedSql {
  sql: Sql;
  location: StoreLocation;
}

/** Environment the store is chosen from. */
export interface StoreEnv {
  DATABASE_URL?: string;
  GROVE_JOBS_DATA_DIR?: string;
  /** The engine's schema (default grove_jobs). */
  GROVE_JOBS_SCHEMA?: string;
  /** The Grove domain's schema (default grove, or `<GROVE_JOBS_SCHEMA>_grove`). */
  GROVE_JOBS_DOMAIN_SCHEMA?: string;
  /** Comma-separated modules whose exports add job types (a team's own handlers). */
  GROVE_JOBS_JOB_TYPES?: string;
  /** The key secrets are encrypted with (base64 of 32 bytes); default: `<data folder>/secret-key`. */
  GROVE_JOBS_SECRET_KEY?: string;
}

function isJobType(value: unknown): value is AnyJobType {
  const candidate = value as Partial<AnyJobType> | undefined;
  return typeof candidate?.name === 'string' && typeof candidate.execute === 'function' && candidate.parameters !== undefined;
}

/**
 * Loads job types from modules: each may export `jobTypes` (an array), a default export (a
 * type or an array of types), or named job types made with defineJobType.
 */
export async function loadJobTypeModules(list: string | undefined): Promise<AnyJobType[]> {
  const types: AnyJobType[] = [];
  for (const path of (list ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const module = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
    const exported = [module['jobTypes'], module['default'], ...Object.values(module)].flatMap((value) => (Array.isArray(value) ? value : [value]));
    const found = [...new Set(exported.filter(isJobType))];
    if (found.length === 0) throw new Error(`GROVE_JOBS_JOB_TYPES: '${path}' exports no job type (made with defineJobType)`);
    types.push(...found);
  }
  return types;
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    parsed.username = parsed.username ? parsed.username : '';
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return 'a PostgreSQL server';
  }
}

export interface OpenSqlOptions {
  /**
   * For the embedded store: when the process owning it goes away, reach the next owner or
   * become it (long-running processes). Otherwise a query then fails with a one-line error.
   */
  followOwner?: boolean;
  /** Where a followed owner's change is reported (default: standard error). */
  log?: (line: string) => void;
  /** Whether the Grove domain's tables are in reach (its schema on the search path, migrated by `migrate`); default true. */
  domain?: boolean;
  /** Connections in the pool (PostgreSQL; default 10). */
  maxConnections?: number;
  /** A PostgreSQL server given by connection settings (an application's pool's), when DATABASE_URL is not set. */
  connection?: PostgresConnection;
}

/** PostgreSQL when DATABASE_URL is set; otherwise PGlite in GROVE_JOBS_DATA_DIR (default ./.grove-jobs). */
export async function openSql(env: StoreEnv, options: OpenSqlOptions = {}): Promise<OpenedSql> {
  const schema = checkSchemaName(env.GROVE_JOBS_SCHEMA || DEFAULT_SCHEMA, 'GROVE_JOBS_SCHEMA');
  const domainSchema = options.domain === false ? null : checkSchemaName(env.GROVE_JOBS_DOMAIN_SCHEMA || defaultDomainSchema(schema), 'GROVE_JOBS_DOMAIN_SCHEMA');
  if (domainSchema === schema) throw new Error(`GROVE_JOBS_DOMAIN_SCHEMA: '${domainSchema}' is the engine's schema too; give the Grove domain a schema of its own`);
  if (env.DATABASE_URL) {
    return {
      sql: createPostgresSql({ connectionString: env.DATABASE_URL, schema, domainSchema, ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}) }),
      location: { kind: 'postgres', where: redact(env.DATABASE_URL) },
    };
  }
  if (options.connection) {
    const { host, port, database } = options.connection;
    return {
      sql: createPostgresSql({ connection: options.connection, schema, domainSchema, ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}) }),
      location: { kind: 'postgres', where: options.connection.connectionString ? redact(options.connection.connectionString) : `${typeof host === 'string' ? host : 'localhost'}:${port ?? 5432}/${database ?? ''}` },
    };
  }
  const dir = resolve(env.GROVE_JOBS_DATA_DIR || '.grove-jobs');
  const opened = await openDataDir(dir, { schema, domainSchema, follow: options.followOwner ?? false, log: options.log ?? ((line) => process.stderr.write(`${line}\n`)) });
  return { sql: opened.sql, location: { kind: 'embedded', where: dir, role: opened.role, socket: opened.socket } };
}

export interface OpenGroveJobsOptions {
  env: StoreEnv;
  clock?: Clock;
  jobTypes?: readonly AnyJobType[];
  notifier?: Notifier<AnyNotification>;
  /** Apply pending migrations on open (default true). */
  migrate?: boolean;
  /**
   * Look whether the default configs were ever installed, and install them if not (one read
   * of the store). Default: only when this open applied migrations (a new or upgraded store);
   * the long-running commands (`start`, `serve`, `worker`) always look, so a store first opened
   * by a process without the default job types still gets them.
   */
  ensureDefaults?: boolean;
  /**
   * Embedded store: follow its owner (default true, for long-running processes); short
   * commands pass false and fail with a one-line error if the owner goes away meanwhile.
   */
  followOwner?: boolean;
  /** Where a followed owner's change is reported (default: standard error). */
  log?: (line: string) => void;
  /** Where the default notifier's log channel and its given-up webhook deliveries go (default: JSON lines on standard error). */
  logger?: ProcessLog;
  /**
   * The Grove domain (sprouts, advancement, signals: its tables in their own schema, its job
   * types and default configs); default true (the CLI). An engine-only embedder passes false.
   */
  domain?: boolean;
  /** Connections in this process's pool (PostgreSQL; default 10). */
  maxConnections?: number;
  /** A PostgreSQL server given by connection settings, when env has no DATABASE_URL. */
  connection?: PostgresConnection;
  /** Job types besides the default ones (built-in, the Grove domain's when enabled, GROVE_JOBS_JOB_TYPES'); `jobTypes` replaces them all instead. */
  addJobTypes?: readonly AnyJobType[];
}

export interface OpenedGroveJobs extends GroveJobs {
  location: StoreLocation;
  migration?: MigrationReport;
  /** Default configs this open installed (a new store). */
  installedDefaults?: string[];
  /** API tokens (hashed). */
  tokens: TokenStore;
  /** Once-only markers of the store (defaults installed, first start). */
  flags: StoreFlags;
  /** Whether the database answers and carries exactly this process's migrations (`/readyz`). */
  readiness(): Promise<Readiness>;
}

/**
 * The system with more members. Its properties are copied as they are defined, not read: the
 * `grove` getter of a system without the Grove domain throws, and must stay a getter.
 */
export function extendSystem<T extends object, U extends object>(system: T, more: U): T & U {
  return Object.defineProperties({}, { ...Object.getOwnPropertyDescriptors(system), ...Object.getOwnPropertyDescriptors(more) }) as T & U;
}

/** Opens the configured store, migrates it and builds the system around it. */
export async function openGroveJobs(options: OpenGroveJobsOptions): Promise<OpenedGroveJobs> {
  const domain = options.domain ?? true;
  const { sql, location } = await openSql(options.env, {
    followOwner: options.followOwner ?? true,
    domain,
    ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}),
    ...(options.connection ? { connection: options.connection } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  try {
    const migration = options.migrate === false ? undefined : await migrate(sql);
    const clock = options.clock ?? systemClock;
    const grove = domain ? createGroveStores(sql) : undefined;
    const secrets = SecretBox.fromEnv(options.env);
    const notifier = options.notifier ?? defaultNotifier(clock, options.logger, secrets);
    const dataDir = location.kind === 'embedded' ? location.where : undefined;
    const system = createGroveJobs({
      clock,
      store: createSqlStore(sql),
      ...(grove ? { grove } : {}),
      notifier,
      secrets,
      jobTypes: options.jobTypes ?? [
        ...builtInJobTypes,
        ...(grove ? groveJobTypes(grove, notifier, dataDir) : []),
        ...(await loadJobTypeModules(options.env.GROVE_JOBS_JOB_TYPES)),
        ...(options.addJobTypes ?? []),
      ],
    });
    // Every new store gets the default configs, whichever command opens it first; a command
    // on a store already migrated does not ask again.
    const lookForDefaults = grove !== undefined && migration !== undefined && (options.ensureDefaults ?? migration.applied.length > 0);
    const installedDefaults = lookForDefaults ? await installDefaultConfigs(system) : [];
    const maintenance = grove?.maintenance ?? createMaintenanceStore(sql);
    const api = { tokens: createTokenStore(sql), flags: grove?.flags ?? createStoreFlags(sql), readiness: () => checkReadiness(maintenance) };
    return extendSystem(system, { location, ...api, ...(migration ? { migration } : {}), ...(installedDefaults.length > 0 ? { installedDefaults } : {}) });
  } catch (error) {
    await sql.close();
    throw error;
  }
}

export interface KeyRotationReport extends ResealReport {
  /** The key secrets are now sealed with, and the one before (none when no key existed yet). */
  keyId: string;
  previousKeyId?: string;
  /** Where the new key was written (a key from the environment is not written anywhere). */
  keyFile?: string;
}

/**
 * Re-encrypts every stored secret with a new key (`grove-jobs secrets rotate-key`), in one
 * transaction; plain values stored before secrets were sealed are sealed too. With the key
 * in GROVE_JOBS_SECRET_KEY, the new one comes from `newKey` (or GROVE_JOBS_NEW_SECRET_KEY) and
 * the operator then puts it in GROVE_JOBS_SECRET_KEY; with a key file, the new key is written
 * to `secret-key.next` first and renamed over `secret-key` once the rows are committed, so a
 * rotation cut short at any point is finished by running it again (both keys open meanwhile).
 */
export async function rotateSecretKey(env: StoreEnv & SecretKeyEnv & { GROVE_JOBS_NEW_SECRET_KEY?: string }, options: { newKey?: string } = {}): Promise<KeyRotationReport> {
  const newKeyText = options.newKey ?? env.GROVE_JOBS_NEW_SECRET_KEY;
  let keys: Buffer[];
  let dir: string | undefined;
  if (env.GROVE_JOBS_SECRET_KEY) {
    if (!newKeyText) {
      throw new SecretKeyError('the key comes from GROVE_JOBS_SECRET_KEY: give the new one with --new-key or GROVE_JOBS_NEW_SECRET_KEY (the base64 of 32 random bytes)');
    }
    keys = [parseSecretKey(newKeyText, 'the new key'), parseSecretKey(env.GROVE_JOBS_SECRET_KEY, 'GROVE_JOBS_SECRET_KEY')];
  } else {
    dir = keyDir(env);
    const previous = currentKeyFile(dir);
    keys = [prepareNextKeyFile(dir, newKeyText), ...(previous ? [previous] : [])];
  }
  const box = SecretBox.withKeys(...keys);
  const { sql } = await openSql(env);
  let report: ResealReport;
  try {
    await migrate(sql);
    const grove = createGroveStores(sql);
    const registry = new JobTypeRegistry([...builtInJobTypes, ...groveJobTypes(grove, silentNotifier), ...(await loadJobTypeModules(env.GROVE_JOBS_JOB_TYPES))]);
    const secrets = new ConfigSecrets(registry, box);
    report = await resealSecretRows(sql, {
      config: (config) => secrets.seal(secrets.open(config)),
      changes: (changes) => redactChanges(changes, registry.names(), registry),
      masker: (versions) => {
        const values = versions.flatMap((config) => secretValues(secrets.open(config), configSecretPaths(config, registry)));
        return values.length === 0 ? undefined : new SecretMasker(values);
      },
    });
  } finally {
    await sql.close();
  }
  if (dir) promoteNextKeyFile(dir);
  const [key, previous] = keys as [Buffer, Buffer | undefined];
  return {
    ...report,
    keyId: keyId(key),
    ...(previous && !previous.equals(key) ? { previousKeyId: keyId(previous) } : {}),
    ...(dir ? { keyFile: join(dir, KEY_FILE) } : {}),
  };
}

/** Applies pending migrations to the configured store. */
export async function migrateStore(env: StoreEnv): Promise<MigrationReport & { location: StoreLocation }> {
  const { sql, location } = await openSql(env);
  try {
    return { ...(await migrate(sql)), location };
  } finally {
    await sql.close();
  }
}

/** Demo data sizes for a new store's first start (`grove-jobs seed` takes any). */
export const FIRST_START_DEMO = { sprouts: 150, events: 15_000, seed: 42 } as const;

export interface DemoReport {
  sprouts: number;
  events: number;
  /** Demo advancement rules created (those whose id was free). */
  rules: number;
}

/**
 * Loads deterministic demo data (`grove-jobs seed`): sprouts, usage events over the last 90
 * days of the system's clock, advancement rules a first run acts on, and the signals of
 * every period. Refused when the demo sprouts exist already.
 */
export async function seedDemoData(system: GroveJobs, options: { sprouts: number; events: number; seed: number }): Promise<DemoReport> {
  const { sprouts, advancement, signals } = system.grove;
  const ids = await sprouts.importSprouts(demoSprouts(options));
  let events = 0;
  for (const chunk of demoEvents({ ...options, now: system.clock.now() })) {
    events += await sprouts.importEvents(chunk.map((event) => ({ ...event, createdAt: event.createdAt.toISOString() })));
  }
  const existing = new Set((await advancement.rules()).map((rule) => rule.meta.id));
  let rules = 0;
  for (const rule of DEMO_RULES.filter((r) => !existing.has(r.meta.id))) {
    await advancement.createRule(rule);
    rules++;
  }
  await signals.refreshSignals({ periods: SIGNAL_PERIODS, full: false, now: system.clock.now() });
  return { sprouts: ids.length, events, rules };
}

export interface InitialiseReport {
  /** False when the store was initialised before: nothing was done. */
  first: boolean;
  demo?: DemoReport;
}

/**
 * Installs the default configs on a store that never had them (never again afterwards, so
 * an operator's edits and deletions stand). Skipped, to be done by a later open, when this
 * process lacks one of their job types. Returns the ids installed.
 */
export async function installDefaultConfigs(system: GroveJobs, actor = 'grove-jobs (defaults)'): Promise<string[]> {
  const { flags } = system.grove;
  if (await flags.isSet(DEFAULTS_INSTALLED)) return [];
  if (DEFAULT_CONFIGS.some((config) => !system.jobTypes.get(config.payload.jobType))) return [];
  const installed: string[] = [];
  for (const config of DEFAULT_CONFIGS) {
    try {
      await system.configs.create(config, { actor });
      installed.push(config.meta.id);
    } catch (error) {
      if (!(error instanceof ConfigError && error.code === ConfigErrorCode.Exists)) throw error;
    }
  }
  await flags.set(DEFAULTS_INSTALLED, system.clock.now());
  return installed;
}

/** A store's first start (`start`, `serve`): demo data unless `demo` is false. Never again afterwards. */
export async function initialiseStore(system: GroveJobs, options: { demo: boolean }): Promise<InitialiseReport> {
  const { flags } = system.grove;
  if (await flags.isSet(INITIALISED)) return { first: false };
  let demo: DemoReport | undefined;
  if (options.demo && (await system.grove.sprouts.count()) === 0) demo = await seedDemoData(system, FIRST_START_DEMO);
  await flags.set(INITIALISED, system.clock.now());
  return demo ? { first: true, demo } : { first: true };
}

const DEFAULTS_INSTALLED = 'default-configs';
const INITIALISED = 'initialised';

// ── HTTP API (`grove-jobs serve`) ───────────────────────────────────────────────────────

async function checkReadiness(maintenance: GroveStores['maintenance']): Promise<Readiness> {
  try {
    const { migrations } = await maintenance.probeDatabase();
    const applied = new Map(migrations.applied.map((m) => [m.version, m.checksum]));
    const current = migrations.available.length === applied.size && migrations.available.every((m) => applied.get(m.version) === m.checksum);
    return current
      ? { ready: true, database: 'ok', migrations: { applied: applied.size, expected: migrations.available.length } }
      : {
          ready: false,
          database: 'ok',
          migrations: { applied: applied.size, expected: migrations.available.length },
          message: 'the database migrations differ from this version\'s: run grove-jobs migrate',
        };
  } catch {
    return { ready: false, database: 'unreachable', message: 'the database does not answer' };
  }
}

/** Creates an API token with a role; returns it in clear (the only time it exists outside the caller). */
export async function createApiToken(system: OpenedGroveJobs, input: { role: string; name?: string }): Promise<{ token: string; name: string; role: Role }> {
  if (!isRole(input.role)) throw new ConfigError(ConfigErrorCode.Invalid, `role: '${input.role}' must be viewer, operator or admin`, [{ path: 'role', message: 'must be viewer, operator or admin' }]);
  const name = input.name?.trim() || `${input.role}-${randomBytes(3).toString('hex')}`;
  if (name.length > 100) throw new ConfigError(ConfigErrorCode.Invalid, 'name: must be at most 100 characters', [{ path: 'name', message: 'must be at most 100 characters' }]);
  const { token } = await issueToken(system.tokens, { role: input.role, name, now: system.clock.now() });
  return { token, name, role: input.role };
}

/** The console's first-start token: created when no token exists at all, kept in `<data dir>/admin-token`. */
export interface AdminTokenReport {
  /** The token to put in the console address, when this process may show it. */
  token?: string;
  /** Where it is kept (embedded store). */
  file?: string;
  created: boolean;
}

const ADMIN_TOKEN_FILE = 'admin-token';
const ADMIN_TOKEN_FLAG = 'admin-token';

/**
 * On a first start with no token at all (none stored, no GROVE_JOBS_ADMIN_TOKEN), creates an
 * admin token; on the embedded store it is written to `<data dir>/admin-token` (mode 0600).
 * A store flag makes exactly one of several processes starting at once create it. Later
 * starts read the file back, so the console address keeps working.
 */
export async function ensureAdminToken(system: OpenedGroveJobs, env: Record<string, string | undefined>): Promise<AdminTokenReport> {
  const file = system.location.kind === 'embedded' ? join(system.location.where, ADMIN_TOKEN_FILE) : undefined;
  if (env['GROVE_JOBS_ADMIN_TOKEN']) return { created: false };
  if ((await system.tokens.countTokens()) === 0 && (await system.flags.set(ADMIN_TOKEN_FLAG, system.clock.now()))) {
    const { token } = await createApiToken(system, { role: 'admin', name: 'console (first start)' });
    if (file) {
      await writeFile(file, `${token}\n`, { mode: 0o600 });
      await chmod(file, 0o600);
    }
    return file ? { token, file, created: true } : { token, created: true };
  }
  if (!file) return { created: false };
  try {
    const token = (await readFile(file, 'utf8')).trim();
    return token ? { token, file, created: false } : { created: false };
  } catch {
    return { created: false };
  }
}

export interface ServeOptions {
  host: string;
  /** 0: any free port. */
  port: number;
  env?: Record<string, string | undefined>;
  /** `--trust-proxy`: the proxies whose X-Forwarded-For names the client; without, the socket's peer is the client. */
  trustProxy?: TrustedProxies;
  /** Event streams open at once per process and per token (`--max-streams`, `--max-streams-per-token`). */
  maxStreams?: number;
  maxStreamsPerToken?: number;
  /** How long a client may take to send a request's headers, and the whole request with its body (default REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number;
  /** Where each request (access log) and each unexpected error go; without it, requests are not logged and errors go to standard error. */
  log?: ProcessLog;
}

/**
 * A request's headers and body must arrive within this (Node answers 408 and closes the
 * connection): a client sending slowly cannot hold a connection for minutes. Responses are not
 * limited by it, so event streams stay open. A 10 MiB body needs about 3 Mbit/s to arrive in time.
 */
export const REQUEST_TIMEOUT_MS = 30_000;

export interface RunningServer {
  /** `http://host:port` as bound. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Builds the HTTP API around the system and listens; `close` stops accepting and ends open connections. */
export async function serve(system: OpenedGroveJobs, options: ServeOptions): Promise<RunningServer> {
  const env = options.env ?? {};
  const stopping = new AbortController();
  const app = createApi({
    system,
    tokens: system.tokens,
    adminToken: env['GROVE_JOBS_ADMIN_TOKEN'],
    readiness: () => system.readiness(),
    signal: stopping.signal,
    auth: { clientAddress: clientAddressOf(options.trustProxy) },
    streams: {
      ...(options.maxStreams !== undefined ? { maxStreams: options.maxStreams } : {}),
      ...(options.maxStreamsPerToken !== undefined ? { maxStreamsPerToken: options.maxStreamsPerToken } : {}),
    },
    metrics: { places: () => system.places() },
    ...(options.log ? { accessLog: options.log, errorLog: errorLogOf(options.log) } : {}),
  });
  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const serverOptions = {
    headersTimeout: requestTimeout,
    requestTimeout,
    // Node looks for overdue requests this often (its default, 30 s, would double the limit).
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(requestTimeout / 4))),
  };
  return new Promise((resolve, reject) => {
    const server = serveHttp({ fetch: app.fetch, hostname: options.host, port: options.port, serverOptions }, (info) => {
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      resolve({
        url: `http://${host}:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            stopping.abort();
            server.close(() => done());
            // Event streams never end by themselves: cut every connection still open.
            const http = server as unknown as { closeAllConnections?: () => void };
            http.closeAllConnections?.();
          }),
      });
    });
    server.once('error', reject);
  });
}

/** An unexpected API error's line (request id, route, stack) as an entry of a ProcessLog. */
function errorLogOf(log: ProcessLog): (line: string) => void {
  return (line) => log.error({ event: 'request:failed' }, line);
}

/**
 * `worker --metrics-port`: only `GET /metrics` (no auth, as in `serve`), the same registry as
 * `serve`'s, for a process that runs executions without the API.
 */
export async function serveMetrics(system: GroveJobs, options: { host: string; port: number }): Promise<RunningServer> {
  const app = metricsRoute({ system, places: () => system.places() });
  return new Promise((resolve, reject) => {
    const server = serveHttp({ fetch: app.fetch, hostname: options.host, port: options.port, serverOptions: { headersTimeout: REQUEST_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS } }, (info) => {
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      resolve({
        url: `http://${host}:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
    server.once('error', reject);
  });
}
