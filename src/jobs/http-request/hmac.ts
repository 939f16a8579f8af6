import { createHmac } from 'node:crypto';

/**
 * `sha256=<hex HMAC-SHA256 of body with secret>`: the same format as webhook notifications
 * (src/notify may not be imported from here, and node:crypto may not be used in domain/), so
 * one receiver can verify both.
 */
export function signBody(body: string | Uint8Array, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
