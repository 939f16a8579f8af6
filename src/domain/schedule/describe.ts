import cronstrue from 'cronstrue';
import type { CronSchedule } from './compile.js';

/**
 * Plain-language reading of a compiled schedule with its zone, e.g.
 * "At 02:00, every day (UTC)". cronstrue words the fields; the zone is ours.
 */
export function describeCompiled(schedule: CronSchedule): string {
  const { spec } = schedule;
  const fields = spec.normalized.split(' ');
  const dayOfWeek = spec.dayOfWeek;
  // `0-7` and the like select every day; say so rather than "Sunday through Sunday".
  if (dayOfWeek.values.every(Boolean) && dayOfWeek.nth.length === 0 && dayOfWeek.last.length === 0) fields[5] = '*';
  // cronstrue knows only `dL` for the last weekday d of the month; `d#L` means the same.
  else fields[5] = (fields[5] ?? '*').replace(/#L(?=,|$)/g, 'L');
  const expression = (schedule.hasSeconds ? fields : fields.slice(1)).join(' ');
  let words: string;
  try {
    words = cronstrue.toString(expression, { use24HourTimeFormat: true, verbose: true, throwExceptionOnParseError: true });
  } catch {
    words = `On the schedule '${schedule.cronExpression.trim()}'`;
  }
  // cronstrue reads both day fields as "either"; with a stepped day-of-month both must match.
  const [, , , dayOfMonthText = '*', , dayOfWeekText = '*'] = fields;
  if (!spec.eitherDayField && dayOfMonthText !== '*' && dayOfMonthText !== '?' && dayOfWeekText !== '*' && dayOfWeekText !== '?') {
    words = words.replace(', and on ', ', but only on ');
  }
  return `${words} (${schedule.timeZone})`;
}
