// Types straight from the server's views, as api-client has them: this module needs no DOM (test/web-unit runs it in Node).
import type { ExecutionView, JobView } from '../../src/api/views.js';
import type { ExecutionStatus } from '../../src/domain/config/policies.js';

type JobStatus = JobView['status'];

type Summary = NonNullable<JobView['lastExecution']> | ExecutionView;

/** Fixed locale: the console's wording ("Tomorrow 2:00 AM UTC") is English throughout. */
const LOCALE = 'en-US';

/** The date-time styles the console shows; `day` is a sortable day key ("2026-11-26"). */
const STYLES = {
  day: ['en-CA', { year: 'numeric', month: '2-digit', day: '2-digit' }],
  // "2:00 AM UTC": the zone's short name at that instant ("UTC", "PST", "GMT+1").
  time: [LOCALE, { hour: 'numeric', minute: '2-digit', timeZoneName: 'short' }],
  date: [LOCALE, { weekday: 'short', month: 'short', day: 'numeric' }],
  dateWithYear: [LOCALE, { weekday: 'short', month: 'short', day: 'numeric', year: 'numeric' }],
} satisfies Record<string, [string, Intl.DateTimeFormatOptions]>;
type Style = keyof typeof STYLES;

const formats = new Map<string, Intl.DateTimeFormat>();

/** Formatters are costly to build and a grid shows hundreds of times: one per style and zone. */
function formatter(style: Style, zone: string): Intl.DateTimeFormat {
  const key = `${style}|${zone}`;
  let format = formats.get(key);
  if (!format) {
    const [locale, options] = STYLES[style];
    format = new Intl.DateTimeFormat(locale, { ...options, timeZone: zone });
    formats.set(key, format);
  }
  return format;
}

function dayKey(at: Date, zone: string): string {
  return formatter('day', zone).format(at);
}

/** Today's and tomorrow's day keys per zone for one `now`: a grid reads all its cards at the same instant. */
let around: { now: number; days: Map<string, { today: string; tomorrow: string }> } = { now: Number.NaN, days: new Map() };

function daysAround(now: Date, zone: string): { today: string; tomorrow: string } {
  if (around.now !== now.getTime()) around = { now: now.getTime(), days: new Map() };
  let days = around.days.get(zone);
  if (!days) {
    days = { today: dayKey(now, zone), tomorrow: dayKey(new Date(now.getTime() + 86_400_000), zone) };
    around.days.set(zone, days);
  }
  return days;
}

/**
 * A run time as people say it, in the config's zone: "Today 2:00 AM UTC", "Tomorrow 3:00 AM
 * UTC", "Thu, Nov 26 2:00 AM UTC", and the year when it is not this one.
 */
export function formatRunTime(iso: string, zone: string, now: Date): string {
  const at = new Date(iso);
  const day = dayKey(at, zone);
  const { today, tomorrow } = daysAround(now, zone);
  let date: string;
  if (day === today) date = 'Today';
  else if (day === tomorrow) date = 'Tomorrow';
  else date = formatter(day.slice(0, 4) === today.slice(0, 4) ? 'date' : 'dateWithYear', zone).format(at);
  return `${date} ${formatter('time', zone).format(at)}`;
}

/** 154000 → "2m 34s"; 23000 → "23s"; 450 → "450 ms"; null → "—". */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

export const EXECUTION_LABEL: Record<ExecutionStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  success: 'Success',
  partial: 'Partial',
  failed: 'Failed',
  timeout: 'Timed out',
  cancelled: 'Cancelled',
  skipped: 'Skipped',
};

/**
 * "Success (142 processed, 2m 34s)"; a dry run says so first: "Success (dry run, 142 processed, 19 ms)".
 * With the job type's counter labels the counts use its words, and a type that names its
 * successes shows them too: "Success (dry run, 150 evaluated, 93 advanced, 19 ms)".
 */
export function formatLastRun(last: Summary | null, labels?: { processed: string; succeeded: string }): string {
  if (!last) return 'Never run';
  const label = (EXECUTION_LABEL as Record<string, string>)[last.status] ?? last.status;
  if (last.status === 'queued') return last.dryRun ? `${label} (dry run)` : label;
  const parts = [...(last.dryRun ? ['dry run'] : []), `${last.items.processed} ${(labels?.processed ?? 'Processed').toLowerCase()}`];
  if (labels && labels.succeeded !== 'Succeeded') {
    parts.push(`${last.items.succeeded} ${labels.succeeded.toLowerCase()}`);
  }
  if (last.durationMs !== null) parts.push(formatDuration(last.durationMs));
  return `${label} (${parts.join(', ')})`;
}

