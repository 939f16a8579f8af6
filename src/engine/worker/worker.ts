import { type AnyJobType, type ExecutionStatus, type JobConfig, type JobOutcome, type JobTypeRegistry, SecretMasker } from '../../domain/config/index.js';
import { decideOutcome, isRetryable, planRetry, storeRetryDelayMs } from '../../domain/execution/index.js';
import type { ConfigService } from '../config-service.js';
import type { EngineEvents } from '../events.js';
import type { Claim, Clock, ExecutionError, ExecutionItems, ExecutionOutcome, ExecutionRecord, Notifier, Store } from '../ports.js';
import { NotificationKind } from '../ports.js';
import { type ContextHost, ExecutionTelemetry, HandlerContext, noItems, type TelemetryDeps } from './handler-context.js';

export { PROGRESS_INTERVAL_MS } from './handler-context.js';

/** Lease length: a worker that stops heartbeating loses its executions this long after its last beat. */
export const DEFAULT_LEASE_SECONDS = 30;
/** Heartbeats per lease: renewing three times per lease survives two lost beats. */
const HEARTBEATS_PER_LEASE = 3;
/**
 * Safety net for wake-ups that cannot reach this process (an embedded store's socket
 * carries no notifications): an idle worker looks for work at least this often.
 */
export const MAX_IDLE_MS = 5000;
/** Executions whose lease expired are ended by the first worker to look, at most this many per look. */
const EXPIRED_PER_PASS = 100;
/** Who the pause after consecutive failures is recorded as paused by (the API and CLI show it). */
export const AUTO_PAUSE_ACTOR = 'grove-jobs';
/**
 * A worker whose executions are short claims ahead: it keeps about this much work in hand
 * beyond its running places (by the recent length of its executions), so a place that frees
 * starts the next execution at once instead of after a round trip to the store.
 */
const PREFETCH_WINDOW_MS = 50;
/** The most executions a worker holds ahead of its places (the default of `maxPrefetch`). */
export const DEFAULT_MAX_PREFETCH = 500;

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
  /** Most executions held ahead of free places (default DEFAULT_MAX_PREFETCH; 0: claim only for free places). */
  maxPrefetch?: number;
}

/** What a running execution needs of its worker (one for every execution it runs). */
interface RunHost {
  deps: TelemetryDeps;
  workerId: string;
  now: () => Date;
}

/** An execution whose handler runs in this worker; the host of its handler's context. */
class Running implements ContextHost {
  /** The handler's signal, made when the handler first reads it (most never do). */
  controller?: AbortController;
  /** Why the handler was stopped, when it was, and what its signal carries. */
  reason?: 'timeout' | 'cancelled' | 'lost' | 'shutdown';
  abortError?: Error;
  /** Stops waiting for a handler that was aborted (it may ignore its signal). */
  stopWaiting?: () => void;
  done!: Promise<void>;
  #telemetry: ExecutionTelemetry | undefined;

  constructor(
    readonly record: ExecutionRecord,
    /** When its handler began. */
    readonly startedAt: Date,
    /** When it times out (ms since epoch). */
    readonly deadline: number,
    private readonly host: RunHost,
  ) {}

  get now(): () => Date {
    return this.host.now;
  }

  /** The handler's AbortSignal, made on first use (aborted already if the handler was stopped). */
  signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortError) this.controller.abort(this.abortError);
    }
    return this.controller.signal;
  }

  telemetry(): ExecutionTelemetry {
    const { host, record } = this;
    return (this.#telemetry ??= new ExecutionTelemetry(host.deps, record.id, record.configId, host.workerId, this.startedAt.getTime()));
  }

  /** Its item counts as they stand (a copy). */
  items(): ExecutionItems {
    const items = this.#telemetry?.items;
    return items ? { ...items } : noItems();
  }

  /** Writes its buffered progress and logs; undefined when it has none. */
  flush(): Promise<unknown> | undefined {
    return this.#telemetry?.flush();
  }
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
  configId: string;
  record: ExecutionRecord;
  outcome: ExecutionOutcome;
  /**
   * When its first write failed (ms since epoch). It is written again (the heartbeat keeps
   * its lease meanwhile) until a lease has passed since: by then its lease may have expired,
   * and it ends as "worker lost" (and is retried) wherever the store is reached first.
   */
  failingSince?: number;
  /** The ended execution, or undefined when the write did not end it (its lease had expired and it was ended as lost). */
  resolve: (ended: ExecutionRecord | undefined) => void;
  reject: (error: unknown) => void;
}

/**
 * A copy of an execution as it started at `startedAt`, or as its ending leaves it: written out
 * field by field, as spreading a record into a larger literal costs V8 far more (sql-store.ts).
 */
