/**
 * Stable error codes for job-config operations; the API maps each to an HTTP status and the
 * CLI to exit code 2 (bad input) or 1.
 */
export const ConfigErrorCode = {
  Invalid: 'CONFIG_INVALID',
  NotFound: 'CONFIG_NOT_FOUND',
  Exists: 'CONFIG_EXISTS',
  VersionConflict: 'CONFIG_VERSION_CONFLICT',
  VersionNotFound: 'CONFIG_VERSION_NOT_FOUND',
} as const;
export type ConfigErrorCode = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];

/** One refusal: `path` is the dotted field path, e.g. `payload.schedule.cronExpression`. */
export interface ConfigIssue {
  path: string;
  message: string;
  /** A ScheduleError code when the cron expression or zone was refused. */
  code?: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly code: ConfigErrorCode,
    message: string,
    readonly issues: readonly ConfigIssue[] = [],
  ) {
    super(message);
  }

  /** The first failing field, for one-line reports. */
  get field(): string | undefined {
    return this.issues[0]?.path;
  }
}

export function invalidConfig(issues: readonly ConfigIssue[]): ConfigError {
  const first = issues[0];
  const summary = first ? `${first.path}: ${first.message}` : 'invalid job config';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return new ConfigError(ConfigErrorCode.Invalid, summary + more, issues);
}
