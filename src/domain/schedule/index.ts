import { compileSchedule } from './compile.js';
import { describeCompiled } from './describe.js';
import { slotsAfter } from './next-slots.js';
import type { CompiledSchedule } from './types.js';

export { ScheduleError, ScheduleErrorCode, cronFieldNames, type CronFieldName } from './schedule-error.js';
export { ScheduleKind, type CompiledSchedule, type WallTime } from './types.js';
export { SLOT_HORIZON_YEARS } from './next-slots.js';
export { isKnownTimeZone } from './time-zone.js';
export { shortestSlotIntervalSeconds, SHORT_INTERVAL_LIMIT_SECONDS } from './slot-interval.js';

/**
 * Parses a cron expression in an IANA zone by SCHEDULING.md's rules.
 * @throws ScheduleError whose `code` says why and whose message names the field and item.
 */
export function parseSchedule(cronExpression: string, timeZone: string): CompiledSchedule {
  return compileSchedule(cronExpression, timeZone);
}

/**
 * The next `count` slots strictly after `after`, in order (UTC instants, whole seconds).
 * Empty when the schedule does not fire within SLOT_HORIZON_YEARS in that zone (all its
 * wall times fall in daylight-saving gaps, say).
 * @throws ScheduleError for an invalid expression or zone.
 */
export function nextSlots(cronExpression: string, timeZone: string, after: Date, count: number): Date[] {
  return slotsAfter(compileSchedule(cronExpression, timeZone), after, count);
}

/** Plain language, e.g. "At 02:00, every day (UTC)". @throws ScheduleError when invalid. */
export function describeSchedule(cronExpression: string, timeZone: string): string {
  return describeCompiled(compileSchedule(cronExpression, timeZone));
}
export {
  planSchedulePreview,
  DEFAULT_PREVIEW_COUNT,
  DstRule,
  PreviewState,
  type DstAffectedRun,
  type MovedRun,
  type PreviewRun,
  type PreviewSide,
  type SchedulePreview,
  type SchedulePreviewInput,
  type SchedulePreviewOptions,
} from './preview.js';
