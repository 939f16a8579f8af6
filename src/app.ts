// The composition root: the system (createGroveJobs) from its ports, the built-in and Grove job
// types, the default notifier. Opening a store is open.ts, a first start first-start.ts, the HTTP
// server server.ts.
import { type AnyJobType, JobTypeRegistry } from './domain/config/index.js';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ConfigService } from './engine/config-service.js';
import { ConfigSecrets, type SecretSealer } from './engine/config-secrets.js';
import { EngineEvents } from './engine/events.js';
import { ExecutionService } from './engine/execution-service.js';
import { SlotService } from './engine/slot-service.js';
import type { AdvancementStore, AggregationStore, AnyNotification, Clock, ExecutionRecord, MaintenanceStore, Notifier, SproutStore, Store, StoreFlags } from './engine/ports.js';
import { AdvancementService } from './engine/grove/advancement-service.js';
import { SproutService } from './engine/grove/sprout-service.js';
import { Scheduler } from './engine/scheduler/scheduler.js';
import { Worker } from './engine/worker/worker.js';
import { advancementBatchJobType } from './jobs/advancement-batch/index.js';
import { healthCheckJobType } from './jobs/health-check/index.js';
import { notificationDigestJobType } from './jobs/notification-digest/index.js';
import { orphanCleanupJobType } from './jobs/orphan-cleanup/index.js';
import { signalAggregationJobType } from './jobs/signal-aggregation/index.js';
import { httpRequestJobType } from './jobs/http-request/index.js';
import { sqlJobType, type SqlRunner } from './jobs/sql/index.js';
import { commandJobType, type CommandPolicy } from './jobs/command/index.js';
import { createLogNotifier, createNotifier, createWebhookNotifier } from './notify/index.js';
import type { Sql } from './store/sql.js';
import { createAdvancementStore } from './store/grove/advancement.js';
import { createAggregationStore } from './store/grove/aggregation.js';
import { createMaintenanceStore } from './store/grove/maintenance.js';
import { createSproutStore } from './store/grove/sprouts.js';
import { createStoreFlags } from './store/flags.js';
import { systemClock } from './system-clock.js';
import { TrustedProxies } from './api/trusted-proxies.js';
import type { ApiSystem } from './api/system.js';

export { systemClock, TrustedProxies };
export type { Clock, Store };
export type { ExecutionRecord, LogLine, Notification } from './engine/ports.js';
export type { ChangePreview, WriteOptions } from './engine/config-service.js';
export type { ApplyOptions, ApplyResult, AppliedChange, ScheduleShape } from './engine/config-apply.js';

/** What the built-in job types are given by the process that opens the store. */
export interface BuiltInJobTypeOptions {
  /** Runs `sql` statements on the store's own database; without it a `sql` config must name its `database`. */
  sqlRunner?: SqlRunner;
  /** What `command` configs may run (`--allow-commands`); without it they are refused, naming the flag. */
  commands?: CommandPolicy;
}

/** The built-in job types with what this process allows and reaches. */
export function builtInJobTypesWith(options: BuiltInJobTypeOptions = {}): AnyJobType[] {
  return [httpRequestJobType, sqlJobType(options.sqlRunner ? { store: options.sqlRunner } : {}), commandJobType(options.commands)];
}

/** Job types every system gets (`sql` without the store's connection, `command` switched off; openGroveJobs gives them both). */
export const builtInJobTypes: readonly AnyJobType[] = builtInJobTypesWith();

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

export const silentNotifier: Notifier = { notify: () => undefined, flush: async () => undefined };

/** The single way to build the system: tests pass a FakeClock and a PGlite-backed store. */
export function createGroveJobs(options: GroveJobsOptions): GroveJobs {
  const jobTypes = options.jobTypes instanceof JobTypeRegistry ? options.jobTypes : new JobTypeRegistry(options.jobTypes);
  const { clock, store } = options;
  const notifier = options.notifier ?? silentNotifier;
  const events = new EngineEvents();
  const configs = new ConfigService(store, clock, jobTypes, events, new ConfigSecrets(jobTypes, options.secrets));
  const executions = new ExecutionService(store, clock, configs, events);
  const slots = new SlotService(store, clock, configs, events);
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
    slots,
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

/**
 * The system with more members. Its properties are copied as they are defined, not read: the
 * `grove` getter of a system without the Grove domain throws, and must stay a getter.
 */
export function extendSystem<T extends object, U extends object>(system: T, more: U): T & U {
  return Object.defineProperties({}, { ...Object.getOwnPropertyDescriptors(system), ...Object.getOwnPropertyDescriptors(more) }) as T & U;
}
