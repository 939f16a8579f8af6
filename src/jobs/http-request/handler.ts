import type { JobContext, JobOutcome } from '../../domain/config/job-type.js';
import { SecretMasker } from '../../domain/config/index.js';
import { signBody, signStandardWebhook, standardWebhookId } from './hmac.js';
import { type HttpRequestParameters, looksSecret } from './parameters.js';

/** Bytes of the response body kept for the result and logs: enough to read an error, never a whole download. */
export const RESPONSE_BODY_LIMIT = 4096;

/** Stands in for secret-looking query values in URLs. */
const REDACTED = '***';

/**
 * The URL as it may be shown: no user:password, and secret-looking query values replaced,
 * e.g. `https://x.test/hook?token=abc&a=1` → `https://x.test/hook?token=***&a=1`.
 */
export function displayUrl(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  for (const key of new Set(parsed.searchParams.keys())) {
    if (looksSecret(key) || /^(key|sig|signature|code|auth)$/i.test(key)) parsed.searchParams.set(key, REDACTED);
  }
  return parsed.toString();
}

function isExpected(status: number, expect: HttpRequestParameters['expectStatus']): boolean {
  if (expect === undefined) return status >= 200 && status < 300;
  return typeof expect === 'number' ? status === expect : expect.includes(status);
}

function describeExpectation(expect: HttpRequestParameters['expectStatus']): string {
  if (expect === undefined) return 'any 2xx';
  return typeof expect === 'number' ? String(expect) : `one of ${expect.join(', ')}`;
}

interface PreparedRequest {
  headers: Headers;
  body: Uint8Array | undefined;
}

function prepare(parameters: HttpRequestParameters, context: JobContext<HttpRequestParameters>): PreparedRequest {
  const headers = new Headers({ 'User-Agent': 'grove-jobs' });
  for (const section of ['headers', 'secretHeaders'] as const) {
    for (const [name, value] of Object.entries(parameters[section])) {
      try {
        headers.set(name, value);
      } catch {
        // fetch's own message quotes the offending character and its position.
        throw new Error(`${section}.${name}: the value is not a valid HTTP header value (visible ASCII or Latin-1 only); set it again`);
      }
    }
  }

  let text: string | undefined;
  if (typeof parameters.body === 'string') {
    text = parameters.body;
  } else if (parameters.body !== undefined) {
    text = JSON.stringify(parameters.body);
    if (!headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
  }
  // Encoded once: the signature covers exactly the bytes that are sent.
  const body = text === undefined ? undefined : new TextEncoder().encode(text);

  headers.set('Grove-Execution-Id', context.executionId);
  headers.set('Grove-Config-Id', context.config.meta.id);
  headers.set('Grove-Attempt', String(context.attempt));
  // Empty for manual runs: they have no slot.
  headers.set('Grove-Slot', context.slot?.toISOString() ?? '');
  // Standard Webhooks metadata; the timestamp is the engine clock's, in whole Unix seconds.
  const id = standardWebhookId(context.config.meta.id, context.slot, context.executionId);
  const timestamp = Math.floor(context.now().getTime() / 1000);
  headers.set('webhook-id', id);
  headers.set('webhook-timestamp', String(timestamp));
  // A request without a body signs the empty byte string, in both schemes.
  if (parameters.secret !== undefined) {
    headers.set('X-Grove-Signature', signBody(body ?? new Uint8Array(), parameters.secret));
    headers.set('webhook-signature', signStandardWebhook(parameters.secret, id, timestamp, body ?? new Uint8Array()));
  }

  return { headers, body };
}

/**
 * Reads at most `limit` bytes (plus the chunk that crosses it), then cancels the stream so a
 * large or endless response costs neither memory nor time.
 */
async function readHead(response: Response, limit: number): Promise<{ text: string; truncated: boolean }> {
  if (response.body === null) return { text: '', truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    // `size <= limit`: reading one byte past the limit is how we know the body was cut.
    while (size <= limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const bytes = Buffer.concat(chunks, size);
  const truncated = size > limit;
  // stream: true holds back a UTF-8 sequence cut at the limit instead of decoding it as U+FFFD.
  const text = new TextDecoder().decode(truncated ? bytes.subarray(0, limit) : bytes, { stream: truncated });
  return { text, truncated };
}

/** fetch says only "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND) is in its cause. */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error) return `${error.message} (${'code' in cause && typeof cause.code === 'string' ? cause.code : cause.message})`;
  return error.message;
}

export async function executeHttpRequest(context: JobContext<HttpRequestParameters>): Promise<JobOutcome> {
  const { parameters } = context;
  const { method } = parameters;
  const shownUrl = displayUrl(parameters.url);
  // Masks the secret values in anything shown: a receiver may echo what it was sent.
  const masker = new SecretMasker([parameters.secret, ...Object.values(parameters.secretHeaders)].filter((value) => value !== undefined));
  let request: PreparedRequest;
  try {
    request = prepare(parameters, context);
  } catch (error) {
    // Without its cause: fetch's message about a header value quotes part of the value.
    // eslint-disable-next-line preserve-caught-error
    throw new Error(masker.text((error as Error).message));
  }
  // Names only: values may be credentials, and the signature is of no use to a reader.
  const headerNames = [...request.headers.keys()];

  if (context.dryRun) {
    context.log('info', `dry run: would send ${method} ${shownUrl}`, { method, url: shownUrl, headers: headerNames, bodyBytes: request.body?.byteLength ?? 0 });
    return {
      summary: `dry run: ${method} ${shownUrl} not sent`,
      result: { dryRun: true, method, url: shownUrl, headers: headerNames },
      items: { total: 1, processed: 0, succeeded: 0, failed: 0 },
    };
  }

  context.log('debug', `sending ${method} ${shownUrl}`, { headers: headerNames, bodyBytes: request.body?.byteLength ?? 0 });
  let status: number;
  let head: { text: string; truncated: boolean };
  try {
    const response = await fetch(parameters.url, {
      method,
      headers: request.headers,
      body: request.body,
      signal: context.signal,
      // Not followed: a secret header must never be forwarded to wherever a redirect points.
      redirect: 'manual',
    });
    status = response.status;
    head = await readHead(response, RESPONSE_BODY_LIMIT);
  } catch (error) {
    // Timeout, cancel or shutdown: rethrow the engine's own reason so it records the right status.
    if (context.signal.aborted) throw context.signal.reason;
    throw new Error(`${method} ${shownUrl} failed: ${masker.text(describeFailure(error))}`, { cause: error });
  }

  // A body cut at the limit may end in the first characters of a secret: masked too.
  const body = masker.text(head.text);
  const summary = `${method} ${shownUrl} → ${status}`;
  context.log('info', summary, { status });
  context.log('debug', head.truncated ? `response body (first ${RESPONSE_BODY_LIMIT} bytes)` : 'response body', { body, bodyTruncated: head.truncated });

  const ok = isExpected(status, parameters.expectStatus);
  // The engine records the failure from the error and applies the retry policy.
  if (!ok) throw new Error(`${summary}, expected ${describeExpectation(parameters.expectStatus)}`);
  return {
    summary,
    result: { status, body, bodyTruncated: head.truncated },
    items: { total: 1, processed: 1, succeeded: 1, failed: 0 },
  };
}
