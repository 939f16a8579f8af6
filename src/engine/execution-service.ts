import type { ExecutionStatus, ExecutionTrigger } from '../domain/config/index.js';
import {
  abbreviateExecutionId,
  ExecutionErrorCode,
  ExecutionOperationError,
  isFinal,
  parseExecutionIdPrefix,
  shortestUniquePrefixLength,
  shownPrefixLength,
} from '../domain/execution/index.js';
import type { ConfigService } from './config-service.js';
import type { EngineEvents } from './events.js';
import { asQueued, type Clock, type ExecutionRecord, type LocalRunner, type LogLine, type Store } from './ports.js';

export interface TriggerOptions {
  /** Who asked, recorded on the execution. */
  requestedBy: string;
  trigger?: Extract<ExecutionTrigger, 'manual' | 'api'>;
  /** For this run only. */
  dryRun?: boolean;
  /** For this run only; 1 to 1,000,000. */
  batchSize?: number;
  /** A repeated key for the same config returns the execution it started. */
  idempotencyKey?: string;
  /**
   * False when this process claims the run next (`grove-jobs run`): it stays queued rather
   * than being handed to an idle worker elsewhere. Default true.
   */
  handOver?: boolean;
}

/** Longest idempotency key accepted. */
const MAX_KEY_LENGTH = 200;
/** History and log pages are capped at this many rows. */
export const MAX_PAGE = 1000;

/** Whole ids an ambiguous prefix's error lists; it says when there are more. */
export const MAX_ID_CANDIDATES = 10;

function notFound(id: string): ExecutionOperationError {
  return new ExecutionOperationError(ExecutionErrorCode.NotFound, `execution '${id}' does not exist`, 'executionId');
}

