import type { Notification, Notifier } from '../engine/ports.js';

export { createLogNotifier, notificationLogLine, type NotificationLogLine } from './log-notifier.js';
export {
  createWebhookNotifier,
  SIGNATURE_HEADER,
  signBody,
  verifySignature,
  WebhookDeliveryError,
  webhookBody,
  type WebhookBody,
  type WebhookNotifierOptions,
} from './webhook-notifier.js';

/** One notifier per channel; a channel left out drops what would have gone to it. */
export interface NotifierChannels {
  log?: Notifier;
  webhook?: Notifier;
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
export function createNotifier(channels: NotifierChannels): Notifier {
  return {
    notify(notification: Notification) {
      if (notification.channels.includes('log')) channels.log?.notify(notification);
      if (notification.channels.includes('webhook')) channels.webhook?.notify(notification);
    },
    async flush() {
      await Promise.all([channels.log?.flush(), channels.webhook?.flush()]);
    },
  };
}
