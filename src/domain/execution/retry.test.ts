import { describe, expect, it } from 'vitest';
import { planRetry, retryDelaySeconds } from './retry.js';
import { decideOutcome } from './status.js';

const exponential = { maxAttempts: 6, backoffStrategy: 'exponential' as const, initialDelaySeconds: 60, maxDelaySeconds: 300 };
const fixed = { maxAttempts: 3, backoffStrategy: 'fixed' as const, initialDelaySeconds: 45, maxDelaySeconds: 45 };

describe('retry delays', () => {
  it.each([
    [1, 60],
    [2, 120],
    [3, 240],
    [4, 300],
    [5, 300],
  ])('exponential: after attempt %i wait %i s (initial·2^(attempt−1), capped)', (attempt, seconds) => {
    expect(retryDelaySeconds(exponential, attempt)).toBe(seconds);
  });

  it('fixed: the same delay after every attempt', () => {
    expect([1, 2].map((a) => retryDelaySeconds(fixed, a))).toEqual([45, 45]);
  });

  it('plans the next attempt while attempts remain, counting the first', () => {
    const failedAt = new Date('2026-11-23T10:00:00Z');
    expect(planRetry(fixed, 1, failedAt)).toEqual({ retry: true, nextAttempt: 2, runAfter: new Date('2026-11-23T10:00:45Z') });
    expect(planRetry(fixed, 3, failedAt)).toEqual({ retry: false });
  });
});

describe('decideOutcome', () => {
  it.each([
    [{ succeeded: 5, failed: 0 }, 'success'],
    [{ succeeded: 3, failed: 2 }, 'partial'],
    [{ succeeded: 0, failed: 2 }, 'failed'],
    [{}, 'success'],
  ])('%o → %s', (items, status) => {
    expect(decideOutcome(items)).toBe(status);
  });
});
