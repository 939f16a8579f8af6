import type { AnyJobType, ExecutionStatus, JobContext, JobOutcome, JobTypeRegistry, LogLevel } from '../../domain/config/index.js';
import { decideOutcome, isRetryable, planRetry } from '../../domain/execution/index.js';
import type { ConfigService } from '../config-service.js';
import type { EngineEvents } from '../events.js';
import type { Clock, ExecutionError, ExecutionItems, ExecutionOutcome, ExecutionRecord, LogLine, Notifier, Store } from '../ports.js';
import { NotificationKind } from '../ports.js';

/** Lease length: a worker that stops heartbeating loses its executions this long after its last beat. */
export const DEFAULT_LEASE_SECONDS = 30;
/** Heartbeats per lease: renewing three times per lease survives two lost beats. */
const HEARTBEATS_PER_LEASE = 3;
/** Progress and logs reach the database at most this often while running (and always at the end). */
export const PROGRESS_INTERVAL_MS = 1000;
const LOG_BATCH_LINES = 100;
/**
 * Safety net for wake-ups that cannot reach this process (an embedded store's socket
 * carries no notifications): an idle worker looks for work at least this often.
 */
export const MAX_IDLE_MS = 5000;
/** Executions whose lease expired are ended by the first worker to look, at most this many per look. */
const EXPIRED_PER_PASS = 100;

export interface WorkerDeps {
  store: Store;
  clock: Clock;
  events: EngineEvents;
  jobTypes: JobTypeRegistry;
  notifier: Notifier;
  configs: ConfigService;
}

export interface WorkerOptions {
  /** Recorded on each execution this worker claims. */
  id: string;
  /** Executions this worker runs at once. */
  concurrency: number;
  leaseSeconds?: number;
  /** Longest idle sleep (default MAX_IDLE_MS); Infinity for simulations, as for the scheduler. */
  maxIdleMs?: number;
}

interface Running {
  record: ExecutionRecord;
  controller: AbortController;
  /** Why the handler's signal fired, when it did. */
  reason?: 'timeout' | 'cancelled' | 'lost' | 'shutdown';
  done: Promise<void>;
}

const ABORTED = Symbol('aborted');
/**
 * The reason given when the worker stops its own timers and sleeps: aborting without one
 * builds a DOMException (with a stack) per call, which a busy worker pays thousands of
 * times a second.
 */
const SETTLED = Symbol('settled');
/** Endings written in one round trip at most. */
const ENDINGS_PER_WRITE = 500;

interface Ending {
  id: string;
  outcome: ExecutionOutcome;
  settle: (ended: ExecutionRecord | undefined) => void;
  fail: (error: unknown) => void;
}

function errorOf(error: unknown): ExecutionError {
  if (error instanceof Error) return { message: error.message, details: { name: error.name } };
  return { message: String(error) };
}

/**
 * Claims queued executions (FOR UPDATE SKIP LOCKED, maxConcurrent per config across all
 * workers), runs their handlers under a heartbeat-renewed lease and a timeout, records
 * progress and logs, and applies the retry policy.
 */
export class Worker {
  readonly #active = new Map<string, Running>();
  #stop = new AbortController();
  #wake: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #unsubscribe: Array<() => unknown> = [];
  #lastReap = 0;
  readonly #leaseMs: number;
  /** Executions that ended and wait to be written (they keep their places until then). */
  #endings: Ending[] = [];
  #writingAlone = false;

  constructor(
    private readonly deps: WorkerDeps,
    private readonly options: WorkerOptions,
  ) {
    this.#leaseMs = (options.leaseSeconds ?? DEFAULT_LEASE_SECONDS) * 1000;
  }

  get id(): string {
    return this.options.id;
  }

  get leaseMs(): number {
    return this.#leaseMs;
  }

  get activeCount(): number {
    return this.#active.size;
  }

