import type { Notification, NotificationKind, Notifier } from '../engine/ports.js';

/** How loud each kind is: a paused config needs a person, a failure may still be retried. */
const LEVEL: Record<NotificationKind, 'info' | 'warn' | 'error'> = {
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
  kind: NotificationKind;
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
 * Writes one JSON line (no trailing newline; `write` adds what its sink needs) for every
 * notification it is given. Channel selection is the caller's: `createNotifier` only passes
 * notifications whose channels include `log`.
 */
export function createLogNotifier(write: (line: string) => void): Notifier {
  return {
    notify(notification) {
      write(JSON.stringify(notificationLogLine(notification)));
    },
    // Writes are synchronous: nothing is ever in flight.
    flush: () => Promise.resolve(),
  };
}
