import type { JobContext, JobOutcome } from '../../domain/config/job-type.js';
import { buildDigest, describeDigest, DIGEST_ITEM_LIMIT, digestTotals, isDigestEmpty, planDigestWindow } from '../../domain/grove/index.js';
import type { AnyNotification, MaintenanceStore, Notifier } from '../../engine/ports.js';
import type { NotificationDigestParameters } from './parameters.js';

export interface NotificationDigestDeps {
  maintenance: MaintenanceStore;
  /** Must handle digest notifications: the notify/ channels do. */
  notifier: Notifier<AnyNotification>;
}

/**
 * Builds the digest of (last digest, now] and hands it to the config's channels. The cursor
 * moves before delivery, compare-and-set: of two runs that read the same cursor only one
 * delivers, and a repeated run sends only what is new. Delivery itself is the notifier's
 * (background, bounded retries); a digest it gives up on is reported by the notifier, not resent.
 */
export async function executeNotificationDigest(deps: NotificationDigestDeps, context: JobContext<NotificationDigestParameters>): Promise<JobOutcome> {
  const { parameters, config } = context;
  const configId = config.meta.id;
  // The job's clock, read once: the window ends here, and the next digest starts here.
  const now = context.now();
  const coveredUntil = await deps.maintenance.getDigestCursor(configId);
  const window = planDigestWindow({ coveredUntil, now, lookbackHours: parameters.lookbackHours });
  context.signal.throwIfAborted();

  const content = await deps.maintenance.collectDigest(window, parameters.eventTypes, DIGEST_ITEM_LIMIT);
  const digest = buildDigest(window, parameters.recipientIds, parameters.eventTypes, content);
  const totals = digestTotals(digest);
  const events = totals.failures + totals.advancements + totals.rollbacks;
  const described = describeDigest(digest);
  const { channels } = config.payload.notifications;
  const result = { since: digest.since, until: digest.until, first: window.first, totals, recipients: digest.recipientIds.length, channels: [...channels] };
  const items = { total: events, processed: events, succeeded: events, failed: 0 };
  context.progress(items);
  context.log('info', `digest ${digest.since} → ${digest.until}: ${described}`, { since: digest.since, until: digest.until, totals });

  if (context.dryRun) {
    return { summary: `dry run: digest of ${described} not sent`, result: { ...result, dryRun: true, delivered: false, digest }, items };
  }

  context.signal.throwIfAborted();
  const won = await deps.maintenance.advanceDigestCursor(configId, coveredUntil, window.until, context.executionId);
  if (!won) {
    context.log('warn', 'another run of this config moved the digest cursor first; it delivers this window');
    return { summary: 'not sent: another run covered this window', result: { ...result, delivered: false, superseded: true }, items };
  }

  if (isDigestEmpty(digest) && !parameters.sendWhenEmpty) {
    context.log('info', 'nothing new since the last digest; nothing sent');
    return { summary: `nothing new since ${digest.since}; not sent`, result: { ...result, delivered: false }, items };
  }
  if (channels.length === 0) {
    context.log('warn', 'the config has no notification channels: the digest goes nowhere');
    return { summary: `digest of ${described} built; no channels`, result: { ...result, delivered: false }, items };
  }

  const { webhookUrl, webhookSecret } = config.payload.notifications;
  deps.notifier.notify({
    kind: 'digest.ready',
    at: now.toISOString(),
    configId,
    configVersion: config.meta.version,
    displayName: config.payload.displayName,
    executionId: context.executionId,
    digest,
    channels,
    ...(webhookUrl === undefined ? {} : { webhookUrl }),
    ...(webhookSecret === undefined ? {} : { webhookSecret }),
  });
  // Channel names only: the webhook URL may hold a token, and the secret is never shown.
  context.log('info', `digest handed to ${channels.join(' and ')}`, { channels: [...channels] });
  return { summary: `digest of ${described} sent to ${channels.join(', ')}`, result: { ...result, delivered: true }, items };
}
