import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { type Received, startHttpReceiver } from '../../test/support/http-receiver.js';
import type { Notification } from '../engine/ports.js';
import {
  createWebhookNotifier,
  signBody,
  signStandardWebhook,
  standardWebhookKey,
  verifySignature,
  type WebhookDeliveryError,
  type WebhookNotifierOptions,
} from './webhook-notifier.js';

const SECRET = 'whsec-0123456789abcdef';

/** A URL on a port that was free a moment ago and has nothing listening now. */
async function aClosedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/hooks/T0K3N-in-path`;
}

/** The webhook path carries a token, as real ones often do: it must never be logged. */
const startReceiver = (respond: Parameters<typeof startHttpReceiver>[0]) => startHttpReceiver(respond, '/hooks/T0K3N-in-path');

function answer(status: number) {
  return (_request: Received, response: ServerResponse) => response.writeHead(status).end(`status ${status}`);
}

function aNotification(overrides: Partial<Notification> = {}): Notification {
  return {
    kind: 'execution.failure',
    at: '2026-01-01T03:00:05.000Z',
    configId: 'nightly-advancement',
    configVersion: 7,
    displayName: 'Nightly advancement',
    execution: {
      id: '0b7c3a52-3f5e-4f43-9d2a-5d1f0c9e8a11',
      status: 'failed',
      trigger: 'schedule',
      attempt: 3,
      slot: '2026-01-01T03:00:00.000Z',
      startedAt: '2026-01-01T03:00:00.000Z',
      finishedAt: '2026-01-01T03:00:05.000Z',
      durationMs: 5000,
      itemsProcessed: 40,
      itemsFailed: 40,
      error: { message: 'connection refused' },
    },
    consecutiveFailures: 2,
    channels: ['log', 'webhook'],
    webhookSecret: SECRET,
    ...overrides,
  };
}

/** A notifier that records its backoff waits and give-ups instead of sleeping or writing to stderr. */
function aNotifier(options: WebhookNotifierOptions = {}) {
  const delays: number[] = [];
  const failures: Array<{ error: WebhookDeliveryError; notification: unknown }> = [];
  const notifier = createWebhookNotifier({
    sleep: async (ms) => {
      delays.push(ms);
    },
    onDeliveryError: (error, notification) => failures.push({ error, notification }),
    ...options,
  });
  return { notifier, delays, failures };
}

describe('signBody and verifySignature', () => {
  const body = '{"kind":"execution.success"}';
  const header = signBody(body, SECRET);

  it('signs as sha256= followed by the hex HMAC-SHA256 of the body', () => {
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(signBody(Buffer.from(body), SECRET)).toBe(header);
  });

  it.each([
    ['the signature of these bytes with this secret', body, SECRET, header, true],
    ['a signature made with another secret', body, 'another-secret-0123456789', header, false],
    ['a signature of a changed body', `${body} `, SECRET, header, false],
    ['a truncated signature', body, SECRET, header.slice(0, -1), false],
    ['a signature without the sha256= prefix', body, SECRET, header.slice('sha256='.length), false],
    ['a missing header', body, SECRET, undefined, false],
    ['a repeated header', body, SECRET, [header, header], false],
  ] as const)('accepts only %s', (_case, checkedBody, secret, checkedHeader, expected) => {
    expect(verifySignature(checkedBody, secret, checkedHeader)).toBe(expected);
  });
});

describe('Standard Webhooks signatures', () => {
  const body = '{"kind":"execution.success","note":"née"}';
  const spec = `whsec_${randomBytes(32).toString('base64')}`;

  it.each([
    ['a whsec_ secret, as its base64 key bytes', spec, spec],
    ['any other secret, as its UTF-8 bytes (whsec_ + base64 of the secret for the library)', SECRET, `whsec_${Buffer.from(SECRET).toString('base64')}`],
    ['a whsec_ secret that is not base64, as its UTF-8 bytes', 'whsec_not base64!', `whsec_${Buffer.from('whsec_not base64!').toString('base64')}`],
    ['a non-ASCII secret, as its UTF-8 bytes', 'geheimnis-schlüssel-0123', `whsec_${Buffer.from('geheimnis-schlüssel-0123').toString('base64')}`],
  ])('keys %s, which the standardwebhooks package verifies', (_case, secret, receiverSecret) => {
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = signStandardWebhook(secret, 'msg_1', timestamp, body);

    expect(signature).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(signStandardWebhook(secret, 'msg_1', timestamp, Buffer.from(body))).toBe(signature);
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(timestamp), 'webhook-signature': signature };
    expect(new Webhook(receiverSecret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(receiverSecret).verify(body, { ...headers, 'webhook-id': 'msg_2' })).toThrow('No matching signature');
  });

  it('decodes the whsec_ form only from padded base64', () => {
    expect(standardWebhookKey('whsec_AAEC')).toEqual(Buffer.from([0, 1, 2]));
    expect(standardWebhookKey('whsec_AAE=')).toEqual(Buffer.from([0, 1]));
    expect(standardWebhookKey('whsec_AAE')).toEqual(Buffer.from('whsec_AAE'));
    expect(standardWebhookKey('whsec_')).toEqual(Buffer.from('whsec_'));
  });
});

describe('the webhook notifier', () => {
  it('signs each delivery per Standard Webhooks, so a receiver verifies it with the standardwebhooks package', async () => {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const receiver = await startReceiver(answer(204));
    const { notifier, failures } = aNotifier();

    notifier.notify(aNotification({ webhookUrl: receiver.url, webhookSecret: secret }));
    await notifier.flush();

    const [request] = receiver.requests as [Received];
    const headers = request.headers as Record<string, string>;
    expect(headers['webhook-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(Math.abs(Number(headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    expect(new Webhook(secret).verify(request.body, headers)).toMatchObject({ kind: 'execution.failure', configId: 'nightly-advancement' });
    // The existing scheme still signs the same bytes with the whole secret string.
    expect(verifySignature(request.body, secret, headers['x-grove-signature'])).toBe(true);
    expect(failures).toEqual([]);
  });

  it('keeps the webhook-id across retries and signs each attempt with its own timestamp', async () => {
    const receiver = await startReceiver((request, response, index) => answer(index < 2 ? 503 : 200)(request, response));
    const instants = ['2026-01-01T03:00:00.000Z', '2026-01-01T03:00:00.500Z', '2026-01-01T03:00:01.500Z'].map((at) => new Date(at));
    let call = 0;
    const { notifier } = aNotifier({ now: () => instants[call++] as Date, messageId: () => 'msg_fixed' });

    notifier.notify(aNotification({ webhookUrl: receiver.url }));
    await notifier.flush();

    expect(receiver.requests.map((r) => r.headers['webhook-id'])).toEqual(['msg_fixed', 'msg_fixed', 'msg_fixed']);
    expect(receiver.requests.map((r) => r.headers['webhook-timestamp'])).toEqual(['1767236400', '1767236400', '1767236401']);
    for (const request of receiver.requests) {
      const timestamp = Number(request.headers['webhook-timestamp']);
      expect(request.headers['webhook-signature']).toBe(signStandardWebhook(SECRET, 'msg_fixed', timestamp, request.body));
    }
  });

  it('posts the notification without its delivery settings, signed so the receiver can verify the exact bytes', async () => {
    const receiver = await startReceiver(answer(204));
    const { notifier, failures } = aNotifier();

    notifier.notify(aNotification({ webhookUrl: receiver.url }));
    await notifier.flush();

    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests as [Received];
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/hooks/T0K3N-in-path');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toBe('grove-jobs');
    expect(verifySignature(request.body, SECRET, request.headers['x-grove-signature'])).toBe(true);
    expect(JSON.parse(request.body.toString('utf8'))).toEqual({
      kind: 'execution.failure',
      at: '2026-01-01T03:00:05.000Z',
      configId: 'nightly-advancement',
      configVersion: 7,
      displayName: 'Nightly advancement',
      execution: aNotification().execution,
      consecutiveFailures: 2,
    });
    expect(request.body.toString('utf8')).not.toContain(SECRET);
    expect(failures).toEqual([]);
  });

  it('leaves out consecutiveFailures when the notification has none, and sends no signature without a secret', async () => {
    const receiver = await startReceiver(answer(200));
    const { notifier } = aNotifier();

    notifier.notify(aNotification({ kind: 'execution.success', consecutiveFailures: undefined, webhookSecret: undefined, webhookUrl: receiver.url }));
    await notifier.flush();

    const [request] = receiver.requests as [Received];
    expect(request.headers['x-grove-signature']).toBeUndefined();
    expect(request.headers['webhook-signature']).toBeUndefined();
    expect(request.headers['webhook-id']).toBeDefined();
    expect(request.headers['webhook-timestamp']).toMatch(/^\d+$/);
    expect(Object.keys(JSON.parse(request.body.toString('utf8')))).toEqual(['kind', 'at', 'configId', 'configVersion', 'displayName', 'execution']);
  });

  it.each([
    ['channels without webhook', { channels: ['log'] as const }],
    ['no webhook url', { webhookUrl: undefined }],
  ])('sends nothing for a notification with %s', async (_case, overrides) => {
    const receiver = await startReceiver(answer(200));
    const { notifier } = aNotifier();

    notifier.notify(aNotification({ webhookUrl: receiver.url, ...overrides }));
    await notifier.flush();

    expect(receiver.requests).toHaveLength(0);
  });

  it('retries a 500 and a 503 with doubling waits, then stops at the first success', async () => {
    const statuses = [500, 503, 200];
    const receiver = await startReceiver((request, response, index) => answer(statuses[index] ?? 200)(request, response));
    const { notifier, delays, failures } = aNotifier();

    notifier.notify(aNotification({ webhookUrl: receiver.url }));
    await notifier.flush();

    expect(receiver.requests).toHaveLength(3);
    expect(delays).toEqual([500, 1000]);
    expect(failures).toEqual([]);
    const bodies = new Set(receiver.requests.map((r) => r.body.toString('utf8')));
    expect(bodies.size).toBe(1);
  });

  it.each([500, 502, 503, 429, 408])('gives up on a receiver that always answers %i after exactly maxAttempts requests', async (status) => {
    const receiver = await startReceiver(answer(status));
    const { notifier, delays, failures } = aNotifier({ maxAttempts: 3, initialDelayMs: 100 });

    notifier.notify(aNotification({ webhookUrl: receiver.url }));
    await notifier.flush();

    expect(receiver.requests).toHaveLength(3);
    expect(delays).toEqual([100, 200]);
    expect(failures).toHaveLength(1);
    expect(failures[0]?.error).toMatchObject({ name: 'WebhookDeliveryError', attempts: 3, status });
  });

  it.each([400, 401, 404, 410, 422])('does not retry a %i: the receiver will refuse it again', async (status) => {
    const receiver = await startReceiver(answer(status));
    const { notifier, delays, failures } = aNotifier();

    notifier.notify(aNotification({ webhookUrl: receiver.url }));
    await notifier.flush();

    expect(receiver.requests).toHaveLength(1);
    expect(delays).toEqual([]);
    expect(failures[0]?.error).toMatchObject({ attempts: 1, status });
  });

  it('caps the wait between attempts at 30 seconds', async () => {
    const receiver = await startReceiver(answer(500));
    const { notifier, delays } = aNotifier({ maxAttempts: 6, initialDelayMs: 10_000 });

    notifier.notify(aNotification({ webhookUrl: receiver.url }));
    await notifier.flush();

    expect(delays).toEqual([10_000, 20_000, 30_000, 30_000, 30_000]);
  });

  it('retries when nothing listens, and reports the failure naming only the origin, never the path or the secret', async () => {
    const url = await aClosedPortUrl();
    const { notifier, failures } = aNotifier({ maxAttempts: 2 });

    notifier.notify(aNotification({ webhookUrl: url }));
    await notifier.flush();

    expect(failures).toHaveLength(1);
    const [failure] = failures as [{ error: WebhookDeliveryError; notification: unknown }];
    expect(failure.error).toMatchObject({ attempts: 2, status: undefined });
    expect(failure.error.message).toContain(new URL(url).origin);
    expect(failure.error.message).toContain('ECONNREFUSED');
    expect(failure.error.message).not.toContain('T0K3N');
    expect(JSON.stringify(failure.notification)).not.toContain(SECRET);
  });

  it('aborts an attempt the receiver never answers after timeoutMs, then retries', async () => {
    const receiver = await startReceiver(() => undefined);
    const { notifier, failures } = aNotifier({ maxAttempts: 2, timeoutMs: 50 });

    notifier.notify(aNotification({ webhookUrl: receiver.url }));
    await notifier.flush();

    expect(receiver.requests).toHaveLength(2);
    expect(failures[0]?.error.message).toContain('timed out');
  });

  it('returns from notify() before the receiver has answered; flush() waits for the delivery', async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const receiver = await startReceiver((_request, response) => void released.then(() => response.writeHead(200).end()));
    const { notifier, failures } = aNotifier();
    let flushed = false;

    notifier.notify(aNotification({ webhookUrl: receiver.url }));
    const flushing = notifier.flush().then(() => (flushed = true));
    await receiver.received(1);

    expect(flushed).toBe(false);
    release();
    await flushing;
    expect(flushed).toBe(true);
    expect(failures).toEqual([]);
  });

  it('delivers notifications independently: flush() waits for every one in flight', async () => {
    const receiver = await startReceiver(answer(200));
    const { notifier } = aNotifier();

    for (const id of ['a', 'b', 'c']) notifier.notify(aNotification({ webhookUrl: receiver.url, configId: `config-${id}` }));
    await notifier.flush();

    const configIds = receiver.requests.map((r) => (JSON.parse(r.body.toString('utf8')) as { configId: string }).configId);
    expect(configIds.sort()).toEqual(['config-a', 'config-b', 'config-c']);
  });
});
