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
  /** A scheduler's or worker's pass failed (the store out of reach, say); it tries again after a pause. */
  'engine:error': { source: 'scheduler' | 'worker'; id: string; message: string };
}

export type EngineEventName = keyof EngineEventMap;

export class EngineEvents {
  readonly #emitter = new EventEmitter().setMaxListeners(0);

  on<K extends EngineEventName>(name: K, listener: (payload: EngineEventMap[K]) => void): () => void {
    this.#emitter.on(name, listener);
    return () => this.#emitter.off(name, listener);
  }

  emit<K extends EngineEventName>(name: K, payload: EngineEventMap[K]): void {
    this.#emitter.emit(name, payload);
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
