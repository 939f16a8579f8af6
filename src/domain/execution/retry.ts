import type { RetryConfig } from '../config/schema.js';

/**
 * Seconds to wait before attempt `attempt + 1` after attempt `attempt` (1-based) failed:
 * `initialDelaySeconds` (fixed) or `initialDelaySeconds·2^(attempt−1)` capped at
 * `maxDelaySeconds` (exponential).
 *
 * @example retryDelaySeconds({ backoffStrategy: 'exponential', initialDelaySeconds: 60, maxDelaySeconds: 3600, maxAttempts: 9 }, 3) // 240
 */
export function retryDelaySeconds(retry: RetryConfig, attempt: number): number {
  if (retry.backoffStrategy === 'fixed') return retry.initialDelaySeconds;
  return Math.min(retry.maxDelaySeconds, retry.initialDelaySeconds * 2 ** (attempt - 1));
}

export interface RetryPlan {
  retry: boolean;
  /** When the next attempt may start. */
  runAfter?: Date;
  nextAttempt?: number;
}

/** Whether a failed or timed-out attempt gets another, and when. */
export function planRetry(retry: RetryConfig, attempt: number, failedAt: Date): RetryPlan {
  if (attempt >= retry.maxAttempts) return { retry: false };
  return {
    retry: true,
    nextAttempt: attempt + 1,
    runAfter: new Date(failedAt.getTime() + retryDelaySeconds(retry, attempt) * 1000),
  };
}
