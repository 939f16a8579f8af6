import type { ConfigChange, JobConfig } from '../domain/config/index.js';
import { planSchedulePreview, type SchedulePreview } from '../domain/schedule/index.js';
import type { ConfigService } from './config-service.js';

/** What a change would do to a config's schedule, and the fields it sets (secrets redacted). */
export interface ChangePreview extends SchedulePreview {
  changes: ConfigChange[];
}

/** Runs listed per side: the schedule domain's default ten. */
const PREVIEW_RUNS = 10;

const scheduleOf = (config: JobConfig) => ({
  cronExpression: config.payload.schedule.cronExpression,
  timezone: config.payload.schedule.timezone,
  isEnabled: config.payload.schedule.isEnabled,
});

/**
 * The what-if of changing `current` to `candidate`, stored nowhere: the candidate goes through
 * the very preparation a save makes (ConfigService.prepareChange), so it is refused with the
 * same field-named ConfigErrors, and its write is dropped.
 */
export function previewChange(configs: ConfigService, current: JobConfig, candidate: unknown, now: Date, actor: string): ChangePreview {
  const { write } = configs.prepareChange(current, {}, candidate, { actor });
  const after = write?.config ?? current;
  return { ...planSchedulePreview(scheduleOf(current), scheduleOf(after), now, { count: PREVIEW_RUNS }), changes: write?.changes ?? [] };
}
