import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Received, startHttpReceiver } from '../../../test/support/http-receiver.js';
import type { JobConfig, JobContext, JobProgress, LogLevel } from '../../domain/config/index.js';
import { JobTypeRegistry, REDACTED, validateJobConfig } from '../../domain/config/index.js';
import { signStandardWebhook as signNotification } from '../../notify/webhook-notifier.js';
import { executeHttpRequest, httpRequestJobType, httpRequestParameters, signStandardWebhook, type HttpRequestParameters } from './index.js';

const SECRET = 'sig-secret-0123456789';
const BEARER = 'Bearer eyJhbGciOiJIUzI1NiJ9.grove';
const CRON_SECRET = 'cron-secret-abcdef123456';

const startReceiver = startHttpReceiver;

function answer(status: number, body = '') {
  return (_request: Received, response: ServerResponse) => response.writeHead(status).end(body);
}

interface LogLine {
  level: LogLevel;
  message: string;
  data?: Record<string, unknown>;
}

/** A JobContext for one http-request execution; parameters go through the type's schema, as the engine's do. */
function aContext(parameters: Record<string, unknown>, overrides: Partial<JobContext<HttpRequestParameters>> = {}) {
  const logs: LogLine[] = [];
  const progress: JobProgress[] = [];
  const controller = new AbortController();
  const context: JobContext<HttpRequestParameters> = {
    executionId: 'exec-42',
    config: { meta: { id: 'ping-partner' } } as unknown as JobConfig,
    parameters: httpRequestParameters.parse(parameters),
    slot: new Date('2026-01-01T03:00:00Z'),
    attempt: 2,
    batchSize: 100,
    dryRun: false,
    signal: controller.signal,
    now: () => new Date('2026-01-01T00:00:00Z'),
    log: (level, message, data) => void logs.push({ level, message, ...(data ? { data } : {}) }),
    progress: (p) => void progress.push(p),
    ...overrides,
  };
  return { context, logs, progress, controller };
}

