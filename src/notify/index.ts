import type { AnyNotification, Notifier } from '../engine/ports.js';

export {
  anyNotificationLogLine,
  createLogNotifier,
  digestLogLine,
  healthAlertLogLine,
  notificationLogLine,
  type DigestLogLine,
  type HealthAlertLogLine,
  type NotificationLogLine,
} from './log-notifier.js';
export {
  createWebhookNotifier,
  SIGNATURE_HEADER,
  signBody,
  verifySignature,
  WebhookDeliveryError,
  webhookBody,
  anyWebhookBody,
  type DigestWebhookBody,
  type HealthAlertWebhookBody,
  type WebhookBody,
  type WebhookNotifierOptions,
  type WithoutSecret,
} from './webhook-notifier.js';

/** One notifier per channel; a channel left out drops what would have gone to it. */
export interface NotifierChannels {
  log?: Notifier<AnyNotification>;
  webhook?: Notifier<AnyNotification>;
}

/**
 * Routes each notification by its own `channels`: to `log` when they include 'log', to
 * `webhook` when they include 'webhook'. One notification may go to both.
 *
 * @example
 * createNotifier({
 *   log: createLogNotifier((line) => process.stdout.write(`${line}\n`)),
 *   webhook: createWebhookNotifier(),
 * });
 */
export function createNotifier(channels: NotifierChannels): Notifier<AnyNotification> {
  return {
    notify(notification: AnyNotification) {
      if (notification.channels.includes('log')) channels.log?.notify(notification);
      if (notification.channels.includes('webhook')) channels.webhook?.notify(notification);
    },
    async flush() {
      await Promise.all([channels.log?.flush(), channels.webhook?.flush()]);
    },
  };
}
