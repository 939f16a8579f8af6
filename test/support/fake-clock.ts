import type { Clock } from '../../src/engine/ports.js';

interface Sleeper {
  at: number;
  resolve: () => void;
}

/** A clock that moves only when told to, waking sleepers in time order. */
export class FakeClock implements Clock {
  #now: number;
  #sleepers: Sleeper[] = [];
  #onSleep: Array<(at: number) => void> = [];

  constructor(start: string | Date = '2026-01-01T00:00:00Z') {
    this.#now = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  sleepUntil(at: Date, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (at.getTime() <= this.#now) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(signal?.reason);
      };
      // Woken by the clock: the abort listener goes, as the system clock's does (a long-lived
      // signal would otherwise gather one per sleep).
      const sleeper: Sleeper = {
        at: at.getTime(),
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.#sleepers.push(sleeper);
      for (const listener of [...this.#onSleep]) listener(sleeper.at);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Resolves once something sleeps until `at` (or already does): lets a test advance only after a timer is set. */
  untilSleeping(at: string | Date): Promise<void> {
    const target = new Date(at).getTime();
    if (this.#sleepers.some((s) => s.at === target)) return Promise.resolve();
    return new Promise((resolve) => {
      const listener = (sleeperAt: number) => {
        if (sleeperAt !== target) return;
        this.#onSleep = this.#onSleep.filter((l) => l !== listener);
        resolve();
      };
      this.#onSleep.push(listener);
    });
  }

  /** Moves to `at`, waking each due sleeper in time order (and letting it run) on the way. */
  async advanceTo(at: string | Date): Promise<void> {
    const target = new Date(at).getTime();
    if (target < this.#now) throw new Error('FakeClock cannot go backwards; use setBackwards to test clock reversal');
    for (;;) {
      const due = this.#sleepers.filter((s) => s.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#sleepers = this.#sleepers.filter((s) => s !== due);
      this.#now = Math.max(this.#now, due.at);
      due.resolve();
      // Let the woken task run before the next one wakes.
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.#now = target;
  }

  advanceBy(ms: number): Promise<void> {
    return this.advanceTo(new Date(this.#now + ms));
  }

  /** Sets the time without waking anyone, forwards or backwards. */
  setBackwards(at: string | Date): void {
    this.#now = new Date(at).getTime();
  }
}
