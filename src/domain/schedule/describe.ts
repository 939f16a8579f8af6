import cronstrue from 'cronstrue';
import type { CronSchedule } from './compile.js';

/**
 * Plain-language reading of a compiled schedule with its zone, e.g.
 * "At 02:00, every day (UTC)". cronstrue words the fields; the zone is ours.
 */
export function describeCompiled(schedule: CronSchedule): string {
  const fields = schedule.spec.normalized.split(' ');
  const expression = (schedule.hasSeconds ? fields : fields.slice(1)).join(' ');
  let words: string;
  try {
    words = cronstrue.toString(expression, { use24HourTimeFormat: true, verbose: true, throwExceptionOnParseError: true });
  } catch {
    words = `On the schedule '${schedule.cronExpression.trim()}'`;
  }
  return `${words} (${schedule.timeZone})`;
}
