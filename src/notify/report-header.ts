import type { DigestNotification, HealthAlertNotification } from '../engine/ports.js';

/** The fields every job report (digest, health alert) carries first, in the log and in the webhook body. */
export function reportHeader<N extends DigestNotification | HealthAlertNotification>(
  notification: N,
): Pick<N, 'kind' | 'at' | 'configId' | 'configVersion' | 'displayName' | 'executionId'> {
  return {
    kind: notification.kind,
    at: notification.at,
    configId: notification.configId,
    configVersion: notification.configVersion,
    displayName: notification.displayName,
    executionId: notification.executionId,
  };
}
