// The API under hostile use: the failed-authentication limiter (never a valid token refused,
// X-Forwarded-For believed only from trusted proxies), event streams per token, and the
// security headers on every kind of response.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenAPIHono } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/app.js';
import { clientAddressOf, TrustedProxies } from '../../src/api/client-address.js';
import { MAX_STREAMS_PER_TOKEN } from '../../src/api/events.js';
import type { ApiEnv } from '../../src/api/http.js';
import { createTokenStore } from '../../src/store/tokens.js';
import { pgliteFactory } from '../support/test-store.js';
import { SseReader } from './sse-reader.js';
import { type ApiHarness, makeHarness } from './support.js';

const factory = pgliteFactory();
let h: ApiHarness;

beforeAll(async () => {
  h = await makeHarness(await factory.make());
}, 60_000);
afterAll(() => factory.dispose());

/** What @hono/node-server passes as the app's env: the request's socket. */
const fromSocket = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } });
/** A well-formed token no store holds; `prefix` fixes its first characters. */
const wrongToken = (prefix = 'gj_') => prefix + randomBytes(32).toString('base64url').slice(0, 43 - (prefix.length - 3));

function jobsAs(app: ReturnType<typeof createApi>, token: string, socket: string, headers: Record<string, string> = {}) {
  return app.request('/api/jobs', { headers: { authorization: `Bearer ${token}`, ...headers } }, fromSocket(socket));
}

async function errorCode(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}

describe('the failed-authentication limiter', () => {
  it('serves a valid token from an address after 30 failures from it, and answers the failures past 10 with 429 and Retry-After', async () => {
    const app = createApi({ system: h.system, tokens: createTokenStore(h.sql) });
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const response = await jobsAs(app, wrongToken(), '203.0.113.7');
      statuses.push(response.status);
      if (response.status === 429) {
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(Number(response.headers.get('retry-after'))).toBeLessThanOrEqual(60);
        expect(await errorCode(response)).toBe('TOO_MANY_FAILED_AUTHENTICATIONS');
      }
    }
    expect(statuses).toEqual([...Array<number>(10).fill(401), ...Array<number>(20).fill(429)]);

    for (const token of [h.tokens.viewer, h.tokens.operator, h.tokens.admin]) expect((await jobsAs(app, token, '203.0.113.7')).status).toBe(200);
    // The console's event stream carries its token in the query: served too.
    const stream = await app.request(`/api/events?token=${h.tokens.viewer}`, {}, fromSocket('203.0.113.7'));
    expect(stream.status).toBe(200);
    await stream.body?.cancel();
    // Failures from the address are still slowed; other addresses are not.
    expect((await jobsAs(app, wrongToken(), '203.0.113.7')).status).toBe(429);
    expect((await jobsAs(app, wrongToken(), '203.0.113.8')).status).toBe(401);
  });

  it('slows failures with one token prefix from many addresses', async () => {
    const app = createApi({ system: h.system, tokens: createTokenStore(h.sql) });
    const prefix = `gj_${randomBytes(6).toString('base64url')}`;
    for (let i = 0; i < 10; i++) expect((await jobsAs(app, wrongToken(prefix), `198.51.100.${i + 1}`)).status).toBe(401);
    const limited = await jobsAs(app, wrongToken(prefix), '198.51.100.200');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await jobsAs(app, wrongToken(), '198.51.100.201')).status).toBe(401);
    expect((await jobsAs(app, h.tokens.viewer, '198.51.100.200')).status).toBe(200);
  });

  it('ignores X-Forwarded-For without trusted proxies: every failure counts against the connecting address', async () => {
    const app = createApi({ system: h.system, tokens: createTokenStore(h.sql) });
    for (let i = 0; i < 10; i++) expect((await jobsAs(app, wrongToken(), '127.0.0.1', { 'x-forwarded-for': `192.0.2.${i + 1}` })).status).toBe(401);
    expect((await jobsAs(app, wrongToken(), '127.0.0.1', { 'x-forwarded-for': '192.0.2.99' })).status).toBe(429);
    expect((await jobsAs(app, h.tokens.viewer, '127.0.0.1', { 'x-forwarded-for': '192.0.2.99' })).status).toBe(200);
  });

  it('takes the client from X-Forwarded-For when the connection comes from a trusted proxy, and only then', async () => {
    const app = createApi({ system: h.system, tokens: createTokenStore(h.sql), auth: { clientAddress: clientAddressOf(TrustedProxies.parse('10.0.0.0/8, loopback')) } });
    // Behind the proxy: the client is the address the proxy appended (dual-stack sockets report IPv4 as ::ffff:…).
    for (let i = 0; i < 10; i++) expect((await jobsAs(app, wrongToken(), '::ffff:127.0.0.1', { 'x-forwarded-for': '192.0.2.10' })).status).toBe(401);
    expect((await jobsAs(app, wrongToken(), '127.0.0.1', { 'x-forwarded-for': '192.0.2.10' })).status).toBe(429);
    // Another client behind the same proxy is not slowed, nor is a valid token of the slowed one.
    expect((await jobsAs(app, wrongToken(), '127.0.0.1', { 'x-forwarded-for': '192.0.2.11' })).status).toBe(401);
    expect((await jobsAs(app, h.tokens.viewer, '127.0.0.1', { 'x-forwarded-for': '192.0.2.10' })).status).toBe(200);
    // What the client wrote itself (left of the proxies' entries) changes nothing.
    expect((await jobsAs(app, wrongToken(), '127.0.0.1', { 'x-forwarded-for': '192.0.2.77, 192.0.2.10, 10.1.1.1' })).status).toBe(429);
    // A connection from an untrusted address is its own client, whatever it claims.
    expect((await jobsAs(app, wrongToken(), '192.0.2.200', { 'x-forwarded-for': '192.0.2.10' })).status).toBe(401);
  });

  it('reads --trust-proxy as addresses, CIDR ranges and "loopback", and refuses anything else', () => {
    const trusted = TrustedProxies.parse('10.0.0.0/8, 192.0.2.1,fd00::/8, loopback');
    for (const address of ['10.200.0.1', '192.0.2.1', 'fd12::1', '127.0.0.9', '::1']) expect(trusted.has(address), address).toBe(true);
    for (const address of ['11.0.0.1', '192.0.2.2', 'fe80::1', 'unknown', '']) expect(trusted.has(address), address).toBe(false);
    for (const value of ['', ' , ', 'proxy.example', '10.0.0.0/33', '10.0.0.0/8/1', '::/129', '10.0.0.0/x']) expect(() => TrustedProxies.parse(value), value).toThrow();
  });
});

