import { reportHeader } from './report-header.js';
import type {
  AnyNotification,
  DigestNotification,
  ExecutionNotificationKind,
  HealthAlertNotification,
  Notification,
  Notifier,
} from '../engine/ports.js';

/** How loud each kind is: a paused config needs a person, a failure may still be retried. */
const LEVEL: Record<ExecutionNotificationKind, 'info' | 'warn' | 'error'> = {
  'execution.success': 'info',
  'execution.failure': 'warn',
  'config.paused': 'error',
};

/**
 * The line the log channel writes: flat, so log tools can filter on `configId` or `status`
 * without parsing nested objects. Built field by field, never by spreading the notification,
 * so that `webhookSecret` (and any field added to `Notification` later) cannot leak into logs.
 */
export interface NotificationLogLine {
  level: 'info' | 'warn' | 'error';
  event: 'notification';
  kind: ExecutionNotificationKind;
  at: string;
  configId: string;
  configVersion: number;
  displayName: string;
  executionId: string;
  status: string;
  trigger: string;
  attempt: number;
  slot: string | null;
  durationMs: number | null;
  /** The execution's error message; absent on success. */
  error?: string;
  consecutiveFailures?: number;
}

export function notificationLogLine(notification: Notification): NotificationLogLine {
  const { execution } = notification;
  return {
    level: LEVEL[notification.kind],
    event: 'notification',
    kind: notification.kind,
    at: notification.at,
    configId: notification.configId,
    configVersion: notification.configVersion,
    displayName: notification.displayName,
    executionId: execution.id,
    status: execution.status,
    trigger: execution.trigger,
    attempt: execution.attempt,
    slot: execution.slot,
    durationMs: execution.durationMs,
    error: execution.error?.message,
    consecutiveFailures: notification.consecutiveFailures,
  };
}

/**
 * A digest as one flat line: the window, the totals per section and who it is for. The items
 * themselves go to the webhook; a log line holding a hundred advancements helps nobody.
 */
export interface DigestLogLine {
  level: 'info';
  event: 'notification';
  kind: DigestNotification['kind'];
  at: string;
  configId: string;
  configVersion: number;
  displayName: string;
  executionId: string;
  since: string;
  until: string;
  recipientIds: string[];
  sections: string[];
  failures?: number;
  advancements?: number;
  rollbacks?: number;
}

export function digestLogLine(notification: DigestNotification): DigestLogLine {
  const { digest } = notification;
  return {
    level: 'info',
    event: 'notification',
    ...reportHeader(notification),
    since: digest.since,
    until: digest.until,
    recipientIds: [...digest.recipientIds],
    sections: [...digest.sections],
    ...(digest.failures ? { failures: digest.failures.total } : {}),
    ...(digest.advancements ? { advancements: digest.advancements.total } : {}),
    ...(digest.rollbacks ? { rollbacks: digest.rollbacks.total } : {}),
  };
}

/** A health alert as one line: `error` when a check is critical, else `warn`. */
export interface HealthAlertLogLine {
  level: 'warn' | 'error';
  event: 'notification';
  kind: HealthAlertNotification['kind'];
  at: string;
  configId: string;
  configVersion: number;
  displayName: string;
  executionId: string;
  threshold: string;
  worst: string;
  checks: Array<{ name: string; status: string; message: string }>;
}

export function healthAlertLogLine(notification: HealthAlertNotification): HealthAlertLogLine {
  return {
    level: notification.worst === 'critical' ? 'error' : 'warn',
    event: 'notification',
    ...reportHeader(notification),
    threshold: notification.threshold,
    worst: notification.worst,
    checks: notification.checks.map((check) => ({ name: check.name, status: check.status, message: check.message })),
  };
}

/** The log line of any notification kind. */
export function anyNotificationLogLine(notification: AnyNotification): NotificationLogLine | DigestLogLine | HealthAlertLogLine {
  switch (notification.kind) {
    case 'digest.ready':
      return digestLogLine(notification);
    case 'health.alert':
      return healthAlertLogLine(notification);
    default:
      return notificationLogLine(notification);
  }
}

/** What the log channel needs of a structured logger (pino's fits): an entry at a level, then its message. */
export interface NotificationLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** A one-line sentence for a notification's log entry, for people reading the log; the fields carry the facts. */
export function notificationMessage(line: NotificationLogLine | DigestLogLine | HealthAlertLogLine): string {
  switch (line.kind) {
    case 'execution.success':
      return `${line.configId}: execution ${line.executionId} succeeded (attempt ${line.attempt})`;
    case 'execution.failure':
      return `${line.configId}: execution ${line.executionId} ended ${line.status} (attempt ${line.attempt})${line.error ? `: ${line.error}` : ''}`;
    case 'config.paused':
      return `${line.configId}: paused after ${line.consecutiveFailures ?? 'several'} failed runs in a row`;
    case 'digest.ready':
      return `${line.configId}: digest from ${line.since} to ${line.until} is ready`;
    case 'health.alert':
      return `${line.configId}: health ${line.worst} (${line.checks.map((check) => `${check.name}: ${check.message}`).join('; ')})`;
  }
}

/**
 * The log channel, for every notification it is given. Given a function, it writes one JSON
 * line per notification (no trailing newline; `write` adds what its sink needs); given a
 * logger, one entry at the line's level with the same fields and a message (the CLI passes
 * its pino logger, so notifications have the shape of the rest of its log). Channel selection
 * is the caller's: `createNotifier` only passes notifications whose channels include `log`.
 */
export function createLogNotifier(write: ((line: string) => void) | NotificationLogger): Notifier<AnyNotification> {
  return {
    notify(notification) {
      const line = anyNotificationLogLine(notification);
      if (typeof write === 'function') {
        write(JSON.stringify(line));
        return;
      }
      const { level, ...fields } = line;
      write[level](fields, notificationMessage(line));
    },
    // Writes are synchronous: nothing is ever in flight.
    flush: () => Promise.resolve(),
  };
}
