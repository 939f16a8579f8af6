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

/** "Success (142 processed, 2m 34s)"; a dry run says so first: "Success (dry run, 142 processed, 19 ms)". */
export function formatLastRun(last: Summary | null): string {
  if (!last) return 'Never run';
  const label = (EXECUTION_LABEL as Record<string, string>)[last.status] ?? last.status;
  if (last.status === 'queued') return last.dryRun ? `${label} (dry run)` : label;
  const parts = [...(last.dryRun ? ['dry run'] : []), `${last.items.processed} processed`];
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
