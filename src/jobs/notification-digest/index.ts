import { defineJobType } from '../../domain/config/job-type.js';
import { executeNotificationDigest, type NotificationDigestDeps } from './handler.js';
import { notificationDigestParameters } from './parameters.js';

export { executeNotificationDigest, type NotificationDigestDeps } from './handler.js';
export { notificationDigestParameters, type NotificationDigestParameters } from './parameters.js';

/**
 * The operators' summary the seeds planned ("daily operator summary"): failed and timed-out
 * executions of every config, auto-advancements and bulk rollbacks since the previous digest
 * of this config, delivered to the config's notification channels (log, webhook).
 */
export function notificationDigestJobType(deps: NotificationDigestDeps) {
  return defineJobType({
    name: 'notification-digest',
    description:
      'Sends a digest of failures, advancements and rollbacks since the previous digest of this config (the first one reaches back ' +
      'lookbackHours) to the configured notification channels: one log line with the totals, and a signed webhook with the items. ' +
      'A repeated run sends only what is new; an empty digest is not sent unless sendWhenEmpty. Dry run builds it and sends nothing.',
    parameters: notificationDigestParameters,
    defaults: { schedule: { cronExpression: '0 8 * * *' }, limits: { timeoutSeconds: 600 } },
    counterLabels: { processed: 'Events', succeeded: 'Reported' },
    execute: (context) => executeNotificationDigest(deps, context),
  });
}