describe('event streams per token', () => {
  it(`serves a token ${MAX_STREAMS_PER_TOKEN} streams, refuses the next with 429, serves other tokens, and serves it again once one closes`, async () => {
    const app = createApi({ system: h.system, tokens: createTokenStore(h.sql) });
    const open = (token: string) => app.request('/api/events', { headers: { authorization: `Bearer ${token}` } }, fromSocket('192.0.2.1'));
    const streams: SseReader[] = [];
    try {
      for (let i = 0; i < MAX_STREAMS_PER_TOKEN; i++) {
        const response = await open(h.tokens.viewer);
        expect(response.status).toBe(200);
        const stream = new SseReader(response);
        streams.push(stream);
        await stream.next((event) => event.event === 'ready');
      }
      const refused = await open(h.tokens.viewer);
      expect(refused.status).toBe(429);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('TOO_MANY_STREAMS_FOR_TOKEN');
      expect(body.error.message).toContain(`${MAX_STREAMS_PER_TOKEN} event streams`);

      const other = await open(h.tokens.operator);
      expect(other.status).toBe(200);
      streams.push(new SseReader(other));

      await streams.shift()?.close();
      const again = await open(h.tokens.viewer);
      expect(again.status).toBe(200);
      streams.push(new SseReader(again));
    } finally {
      await Promise.all(streams.map((stream) => stream.close()));
    }
  });

  it('refuses streams past the process limit with 503, and takes the limits from the options', async () => {
    const app = createApi({ system: h.system, tokens: createTokenStore(h.sql), streams: { maxStreams: 3, maxStreamsPerToken: 2 } });
    const open = (token: string) => app.request('/api/events', { headers: { authorization: `Bearer ${token}` } }, fromSocket('192.0.2.2'));
    const streams: SseReader[] = [];
    try {
      for (const token of [h.tokens.viewer, h.tokens.viewer, h.tokens.operator]) {
        const response = await open(token);
        expect(response.status).toBe(200);
        streams.push(new SseReader(response));
      }
      expect((await open(h.tokens.viewer)).status).toBe(429);
      const full = await open(h.tokens.admin);
      expect(full.status).toBe(503);
      expect(await errorCode(full)).toBe('TOO_MANY_STREAMS');
    } finally {
      await Promise.all(streams.map((stream) => stream.close()));
    }
  });
});