function recordAs(record: ExecutionRecord, startedAt: Date | null, ending?: ExecutionOutcome): ExecutionRecord {
  return {
    id: record.id,
    configId: record.configId,
    configVersion: record.configVersion,
    config: record.config,
    status: ending ? ending.status : record.status,
    trigger: record.trigger,
    slot: record.slot,
    attempt: record.attempt,
    runId: record.runId,
    retryOf: record.retryOf,
    requestedBy: record.requestedBy,
    idempotencyKey: record.idempotencyKey,
    dryRun: record.dryRun,
    batchSize: record.batchSize,
    queuedAt: record.queuedAt,
    runAfter: record.runAfter,
    startedAt,
    finishedAt: ending ? ending.finishedAt : record.finishedAt,
    durationMs: ending ? ending.durationMs : record.durationMs,
    workerId: record.workerId,
    leaseExpiresAt: ending ? null : record.leaseExpiresAt,
    cancelRequestedAt: record.cancelRequestedAt,
    items: ending ? ending.items : record.items,
    summary: ending ? ending.summary : record.summary,
    result: ending ? ending.result : record.result,
    error: ending ? ending.error : record.error,
  };
}

/** An execution as its ending leaves it. */
const endedRecord = (record: ExecutionRecord, outcome: ExecutionOutcome): ExecutionRecord =>
  recordAs(record, outcome.startedAt ?? record.startedAt, outcome);

/**
 * The executions of a claim sent beside a write of endings that may have taken the places
 * those endings free: an execution never starts, in this process, before the one whose place
 * it took is reported finished. The claim may or may not have seen the endings committed. Per
 * config, the room it left covers some of them; the rest (the endings less that room, at most
 * what it claimed) may be in freed places: the last ones it claimed wait for the write.
 */
function placesOfEndings(claim: Claim, endingsByConfig: ReadonlyMap<string, number>): Set<string> | undefined {
  let gated: Set<string> | undefined;
  const left = new Map<string, number>();
  for (const [configId, endings] of endingsByConfig) {
    const over = endings - (claim.room.get(configId) ?? 0);
    if (over > 0) left.set(configId, over);
  }
  if (left.size === 0) return undefined;
  for (let i = claim.executions.length - 1; i >= 0; i--) {
    const execution = claim.executions[i];
    if (!execution) continue;
    const over = left.get(execution.configId) ?? 0;
    if (over === 0) continue;
    left.set(execution.configId, over - 1);
    (gated ??= new Set()).add(execution.id);
  }
  return gated;
}