export const STATUS_LABEL: Record<JobStatus, string> = {
  healthy: 'Healthy',
  failing: 'Failing',
  running: 'Running',
  disabled: 'Disabled',
  critical: 'Critical',
};

const dateTimes = new Map<string, Intl.DateTimeFormat>();

/** "Nov 26, 2026, 2:00 AM" in `zone` (the viewer's when none): one formatter per zone. */
export function formatDateTime(iso: string, zone?: string): string {
  const key = zone ?? '';
  let format = dateTimes.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(LOCALE, { ...(zone ? { timeZone: zone } : {}), dateStyle: 'medium', timeStyle: 'short' });
    dateTimes.set(key, format);
  }
  return format.format(new Date(iso));
}

const instantUtc = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'short',
});

/** "7 Dec 2026, 14:02 UTC": when a record was written, the same for every viewer (as the CLI prints it). */
export function formatInstantUtc(iso: string): string {
  return instantUtc.format(new Date(iso));
}

/**
 * A count with its noun, singular for one: plural(1, 'run') → "1 run", plural(3, 'run') → "3 runs",
 * plural(2, 'entry', 'entries') → "2 entries". The one place the console chooses the form.
 */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count.toLocaleString(LOCALE)} ${count === 1 ? singular : pluralForm}`;
}

/** Field names the server uses whose last segment does not read well on its own. */
const FIELD_NAMES: Record<string, string> = {
  'meta.id': 'Id',
  'payload.schedule.isEnabled': 'Schedule active',
  'payload.schedule.timezone': 'Time zone',
  'payload.notifications.pauseAfterConsecutiveFailures': 'Pause after failed runs in a row',
};

/** A config path as the form labels it: "payload.limits.batchSize" → "Batch size". */
export function fieldName(path: string): string {
  const known = FIELD_NAMES[path];
  if (known) return known;
  const last = path.split('.').filter((part) => !/^\d+$/.test(part)).at(-1) ?? path;
  const words = last.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[-_]+/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Validation wording (zod's among it) → what a person reads after the field's name. */
const MESSAGE_RULES: Array<[RegExp, (match: RegExpExecArray) => string]> = [
  [/^Too small: expected string to have >=1 characters?$/, () => 'is required'],
  [/^Too small: expected string to have >=(\d+) characters?$/, (m) => `must be at least ${plural(Number(m[1]), 'character')}`],
  [/^Too big: expected string to have <=(\d+) characters?$/, (m) => `must be at most ${plural(Number(m[1]), 'character')}`],
  [/^Too small: expected (?:number|int) to be >=?(-?[\d.]+)$/, (m) => `must be at least ${m[1]}`],
  [/^Too big: expected (?:number|int) to be <=?(-?[\d.]+)$/, (m) => `must be at most ${m[1]}`],
  [/^Too small: expected array to have >=(\d+) items?$/, (m) => `needs at least ${plural(Number(m[1]), 'entry', 'entries')}`],
  [/^Invalid input: expected \w+, received undefined$/, () => 'is required'],
  [/^Invalid input: expected (\w+), received (\w+)$/, (m) => `must be ${m[1] === 'int' ? 'a whole number' : `a ${m[1]}`}`],
  [/^Invalid string: must match pattern .*$/, () => 'has characters that are not allowed'],
];

/** Error codes whose message the console words itself. */
const CODE_MESSAGES: Record<string, string> = {
  CONFIG_NOT_FOUND: 'There is no job with this id: it may have been deleted or renamed.',
  EXECUTION_NOT_FOUND: 'There is no run with this id.',
  CONFIG_VERSION_NOT_FOUND: 'This job has no such version.',
};

/**
 * What an error says of its field, as shown under the field itself ("is required"): the field's
 * path in front of the message (once or more) is dropped, schema wording is put in words.
 */
export function fieldMessage(text: string, field?: string): string {
  let message = text.trim();
  while (field && message.startsWith(`${field}: `)) message = message.slice(field.length + 2);
  for (const [pattern, word] of MESSAGE_RULES) {
    const match = pattern.exec(message);
    if (match) return word(match);
  }
  return message;
}

/**
 * An API error as a sentence: "Id is required" rather than "meta.id: Too small: expected string
 * to have >=1 characters", and no bare codes. The field's own prefix in the message is dropped.
 */
export function humanError(error: { message: string; code?: string | undefined; field?: string | undefined }): string {
  const coded = error.code ? CODE_MESSAGES[error.code] : undefined;
  if (coded) return coded;
  const message = fieldMessage(error.message, error.field);
  if (!error.field) return message.charAt(0).toUpperCase() + message.slice(1);
  // "Id is required" reads on; any other wording follows the field's name after a colon.
  const name = fieldName(error.field);
  return /^(is|must|needs|has)\b/.test(message) ? `${name} ${message}` : `${name}: ${message}`;
}
