import { z } from 'zod';
import { MIN_SECRET_LENGTH } from '../../domain/config/index.js';
import { decodeStandardSecret, STANDARD_SECRET_PREFIX } from './hmac.js';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;

/**
 * Header names whose values are credentials: authorization, cookie, x-api-key, anything with
 * token, secret, password, api-key or session in it. Such headers belong in `secretHeaders`,
 * which is write-only; `headers` is shown wherever the config is shown.
 */
export function looksSecret(name: string): boolean {
  return /authorization|cookie|api[-_]?key|token|secret|passw(or)?d|session/i.test(name);
}

/** Names the handler sets itself; a configured one would be silently overwritten or forged. */
function isReserved(name: string): boolean {
  return /^(grove-|webhook-(id|timestamp|signature)$)/i.test(name) || name.toLowerCase() === 'x-grove-signature';
}

/** Standard Webhooks: a symmetric key has at least 24 random bytes (192 bits) and at most 64 (512 bits). */
const STANDARD_KEY_BYTES = { min: 24, max: 64 };

// RFC 9110 token characters; fetch throws on anything else, better to refuse it at validation.
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be a valid HTTP header name');
// RFC 9110 field values: visible ASCII, spaces, tabs and Latin-1 (obs-text). fetch throws on
// anything else (a line break would split the header) with a message that quotes the
// offending character, so it is refused when written, by field name, never echoing the value.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const HEADER_VALUE_MESSAGE = 'must be visible ASCII or Latin-1 characters, spaces or tabs (no line breaks)';
const headerValue = z.string().max(8192).regex(HEADER_VALUE, HEADER_VALUE_MESSAGE);
// A secret value shorter than MIN_SECRET_LENGTH could not be masked in results and logs.
const secretHeaderValue = headerValue.min(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters: a shorter secret cannot be kept out of results and logs`);
const status = z.int().min(100).max(599);

export const httpRequestParameters = z
  .strictObject({
    method: z.enum(HTTP_METHODS).default('POST'),
    url: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .refine((url) => !/^[a-z]+:\/\/[^/?#]*@/i.test(url), "must not contain user:password; put an Authorization header in 'secretHeaders'"),
    /** Sent as given; shown wherever the config is shown, so no credentials here. */
    headers: z.record(headerName, headerValue).default({}),
    /** Sent like `headers` but write-only (listed in `secretParameters`): for Authorization, x-cron-secret, … */
    secretHeaders: z.record(headerName, secretHeaderValue).default({}),
    /** A string is sent as is; any other JSON value is sent as JSON with Content-Type application/json. */
    body: z.json().optional(),
    /** The status (or one of the statuses) that counts as success; any 2xx when omitted. */
    expectStatus: z.union([status, z.array(status).min(1)]).optional(),
    /**
     * Signs the request per Standard Webhooks (webhook-signature) and the body bytes
     * (X-Grove-Signature: sha256=<hex HMAC-SHA256>). `whsec_<base64>` is the Standard Webhooks
     * form (the key is the decoded bytes); any other string is used as its UTF-8 bytes. Write-only.
     */
    secret: z
      .string()
      .min(16, 'must be at least 16 characters')
      .max(512)
      .refine((secret) => {
        if (!secret.startsWith(STANDARD_SECRET_PREFIX)) return true;
        const key = decodeStandardSecret(secret);
        return key !== undefined && key.length >= STANDARD_KEY_BYTES.min && key.length <= STANDARD_KEY_BYTES.max;
      }, `a ${STANDARD_SECRET_PREFIX} secret must be followed by the base64 (with padding) of ${STANDARD_KEY_BYTES.min} to ${STANDARD_KEY_BYTES.max} random bytes`)
      .optional(),
  })
  .superRefine((p, ctx) => {
    if (p.body !== undefined && (p.method === 'GET' || p.method === 'HEAD')) {
      ctx.addIssue({ code: 'custom', path: ['body'], message: `must be omitted for ${p.method} requests` });
    }
    const seen = new Set<string>();
    for (const section of ['headers', 'secretHeaders'] as const) {
      for (const name of Object.keys(p[section])) {
        const path = [section, name];
        if (isReserved(name)) ctx.addIssue({ code: 'custom', path, message: 'is set by grove-jobs itself' });
        if (section === 'headers' && looksSecret(name)) {
          ctx.addIssue({ code: 'custom', path, message: "looks like a credential; put it in 'secretHeaders', which is write-only" });
        }
        if (seen.has(name.toLowerCase())) ctx.addIssue({ code: 'custom', path, message: 'is given twice (header names ignore case)' });
        seen.add(name.toLowerCase());
      }
    }
  });

export type HttpRequestParameters = z.output<typeof httpRequestParameters>;
