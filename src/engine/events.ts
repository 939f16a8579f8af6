import { EventEmitter } from 'node:events';
import type { ExecutionItems, ExecutionRecord } from './ports.js';

/** The engine's typed events (`noun:verb`): the API turns them into SSE and metrics. */
export interface EngineEventMap {
  'execution:queued': ExecutionRecord;
  'execution:started': ExecutionRecord;
  'execution:progress': { executionId: string; configId: string; items: ExecutionItems };
  'execution:log': { executionId: string; configId: string; level: string; message: string };
  'execution:finished': ExecutionRecord;
  'execution:cancel-requested': { executionId: string };
  'slot:claimed': { configId: string; slot: Date; decision: string; executionId: string | null; lateMs: number };
  'slot:skipped': { configId: string; slot: Date; reason: 'overlap'; executionId: string | null };
  /** `missedSlots`: on a summary record, how many missed slots from `slot` on it stands for. */
  'slot:missed': { configId: string; slot: Date; executionId: string | null; missedSlots?: number };
  'config:changed': { configId: string };
  'config:paused': { configId: string; consecutiveFailures: number };
  /** A pause ended: resumed by `by`, or (by null) at the end it was given, by the scheduler. */
  'config:resumed': { configId: string; at: Date; by: string | null };
  /** A call of a scheduler's or worker's loop to the store failed (out of reach, say); the loop tries again shortly. */
  'engine:error': EngineErrorSource & { message: string };
  /**
   * The store out of this process's reach: `started` at the first failed call, `ended` at the
   * first call that succeeds after it (with how long it lasted), once each however many
   * retries come between (see EngineEvents.storeFailed).
   */
  'engine:outage':
    | (EngineErrorSource & { state: 'started'; at: Date; message: string })
    | (EngineErrorSource & { state: 'ended'; at: Date; startedAt: Date; durationMs: number });
}

/** The loop that reports: which part of the engine, and the scheduler's or worker's id. */
export interface EngineErrorSource {
  source: 'scheduler' | 'worker';
  id: string;
}

export type EngineEventName = keyof EngineEventMap;

export class EngineEvents {
  readonly #emitter = new EventEmitter().setMaxListeners(0);
  /** When the outage under way began (ms since epoch), if one is. */
  #outageSince: number | undefined;
  #outageEndedAt = Number.NEGATIVE_INFINITY;

  on<K extends EngineEventName>(name: K, listener: (payload: EngineEventMap[K]) => void): () => void {
    this.#emitter.on(name, listener);
    return () => this.#emitter.off(name, listener);
  }

  emit<K extends EngineEventName>(name: K, payload: EngineEventMap[K]): void {
    this.#emitter.emit(name, payload);
  }

  /**
   * A loop's call to the store, begun at `began`, failed at `at`: an engine error, and the
   * start of an outage unless one is under way. A call begun before the last outage ended
   * and failing after it is a straggler of that outage, not a new one.
   */
  storeFailed(from: EngineErrorSource, error: unknown, began: Date, at: Date): void {
    const message = error instanceof Error ? error.message : String(error);
    this.emit('engine:error', { ...from, message });
    if (this.#outageSince !== undefined || began.getTime() < this.#outageEndedAt) return;
    this.#outageSince = at.getTime();
    this.emit('engine:outage', { ...from, state: 'started', at, message });
  }

  /**
   * A loop whose calls had failed reached the store again at `at`: the outage under way, if
   * any, ends (the first loop back ends it for every loop of the process).
   */
  storeReached(from: EngineErrorSource, at: Date): void {
    const since = this.#outageSince;
    if (since === undefined) return;
    this.#outageSince = undefined;
    this.#outageEndedAt = at.getTime();
    this.emit('engine:outage', { ...from, state: 'ended', at, startedAt: new Date(since), durationMs: Math.max(0, at.getTime() - since) });
  }

  /** Resolves with the first event of `name` that satisfies `predicate`. */
  waitFor<K extends EngineEventName>(name: K, predicate: (payload: EngineEventMap[K]) => boolean = () => true): Promise<EngineEventMap[K]> {
    return new Promise((resolve) => {
      const off = this.on(name, (payload) => {
        if (!predicate(payload)) return;
        off();
        resolve(payload);
      });
    });
  }
}