/** What every notification of an ended execution says, under its config as it is now. */
function notificationOf(execution: ExecutionRecord, current: JobConfig, now: Date) {
  const { notifications } = current.payload;
  return {
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
  /** Executions whose handlers are running, by id. */
  readonly #active = new Map<string, Running>();
  /**
   * Executions claimed ahead (running in the store, under this worker's lease), in claim
   * order, with their lease expiry (ms since epoch) as last claimed or renewed.
   */
  readonly #ready = new Map<string, { record: ExecutionRecord; leaseUntil: number }>();
  #stop = new AbortController();
  #wake: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #unsubscribe: Array<() => unknown> = [];
  #lastReap = 0;
  readonly #leaseMs: number;
  /** What every execution this worker runs shares of it. */
  readonly #host: RunHost;
  /** Executions that ended and wait to be written (the store counts them running until then). */
  #endings: Ending[] = [];
  #writingAlone = false;
  /** Held executions wait for the next turn of the event loop (see #yieldToStore). */
  #yielding = false;
  /** Write waiting endings on the next pass even while executions are held ahead (set by the heartbeat). */
  #flushSoon = false;
  /** Endings handed to the store and not yet written (or given up), and who waits for there to be none. */
  #unwritten = 0;
  #allWritten: Array<() => void> = [];
  /**
   * The loop's write of endings in flight (at most one), with how many of them each config
   * has: a claim sent beside it may have seen them committed or not.
   */
  #writing: { settled: Promise<void>; byConfig: Map<string, number> } | undefined;
  /** After a failed write, the next one waits for a new ending or this instant (ms since epoch). */
  #writeAfter = 0;
  /** Failed writes of endings in a row: they set the backoff of the next. */
  #writeFailures = 0;
  /** When the current (or last) pass began: a failure of it is dated from there (EngineEvents.storeFailed). */
  #passBegan = new Date(0);
  /**
   * Executions held ahead that may have taken the places of endings being written (see #pass):
   * they start once that write is done, the others held ahead skip past them.
   */
  readonly #afterWrite = new Set<string>();
  /** Places promised to manual runs and due slots being recorded in this process (see reserve). */
  #reserved = 0;
  /**
   * Executions recorded in this process while places were reserved: those not adopted here
   * wake the loop once the reservations settle. One adopted would only cost a claim that
   * finds nothing, sent before it starts.
   */
  readonly #queuedWhileReserved = new Set<string>();
  /**
   * Places offered to runs recorded in other processes (Store.offerPlaces), as this worker
   * last told the store, less the runs handed over since; false once the store said it
   * cannot hand runs over.
   */
  #offered = 0;
  #offers = true;
  /** The recent length of this worker's executions (rises at once, falls slowly); undefined before the first. */
  #recentMs: number | undefined;
  /** Stops the heartbeat's sleep when nothing is held. */
  #beat: AbortController | undefined;
  /** One timer for every running execution's timeout: when it fires (ms since epoch), and how to stop it. */
  #timeoutAt = Number.POSITIVE_INFINITY;
  #timeoutTimer: AbortController | undefined;

  constructor(
    private readonly deps: WorkerDeps,
    private readonly options: WorkerOptions,
  ) {
    this.#leaseMs = (options.leaseSeconds ?? DEFAULT_LEASE_SECONDS) * 1000;
    this.#host = { deps, workerId: options.id, now: () => deps.clock.now() };
  }

  get id(): string {
    return this.options.id;
  }

  get leaseMs(): number {
    return this.#leaseMs;
  }

  /** Places: how many executions this worker runs at once. */
  get concurrency(): number {
    return this.options.concurrency;
  }

  /** Executions whose handlers are running now. */
  get activeCount(): number {
    return this.#active.size;
  }

  async start(): Promise<void> {
    if (this.#loop) return;
    // New work, or a place freed anywhere (maxConcurrent), matters only when there is room to claim.
    const wake = () => this.#wakeIfDue();
    this.#unsubscribe.push(
      this.deps.events.on('execution:queued', ({ id }) => {
        // Recorded here while places are reserved: it may be one this worker adopts (see adopt).
        if (this.#reserved > 0) this.#queuedWhileReserved.add(id);
        else this.#wakeIfDue();
      }),
    );
    this.#unsubscribe.push(this.deps.events.on('execution:finished', wake));
    this.#unsubscribe.push(
      this.deps.events.on('execution:cancel-requested', ({ executionId }) => this.#abort(executionId, 'cancelled')),
    );
    this.#unsubscribe.push(await this.deps.store.onExecutionsChanged(wake));
    this.#unsubscribe.push(await this.deps.store.onHandedOver(this.options.id, (record) => this.#takeHandedOver(record)));
    this.#loop = this.#run();
  }

  /**
   * Stops claiming and hands back what it holds ahead, lets running executions finish for up
   * to `graceMs`, then aborts the rest and hands them back to the queue for another worker.
   */
  async stop(graceMs = 30_000): Promise<void> {
    this.#stop.abort(SETTLED);
    this.#wake?.abort(SETTLED);
    // No more runs handed over; one on its way is handed back (see #takeHandedOver).
    if (this.#offered > 0) await this.#offer(0);
    await this.#loop;
    await this.#writing?.settled;
    await this.#writeAlone();
    for (const off of this.#unsubscribe.splice(0)) await off();
    await this.#release();
    const running = [...this.#active.values()];
    if (running.length > 0) {
      const grace = new AbortController();
      const deadline = new Date(this.deps.clock.now().getTime() + graceMs);
      await Promise.race([Promise.all(running.map((r) => r.done)), this.deps.clock.sleepUntil(deadline, grace.signal).catch(() => undefined)]);
      grace.abort(SETTLED);
      for (const r of this.#active.values()) this.#abort(r.record.id, 'shutdown');
      await Promise.all(running.map((r) => r.done));
    }
    if (this.#unwritten > 0) await new Promise<void>((resolve) => this.#allWritten.push(resolve));
    this.#settleBeat();
    this.#disarmTimeout();
  }

  async #run(): Promise<void> {
    const { clock } = this.deps;
    /** Failed passes in a row: they set the backoff of the next. */
    let failures = 0;
    while (!this.#stop.signal.aborted) {
      this.#wake = new AbortController();
      let wakeAt: number;
      try {
        wakeAt = await this.#pass();
        if (failures > 0) {
          failures = 0;
          this.#storeReached();
        }
      } catch (error) {
        // The store out of reach: look again shortly (sooner when woken, by an execution
        // ending here or the store's listener back).
        this.#storeFailed(error, this.#passBegan);
        wakeAt = clock.now().getTime() + storeRetryDelayMs(++failures, Math.random());
      }
      if (wakeAt <= this.deps.clock.now().getTime()) continue;
      const signal = AbortSignal.any([this.#stop.signal, this.#wake.signal]);
      await this.deps.clock.sleepUntil(new Date(wakeAt), signal).catch(() => undefined);
    }
  }

  /** How many executions to hold beyond the running places: about PREFETCH_WINDOW_MS of recent work. */
  #prefetch(): number {
    const recent = this.#recentMs;
    if (recent === undefined || recent >= PREFETCH_WINDOW_MS) return 0;
    const ahead = Math.floor((this.options.concurrency * PREFETCH_WINDOW_MS) / Math.max(recent, 0.01));
    return Math.min(this.options.maxPrefetch ?? DEFAULT_MAX_PREFETCH, ahead);
  }

  /** Reaps lost leases, writes endings, claims what fits; returns when to look again (ms since epoch). */
  async #pass(): Promise<number> {
    const { store, clock } = this.deps;
    const now = clock.now();
    this.#passBegan = now;
    if (now.getTime() - this.#lastReap >= this.#leaseMs / 2) {
      const expired = await store.expireLeases(now, EXPIRED_PER_PASS);
      this.#lastReap = now.getTime();
      for (const lost of expired) await this.#afterFinish(lost);
    }
    const leaseUntil = new Date(now.getTime() + this.#leaseMs);
    const { write, wanted } = this.#due();
    let claimedAll = false;
    if (write || wanted > 0) {
      this.#flushSoon = false;
      this.#yieldToStore();
      // Endings and claims take different locks in the store, so both travel at once, on two
      // connections; the loop waits for the claim only, and the write wakes it when it is done.
      if (write) this.#startWrite(this.#endings.splice(0, ENDINGS_PER_WRITE), now);
      if (wanted > 0) {
        const writing = this.#writing;
        const claim = await store.claimExecutions(this.options.id, now, leaseUntil, wanted);
        // An execution may take the place of one whose ending is being written beside this
        // claim: it starts once that ending is written (and reported finished), not before. A
        // write done by now has reported its endings finished already.
        const gated = writing && this.#writing === writing ? placesOfEndings(claim, writing.byConfig) : undefined;
        for (const record of claim.executions) {
          this.#ready.set(record.id, { record, leaseUntil: leaseUntil.getTime() });
          if (gated?.has(record.id)) this.#afterWrite.add(record.id);
        }
        this.#fill();
        claimedAll = claim.executions.length === wanted;
      }
      // Look again at once: endings may be due for writing.
      if (this.#due().write) return now.getTime();
    }
    // Offer the free places to runs recorded elsewhere while there is nothing to claim, and
    // take back an offer the worker no longer has room for.
    const held = this.#active.size + this.#ready.size;
    const free = claimedAll ? 0 : Math.max(0, this.options.concurrency - held - this.#reserved);
    if (free !== this.#offered && !this.#stop.signal.aborted) await this.#offer(free);
    // More may be waiting when every place asked for was filled; look again while there is room.
    if (claimedAll && held < this.options.concurrency + this.#prefetch()) return now.getTime();
    const idle = now.getTime() + Math.min(this.options.maxIdleMs ?? MAX_IDLE_MS, 8.64e15 - now.getTime());
    const reap = this.#lastReap + this.#leaseMs / 2;
    const next = held < this.options.concurrency ? await store.nextRunAfter() : undefined;
    // A due execution that could not be claimed waits for its config to have room: an
    // execution ending wakes us, so do not spin on it.
    const due = next && next.getTime() > now.getTime() ? next.getTime() : idle;
    const retry = this.#endings.length > 0 && this.#writeAfter > now.getTime() ? this.#writeAfter : Number.POSITIVE_INFINITY;
    return Math.min(due, idle, reap, retry);
  }

  async #offer(places: number): Promise<void> {
    if (!this.#offers) return;
    this.#offered = places;
    const began = this.deps.clock.now();
    const offered = await this.deps.store.offerPlaces(this.options.id, places, this.#leaseMs).catch((error: unknown) => {
      // Not known to the store: the next pass offers again.
      this.#offered = -1;
      this.#storeFailed(error, began);
      return undefined;
    });
    if (offered === false) {
      this.#offers = false;
      this.#offered = 0;
    }
  }

  /**
   * A run another process recorded and handed to this worker, taking one of the places it
   * offered; none: the store listens on a new connection (the old one was lost), where offers
   * made before do not reach this worker: the next pass offers again.
   */
  #takeHandedOver(record: ExecutionRecord | undefined): void {
    if (!record) {
      if (this.#offered > 0) this.#offered = -1;
      this.#wake?.abort(SETTLED);
      return;
    }
    this.#offered = Math.max(0, this.#offered - 1);
    // Stopping, or its places taken meanwhile (an offer not yet taken back): back to the
    // queue for any worker, rather than waiting here counted as running.
    const full = this.#active.size + this.#ready.size + this.#reserved >= this.options.concurrency;
    if (!this.#loop || this.#stop.signal.aborted || full) {
      void this.deps.store.releaseExecutions([record.id], this.options.id, this.deps.clock.now()).catch(() => undefined);
      if (full) void this.#offer(0);
      return;
    }
    const leaseUntil = record.leaseExpiresAt?.getTime() ?? this.deps.clock.now().getTime() + this.#leaseMs;
    this.#ready.set(record.id, { record, leaseUntil });
    this.#fill();
  }

  /** A call to the store begun at `began` failed (see EngineEvents.storeFailed). */
  #storeFailed(error: unknown, began: Date): void {
    this.deps.events.storeFailed({ source: 'worker', id: this.options.id }, error, began, this.deps.clock.now());
  }

  #storeReached(): void {
    this.deps.events.storeReached({ source: 'worker', id: this.options.id }, this.deps.clock.now());
  }

  /**
   * Writes endings beside the loop (one write at a time). A failed write leaves them for the
   * next pass: at a new ending, or after a short backoff.
   */
  #startWrite(endings: Ending[], began: Date): void {
    const byConfig = new Map<string, number>();
    for (const ending of endings) byConfig.set(ending.configId, (byConfig.get(ending.configId) ?? 0) + 1);
    // Written or not, the endings' places are settled: a claim that could not see them
    // committed counted them running. Executions that waited for them may start.
    const settled = this.#writeEndings(endings).then(
      () => {
        this.#writing = undefined;
        if (this.#writeFailures > 0) {
          this.#writeFailures = 0;
          this.#storeReached();
        }
        this.#openGate();
        this.#wakeIfDue();
      },
      (error: unknown) => {
        this.#writing = undefined;
        this.#writeAfter = this.deps.clock.now().getTime() + storeRetryDelayMs(++this.#writeFailures, Math.random());
        this.#openGate();
        this.#storeFailed(error, began);
        // The loop may sleep longer than the backoff: it wakes, and sleeps until the retry.
        this.#wake?.abort(SETTLED);
      },
    );
    this.#writing = { settled, byConfig };
  }

  /**
   * What the loop has to do now: write the waiting endings, and how many executions to claim.
   * Claiming ahead, the worker tops up once half of what it holds ahead has started, and its
   * endings wait for that round trip (the two are sent together) unless they pile up.
   */
  #due(): { write: boolean; wanted: number } {
    const prefetch = this.#prefetch();
    const topUp = this.#ready.size <= prefetch / 2;
    // Places reserved for executions being recorded in this process are promised (see reserve).
    const held = this.#active.size + this.#ready.size + this.#reserved;
    const wanted = topUp ? Math.max(0, this.options.concurrency + prefetch - held) : 0;
    const pending = this.#endings.length;
    const write =
      pending > 0 &&
      this.#writing === undefined &&
      this.#writeAfter <= this.deps.clock.now().getTime() &&
      (prefetch === 0 || topUp || pending >= ENDINGS_PER_WRITE || this.#ready.size === 0 || this.#flushSoon || this.#stop.signal.aborted);
    return { write, wanted };
  }

  /** Wakes the loop when it has something to do (not for every ending while work is held ahead). */
  #wakeIfDue(): void {
    const wake = this.#wake;
    if (!wake || wake.signal.aborted) return;
    const { write, wanted } = this.#due();
    if (write || wanted > 0) {
      wake.abort(SETTLED);
      this.#yieldToStore();
    }
  }

  /**
   * Lets the loop's round trip leave before more held executions start. Short handlers end
   * in promise callbacks, each starting the next held one, so a worker holding hundreds would
   * run them all in one drain of the microtask queue; the driver sends a query from
   * process.nextTick, which waits for that drain. Held executions start again from the next
   * turn of the event loop, after the query went out, and run while the store works on it.
   */
  #yieldToStore(): void {
    if (this.#yielding) return;
    this.#yielding = true;
    setImmediate(() => {
      this.#yielding = false;
      this.#fill();
    });
  }

  /** The write of endings is done: what waited for it may start. */
  #openGate(): void {
    if (this.#afterWrite.size === 0) return;
    this.#afterWrite.clear();
    this.#fill();
  }

  /** Starts executions held ahead while places are free (not while yielding to a round trip). */
  #fill(): void {
    if (this.#yielding) return;
    const now = this.deps.clock.now().getTime();
    for (const [id, { record, leaseUntil }] of this.#ready) {
      if (this.#active.size >= this.options.concurrency || this.#stop.signal.aborted) return;
      if (this.#afterWrite.has(id)) continue;
      this.#ready.delete(id);
      // Its lease was not renewed for a while (the store is out of reach): it may be lost by
      // now, so starting it could run it twice. It ends as "worker lost" and is retried.
      if (leaseUntil - now < this.#leaseMs / HEARTBEATS_PER_LEASE) continue;
      this.#start(record, true);
    }
  }

  /**
   * Queues an ending for the next write; the loop writes it (with its next claim) unless it
   * has stopped. Resolves to the ended execution, or undefined when it was lost meanwhile.
   */
  #end(record: ExecutionRecord, outcome: ExecutionOutcome): Promise<ExecutionRecord | undefined> {
    this.#unwritten++;
    return new Promise<ExecutionRecord | undefined>((resolve, reject) => {
      this.#endings.push({ id: record.id, configId: record.configId, record, outcome, resolve, reject });
      this.#writeAfter = 0;
      if (this.#loop && !this.#stop.signal.aborted) this.#wakeIfDue();
      else void this.#writeAlone();
    });
  }

  /** An ending written: `ended` says whether the write ended the execution. */
  #settle(ending: Ending, ended: boolean): void {
    ending.resolve(ended ? endedRecord(ending.record, ending.outcome) : undefined);
    this.#settled();
  }

  /** An ending given up after its writes failed. */
  #giveUp(ending: Ending, error: unknown): void {
    ending.reject(error);
    this.#settled();
  }

  #settled(): void {
    if (--this.#unwritten === 0) for (const resolve of this.#allWritten.splice(0)) resolve();
  }

  /** Writes endings (none: no round trip). */
  async #writeEndings(endings: Ending[]): Promise<void> {
    if (endings.length === 0) return;
    try {
      const ended = await this.deps.store.finishExecutions(this.options.id, endings);
      for (const ending of endings) this.#settle(ending, ended.has(ending.id));
    } catch (error) {
      // The loop tries again on its next pass; stopping, or failing for a lease, they fail.
      const again = this.#loop !== undefined && !this.#stop.signal.aborted;
      const now = this.deps.clock.now().getTime();
      const retried: Ending[] = [];
      for (const ending of endings) {
        ending.failingSince ??= now;
        if (again && now - ending.failingSince < this.#leaseMs) retried.push(ending);
        else this.#giveUp(ending, error);
      }
      this.#endings.unshift(...retried);
      throw error;
    }
  }

  /** Without a running loop (stopping, or a single `run`), endings are written on their own. */
  async #writeAlone(): Promise<void> {
    if (this.#writingAlone) return;
    this.#writingAlone = true;
    while (this.#endings.length > 0) {
      await this.#writeEndings(this.#endings.splice(0, ENDINGS_PER_WRITE)).catch(() => undefined);
    }
    this.#writingAlone = false;
  }

  /** Hands the executions held ahead back to the queue (shutdown: they will not run here). */
  async #release(): Promise<void> {
    const ids = [...this.#ready.keys()];
    this.#ready.clear();
    this.#afterWrite.clear();
    this.#settleBeat();
    if (ids.length > 0) await this.deps.store.releaseExecutions(ids, this.options.id, this.deps.clock.now()).catch(() => undefined);
  }

  /**
   * A place for a manual run or a due slot recorded in this process to be claimed for this
   * worker as it is recorded (ExecutionService.trigger, Scheduler): there is one while the
   * worker runs and has a place that nothing it runs or holds ahead will take. Held until
   * `adopt` takes the run or gives the place back.
   */
  reserve(): { workerId: string; leaseUntil: Date } | undefined {
    if (!this.#loop || this.#stop.signal.aborted) return undefined;
    if (this.#active.size + this.#ready.size + this.#reserved >= this.options.concurrency) return undefined;
    this.#reserved++;
    return { workerId: this.options.id, leaseUntil: new Date(this.deps.clock.now().getTime() + this.#leaseMs) };
  }

  /** Runs an execution claimed for this worker with a reserved place; undefined gives the place back. */
  adopt(execution: ExecutionRecord | undefined): void {
    this.#reserved--;
    if (execution) {
      this.#queuedWhileReserved.delete(execution.id);
      if (this.#stop.signal.aborted) {
        // Stopped meanwhile: it goes back to the queue for another worker.
        void this.deps.store.releaseExecutions([execution.id], this.options.id, this.deps.clock.now()).catch(() => undefined);
      } else {
        const leaseUntil = execution.leaseExpiresAt?.getTime() ?? this.deps.clock.now().getTime() + this.#leaseMs;
        this.#ready.set(execution.id, { record: execution, leaseUntil });
        this.#fill();
      }
    }
    // Executions queued meanwhile that did not start here: look for them now.
    if (this.#reserved === 0 && this.#queuedWhileReserved.size > 0) {
      this.#queuedWhileReserved.clear();
      this.#wakeIfDue();
    }
  }

  /** Runs an execution this process claimed itself (`grove-jobs run`). */
  runClaimed(record: ExecutionRecord): Promise<void> {
    return this.#start(record).done;
  }

  #abort(executionId: string, reason: NonNullable<Running['reason']>): void {
    const held = this.#ready.get(executionId)?.record;
    if (held) {
      // Held ahead, not started: lost leaves it to the reaper; a cancel ends it here.
      this.#ready.delete(executionId);
      this.#afterWrite.delete(executionId);
      this.#settleBeat();
      if (reason === 'cancelled') {
        const now = this.deps.clock.now();
        const error = { message: 'cancelled before it started', code: 'CANCELLED' };
        const outcome: ExecutionOutcome = { status: 'cancelled', finishedAt: now, durationMs: 0, summary: null, result: null, error, items: noItems() };
        void this.#end(held, outcome).then((ended) => (ended ? this.#afterFinish(ended) : undefined));
      }
      return;
    }
    const running = this.#active.get(executionId);
    if (!running || running.abortError) return;
    running.reason = reason;
    running.abortError = new Error(reason === 'timeout' ? 'timed out' : reason === 'cancelled' ? 'cancelled' : `stopped: ${reason}`);
    running.controller?.abort(running.abortError);
    running.stopWaiting?.();
  }

  /**
   * Starts an execution's handler. One this worker claimed itself (`owned`) is its own
   * record, which it dates in place; any other is copied.
   */
  #start(record: ExecutionRecord, owned = false): Running {
    const startedAt = this.deps.clock.now();
    const deadline = startedAt.getTime() + record.config.payload.limits.timeoutSeconds * 1000;
    if (owned) record.startedAt = startedAt;
    const running = new Running(owned ? record : recordAs(record, startedAt), startedAt, deadline, this.#host);
    this.#active.set(record.id, running);
    this.#holdBeat();
    this.#armTimeout(deadline);
    // #execute frees the place itself; this covers a throw before it could (a listener of started).
    running.done = this.#execute(running).catch(() => this.#handlerDone(running));
    return running;
  }

  /** A handler returned or threw: its place frees at once, before its ending is written. */
  #handlerDone(running: Running): void {
    if (this.#active.get(running.record.id) !== running) return;
    this.#active.delete(running.record.id);
    const ms = this.deps.clock.now().getTime() - running.startedAt.getTime();
    const recent = this.#recentMs;
    this.#recentMs = recent === undefined || ms > recent ? ms : recent * 0.9 + ms * 0.1;
    this.#fill();
    this.#settleBeat();
    if (this.#active.size === 0 && !this.#lingering) this.#disarmTimeout();
    this.#wakeIfDue();
  }

  /**
   * Whether the heartbeat and the timeout timer outlive a moment with nothing held: while the
   * loop runs they end at their own next turn (so an idle worker keeps them a beat at most),
   * instead of being stopped and set again each time a claim's executions have all run; a
   * stopping worker stops them at once.
   */
  get #lingering(): boolean {
    return this.#loop !== undefined && !this.#stop.signal.aborted;
  }

  /** Sets the timeout timer for `deadline` unless it fires earlier already. */
  #armTimeout(deadline: number): void {
    if (deadline >= this.#timeoutAt) return;
    this.#disarmTimeout();
    const timer = new AbortController();
    this.#timeoutTimer = timer;
    this.#timeoutAt = deadline;
    this.deps.clock.sleepUntil(new Date(deadline), timer.signal).then(
      () => this.#timeoutsDue(timer),
      () => undefined,
    );
  }

  #disarmTimeout(): void {
    this.#timeoutTimer?.abort(SETTLED);
    this.#timeoutTimer = undefined;
    this.#timeoutAt = Number.POSITIVE_INFINITY;
  }

  /**
   * The timeout timer fired: stops every execution past its deadline (it ends as `timeout`
   * whether or not its handler stops) and sets the timer for the next deadline.
   */
  #timeoutsDue(timer: AbortController): void {
    if (this.#timeoutTimer !== timer) return;
    this.#timeoutTimer = undefined;
    this.#timeoutAt = Number.POSITIVE_INFINITY;
    const now = this.deps.clock.now().getTime();
    let next = Number.POSITIVE_INFINITY;
    for (const running of this.#active.values()) {
      if (running.deadline <= now) this.#abort(running.record.id, 'timeout');
      else next = Math.min(next, running.deadline);
    }
    if (next < Number.POSITIVE_INFINITY) this.#armTimeout(next);
  }

  /** Starts the heartbeat when the worker begins holding executions. */
  #holdBeat(): void {
    if (this.#beat) return;
    const beat = new AbortController();
    this.#beat = beat;
    void this.#heartbeat(beat.signal);
  }

  /** Stops the heartbeat once nothing is held (while the loop runs, the beat ends at its next turn). */
  #settleBeat(): void {
    if (this.#active.size > 0 || this.#ready.size > 0 || this.#lingering) return;
    this.#beat?.abort(SETTLED);
    this.#beat = undefined;
  }

  async #execute(running: Running): Promise<void> {
    const { store, clock, events, jobTypes } = this.deps;
    const { record, startedAt } = running;
    const workerId = this.options.id;
    const { limits } = record.config.payload;
    events.emit('execution:started', record);

    let status: ExecutionStatus;
    let outcome: JobOutcome | void = undefined;
    let error: ExecutionError | null = null;
    let items: ExecutionItems;
    const type: AnyJobType | undefined = jobTypes.get(record.config.payload.jobType);
    // Secrets are decrypted for the handler only, and masked in whatever the run produces.
    let masker = SecretMasker.none;
    try {
      if (!type) throw new Error(`job type '${record.config.payload.jobType}' is not registered in this process`);
      const run = this.deps.configs.forRun(record.config);
      masker = run.masker;
      const parameters: Record<string, unknown> = { ...run.config.payload.parameters };
      if (record.dryRun && 'dryRun' in parameters) parameters['dryRun'] = true;
      const context = new HandlerContext(
        record.id,
        run.config,
        parameters,
        record.slot ?? undefined,
        record.attempt,
        record.batchSize ?? limits.batchSize,
        record.dryRun || parameters['dryRun'] === true,
        running,
        masker,
      );
      // A stop (timeout, cancel, lost lease, shutdown) fires the handler's signal and ends the
      // wait for it: the execution ends as `timeout` (or cancelled…) whether or not the handler stops.
      const result = await new Promise<JobOutcome | void | typeof ABORTED>((resolve, reject) => {
        running.stopWaiting = () => resolve(ABORTED);
        if (running.abortError) resolve(ABORTED);
        Promise.resolve(type.execute(context)).then(resolve, reject);
      });
      if (result === ABORTED) throw running.abortError;
      outcome = result ? masker.value(result) : result;
      if (outcome?.items) running.telemetry().progress(outcome.items);
      items = running.items();
      status = decideOutcome(items);
      if (status === 'failed') error = { message: `all ${items.failed} item(s) failed` };
    } catch (thrown) {
      status = running.reason === 'timeout' ? 'timeout' : running.reason === 'cancelled' ? 'cancelled' : 'failed';
      error =
        running.reason === 'timeout'
          ? { message: `timed out after ${limits.timeoutSeconds} s`, code: 'TIMEOUT' }
          : running.reason === 'cancelled'
            ? { message: 'cancelled while running', code: 'CANCELLED' }
            : masker.value(errorOf(thrown));
      if (status === 'failed') running.telemetry().log('error', error.message);
      items = running.items();
    } finally {
      this.#handlerDone(running);
    }

    const written = running.flush();
    if (written) await written;
    if (running.reason === 'shutdown') {
      await store.releaseExecutions([record.id], workerId, clock.now());
      return;
    }
    if (running.reason === 'lost') return;
    const finishedAt = clock.now();
    const ending: ExecutionOutcome = {
      status,
      startedAt,
      finishedAt,
      durationMs: Math.max(0, finishedAt.getTime() - startedAt.getTime()),
      summary: outcome?.summary ?? null,
      result: outcome?.result ?? null,
      error,
      items,
    };
    const finished = await this.#end(record, ending);
    // None: the lease expired meanwhile and the execution was already ended as "worker lost".
    const after = finished ? this.#afterFinish(finished) : undefined;
    if (after) await after;
  }

  /**
   * Renews the leases of everything this worker holds (running or held ahead) in one round
   * trip per beat, while it holds anything; aborts what it lost or what was cancelled.
   */
  async #heartbeat(stop: AbortSignal): Promise<void> {
    const { store, clock } = this.deps;
    const every = this.#leaseMs / HEARTBEATS_PER_LEASE;
    /** Failed renewals in a row: the next comes after a short backoff instead of a beat. */
    let failures = 0;
    while (!stop.aborted) {
      try {
        await clock.sleepUntil(new Date(clock.now().getTime() + (failures > 0 ? storeRetryDelayMs(failures, Math.random()) : every)), stop);
      } catch {
        return;
      }
      if (this.#active.size === 0 && this.#ready.size === 0 && this.#endings.length === 0) {
        // Nothing held since the last beat: the worker keeps no timer while idle.
        if (this.#beat?.signal === stop) this.#beat = undefined;
        return;
      }
      // Executions that ended but wait to be written are still held: renew theirs too, and
      // have them written now (they wait for a claim only while work is held ahead).
      const ids = [...this.#active.keys(), ...this.#ready.keys(), ...this.#endings.map((ending) => ending.id)];
      if (this.#endings.length > 0) {
        this.#flushSoon = true;
        this.#wake?.abort(SETTLED);
      }
      const now = clock.now();
      const leaseUntil = now.getTime() + this.#leaseMs;
      const held = await store.renewLeases(ids, this.options.id, now, new Date(leaseUntil)).catch((error: unknown) => {
        failures++;
        this.#storeFailed(error, now);
        return undefined;
      });
      if (!held) continue;
      if (failures > 0) {
        failures = 0;
        this.#storeReached();
      }
      for (const id of ids) {
        const lease = held.get(id);
        if (!lease) this.#abort(id, 'lost');
        else if (lease.cancelRequested) this.#abort(id, 'cancelled');
        else {
          const ahead = this.#ready.get(id);
          if (ahead) ahead.leaseUntil = leaseUntil;
        }
      }
    }
  }

  /**
   * Retry policy, failure streaks, auto-pause and notifications for an ended execution. A
   * success waits for nothing (its ending already ended the failure streak): no promise.
   */
  #afterFinish(execution: ExecutionRecord): Promise<void> | undefined {
    this.deps.events.emit('execution:finished', execution);
    if (isRetryable(execution.status)) return this.#afterFailure(execution);
    if (execution.status === 'cancelled' || execution.status === 'skipped') return undefined;
    // A success needs only the version it ran with.
    const config = execution.config;
    if (config.payload.notifications.onSuccess) {
      this.deps.notifier.notify({ ...notificationOf(execution, config, this.deps.clock.now()), kind: NotificationKind.Success });
    }
    return undefined;
  }

  /** A failed execution: its retry, or its failure streak, notification and maybe the config's pause. */
  async #afterFailure(execution: ExecutionRecord): Promise<void> {
    const { store, clock, events, notifier, configs } = this.deps;
    // Retries and pauses follow the config as it is now.
    const current = (await store.getConfig(execution.configId)) ?? execution.config;
    const now = clock.now();
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

    const streak = await store.recordRunOutcome(execution.configId, true);
    const { notifications } = current.payload;
    if (notifications.onFailure) {
      notifier.notify({ ...notificationOf(execution, current, now), kind: NotificationKind.Failure, consecutiveFailures: streak });
    }
    const limit = notifications.pauseAfterConsecutiveFailures;
    if (limit > 0 && streak >= limit && current.payload.schedule.isEnabled) {
      await configs.setEnabled(execution.configId, false, { actor: 'grove-jobs (auto-pause)' });
      await store.markPaused(execution.configId, now, `paused after ${streak} consecutive failures`, AUTO_PAUSE_ACTOR);
      events.emit('config:paused', { configId: execution.configId, consecutiveFailures: streak });
      notifier.notify({ ...notificationOf(execution, current, now), kind: NotificationKind.Critical, consecutiveFailures: streak });
    }
  }
}