describe('security headers', () => {
  const sha256 = (text: string) => `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;

  function expectSecurityHeaders(response: Response, what: string): string {
    expect(response.headers.get('x-content-type-options'), what).toBe('nosniff');
    expect(response.headers.get('x-frame-options'), what).toBe('DENY');
    expect(response.headers.get('referrer-policy'), what).toBe('no-referrer');
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy, what).toContain("frame-ancestors 'none'");
    const scripts = /(?:^|;\s*)script-src ([^;]*)/.exec(policy)?.[1] ?? /(?:^|;\s*)default-src ([^;]*)/.exec(policy)?.[1] ?? '';
    expect(scripts, what).not.toBe('');
    expect(policy, what).not.toContain('unsafe-inline');
    expect(scripts, what).not.toContain('unsafe-eval');
    return policy;
  }

  it('are on the console, its assets, API answers, 401s, 404s, 500s and event streams; the console runs its inline script by hash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grove-console-'));
    try {
      const inline = "\n      window.early = { reads: 1 };\n    ";
      writeFileSync(
        join(dir, 'index.html'),
        `<!doctype html><html><head><script>${inline}</script><script type="module" crossorigin src="/assets/index-abc.js"></script></head><body><div id="root"></div></body></html>`,
      );
      mkdirSync(join(dir, 'assets'));
      writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1);\n');
      const failing = new OpenAPIHono<ApiEnv>();
      failing.get('/fails', () => {
        throw new Error('an unexpected failure');
      });
      const app = createApi({ system: h.system, tokens: createTokenStore(h.sql), consoleDir: dir, extraApiRoutes: [failing] });
      const as = (token: string) => ({ authorization: `Bearer ${token}` });

      const page = await app.request('/jobs/advancement-batch');
      expect(page.status).toBe(200);
      const pagePolicy = expectSecurityHeaders(page, 'console');
      expect(pagePolicy).toContain(`'${sha256(inline)}'`);
      expect(pagePolicy).toMatch(/(?:^|;\s*)script-src 'self' 'sha256-[A-Za-z0-9+/=]+'(?:;|$)/);

      const responses: Array<[string, Response, number]> = [
        ['asset', await app.request('/assets/index-abc.js'), 200],
        ['API', await app.request('/api/jobs', { headers: as(h.tokens.viewer) }), 200],
        ['health', await app.request('/healthz'), 200],
        ['401', await app.request('/api/jobs'), 401],
        ['403', await app.request('/api/jobs/x', { method: 'DELETE', headers: as(h.tokens.viewer) }), 403],
        ['404', await app.request('/no/such/page'), 404],
        ['API 404', await app.request('/api/jobs/no-such-job', { headers: as(h.tokens.viewer) }), 404],
        ['500', await app.request('/api/fails', { headers: as(h.tokens.viewer) }), 500],
        ['API docs', await app.request('/api/docs'), 200],
        ['OpenAPI', await app.request('/api/openapi.json'), 200],
        ['metrics', await app.request('/metrics'), 200],
        ['event stream', await app.request('/api/events', { headers: as(h.tokens.viewer) }), 200],
      ];
      for (const [what, response, status] of responses) {
        expect(response.status, what).toBe(status);
        const policy = expectSecurityHeaders(response, what);
        if (what !== 'API docs') expect(policy, what).toContain("default-src 'none'");
        await response.body?.cancel();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('are on the placeholder page served while the console is not built, and on the API docs, their inline styles named by hash', async () => {
    const app = createApi({ system: h.system, tokens: createTokenStore(h.sql), consoleDir: null });
    for (const path of ['/', '/api/docs']) {
      const page = await app.request(path);
      expect(page.status).toBe(200);
      const policy = expectSecurityHeaders(page, path);
      expect(policy).toMatch(/(?:^|;\s*)script-src 'self'(?:;|$)/);
      const style = /<style>([\s\S]*?)<\/style>/.exec(await page.text())?.[1];
      expect(style, path).toBeDefined();
      expect(policy).toContain(`style-src 'self' '${sha256(style ?? '')}'`);
    }
  });
});
