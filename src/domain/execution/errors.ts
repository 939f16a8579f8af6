/** Stable codes for execution operations; the API maps them to HTTP statuses. */
export const ExecutionErrorCode = {
  NotFound: 'EXECUTION_NOT_FOUND',
  NotFinished: 'EXECUTION_NOT_FINISHED',
  AlreadyFinished: 'EXECUTION_ALREADY_FINISHED',
  InvalidOverride: 'EXECUTION_INVALID_OVERRIDE',
  /** Not an execution id or a prefix of one (hex digits, at least the minimum). */
  InvalidId: 'EXECUTION_ID_INVALID',
  /** An id prefix that more than one execution starts with; `candidates` names them. */
  Ambiguous: 'EXECUTION_ID_AMBIGUOUS',
} as const;
export type ExecutionErrorCode = (typeof ExecutionErrorCode)[keyof typeof ExecutionErrorCode];

export class ExecutionOperationError extends Error {
  override readonly name = 'ExecutionOperationError';
  constructor(
    readonly code: ExecutionErrorCode,
    message: string,
    readonly field?: string,
    /** For EXECUTION_ID_AMBIGUOUS: whole ids the prefix matches, in id (creation) order. */
    readonly candidates?: readonly string[],
  ) {
    super(message);
  }
}
