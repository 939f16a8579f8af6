/** The first retry of a failed store call waits this long (ms). */
export const STORE_RETRY_FIRST_MS = 250;
/**
 * No retry of a failed store call waits longer (ms): once the database is back, every loop
 * reaches it within this long, and the first to succeed wakes the others.
 */
export const STORE_RETRY_MAX_MS = 5000;
/** Each wait is shortened by up to this share at random, so processes that lost one server do not retry in step. */
const JITTER_SHARE = 0.25;

/**
 * How long a loop waits (ms) before trying the store again after `failures` failed calls in a
 * row (1 after the first): 250 ms doubling to 5 s, less up to a quarter by `jitter`, a number
 * in [0, 1) (Math.random in the loops, fixed in tests).
 *
 * @example storeRetryDelayMs(1, 0) // 250
 * @example storeRetryDelayMs(3, 0.5) // 875: 1000 less an eighth
 * @example storeRetryDelayMs(40, 0) // 5000
 */
export function storeRetryDelayMs(failures: number, jitter: number): number {
  const base = Math.min(STORE_RETRY_MAX_MS, STORE_RETRY_FIRST_MS * 2 ** Math.min(Math.max(0, failures - 1), 16));
  return Math.round(base * (1 - JITTER_SHARE * Math.min(Math.max(jitter, 0), 1)));
}