/** Manual runs, history, logs, cancel and retry. */
export class ExecutionService {
  readonly #runners: LocalRunner[] = [];

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly configs: ConfigService,
    private readonly events: EngineEvents,
  ) {}

  /** A worker of this process takes manual runs at once while it has a free place. */
  addLocalRunner(runner: LocalRunner): void {
    this.#runners.push(runner);
  }

  /**
   * Queues a run of the config as it is now (disabled configs included) and returns at once.
   * When a worker of this process has a free place and the config has room, the run is
   * claimed for that worker in the same statement and starts without a further round trip.
   * @throws ConfigError when the config does not exist; ExecutionOperationError for a bad override.
   */
  async trigger(configId: string, options: TriggerOptions): Promise<{ execution: ExecutionRecord; created: boolean }> {
    if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 1 || options.batchSize > 1_000_000)) {
      throw new ExecutionOperationError(ExecutionErrorCode.InvalidOverride, 'batchSize: must be a whole number from 1 to 1000000', 'batchSize');
    }
    const key = options.idempotencyKey;
    if (key !== undefined && (key.length === 0 || key.length > MAX_KEY_LENGTH)) {
      throw new ExecutionOperationError(ExecutionErrorCode.InvalidOverride, `idempotencyKey: must be 1 to ${MAX_KEY_LENGTH} characters`, 'idempotencyKey');
    }
    let runner: LocalRunner | undefined;
    let here: { workerId: string; leaseUntil: Date } | undefined;
    for (const candidate of this.#runners) {
      here = candidate.reserve();
      if (here) {
        runner = candidate;
        break;
      }
    }
    let result: { execution: ExecutionRecord; created: boolean } | undefined;
    try {
      result = await this.store.insertRun(
        configId,
        {
          trigger: options.trigger ?? 'manual',
          requestedBy: options.requestedBy,
          idempotencyKey: key ?? null,
          dryRun: options.dryRun ?? false,
          batchSize: options.batchSize ?? null,
          queuedAt: this.clock.now(),
        },
        here,
        options.handOver ?? true,
      );
    } finally {
      const claimed = result?.created && here && result.execution.workerId === here.workerId && result.execution.status === 'running';
      if (result?.created) {
        // Recorded and claimed in one statement, it was queued first all the same: watchers see
        // it queued, then started by the worker.
        const { execution } = result;
        // So was one handed over to an idle worker elsewhere.
        this.events.emit('execution:queued', execution.status === 'running' ? asQueued(execution) : execution);
      }
      runner?.adopt(claimed ? result?.execution : undefined);
    }
    // No run: the config does not exist (get throws the not-found error callers expect).
    if (!result) {
      await this.configs.get(configId);
      throw new Error(`config '${configId}' vanished while a run was being queued`);
    }
    return result;
  }

  /**
   * The whole id an execution id or a unique prefix of one names (hex digits, at least
   * MIN_EXECUTION_ID_PREFIX, hyphens optional), checked before the store is asked.
   * @throws ExecutionOperationError EXECUTION_ID_INVALID, EXECUTION_NOT_FOUND, or EXECUTION_ID_AMBIGUOUS with its candidates.
   */
  async resolveId(idOrPrefix: string, field = 'executionId'): Promise<string> {
    const prefix = parseExecutionIdPrefix(idOrPrefix, field);
    if (prefix.whole) return prefix.lo;
    const ids = await this.store.findExecutionIds(prefix.lo, prefix.hi, MAX_ID_CANDIDATES + 1);
    const [only] = ids;
    if (only === undefined) throw notFound(idOrPrefix);
    if (ids.length === 1) return only;
    const listed = ids.slice(0, MAX_ID_CANDIDATES);
    const count = ids.length > MAX_ID_CANDIDATES ? `more than ${MAX_ID_CANDIDATES} executions; the first ${MAX_ID_CANDIDATES}` : `${ids.length} executions`;
    throw new ExecutionOperationError(
      ExecutionErrorCode.Ambiguous,
      `execution id '${idOrPrefix}' is ambiguous: it starts ${count}: ${listed.join(', ')}; give more of the id`,
      field,
      listed,
    );
  }

  /**
   * How many hex digits of each of `ids` to show so that each is unique among all executions
   * (so among the ids shown too), and at least MIN_EXECUTION_ID_PREFIX; the newest execution
   * shows its whole instant, so runs made after it do not share it (shownPrefixLength). One
   * length for all, so a table's column lines up. Should a run made in the same millisecond
   * share a shown prefix, it answers EXECUTION_ID_AMBIGUOUS with the candidates, never a wrong one.
   */
  async uniqueIdLength(ids: readonly string[]): Promise<number> {
    const neighbours = await this.store.executionIdNeighbours(ids);
    return Math.max(shortestUniquePrefixLength(ids), ...neighbours.map((n) => shownPrefixLength(n.id, n.before, n.after)));
  }

  /** Each of `ids` shortened on its own as uniqueIdLength does for a table: unique among all executions, the newest to its whole instant. */
  async shortIds(ids: readonly string[]): Promise<Map<string, string>> {
    const neighbours = await this.store.executionIdNeighbours(ids);
    return new Map(neighbours.map((n) => [n.id, abbreviateExecutionId(n.id, shownPrefixLength(n.id, n.before, n.after))]));
  }

  /** One execution by its id or a unique prefix of it (see resolveId). */
  async get(idOrPrefix: string, field = 'executionId'): Promise<ExecutionRecord> {
    const id = await this.resolveId(idOrPrefix, field);
    const execution = await this.store.getExecution(id);
    if (!execution) throw notFound(idOrPrefix);
    return execution;
  }

  async list(configId: string, options: { limit?: number; status?: ExecutionStatus } = {}): Promise<ExecutionRecord[]> {
    await this.configs.get(configId);
    const limit = Math.min(Math.max(1, options.limit ?? 20), MAX_PAGE);
    return this.store.listExecutions(configId, options.status ? { limit, status: options.status } : { limit });
  }

  async logs(idOrPrefix: string, options: { after?: number; limit?: number } = {}, field?: string): Promise<LogLine[]> {
    const { id } = await this.get(idOrPrefix, field);
    return this.store.listLogs(id, { after: options.after ?? 0, limit: Math.min(Math.max(1, options.limit ?? MAX_PAGE), MAX_PAGE) });
  }

  /** A queued execution ends at once; a running one is asked to stop (its worker aborts it). */
  async cancel(idOrPrefix: string, actor: string, field?: string): Promise<ExecutionRecord> {
    const execution = await this.get(idOrPrefix, field);
    const { id } = execution;
    if (isFinal(execution.status)) {
      throw new ExecutionOperationError(ExecutionErrorCode.AlreadyFinished, `execution '${id}' already ended as ${execution.status}`, 'executionId');
    }
    const now = this.clock.now();
    const cancelled = await this.store.cancelQueued(id, now, actor);
    if (cancelled) {
      this.events.emit('execution:finished', cancelled);
      return cancelled;
    }
    const requested = await this.store.requestCancel(id, now);
    if (!requested) return this.get(id);
    this.events.emit('execution:cancel-requested', { executionId: id });
    return requested;
  }

  /** Runs a finished execution's config again as a new run, linked to it. */
  async retry(idOrPrefix: string, actor: string, field?: string): Promise<ExecutionRecord> {
    const previous = await this.get(idOrPrefix, field);
    if (!isFinal(previous.status)) {
      throw new ExecutionOperationError(ExecutionErrorCode.NotFinished, `execution '${previous.id}' is still ${previous.status}`, 'executionId');
    }
    const config = await this.configs.get(previous.configId);
    const now = this.clock.now();
    const { execution } = await this.store.insertExecution({
      config,
      status: 'queued',
      trigger: 'retry',
      slot: previous.slot,
      attempt: 1,
      runId: null,
      retryOf: previous.id,
      requestedBy: actor,
      idempotencyKey: null,
      dryRun: previous.dryRun,
      batchSize: previous.batchSize,
      queuedAt: now,
      runAfter: now,
      summary: `Retry of ${previous.id} (${previous.status})`,
      result: null,
    });
    this.events.emit('execution:queued', execution);
    return execution;
  }
}
