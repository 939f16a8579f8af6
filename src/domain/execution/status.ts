import { ExecutionStatus } from '../config/policies.js';

/** Statuses an execution never leaves. */
export const FINAL_STATUSES: readonly ExecutionStatus[] = [
  ExecutionStatus.Success,
  ExecutionStatus.Partial,
  ExecutionStatus.Failed,
  ExecutionStatus.Timeout,
  ExecutionStatus.Cancelled,
  ExecutionStatus.Skipped,
];

export function isFinal(status: ExecutionStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

/** Outcomes after which the retry policy applies. */
export function isRetryable(status: ExecutionStatus): boolean {
  return status === ExecutionStatus.Failed || status === ExecutionStatus.Timeout;
}

/** `partial` when some items failed and some succeeded, `failed` when all failed, else `success`. */
export function decideOutcome(items: { succeeded?: number; failed?: number }): ExecutionStatus {
  const failed = items.failed ?? 0;
  const succeeded = items.succeeded ?? 0;
  if (failed === 0) return ExecutionStatus.Success;
  return succeeded > 0 ? ExecutionStatus.Partial : ExecutionStatus.Failed;
}
