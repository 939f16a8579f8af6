import type { Clock } from './engine/ports.js';

/**
 * The real clock. The one place the process reads wall time for the engine: every other
 * time read goes through the Clock it is given.
 */
export const systemClock: Clock = {
  now: () => new Date(),
  sleepUntil: (at, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      // setTimeout holds at most 2^31-1 ms; longer sleeps wake early and the caller re-checks.
      const timer = setTimeout(done, Math.min(Math.max(0, at.getTime() - Date.now()), 2 ** 31 - 1));
      function done() {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }
      function onAbort() {
        clearTimeout(timer);
        reject(signal?.reason);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
