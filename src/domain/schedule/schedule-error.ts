/**
 * Refusal codes for cron expressions and time zones (SCHEDULING.md, "Expressions").
 * A const object plus its derived union, reused by the API, the CLI and the console.
 */
export const ScheduleErrorCode = {
  Empty: 'E_EMPTY',
  Fields: 'E_FIELDS',
  Syntax: 'E_SYNTAX',
  Range: 'E_RANGE',
  Step: 'E_STEP',
  Name: 'E_NAME',
  Macro: 'E_MACRO',
  Unsupported: 'E_UNSUPPORTED',
  Never: 'E_NEVER',
  TimeZone: 'E_TZ',
} as const;
export type ScheduleErrorCode = (typeof ScheduleErrorCode)[keyof typeof ScheduleErrorCode];

/**
 * Thrown by `parseSchedule` when an expression or zone is refused. `message` names the
 * field and the offending item (e.g. "minute value 61 is out of range 0-59"); `field` is the
 * cron field concerned when there is one, `timezone` for E_TZ.
 */
export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
  constructor(
    readonly code: ScheduleErrorCode,
    message: string,
    readonly field?: CronFieldName | 'expression' | 'timezone',
  ) {
    super(message);
  }
}

export const cronFieldNames = [
  'second',
  'minute',
  'hour',
  'day-of-month',
  'month',
  'day-of-week',
] as const;
export type CronFieldName = (typeof cronFieldNames)[number];