const hmac = (body: Buffer | string, secret: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('the http-request job type', () => {
  it('is named http-request, keeps its secrets write-only and leaves the schedule to the operator', () => {
    expect(httpRequestJobType.name).toBe('http-request');
    expect(httpRequestJobType.secretParameters).toEqual(expect.arrayContaining(['secret', 'secretHeaders']));
    expect(httpRequestJobType.defaults?.schedule?.cronExpression).toBeUndefined();

    const registry = new JobTypeRegistry([httpRequestJobType]);
    const managed = { version: 1, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', createdBy: 't', updatedBy: 't' };
    const input = { meta: { id: 'ping-partner' }, payload: { jobType: 'http-request', parameters: { url: 'https://partner.example.test/ping' } } };
    expect(() => validateJobConfig(input, registry, managed)).toThrow(/cronExpression/);
    const config = validateJobConfig({ ...input, payload: { ...input.payload, schedule: { cronExpression: '0 3 * * *' } } }, registry, managed);
    expect(config.payload.parameters).toEqual({ method: 'POST', url: 'https://partner.example.test/ping', headers: {}, secretHeaders: {} });
  });

  it.each([
    ['a body on a GET', { method: 'GET', body: 'x' }, 'body'],
    ['a body on a HEAD', { method: 'HEAD', body: { a: 1 } }, 'body'],
    ['a credential in the shown headers', { headers: { Authorization: BEARER } }, 'headers.Authorization'],
    ['a token header in the shown headers', { headers: { 'X-Refresh-Token': 'x' } }, 'headers.X-Refresh-Token'],
    ['a header grove-jobs sets itself', { headers: { 'Grove-Attempt': '9' } }, 'headers.Grove-Attempt'],
    ['a Standard Webhooks header', { headers: { 'Webhook-Id': 'x' } }, 'headers.Webhook-Id'],
    ['a whsec_ secret that is not padded base64', { secret: 'whsec_not-base64-at-all-0123' }, 'secret'],
    ['a whsec_ secret of fewer than 24 bytes', { secret: `whsec_${randomBytes(16).toString('base64')}` }, 'secret'],
    ['the same header twice', { headers: { Accept: 'a' }, secretHeaders: { accept: 'b' } }, 'secretHeaders.accept'],
    ['a header name with a space', { headers: { 'Bad Name': 'x' } }, 'headers'],
    ['a header value with a line break', { headers: { Accept: 'a\r\nX-Evil: 1' } }, 'headers.Accept'],
    ['user:password in the url', { url: 'https://user:pw@partner.example.test/' }, 'url'],
    ['a url that is not http(s)', { url: 'ftp://partner.example.test/' }, 'url'],
    ['a secret shorter than 16 characters', { secret: 'short' }, 'secret'],
    ['a secret header value under 4 characters', { secretHeaders: { 'x-pin': 'abc' } }, 'secretHeaders.x-pin'],
    ['a header value outside Latin-1', { secretHeaders: { 'x-key': 'key-€-value' } }, 'secretHeaders.x-key'],
    ['a header value with a control character', { headers: { Accept: 'a\u0007b' } }, 'headers.Accept'],
    ['an expected status outside 100..599', { expectStatus: [200, 700] }, 'expectStatus'],
    ['an unknown parameter', { timeoutSeconds: 5 }, ''],
  ])('refuses %s', (_case, parameters, path) => {
    const result = httpRequestParameters.safeParse({ url: 'https://partner.example.test/ping', ...parameters });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContainEqual(expect.stringContaining(path));
  });
});

describe('the http-request handler', () => {
  it.each([
    ['a scheduled run', new Date('2026-01-01T03:00:00Z'), '2026-01-01T03:00:00.000Z'],
    ['a manual run', undefined, ''],
  ])('sends the configured request with Grove headers for %s', async (_case, slot, groveSlot) => {
    const receiver = await startReceiver();
    const { context } = aContext(
      { method: 'PUT', url: `${receiver.url}/sync?org=7`, headers: { Accept: 'text/plain' }, secretHeaders: { 'x-cron-secret': CRON_SECRET }, body: 'run' },
      { slot },
    );

    await executeHttpRequest(context);

    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests as [Received];
    expect(request).toMatchObject({ method: 'PUT', url: '/sync?org=7' });
    expect(request.body.toString('utf8')).toBe('run');
    expect(request.headers).toMatchObject({
      accept: 'text/plain',
      'x-cron-secret': CRON_SECRET,
      'user-agent': 'grove-jobs',
      'grove-execution-id': 'exec-42',
      'grove-config-id': 'ping-partner',
      'grove-attempt': '2',
      'grove-slot': groveSlot,
    });
    expect(request.headers['x-grove-signature']).toBeUndefined();
  });

  it('sends a JSON body as JSON with its content type', async () => {
    const receiver = await startReceiver();
    const { context } = aContext({ url: receiver.url, body: { orgs: [1, 2], force: true, note: 'née' } });

    await executeHttpRequest(context);

    const [request] = receiver.requests as [Received];
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body.toString('utf8'))).toEqual({ orgs: [1, 2], force: true, note: 'née' });
  });

  it.each([
    ['a JSON body', 'POST', { note: 'née', n: 1 }],
    ['a text body', 'POST', 'plain text'],
    ['no body (the empty byte string is signed)', 'GET', undefined],
  ])('signs %s with the secret so the receiver can verify the exact bytes', async (_case, method, body) => {
    const receiver = await startReceiver();
    const { context } = aContext({ method, url: receiver.url, body, secret: SECRET });

    await executeHttpRequest(context);

    const [request] = receiver.requests as [Received];
    expect(request.headers['x-grove-signature']).toBe(hmac(request.body, SECRET));
    const timestamp = Number(request.headers['webhook-timestamp']);
    expect(request.headers['webhook-signature']).toBe(signStandardWebhook(SECRET, String(request.headers['webhook-id']), timestamp, request.body));
  });

  it('signs per Standard Webhooks, so the receiver verifies the request with the standardwebhooks package', async () => {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const receiver = await startReceiver();
    const { context } = aContext({ url: receiver.url, body: { orgs: [1] }, secret }, { now: () => new Date() });

    await executeHttpRequest(context);

    const [request] = receiver.requests as [Received];
    expect(new Webhook(secret).verify(request.body, request.headers as Record<string, string>)).toEqual({ orgs: [1] });
    expect(request.headers['x-grove-signature']).toBe(hmac(request.body, secret));
  });

  it('gives every attempt of a slot one webhook-id, and each manual attempt its execution id', async () => {
    const receiver = await startReceiver();
    const slot = new Date('2026-01-01T03:00:00Z');
    for (const [executionId, attempt] of [['exec-1', 1], ['exec-2', 2]] as const) {
      await executeHttpRequest(aContext({ url: receiver.url }, { executionId, attempt, slot }).context);
    }
    await executeHttpRequest(aContext({ url: receiver.url }, { executionId: 'exec-9', slot: new Date('2026-01-02T03:00:00Z') }).context);
    await executeHttpRequest(aContext({ url: receiver.url }, { executionId: 'exec-manual', slot: undefined }).context);

    const ids = receiver.requests.map((r) => r.headers['webhook-id']);
    expect(ids[0]).toMatch(/^slot_[0-9a-f]{32}$/);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).not.toBe(ids[0]);
    expect(ids[3]).toBe('exec-manual');
    // The timestamp is the engine clock's (aContext's now), in Unix seconds.
    expect(receiver.requests[0]?.headers['webhook-timestamp']).toBe('1767225600');
    expect(receiver.requests[0]?.headers['webhook-signature']).toBeUndefined();
  });

  it('signs exactly as webhook notifications do, so one receiver verifies both', () => {
    for (const secret of [SECRET, `whsec_${randomBytes(32).toString('base64')}`]) {
      expect(signStandardWebhook(secret, 'msg_1', 1767225600, 'body')).toBe(signNotification(secret, 'msg_1', 1767225600, 'body'));
    }
  });

  it.each([
    [200, undefined, true],
    [204, undefined, true],
    [302, undefined, false],
    [404, undefined, false],
    [500, undefined, false],
    [201, 201, true],
    [200, 201, false],
    [503, [200, 503], true],
    [500, [200, 204], false],
  ] as const)('counts status %i as %s when the expectation is %j', async (status, expectStatus, ok) => {
    const receiver = await startReceiver(answer(status));
    const { context } = aContext({ url: `${receiver.url}/job`, expectStatus });

    const outcome = executeHttpRequest(context);

    if (ok) {
      await expect(outcome).resolves.toMatchObject({
        summary: `POST ${receiver.url}/job → ${status}`,
        result: { status },
        items: { total: 1, processed: 1, succeeded: 1, failed: 0 },
      });
    } else {
      const expectation = expectStatus === undefined ? 'any 2xx' : typeof expectStatus === 'number' ? String(expectStatus) : `one of ${expectStatus.join(', ')}`;
      await expect(outcome).rejects.toThrow(`POST ${receiver.url}/job → ${status}, expected ${expectation}`);
    }
  });

  it('does not follow a redirect, so secret headers never reach another host', async () => {
    const elsewhere = await startReceiver();
    const receiver = await startReceiver((_request, response) => response.writeHead(307, { Location: `${elsewhere.url}/stolen` }).end());
    const { context } = aContext({ url: receiver.url, secretHeaders: { 'x-cron-secret': CRON_SECRET } });

    await expect(executeHttpRequest(context)).rejects.toThrow('→ 307');
    expect(elsewhere.requests).toHaveLength(0);
  });

  it.each([
    ['a 10 KB response', 10 * 1024, 4096, true],
    ['a response of exactly 4096 bytes', 4096, 4096, false],
    ['a short response', 12, 12, false],
  ])('keeps at most the first 4096 bytes of %s', async (_case, size, kept, truncated) => {
    const receiver = await startReceiver(answer(200, 'x'.repeat(size)));
    const { context, logs } = aContext({ url: receiver.url });

    const outcome = await executeHttpRequest(context);

    expect(outcome.result).toEqual({ status: 200, body: 'x'.repeat(kept), bodyTruncated: truncated });
    expect(logs.find((l) => l.level === 'debug' && l.data?.['body'] !== undefined)?.data).toEqual({ body: 'x'.repeat(kept), bodyTruncated: truncated });
  });

  it('drops a character cut in half by the 4096-byte limit instead of garbling it', async () => {
    // 4095 ASCII bytes, then a 2-byte 'é' straddling the limit.
    const receiver = await startReceiver(answer(200, `${'x'.repeat(4095)}é and more`));
    const { context } = aContext({ url: receiver.url });

    const outcome = await executeHttpRequest(context);

    expect(outcome.result).toMatchObject({ body: 'x'.repeat(4095), bodyTruncated: true });
  });

  it('logs the status line at info and the body at debug', async () => {
    const receiver = await startReceiver(answer(202, 'accepted'));
    const { context, logs } = aContext({ url: `${receiver.url}/batch` });

    await executeHttpRequest(context);

    expect(logs).toContainEqual({ level: 'info', message: `POST ${receiver.url}/batch → 202`, data: { status: 202 } });
    expect(logs).toContainEqual({ level: 'debug', message: 'response body', data: { body: 'accepted', bodyTruncated: false } });
  });

  it('rejects promptly with the abort reason when the signal fires while the receiver never answers', async () => {
    const receiver = await startReceiver(() => undefined);
    const { context, controller } = aContext({ url: receiver.url });
    const reason = new Error('timeout after 120 s');

    const outcome = executeHttpRequest(context);
    await receiver.received(1);
    controller.abort(reason);

    await expect(outcome).rejects.toBe(reason);
  });

  it('rejects with the abort reason when the signal fires while the body is still streaming', async () => {
    const receiver = await startReceiver((_request, response) => {
      response.writeHead(200);
      response.write('first part');
    });
    const { context, controller } = aContext({ url: receiver.url });
    const reason = new Error('cancelled');

    const outcome = executeHttpRequest(context);
    await receiver.received(1);
    controller.abort(reason);

    await expect(outcome).rejects.toBe(reason);
  });

  it('names the request, without query secrets, when nothing listens', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const { context } = aContext({ method: 'DELETE', url: `http://127.0.0.1:${port}/x?token=${CRON_SECRET}` });

    const outcome = executeHttpRequest(context);

    await expect(outcome).rejects.toThrow(`DELETE http://127.0.0.1:${port}/x?token=*** failed: fetch failed (ECONNREFUSED)`);
    await expect(outcome).rejects.not.toThrow(CRON_SECRET);
  });

  it('sends nothing on a dry run and says what it would have sent, by header name only', async () => {
    const receiver = await startReceiver();
    const { context, logs } = aContext(
      { method: 'PATCH', url: `${receiver.url}/orgs?api_key=${CRON_SECRET}`, secretHeaders: { Authorization: BEARER }, body: { a: 1 }, secret: SECRET },
      { dryRun: true },
    );

    const outcome = await executeHttpRequest(context);

    expect(receiver.requests).toHaveLength(0);
    expect(outcome.summary).toBe(`dry run: PATCH ${receiver.url}/orgs?api_key=*** not sent`);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ level: 'info', message: `dry run: would send PATCH ${receiver.url}/orgs?api_key=***` });
    expect(logs[0]?.data?.['headers']).toEqual(expect.arrayContaining(['authorization', 'content-type', 'grove-slot', 'x-grove-signature', 'webhook-signature']));
    const shown = JSON.stringify({ outcome, logs });
    for (const secret of [SECRET, BEARER, CRON_SECRET]) expect(shown).not.toContain(secret);
  });

  it('keeps every secret out of logs and results, even when the receiver echoes the request back', async () => {
    const receiver = await startReceiver((request, response) => response.writeHead(200).end(JSON.stringify(request.headers)));
    const { context, logs } = aContext({
      url: `${receiver.url}/echo?token=${CRON_SECRET}&page=2`,
      secretHeaders: { Authorization: BEARER, 'x-cron-secret': CRON_SECRET },
      secret: SECRET,
    });

    const outcome = await executeHttpRequest(context);

    const [request] = receiver.requests as [Received];
    expect(request.headers).toMatchObject({ authorization: BEARER, 'x-cron-secret': CRON_SECRET });
    expect(outcome.summary).toBe(`POST ${receiver.url}/echo?token=***&page=2 → 200`);
    expect(JSON.parse(String(outcome.result?.['body']))).toMatchObject({ authorization: REDACTED, 'x-cron-secret': REDACTED });
    const shown = JSON.stringify({ outcome, logs });
    for (const secret of [SECRET, BEARER, BEARER.split(' ')[1], CRON_SECRET]) expect(shown).not.toContain(secret);
    expect(logs.find((l) => l.message.startsWith('sending'))?.data?.['headers']).toEqual(expect.arrayContaining(['authorization', 'x-cron-secret']));
  });

  it('refuses a non-Latin-1 header value by field name, never echoing it', () => {
    const result = httpRequestParameters.safeParse({ url: 'https://partner.example.test/', secretHeaders: { 'x-key': 'sk-€-very-secret' } });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).not.toContain('very-secret');
    expect(JSON.stringify(result.error?.issues)).not.toContain('€');
  });

  it('fails a run whose stored header value fetch refuses, naming the header but not the value', async () => {
    const receiver = await startReceiver();
    const { context } = aContext({ url: receiver.url });
    // A config stored before values were checked when written.
    context.parameters.secretHeaders['x-key'] = 'sk-€-very-secret';
    const outcome = executeHttpRequest(context);
    await expect(outcome).rejects.toThrow('secretHeaders.x-key: the value is not a valid HTTP header value');
    await expect(outcome).rejects.not.toThrow(/very-secret|€|index/);
    expect(receiver.requests).toHaveLength(0);
  });

  it('masks secrets echoed JSON-escaped, short ones, and one cut at the 4096-byte limit', async () => {
    const quoted = 'q"uo\\te-secret-value';
    const short = 'k7Q!z';
    const cut = 'cut-secret-0123456789abcdef';
    const receiver = await startReceiver((request, response) => {
      const echoed = JSON.stringify({ a: request.headers['x-quoted'], b: request.headers['x-short'] });
      // The cut secret straddles the limit: the kept body ends in its first 10 characters.
      const padding = 'x'.repeat(4096 - echoed.length - 10);
      response.writeHead(200).end(`${echoed}${padding}${String(request.headers['x-cut'])}`);
    });
    const { context, logs } = aContext({ url: receiver.url, secretHeaders: { 'x-quoted': quoted, 'x-short': short, 'x-cut': cut } });
    const outcome = await executeHttpRequest(context);
    const shown = JSON.stringify({ outcome, logs });
    for (const secret of [quoted, short, cut]) {
      expect(shown).not.toContain(secret);
      expect(shown).not.toContain(JSON.stringify(secret).slice(1, -1));
    }
    expect(String(outcome.result?.['body'])).not.toContain(cut.slice(0, 8));
    expect(String(outcome.result?.['body']).endsWith(REDACTED)).toBe(true);
  });
});