  async start(): Promise<void> {
    if (this.#loop) return;
    const wake = () => this.#wake?.abort(SETTLED);
    this.#unsubscribe.push(this.deps.events.on('execution:queued', wake));
    this.#unsubscribe.push(this.deps.events.on('execution:finished', wake));
    this.#unsubscribe.push(
      this.deps.events.on('execution:cancel-requested', ({ executionId }) => this.#abort(executionId, 'cancelled')),
    );
    this.#unsubscribe.push(await this.deps.store.onExecutionsChanged(wake));
    this.#loop = this.#run();
  }

  /**
   * Stops claiming, lets running executions finish for up to `graceMs`, then aborts the
   * rest and hands them back to the queue for another worker.
   */
  async stop(graceMs = 30_000): Promise<void> {
    this.#stop.abort(SETTLED);
    this.#wake?.abort(SETTLED);
    await this.#loop;
    await this.#writeAlone();
    for (const off of this.#unsubscribe.splice(0)) await off();
    const running = [...this.#active.values()];
    if (running.length > 0) {
      const grace = new AbortController();
      const deadline = new Date(this.deps.clock.now().getTime() + graceMs);
      await Promise.race([Promise.all(running.map((r) => r.done)), this.deps.clock.sleepUntil(deadline, grace.signal).catch(() => undefined)]);
      grace.abort(SETTLED);
      for (const r of this.#active.values()) this.#abort(r.record.id, 'shutdown');
      await Promise.all(running.map((r) => r.done));
    }
  }

  async #run(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      this.#wake = new AbortController();
      let wakeAt: number;
      try {
        wakeAt = await this.#pass();
      } catch {
        wakeAt = this.deps.clock.now().getTime() + MAX_IDLE_MS;
      }
      if (wakeAt <= this.deps.clock.now().getTime()) continue;
      const signal = AbortSignal.any([this.#stop.signal, this.#wake.signal]);
      await this.deps.clock.sleepUntil(new Date(wakeAt), signal).catch(() => undefined);
    }
  }

  /** Reaps lost leases, claims what fits; returns when to look again (ms since epoch). */
  async #pass(): Promise<number> {
    const { store, clock } = this.deps;
    const now = clock.now();
    if (now.getTime() - this.#lastReap >= this.#leaseMs / 2) {
      this.#lastReap = now.getTime();
      for (const lost of await store.expireLeases(now, EXPIRED_PER_PASS)) await this.#afterFinish(lost);
    }
    const leaseUntil = new Date(now.getTime() + this.#leaseMs);
    const endings = this.#endings.splice(0, ENDINGS_PER_WRITE);
    // Executions ended by this write give their places to the ones it claims.
    const free = this.options.concurrency - this.#active.size + endings.length;
    let claimedAll = false;
    if (endings.length > 0 || free > 0) {
      const claimed =
        endings.length > 0
          ? await this.#writeEndings(endings, { now, leaseUntil, limit: Math.max(0, free) })
          : await store.claimExecutions(this.options.id, now, leaseUntil, free);
      for (const record of claimed) this.#start(record);
      claimedAll = free > 0 && claimed.length === free;
    }
    if (this.#endings.length > 0) return now.getTime();
    // More may be waiting when every free place was filled; look again once one frees.
    if (claimedAll && this.#active.size < this.options.concurrency) return now.getTime();
    const idle = now.getTime() + Math.min(this.options.maxIdleMs ?? MAX_IDLE_MS, 8.64e15 - now.getTime());
    const reap = this.#lastReap + this.#leaseMs / 2;
    const next = this.#active.size < this.options.concurrency ? await store.nextRunAfter() : undefined;
    // A due execution that could not be claimed waits for its config to have room: an
    // execution ending wakes us, so do not spin on it.
    const due = next && next.getTime() > now.getTime() ? next.getTime() : idle;
    return Math.min(due, idle, reap);
  }

  /** Queues an ending for the next write; the loop writes it (with its next claim) unless it has stopped. */
  #end(id: string, outcome: ExecutionOutcome): Promise<ExecutionRecord | undefined> {
    return new Promise((settle, fail) => {
      this.#endings.push({ id, outcome, settle, fail });
      if (this.#loop && !this.#stop.signal.aborted) this.#wake?.abort(SETTLED);
      else void this.#writeAlone();
    });
  }

  /** Writes endings, claiming up to `claim.limit` successors in the same round trip. */
  async #writeEndings(endings: Ending[], claim: { now: Date; leaseUntil: Date; limit: number }): Promise<ExecutionRecord[]> {
    try {
      const { ended, claimed } = await this.deps.store.finishAndClaim(this.options.id, endings, claim);
      const byId = new Map(ended.map((record) => [record.id, record]));
      for (const ending of endings) ending.settle(byId.get(ending.id));
      return claimed;
    } catch (error) {
      for (const ending of endings) ending.fail(error);
      throw error;
    }
  }

  /** Without a running loop (stopping, or a single `run`), endings are written on their own. */
  async #writeAlone(): Promise<void> {
    if (this.#writingAlone) return;
    this.#writingAlone = true;
    while (this.#endings.length > 0) {
      const now = this.deps.clock.now();
      await this.#writeEndings(this.#endings.splice(0, ENDINGS_PER_WRITE), { now, leaseUntil: now, limit: 0 }).catch(() => undefined);
    }
    this.#writingAlone = false;
  }

  /** Runs an execution this process claimed itself (`grove-jobs run`). */
  runClaimed(record: ExecutionRecord): Promise<void> {
    return this.#start(record).done;
  }

  #abort(executionId: string, reason: NonNullable<Running['reason']>): void {
    const running = this.#active.get(executionId);
    if (!running || running.controller.signal.aborted) return;
    running.reason = reason;
    running.controller.abort(new Error(reason === 'timeout' ? 'timed out' : reason === 'cancelled' ? 'cancelled' : `stopped: ${reason}`));
  }

  #start(record: ExecutionRecord): Running {
    const running: Running = { record, controller: new AbortController(), done: Promise.resolve() };
    this.#active.set(record.id, running);
    running.done = this.#execute(running)
      .catch(() => undefined)
      .finally(() => {
        this.#active.delete(record.id);
        this.#wake?.abort(SETTLED);
      });
    return running;
  }

  async #execute(running: Running): Promise<void> {
    const { store, clock, events, jobTypes } = this.deps;
    const { record, controller } = running;
    const workerId = this.options.id;
    const startedAt = record.startedAt ?? clock.now();
    const { limits } = record.config.payload;
    const items: ExecutionItems = { total: null, processed: 0, succeeded: 0, failed: 0 };
    const timers = new AbortController();
    events.emit('execution:started', record);

    // Logs and progress: buffered, written at most every PROGRESS_INTERVAL_MS while running.
    let pendingLogs: Array<Omit<LogLine, 'id'>> = [];
    let writes: Promise<unknown> = Promise.resolve();
    let lastProgressWrite = 0;
    let lastLogWrite = clock.now().getTime();
    const flushLogs = () => {
      if (pendingLogs.length === 0) return;
      const lines = pendingLogs;
      pendingLogs = [];
      lastLogWrite = clock.now().getTime();
      writes = writes.then(() => store.appendLogs(lines)).catch(() => undefined);
    };
    const log = (level: LogLevel, message: string, data?: Record<string, unknown>) => {
      pendingLogs.push({ executionId: record.id, at: clock.now(), level, message, data });
      events.emit('execution:log', { executionId: record.id, configId: record.configId, level, message });
      if (pendingLogs.length >= LOG_BATCH_LINES || clock.now().getTime() - lastLogWrite >= PROGRESS_INTERVAL_MS) flushLogs();
    };
    const progress = (update: { total?: number; processed?: number; succeeded?: number; failed?: number }) => {
      if (update.total !== undefined) items.total = update.total;
      if (update.processed !== undefined) items.processed = update.processed;
      if (update.succeeded !== undefined) items.succeeded = update.succeeded;
      if (update.failed !== undefined) items.failed = update.failed;
      events.emit('execution:progress', { executionId: record.id, configId: record.configId, items: { ...items } });
      const now = clock.now().getTime();
      if (now - lastProgressWrite >= PROGRESS_INTERVAL_MS) {
        lastProgressWrite = now;
        const snapshot = { ...items };
        writes = writes.then(() => store.recordProgress(record.id, workerId, snapshot)).catch(() => undefined);
      }
    };

    // The timeout fires the handler's signal; the execution ends as `timeout` whether or not the handler stops.
    const deadline = new Date(startedAt.getTime() + limits.timeoutSeconds * 1000);
    clock.sleepUntil(deadline, timers.signal).then(
      () => this.#abort(record.id, 'timeout'),
      () => undefined,
    );
    void this.#heartbeat(running, timers.signal);

    const aborted = new Promise<typeof ABORTED>((resolve) => {
      if (controller.signal.aborted) resolve(ABORTED);
      controller.signal.addEventListener('abort', () => resolve(ABORTED), { once: true });
    });

    let status: ExecutionStatus;
    let outcome: JobOutcome | void = undefined;
    let error: ExecutionError | null = null;
    const type: AnyJobType | undefined = jobTypes.get(record.config.payload.jobType);
    try {
      if (!type) throw new Error(`job type '${record.config.payload.jobType}' is not registered in this process`);
      const parameters: Record<string, unknown> = { ...record.config.payload.parameters };
      if (record.dryRun && 'dryRun' in parameters) parameters['dryRun'] = true;
      const context: JobContext<unknown> = {
        executionId: record.id,
        config: record.config,
        parameters,
        slot: record.slot ?? undefined,
        attempt: record.attempt,
        batchSize: record.batchSize ?? limits.batchSize,
        dryRun: record.dryRun || parameters['dryRun'] === true,
        signal: controller.signal,
        now: () => clock.now(),
        log,
        progress,
      };
      const result = await Promise.race([type.execute(context), aborted]);
      if (result === ABORTED) throw controller.signal.reason;
      outcome = result;
      if (outcome?.items) progress(outcome.items);
      status = decideOutcome(items);
      if (status === 'failed') error = { message: `all ${items.failed} item(s) failed` };
    } catch (thrown) {
      status = running.reason === 'timeout' ? 'timeout' : running.reason === 'cancelled' ? 'cancelled' : 'failed';
      error =
        running.reason === 'timeout'
          ? { message: `timed out after ${limits.timeoutSeconds} s`, code: 'TIMEOUT' }
          : running.reason === 'cancelled'
            ? { message: 'cancelled while running', code: 'CANCELLED' }
            : errorOf(thrown);
      if (status === 'failed') log('error', error.message);
    } finally {
      timers.abort(SETTLED);
    }

    flushLogs();
    await writes;
    if (running.reason === 'shutdown') {
      await store.releaseExecution(record.id, workerId, clock.now());
      return;
    }
    if (running.reason === 'lost') return;
    const finishedAt = clock.now();
    const ending: ExecutionOutcome = {
      status,
      finishedAt,
      durationMs: Math.max(0, finishedAt.getTime() - startedAt.getTime()),
      summary: outcome?.summary ?? null,
      result: outcome?.result ?? null,
      error,
      items: { ...items },
    };
    const finished = await this.#end(record.id, ending);
    // None: the lease expired meanwhile and the execution was already ended as "worker lost".
    if (finished) await this.#afterFinish(finished);
  }

  async #heartbeat(running: Running, stop: AbortSignal): Promise<void> {
    const { store, clock } = this.deps;
    const every = this.#leaseMs / HEARTBEATS_PER_LEASE;
    while (!stop.aborted) {
      try {
        await clock.sleepUntil(new Date(clock.now().getTime() + every), stop);
      } catch {
        return;
      }
      const now = clock.now();
      const lease = await store.renewLease(running.record.id, this.options.id, now, new Date(now.getTime() + this.#leaseMs)).catch(() => undefined);
      if (!lease) continue;
      if (!lease.held) this.#abort(running.record.id, 'lost');
      else if (lease.cancelRequested) this.#abort(running.record.id, 'cancelled');
    }
  }

  /** Retry policy, failure streaks, auto-pause and notifications for an ended execution. */
  async #afterFinish(execution: ExecutionRecord): Promise<void> {
    const { store, clock, events, notifier, configs } = this.deps;
    events.emit('execution:finished', execution);
    const failed = isRetryable(execution.status);
    // Retries and pauses follow the config as it is now; a success needs only the version it ran with.
    const current = failed ? ((await store.getConfig(execution.configId)) ?? execution.config) : execution.config;
    const now = clock.now();

    if (failed) {
      const plan = planRetry(current.payload.retry, execution.attempt, execution.finishedAt ?? now);
      if (plan.retry && plan.runAfter && plan.nextAttempt) {
        const { execution: retry } = await store.insertExecution({
          config: current,
          status: 'queued',
          trigger: 'retry',
          slot: execution.slot,
          attempt: plan.nextAttempt,
          runId: execution.runId,
          retryOf: execution.id,
          requestedBy: execution.requestedBy,
          idempotencyKey: null,
          dryRun: execution.dryRun,
          batchSize: execution.batchSize,
          queuedAt: now,
          runAfter: plan.runAfter,
          summary: `Attempt ${plan.nextAttempt} of ${current.payload.retry.maxAttempts} after ${execution.status}`,
          result: null,
        });
        events.emit('execution:queued', retry);
        return;
      }
    }
    if (execution.status === 'cancelled' || execution.status === 'skipped') return;

    // A success already ended the failure streak when it was recorded (finishExecution).
    const streak = failed ? await store.recordRunOutcome(execution.configId, true) : 0;
    const { notifications } = current.payload;
    const base = {
      at: now.toISOString(),
      configId: execution.configId,
      configVersion: execution.configVersion,
      displayName: current.payload.displayName,
      execution: {
        id: execution.id,
        status: execution.status,
        trigger: execution.trigger,
        attempt: execution.attempt,
        slot: execution.slot?.toISOString() ?? null,
        startedAt: execution.startedAt?.toISOString() ?? null,
        finishedAt: execution.finishedAt?.toISOString() ?? null,
        durationMs: execution.durationMs,
        itemsProcessed: execution.items.processed,
        itemsFailed: execution.items.failed,
        error: execution.error ? { message: execution.error.message } : null,
      },
      channels: notifications.channels,
      ...(notifications.webhookUrl ? { webhookUrl: notifications.webhookUrl } : {}),
      ...(notifications.webhookSecret ? { webhookSecret: notifications.webhookSecret } : {}),
    };
    if (failed && notifications.onFailure) notifier.notify({ ...base, kind: NotificationKind.Failure, consecutiveFailures: streak });
    if (!failed && notifications.onSuccess) notifier.notify({ ...base, kind: NotificationKind.Success });

    const limit = notifications.pauseAfterConsecutiveFailures;
    if (failed && limit > 0 && streak >= limit && current.payload.schedule.isEnabled) {
      await configs.setEnabled(execution.configId, false, { actor: 'grove-jobs (auto-pause)' });
      await store.markPaused(execution.configId, now, `paused after ${streak} failed runs in a row`);
      events.emit('config:paused', { configId: execution.configId, consecutiveFailures: streak });
      notifier.notify({ ...base, kind: NotificationKind.Critical, consecutiveFailures: streak });
    }
  }
}
