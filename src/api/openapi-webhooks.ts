import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { DIGEST_SECTIONS, HEALTH_CHECKS, HEALTH_SEVERITIES, HealthStatus } from '../domain/grove/index.js';
import { type DigestNotification, type HealthAlertNotification, type Notification, type NotificationDelivery, NotificationKind } from '../engine/ports.js';

/**
 * The webhooks Grove Jobs sends (notify/webhook-notifier.ts), for the document's top-level
 * `webhooks`: one POST per notification to the config's `notifications.webhookUrl` when its
 * channels include `webhook`. The bodies are the notifications without their delivery
 * settings; the type checks below keep these schemas and the engine's notification types equal.
 */

const instant = () => z.iso.datetime();

const ExecutionWebhookSchema = z
  .object({
    kind: z.enum([NotificationKind.Success, NotificationKind.Failure, NotificationKind.Critical]),
    at: instant().openapi({ description: 'When the engine decided to notify' }),
    configId: z.string(),
    configVersion: z.int(),
    displayName: z.string(),
    execution: z.object({
      id: z.string(),
      status: z.string().openapi({ example: 'failed' }),
      trigger: z.string().openapi({ example: 'schedule' }),
      attempt: z.int(),
      slot: instant().nullable().openapi({ description: 'The scheduled instant; null for a manual run' }),
      startedAt: instant().nullable(),
      finishedAt: instant().nullable(),
      durationMs: z.int().nullable(),
      itemsProcessed: z.int(),
      itemsFailed: z.int(),
      error: z.object({ message: z.string() }).nullable(),
    }),
    consecutiveFailures: z.int().optional().openapi({ description: 'Failed runs in a row: on failures and pauses' }),
  })
  .openapi('ExecutionWebhook', { description: 'One finished execution (or the pause it caused). Fields are only ever added.' });

const DigestListShape = { total: z.int(), truncated: z.boolean().openapi({ description: 'True when `items` holds fewer than `total` (at most the 100 newest)' }) };

const DigestSchema = z.object({
  since: instant(),
  until: instant(),
  recipientIds: z.array(z.string()),
  sections: z.array(z.enum(DIGEST_SECTIONS)),
  failures: z
    .object({
      ...DigestListShape,
      items: z.array(z.object({ executionId: z.string(), configId: z.string(), status: z.string(), attempt: z.int(), finishedAt: instant(), error: z.string().nullable() })),
      byConfig: z.array(z.object({ configId: z.string(), count: z.int() })),
    })
    .optional(),
  advancements: z
    .object({
      ...DigestListShape,
      items: z.array(
        z.object({
          eventId: z.string(),
          sproutId: z.string(),
          fromTier: z.string(),
          toTier: z.string(),
          ruleId: z.string().nullable(),
          executionId: z.string().nullable(),
          rolledBack: z.boolean(),
          at: instant(),
        }),
      ),
      byTransition: z.array(z.object({ fromTier: z.string(), toTier: z.string(), count: z.int() })),
    })
    .optional(),
  rollbacks: z
    .object({
      ...DigestListShape,
      items: z.array(
        z.object({
          eventId: z.string(),
          sproutId: z.string(),
          fromTier: z.string(),
          toTier: z.string(),
          operatorId: z.string().nullable(),
          reason: z.string().nullable(),
          rollbackOf: z.string().nullable(),
          at: instant(),
        }),
      ),
      byOperator: z.array(z.object({ operatorId: z.string().nullable(), count: z.int() })),
    })
    .optional(),
});

const ReportHeaderShape = {
  at: instant(),
  configId: z.string(),
  configVersion: z.int(),
  displayName: z.string(),
  executionId: z.string().openapi({ description: 'The run that sent the report' }),
};

const DigestWebhookSchema = z
  .object({ kind: z.literal(NotificationKind.Digest), ...ReportHeaderShape, digest: DigestSchema })
  .openapi('DigestWebhook', { description: 'A notification-digest run’s report: failures, advancements and rollbacks since the previous digest' });

