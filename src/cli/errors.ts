import { ConfigError, ConfigErrorCode } from '../domain/config/index.js';
import { ExecutionOperationError } from '../domain/execution/index.js';
import { GroveError, GroveErrorCode } from '../domain/grove/index.js';
import { ScheduleError } from '../domain/schedule/index.js';

/**
 * Exit codes: 0 success, 1 failure inside grove-jobs, 2 bad input or not found (nothing
 * changed), 3 stale version or (diff, apply) conflicts, 4 `diff`: something would change.
 */
export const ExitCode = { Ok: 0, Failure: 1, BadInput: 2, Conflict: 3, Changes: 4 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Bad command-line input; `field` names the option or argument. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** Ends a command with an exit code after it has printed its own outcome. */
export class CommandExit extends Error {
  override readonly name = 'CommandExit';
  constructor(readonly exitCode: ExitCode) {
    super(`exit ${exitCode}`);
  }
}

export interface ReportedError {
  exitCode: ExitCode;
  code: string;
  message: string;
  field?: string;
  /** For EXECUTION_ID_AMBIGUOUS: the whole ids the prefix starts (also listed in the message). */
  candidates?: string[];
}

/** Maps any error to its exit code and a one-line message. */
export function reportError(error: unknown): ReportedError {
  if (error instanceof ConfigError) {
    const reported: ReportedError = {
      exitCode: error.code === ConfigErrorCode.VersionConflict ? ExitCode.Conflict : ExitCode.BadInput,
      code: error.code,
      message: error.message,
    };
    if (error.field) reported.field = error.field;
    return reported;
  }
  if (error instanceof ExecutionOperationError) {
    const reported: ReportedError = { exitCode: ExitCode.BadInput, code: error.code, message: error.message };
    if (error.field) reported.field = error.field;
    if (error.candidates) reported.candidates = [...error.candidates];
    return reported;
  }
  if (error instanceof ScheduleError) {
    const reported: ReportedError = { exitCode: ExitCode.BadInput, code: error.code, message: error.message };
    if (error.field) reported.field = error.field;
    return reported;
  }
  if (error instanceof GroveError) {
    const reported: ReportedError = {
      exitCode: error.code === GroveErrorCode.Conflict ? ExitCode.Conflict : ExitCode.BadInput,
      code: error.code,
      message: error.message,
    };
    if (error.field) reported.field = error.field;
    return reported;
  }
  if (error instanceof UsageError) {
    return { exitCode: ExitCode.BadInput, code: 'USAGE', message: error.message, field: error.field };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { exitCode: ExitCode.Failure, code: 'INTERNAL', message: message.split('\n')[0] ?? message };
}
