import { type JobConfig, type JobContext, type JobProgress, type LogLevel, SecretMasker } from '../../domain/config/index.js';
import type { EngineEvents } from '../events.js';
import type { Clock, ExecutionItems, LogLine, Store } from '../ports.js';

/** Progress and logs reach the database at most this often while running (and always at the end). */
export const PROGRESS_INTERVAL_MS = 1000;
const LOG_BATCH_LINES = 100;

/** The item counts of an execution that counted none (a fresh object each time: callers fill it in). */
export const noItems = (): ExecutionItems => ({ total: null, processed: 0, succeeded: 0, failed: 0 });

export interface TelemetryDeps {
  store: Store;
  clock: Clock;
  events: EngineEvents;
}

/**
 * A running execution's item counts and log lines: emitted as they come, written at most
 * every PROGRESS_INTERVAL_MS (logs also every LOG_BATCH_LINES lines) and at the end. `log`
 * and `progress` are bound, as a handler may take them out of its context.
 */
export class ExecutionTelemetry {
  readonly items: ExecutionItems = noItems();
  #pending: Array<Omit<LogLine, 'id'>> = [];
  #writes: Promise<unknown> = Promise.resolve();
  #lastProgressWrite = 0;
  #lastLogWrite: number;

  constructor(
    private readonly deps: TelemetryDeps,
    private readonly executionId: string,
    private readonly configId: string,
    private readonly workerId: string,
    /** When the execution started (ms since epoch): logs wait at most an interval from then. */
    startedAt: number,
  ) {
    this.#lastLogWrite = startedAt;
  }

  readonly log = (level: LogLevel, message: string, data?: Record<string, unknown>): void => {
    const { clock, events } = this.deps;
    this.#pending.push({ executionId: this.executionId, at: clock.now(), level, message, data });
    events.emit('execution:log', { executionId: this.executionId, configId: this.configId, level, message });
    if (this.#pending.length >= LOG_BATCH_LINES || clock.now().getTime() - this.#lastLogWrite >= PROGRESS_INTERVAL_MS) this.#flushLogs();
  };

  readonly progress = (update: JobProgress): void => {
    const { items } = this;
    if (update.total !== undefined) items.total = update.total;
    if (update.processed !== undefined) items.processed = update.processed;
    if (update.succeeded !== undefined) items.succeeded = update.succeeded;
    if (update.failed !== undefined) items.failed = update.failed;
    this.deps.events.emit('execution:progress', { executionId: this.executionId, configId: this.configId, items: { ...items } });
    const now = this.deps.clock.now().getTime();
    if (now - this.#lastProgressWrite >= PROGRESS_INTERVAL_MS) {
      this.#lastProgressWrite = now;
      const snapshot = { ...items };
      this.#writes = this.#writes.then(() => this.deps.store.recordProgress(this.executionId, this.workerId, snapshot)).catch(() => undefined);
    }
  };

  /** Writes what is buffered; resolves when every write so far is done (failed writes are dropped). */
  flush(): Promise<unknown> {
    this.#flushLogs();
    return this.#writes;
  }

  #flushLogs(): void {
    if (this.#pending.length === 0) return;
    const lines = this.#pending;
    this.#pending = [];
    this.#lastLogWrite = this.deps.clock.now().getTime();
    this.#writes = this.#writes.then(() => this.deps.store.appendLogs(lines)).catch(() => undefined);
  }
}

/** What a handler's context asks of the worker running it: all made on first use. */
export interface ContextHost {
  signal(): AbortSignal;
  telemetry(): ExecutionTelemetry;
  /** The engine clock's `now`, bound (one for every context of a worker). */
  readonly now: () => Date;
}

/**
 * A handler's JobContext. Its signal, log and progress are made when the handler first reads
 * them (most never do), and they live on the prototype: an object literal with a getter is
 * built in dictionary mode, about 1 KB per execution (measured).
 */
export class HandlerContext implements JobContext<unknown> {
  readonly #host: ContextHost;
  readonly #masker: SecretMasker;
  #maskedLog: ExecutionTelemetry['log'] | undefined;

  constructor(
    readonly executionId: string,
    readonly config: JobConfig,
    readonly parameters: unknown,
    readonly slot: Date | undefined,
    readonly attempt: number,
    readonly batchSize: number,
    readonly dryRun: boolean,
    host: ContextHost,
    /** Masks the config's secret values in what the handler logs (its results and errors are masked by the worker). */
    masker: SecretMasker = SecretMasker.none,
  ) {
    this.#host = host;
    this.#masker = masker;
  }

  get signal(): AbortSignal {
    return this.#host.signal();
  }

  get now(): () => Date {
    return this.#host.now;
  }

  get log(): ExecutionTelemetry['log'] {
    const { log } = this.#host.telemetry();
    if (this.#masker.empty) return log;
    const masker = this.#masker;
    return (this.#maskedLog ??= (level, message, data) => log(level, masker.text(message), data === undefined ? data : masker.value(data)));
  }

  get progress(): ExecutionTelemetry['progress'] {
    return this.#host.telemetry().progress;
  }
}
