import { createHash, createHmac } from 'node:crypto';

// The signing code of webhook notifications, repeated here so one receiver can verify both:
// src/notify may not be imported from here, and node:crypto may not be used in domain/.

/**
 * `sha256=<hex HMAC-SHA256 of body with secret>`: the same format as webhook notifications'
 * X-Grove-Signature.
 */
export function signBody(body: string | Uint8Array, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** How Standard Webhooks writes a symmetric secret for people: this prefix, then the key bytes in base64. */
export const STANDARD_SECRET_PREFIX = 'whsec_';
/** Standard base64 with its padding, as Standard Webhooks libraries decode it. */
const PADDED_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The key bytes of a `whsec_<base64>` secret; undefined for a secret not in that form. */
export function decodeStandardSecret(secret: string): Buffer | undefined {
  if (!secret.startsWith(STANDARD_SECRET_PREFIX)) return undefined;
  const encoded = secret.slice(STANDARD_SECRET_PREFIX.length);
  return encoded.length > 0 && PADDED_BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : undefined;
}

/**
 * `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` (Standard Webhooks 1.0.0). The key is
 * what a `whsec_<base64>` secret encodes, or any other secret's UTF-8 bytes, exactly as for
 * webhook notifications.
 */
export function signStandardWebhook(secret: string, id: string, timestampSeconds: number, body: string | Uint8Array): string {
  const key = decodeStandardSecret(secret) ?? Buffer.from(secret, 'utf8');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.`).update(body).digest('base64')}`;
}

/**
 * The webhook-id of a request: the same for every attempt of one scheduled slot (a retry is
 * the same message sent again, and the id is the receiver's idempotency key), so it is made
 * from the config id and the slot; a manual run has no slot, and each of its attempts has its
 * own execution id. Hex, as the spec forbids a '.' in the id (it delimits the signed content).
 */
export function standardWebhookId(configId: string, slot: Date | undefined, executionId: string): string {
  if (slot === undefined) return executionId;
  return `slot_${createHash('sha256').update(`${configId}\n${slot.toISOString()}`).digest('hex').slice(0, 32)}`;
}
