import { reportHeader } from './report-header.js';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { isSealed } from '../domain/config/index.js';
import type { AnyNotification, DigestNotification, ExecutionNotificationKind, HealthAlertNotification, Notification, Notifier } from '../engine/ports.js';

/** Header carrying `sha256=<hex HMAC-SHA256 of the body bytes>` when the config has a secret. */
export const SIGNATURE_HEADER = 'X-Grove-Signature';

/**
 * The Standard Webhooks headers (https://www.standardwebhooks.com, spec 1.0.0), sent beside
 * X-Grove-Signature so a receiver can verify with any Standard Webhooks library: `id` is the
 * same on every attempt of one notification (an idempotency key), `timestamp` is the attempt's
 * (Unix seconds), and `signature` is sent only when the config has a secret.
 */
export const STANDARD_WEBHOOK_HEADERS = { id: 'webhook-id', timestamp: 'webhook-timestamp', signature: 'webhook-signature' } as const;

/** How the spec writes a symmetric secret for people: this prefix, then the key bytes in base64. */
const STANDARD_SECRET_PREFIX = 'whsec_';
/** Standard base64 with its padding, as Standard Webhooks libraries decode it. */
const PADDED_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The HMAC key of the Standard Webhooks signature. A `whsec_<base64>` secret (the spec's form)
 * stands for the bytes its base64 encodes; any other secret for its own UTF-8 bytes, which a
 * receiver hands to a Standard Webhooks library as `whsec_` + the base64 of the secret.
 * X-Grove-Signature keeps using the whole secret string as its key, whatever its form.
 */
export function standardWebhookKey(secret: string): Buffer {
  if (secret.startsWith(STANDARD_SECRET_PREFIX)) {
    const encoded = secret.slice(STANDARD_SECRET_PREFIX.length);
    if (encoded.length > 0 && PADDED_BASE64.test(encoded)) return Buffer.from(encoded, 'base64');
  }
  return Buffer.from(secret, 'utf8');
}

/**
 * `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` with the key `standardWebhookKey(secret)`;
 * `timestampSeconds` is the value of the webhook-timestamp header (whole Unix seconds).
 */
export function signStandardWebhook(secret: string, id: string, timestampSeconds: number, body: string | Uint8Array): string {
  return `v1,${createHmac('sha256', standardWebhookKey(secret)).update(`${id}.${timestampSeconds}.`).update(body).digest('base64')}`;
}

const DEFAULT_MAX_ATTEMPTS = 5;
/** First retry after half a second, then doubling: 0.5 s, 1 s, 2 s, 4 s for the default 5 attempts. */
const DEFAULT_INITIAL_DELAY_MS = 500;
/** No wait between attempts is longer than this, whatever maxAttempts is. */
const MAX_DELAY_MS = 30_000;
/** Per attempt: a receiver that accepts the connection but never answers must not hold a delivery forever. */
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The JSON body POSTed to the webhook: the notification without its delivery settings
 * (`channels`, `webhookUrl`) and never the `webhookSecret`. Stable: fields are only ever added.
 *
 * @example
 * {
 *   "kind": "execution.failure",
 *   "at": "2026-01-01T03:00:05.000Z",
 *   "configId": "nightly-advancement",
 *   "configVersion": 7,
 *   "displayName": "Nightly advancement",
 *   "execution": {
 *     "id": "…", "status": "failed", "trigger": "schedule", "attempt": 3,
 *     "slot": "2026-01-01T03:00:00.000Z", "startedAt": "…", "finishedAt": "…", "durationMs": 5012,
 *     "itemsProcessed": 40, "itemsFailed": 40, "error": { "message": "connection refused" }
 *   },
 *   "consecutiveFailures": 2
 * }
 */
export interface WebhookBody {
  kind: ExecutionNotificationKind;
  at: string;
  configId: string;
  configVersion: number;
  displayName: string;
  execution: Notification['execution'];
  /** Present for failures and pauses. */
  consecutiveFailures?: number;
}

/** Picks the body fields one by one, so a field added to `Notification` is never sent by accident. */
export function webhookBody(notification: Notification): WebhookBody {
  const { execution } = notification;
  return {
    kind: notification.kind,
    at: notification.at,
    configId: notification.configId,
    configVersion: notification.configVersion,
    displayName: notification.displayName,
    execution: {
      id: execution.id,
      status: execution.status,
      trigger: execution.trigger,
      attempt: execution.attempt,
      slot: execution.slot,
      startedAt: execution.startedAt,
      finishedAt: execution.finishedAt,
      durationMs: execution.durationMs,
      itemsProcessed: execution.itemsProcessed,
      itemsFailed: execution.itemsFailed,
      error: execution.error ? { message: execution.error.message } : null,
    },
    ...(notification.consecutiveFailures === undefined ? {} : { consecutiveFailures: notification.consecutiveFailures }),
  };
}

/**
 * The body of a digest: where it came from and the digest itself (window, recipients,
 * sections with totals, grouped counts and the most recent items).
 *
 * @example
 * {
 *   "kind": "digest.ready", "at": "2026-01-02T08:00:00.000Z", "configId": "daily-digest",
 *   "configVersion": 2, "displayName": "Daily digest", "executionId": "…",
 *   "digest": { "since": "…", "until": "…", "recipientIds": ["ops"], "sections": ["failures"],
 *               "failures": { "total": 1, "items": [ … ], "truncated": false, "byConfig": [ … ] } }
 * }
 */
export interface DigestWebhookBody {
  kind: DigestNotification['kind'];
  at: string;
  configId: string;
  configVersion: number;
  displayName: string;
  executionId: string;
  digest: DigestNotification['digest'];
}

/** The body of a health alert: the threshold, the worst status and the checks at or above it. */
export interface HealthAlertWebhookBody {
  kind: HealthAlertNotification['kind'];
  at: string;
  configId: string;
  configVersion: number;
  displayName: string;
  executionId: string;
  threshold: HealthAlertNotification['threshold'];
  worst: HealthAlertNotification['worst'];
  checks: HealthAlertNotification['checks'];
}

/** The body of any notification kind, picked field by field like `webhookBody`. */
export function anyWebhookBody(notification: AnyNotification): WebhookBody | DigestWebhookBody | HealthAlertWebhookBody {
  switch (notification.kind) {
    case 'digest.ready':
      return {
        ...reportHeader(notification),
        digest: notification.digest,
      };
    case 'health.alert':
      return {
        ...reportHeader(notification),
        threshold: notification.threshold,
        worst: notification.worst,
        checks: notification.checks,
      };
    default:
      return webhookBody(notification);
  }
}

/** `sha256=<hex HMAC-SHA256 of body with secret>`; a string body is signed as its UTF-8 bytes. */
export function signBody(body: string | Uint8Array, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * For receivers: whether `header` (the X-Grove-Signature value) signs the raw `body` bytes as
 * received. Verify before parsing: re-serialised JSON may differ from the signed bytes.
 * Constant-time, so a forger learns nothing from how long a wrong guess takes.
 */
export function verifySignature(body: string | Uint8Array, secret: string, header: string | readonly string[] | null | undefined): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(signBody(body, secret));
  const given = Buffer.from(header.trim());
  // Lengths are public (always sha256= plus 64 hex digits); timingSafeEqual needs them equal.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Why a delivery was given up. Its message names only the receiver's origin: webhook paths often hold tokens. */
export class WebhookDeliveryError extends Error {
  override readonly name = 'WebhookDeliveryError';
  constructor(
    message: string,
    /** Requests sent, the first included. */
    readonly attempts: number,
    /** The last HTTP status, when the receiver answered at all. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface WebhookNotifierOptions {
  fetch?: typeof fetch;
  /** Total requests per notification, the first included. */
  maxAttempts?: number;
  /** Wait before the second attempt; doubles per attempt, capped at 30 s. */
  initialDelayMs?: number;
  /** Each attempt is aborted after this long. */
  timeoutMs?: number;
  /** Tests inject one that resolves at once. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Called once per notification whose delivery was given up. The notification is passed
   * without its secret. Defaults to one JSON line on stderr.
   */
  onDeliveryError?: (error: WebhookDeliveryError, notification: WithoutSecret<AnyNotification>) => void;
  /**
   * Decrypts a webhook secret stored sealed (configs keep their secrets encrypted at rest),
   * just before signing; a plain one is used as it is.
   */
  openSecret?: (sealed: string) => string;
  /** The time of each attempt, for the webhook-timestamp header (default: the system clock). */
  now?: () => Date;
  /** The webhook-id of each notification, the same on all its attempts (default: a random UUID). */
  messageId?: () => string;
}

/** 408/429 and 5xx are the receiver saying "not now"; any other status will not change on retry. */
function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid url)';
  }
}

