import type { ExecutionView, JobStatus, JobView } from './api-client';

type Summary = NonNullable<JobView['lastExecution']> | ExecutionView;

/** Fixed locale: the console's wording ("Tomorrow 2:00 AM UTC") is English throughout. */
const LOCALE = 'en-US';

const formats = new Map<string, Intl.DateTimeFormat>();

/** Formatters are costly to build and a grid shows hundreds of times: one per zone and style. */
function formatter(locale: string, zone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${zone}|${JSON.stringify(options)}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { ...options, timeZone: zone });
    formats.set(key, format);
  }
  return format;
}

function dayKey(at: Date, zone: string): string {
  return formatter('en-CA', zone, { year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** The zone's short name at that instant ("UTC", "PST", "GMT+1"). */
function zoneName(at: Date, zone: string): string {
  const part = formatter(LOCALE, zone, { timeZoneName: 'short' }).formatToParts(at).find((p) => p.type === 'timeZoneName');
  return part?.value ?? zone;
}

/**
 * A run time as people say it, in the config's zone: "Today 2:00 AM UTC", "Tomorrow 3:00 AM
 * UTC", "Thu, Nov 26 2:00 AM UTC", and the year when it is not this one.
 */
export function formatRunTime(iso: string, zone: string, now: Date): string {
  const at = new Date(iso);
  const time = formatter(LOCALE, zone, { hour: 'numeric', minute: '2-digit' }).format(at);
  const day = dayKey(at, zone);
  const tomorrow = new Date(now.getTime() + 86_400_000);
  let date: string;
  if (day === dayKey(now, zone)) date = 'Today';
  else if (day === dayKey(tomorrow, zone)) date = 'Tomorrow';
  else {
    const sameYear = day.slice(0, 4) === dayKey(now, zone).slice(0, 4);
    date = formatter(LOCALE, zone, { weekday: 'short', month: 'short', day: 'numeric', ...(sameYear ? {} : { year: 'numeric' }) }).format(at);
  }
  return `${date} ${time} ${zoneName(at, zone)}`;
}

/** 154000 → "2m 34s"; 23000 → "23s"; 450 → "450 ms". */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

export const EXECUTION_LABEL: Record<string, string> = {
  queued: 'Queued',
  running: 'Running',
  success: 'Success',
  partial: 'Partial',
  failed: 'Failed',
  timeout: 'Timed out',
  cancelled: 'Cancelled',
  skipped: 'Skipped',
};

/** "Success (142 processed, 2m 34s)". */
export function formatLastRun(last: Summary | null): string {
  if (!last) return 'Never run';
  const label = EXECUTION_LABEL[last.status] ?? last.status;
  if (last.status === 'queued') return label;
  const parts = [`${last.items.processed} processed`];
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

export function formatDateTime(iso: string, zone?: string): string {
  return new Intl.DateTimeFormat(LOCALE, { ...(zone ? { timeZone: zone } : {}), dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}