const HealthAlertWebhookSchema = z
  .object({
    kind: z.literal(NotificationKind.HealthAlert),
    ...ReportHeaderShape,
    threshold: z.enum(HEALTH_SEVERITIES),
    worst: z.enum(Object.values(HealthStatus) as [HealthStatus, ...HealthStatus[]]).openapi({ description: 'The worst status among all checks of the run' }),
    checks: z
      .array(
        z.object({
          name: z.enum(HEALTH_CHECKS),
          status: z.enum(Object.values(HealthStatus) as [HealthStatus, ...HealthStatus[]]),
          latencyMs: z.number().nullable().openapi({ description: 'Null when the check was skipped' }),
          message: z.string(),
          details: z.record(z.string(), z.unknown()),
        }),
      )
      .openapi({ description: 'Only the checks at or above the threshold' }),
  })
  .openapi('HealthAlertWebhook', { description: 'A health-check run found checks at or above its alert threshold' });

// The schemas say what the notifier sends: a notification without its delivery settings.
type Body<N> = Omit<N, keyof NotificationDelivery>;
type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const bodiesMatch: [
  Equal<z.output<typeof ExecutionWebhookSchema>, Body<Notification>>,
  Equal<z.output<typeof DigestWebhookSchema>, Body<DigestNotification>>,
  Equal<z.output<typeof HealthAlertWebhookSchema>, Body<HealthAlertNotification>>,
] = [true, true, true];
void bodiesMatch;

const DELIVERY =
  'POSTed as JSON to the config’s `notifications.webhookUrl` when its channels include `webhook`, with `User-Agent: grove-jobs`. ' +
  'Redirects are not followed; each attempt is cut after 10 s. A 2xx answer delivers it; 408, 429, 5xx and network errors are tried again ' +
  '(5 attempts in all, 0.5 s after the first, doubling); any other status gives it up. ' +
  'With `notifications.webhookSecret` set, the body is signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`: verify with any Standard Webhooks library) and by `X-Grove-Signature`; verify against the raw bytes before parsing.';

const DeliveryHeaders = z.object({
  'webhook-id': z.string().openapi({ description: 'Standard Webhooks message id, the same on every attempt of one notification: the receiver’s idempotency key', example: '2b9c6f0e-5d1f-4f8e-9a43-1c2d3e4f5a6b' }),
  'webhook-timestamp': z.string().openapi({ description: 'Standard Webhooks: this attempt’s time, whole seconds since the Unix epoch', example: '1796637600' }),
  'webhook-signature': z
    .string()
    .optional()
    .openapi({ description: 'Standard Webhooks: `v1,` and the base64 HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>`; only when the config has a webhook secret (see docs/webhooks.md)', example: 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=' }),
  'x-grove-signature': z
    .string()
    .optional()
    .openapi({ description: '`sha256=` and the hex HMAC-SHA256 of the body bytes with the webhook secret; only when the config has one', example: 'sha256=5d41402abc4b2a76b9719d911017c592' }),
});

const deliveryResponses = {
  '2XX': { description: 'Delivered' },
  '408': { description: 'Tried again later' },
  '429': { description: 'Tried again later' },
  '5XX': { description: 'Tried again later' },
  default: { description: 'Given up: not tried again' },
};

const WEBHOOKS = [
  { name: NotificationKind.Success, operationId: 'executionSucceeded', summary: 'An execution succeeded (with notifications.onSuccess)', schema: ExecutionWebhookSchema },
  { name: NotificationKind.Failure, operationId: 'executionFailed', summary: 'An execution failed or timed out (with notifications.onFailure)', schema: ExecutionWebhookSchema },
  { name: NotificationKind.Critical, operationId: 'configPaused', summary: 'A config was paused after pauseAfterConsecutiveFailures failed runs in a row', schema: ExecutionWebhookSchema },
  { name: NotificationKind.Digest, operationId: 'digestReady', summary: 'A notification-digest run’s report', schema: DigestWebhookSchema },
  { name: NotificationKind.HealthAlert, operationId: 'healthAlert', summary: 'A health-check run found checks at or above its alert threshold', schema: HealthAlertWebhookSchema },
] as const;

/** Adds the outgoing webhooks to the document of `app` (the app that serves it: a mounted router's webhooks would get its path prefix). */
export function registerWebhooks(registry: OpenAPIHono['openAPIRegistry']): void {
  for (const webhook of WEBHOOKS) {
    registry.registerWebhook({
      method: 'post',
      path: webhook.name,
      operationId: webhook.operationId,
      summary: webhook.summary,
      description: DELIVERY,
      tags: ['webhooks'],
      // Sent by the server, not called on it: no token (the signatures authenticate the sender).
      security: [],
      request: { headers: DeliveryHeaders, body: { required: true, content: { 'application/json': { schema: webhook.schema } } } },
      responses: deliveryResponses,
    });
  }
}