/** A notification without its `webhookSecret`, kept apart per kind. */
export type WithoutSecret<N> = N extends unknown ? Omit<N, 'webhookSecret'> : never;

function withoutSecret(notification: AnyNotification): WithoutSecret<AnyNotification> {
  const { webhookSecret: _secret, ...rest } = notification;
  return rest;
}

function reportToStderr(error: WebhookDeliveryError, notification: WithoutSecret<AnyNotification>): void {
  const executionId = 'execution' in notification ? notification.execution.id : notification.executionId;
  process.stderr.write(
    `${JSON.stringify({ level: 'error', event: 'notification:undelivered', configId: notification.configId, executionId, kind: notification.kind, attempts: error.attempts, status: error.status, error: error.message })}\n`,
  );
}

/**
 * Delivers notifications whose channels include `webhook` (and that have a `webhookUrl`) as a
 * signed JSON POST. `notify` returns at once; each delivery runs in the background with
 * bounded retries and is tracked so `flush` can wait for it. Everything else is ignored.
 */
export function createWebhookNotifier(options: WebhookNotifierOptions = {}): Notifier<AnyNotification> {
  const send = options.fetch ?? fetch;
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const initialDelayMs = options.initialDelayMs ?? DEFAULT_INITIAL_DELAY_MS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const onDeliveryError = options.onDeliveryError ?? reportToStderr;
  const now = options.now ?? (() => new Date());
  const messageId = options.messageId ?? randomUUID;
  const inFlight = new Set<Promise<void>>();

  async function deliver(url: string, body: string, secret: string | undefined): Promise<void> {
    const id = messageId();
    const fixedHeaders: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'grove-jobs', [STANDARD_WEBHOOK_HEADERS.id]: id };
    if (secret !== undefined) fixedHeaders[SIGNATURE_HEADER] = signBody(body, secret);
    const target = originOf(url);
    let lastError: unknown;
    let lastStatus: number | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      if (attempt > 1) await sleep(Math.min(initialDelayMs * 2 ** (attempt - 2), MAX_DELAY_MS));
      // A timer of its own for each attempt, cleared when the attempt ends: the timer of
      // AbortSignal.timeout holds its signal only weakly, so under memory pressure the signal
      // could be collected before it fired and the attempt would never end.
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), timeoutMs);
      // Signed again on each attempt: the spec's timestamp is the attempt's, so a receiver's
      // replay window (5 minutes in the reference libraries) never rejects a late retry.
      const timestamp = Math.floor(now().getTime() / 1000);
      const headers: Record<string, string> = { ...fixedHeaders, [STANDARD_WEBHOOK_HEADERS.timestamp]: String(timestamp) };
      if (secret !== undefined) headers[STANDARD_WEBHOOK_HEADERS.signature] = signStandardWebhook(secret, id, timestamp, body);
      try {
        const response = await send(url, { method: 'POST', headers, body, signal: timeout.signal, redirect: 'manual' });
        // The body is never used; cancelling frees the connection for the next delivery.
        await response.body?.cancel().catch(() => undefined);
        if (response.status >= 200 && response.status < 300) return;
        lastStatus = response.status;
        lastError = undefined;
        if (!isRetryableStatus(response.status)) {
          throw new WebhookDeliveryError(`webhook ${target} answered HTTP ${response.status}; not retried (only 408, 429 and 5xx are)`, attempt, response.status);
        }
      } catch (error) {
        if (error instanceof WebhookDeliveryError) throw error;
        // Network errors and per-attempt timeouts: the receiver may be back on the next attempt.
        lastError = error;
        lastStatus = undefined;
      } finally {
        clearTimeout(timer);
      }
    }
    const reason = lastStatus !== undefined ? `HTTP ${lastStatus}` : lastError instanceof Error ? describeNetworkError(lastError) : String(lastError);
    throw new WebhookDeliveryError(`webhook ${target} not reached after ${maxAttempts} attempts: ${reason}`, maxAttempts, lastStatus, { cause: lastError });
  }

  return {
    notify(notification) {
      const { webhookUrl, webhookSecret } = notification;
      if (!notification.channels.includes('webhook') || webhookUrl === undefined) return;
      // Serialised once: the signature covers exactly these bytes on every attempt.
      const body = JSON.stringify(anyWebhookBody(notification));
      const delivery = Promise.resolve()
        .then(() => deliver(webhookUrl, body, webhookSecret !== undefined && isSealed(webhookSecret) && options.openSecret ? options.openSecret(webhookSecret) : webhookSecret))
        .catch((error: unknown) => {
          const failure = error instanceof WebhookDeliveryError ? error : new WebhookDeliveryError(String(error), 0, undefined, { cause: error });
          try {
            onDeliveryError(failure, withoutSecret(notification));
          } catch {
            // A throwing reporter must not become an unhandled rejection in the worker.
          }
        })
        .finally(() => inFlight.delete(delivery));
      inFlight.add(delivery);
    },
    async flush() {
      // Loop: a notification sent while we wait is in flight too.
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

/** fetch says only "fetch failed"; the useful part (ECONNREFUSED, timeout) is in its cause. */
function describeNetworkError(error: Error): string {
  if (error.name === 'TimeoutError') return 'timed out';
  const cause = error.cause;
  if (cause instanceof Error) return `${error.message} (${'code' in cause && typeof cause.code === 'string' ? cause.code : cause.message})`;
  return error.message;
}
