/** Stable codes for execution operations; the API maps them to HTTP statuses. */
export const ExecutionErrorCode = {
  NotFound: 'EXECUTION_NOT_FOUND',
  NotFinished: 'EXECUTION_NOT_FINISHED',
  AlreadyFinished: 'EXECUTION_ALREADY_FINISHED',
  InvalidOverride: 'EXECUTION_INVALID_OVERRIDE',
} as const;
export type ExecutionErrorCode = (typeof ExecutionErrorCode)[keyof typeof ExecutionErrorCode];

export class ExecutionOperationError extends Error {
  override readonly name = 'ExecutionOperationError';
  constructor(
    readonly code: ExecutionErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}
