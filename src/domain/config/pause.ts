import { type ConfigIssue, invalidConfig } from './errors.js';

/** Longest pause reason kept (characters): a line for a list, not a document. */
export const MAX_PAUSE_REASON_LENGTH = 500;

/**
 * An ISO 8601 date-time with a zone (Z or ±hh:mm): an end without one would depend on the
 * zone of whoever typed it.
 */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/** Whether the calendar date of an ISO date-time exists (Date rolls 2026-02-30 over to March). */
function realDate(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** A checked pause: a trimmed reason and an end instant (null: until resumed). */
export interface PausePlan {
  reason: string;
  until: Date | null;
}

/**
 * Checks a pause request at `now`: the reason is required (non-empty after trimming, at most
 * MAX_PAUSE_REASON_LENGTH); `until`, when given, is an ISO 8601 instant after `now`. Throws a
 * CONFIG_INVALID ConfigError naming `reason` or `until`.
 *
 * @example
 * planPause({ reason: 'database upgrade', until: '2026-03-01T06:00:00Z' }, new Date('2026-03-01T05:00:00Z'))
 * // → { reason: 'database upgrade', until: 2026-03-01T06:00:00.000Z }
 */
export function planPause(input: { reason?: unknown; until?: unknown }, now: Date): PausePlan {
  const issues: ConfigIssue[] = [];
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  if (reason === '') issues.push({ path: 'reason', message: 'is required: say why the job is paused' });
  else if (reason.length > MAX_PAUSE_REASON_LENGTH) issues.push({ path: 'reason', message: `is ${reason.length} characters; at most ${MAX_PAUSE_REASON_LENGTH}` });
  let until: Date | null = null;
  if (input.until !== undefined && input.until !== null) {
    const text = typeof input.until === 'string' ? input.until.trim() : '';
    const parsed = ISO_INSTANT.test(text) && realDate(text) ? new Date(text) : undefined;
    if (!parsed || Number.isNaN(parsed.getTime())) {
      issues.push({ path: 'until', message: 'must be an ISO 8601 date-time with a zone, such as 2026-03-01T06:00:00Z or 2026-03-01T07:00:00+01:00' });
    } else if (parsed.getTime() <= now.getTime()) {
      issues.push({ path: 'until', message: `must be in the future (it is ${now.toISOString()} now)` });
    } else {
      until = parsed;
    }
  }
  if (issues.length > 0) throw invalidConfig(issues);
  return { reason, until };
}
