import { describe, expect, it } from 'vitest';
import { STORE_RETRY_MAX_MS, storeRetryDelayMs } from './store-backoff.js';

describe('storeRetryDelayMs', () => {
  it.each([
    { failures: 1, jitter: 0, ms: 250 },
    { failures: 2, jitter: 0, ms: 500 },
    { failures: 3, jitter: 0, ms: 1000 },
    { failures: 3, jitter: 0.5, ms: 875 },
    { failures: 5, jitter: 0, ms: 4000 },
    { failures: 6, jitter: 0, ms: 5000 },
    { failures: 6, jitter: 0.999, ms: 3751 },
    { failures: 1000, jitter: 0, ms: 5000 },
    { failures: 0, jitter: 0, ms: 250 },
  ])('waits $ms ms after $failures failure(s) with jitter $jitter', ({ failures, jitter, ms }) => {
    expect(storeRetryDelayMs(failures, jitter)).toBe(ms);
  });

  it('never waits longer than the cap nor less than three quarters of it once there', () => {
    for (let failures = 6; failures < 60; failures++) {
      for (const jitter of [0, 0.3, 0.99999]) {
        const ms = storeRetryDelayMs(failures, jitter);
        expect(ms).toBeLessThanOrEqual(STORE_RETRY_MAX_MS);
        expect(ms).toBeGreaterThanOrEqual(STORE_RETRY_MAX_MS * 0.75);
      }
    }
  });
});
