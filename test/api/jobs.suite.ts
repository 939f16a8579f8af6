import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/app.js';
import { jobStatus } from '../../src/api/views.js';
import { REDACTED } from '../../src/domain/config/index.js';
import type { ConfigOverview } from '../../src/engine/ports.js';
import { createTokenStore } from '../../src/store/tokens.js';
import { aJobConfig } from '../support/builders.js';
import type { SqlFactory } from '../support/test-store.js';
import { type ApiHarness, makeHarness } from './support.js';

const SECRET = 'a-very-secret-signing-key';
const BEARER = 'Bearer s3cr3t-header-value';

function httpConfig(id = 'ping') {
  return {
    meta: { id, title: 'Ping' },
    payload: {
      jobType: 'http-request',
      schedule: { cronExpression: '*/5 * * * *', timezone: 'Europe/Berlin', isEnabled: true },
      parameters: { method: 'POST', url: 'https://example.com/hook', secret: SECRET, secretHeaders: { Authorization: BEARER } },
    },
  };
}

/** Every mutating route with a body that would succeed for an operator (admin for delete). */
function mutatingRoutes(executionId: string): Array<{ method: string; path: string; body?: unknown; minimum: 'operator' | 'admin' }> {
  return [
    { method: 'POST', path: '/api/jobs', body: aJobConfig({ id: 'another' }), minimum: 'operator' },
    { method: 'PUT', path: '/api/jobs/nightly-test', body: aJobConfig({ displayName: 'Renamed' }), minimum: 'operator' },
    { method: 'PATCH', path: '/api/jobs/nightly-test', body: { payload: { limits: { batchSize: 7 } } }, minimum: 'operator' },
    { method: 'DELETE', path: '/api/jobs/nightly-test', minimum: 'admin' },
    { method: 'POST', path: '/api/jobs/nightly-test/duplicate', body: {}, minimum: 'operator' },
    { method: 'POST', path: '/api/jobs/nightly-test/versions/1/restore', minimum: 'operator' },
    { method: 'POST', path: '/api/jobs/nightly-test/run', body: { dryRun: true }, minimum: 'operator' },
    { method: 'POST', path: `/api/executions/${executionId}/retry`, minimum: 'operator' },
    { method: 'POST', path: `/api/executions/${executionId}/cancel`, minimum: 'operator' },
  ];
}

/** The job-config, execution and schedule routes, run unchanged on every driver. */
export function runJobRoutesSuite(factory: SqlFactory): void {
  describe(`job routes on ${factory.name}`, () => {
    let h: ApiHarness;

    beforeEach(async () => {
      h = await makeHarness(await factory.make());
    });
    afterAll(() => factory.dispose());

    const create = async (config: unknown = aJobConfig()) => {
      const response = await h.call('POST', '/api/jobs', { body: config });
      expect(response.status).toBe(201);
      return response;
    };

    it('answers 401 without a valid token and 429 to failures after repeated failures from one address', async () => {
      expect((await h.call('GET', '/api/jobs', { as: 'none' })).status).toBe(401);
      const app = createApi({ system: h.system, tokens: createTokenStore(h.sql), auth: { clientAddress: () => '203.0.113.9', maxFailures: 3 } });
      const wrong = () => app.request('/api/jobs', { headers: { authorization: 'Bearer not-a-token' } });
      for (let i = 0; i < 3; i++) expect((await wrong()).status).toBe(401);
      const limited = await wrong();
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
      // Only failures are limited: a good token from that address is served.
      expect((await app.request('/api/jobs', { headers: { authorization: `Bearer ${h.tokens.viewer}` } })).status).toBe(200);
      const body = (await (await h.call('GET', '/api/jobs', { as: 'none' })).json()) as { error: { code: string } };
      expect(body.error.code).toBe('UNAUTHENTICATED');
    });

    it('lists job types with parameter JSON Schemas, defaults and secret names', async () => {
      const response = await h.call('GET', '/api/job-types', { as: 'viewer' });
      expect(response.status).toBe(200);
      const { items } = (await response.json()) as { items: Array<{ name: string; parameters: { type?: string; properties?: object }; defaults: object; secretParameters: string[] }> };
      const test = items.find((t) => t.name === 'test-job');
      expect(test?.parameters.type).toBe('object');
      expect(Object.keys(test?.parameters.properties ?? {})).toEqual(['mode', 'count', 'dryRun']);
      expect(test?.defaults).toMatchObject({ schedule: { cronExpression: '0 2 * * *' } });
      expect(items.find((t) => t.name === 'http-request')?.secretParameters).toEqual(['secret', 'secretHeaders']);
    });

    it('creates a config and reads it back with ETag, next runs, a schedule description and a status', async () => {
      const created = await create();
      expect(created.headers.get('etag')).toBe('"1"');
      expect(created.headers.get('location')).toBe('/api/jobs/nightly-test');
      const response = await h.call('GET', '/api/jobs/nightly-test', { as: 'viewer' });
      expect(response.status).toBe(200);
      expect(response.headers.get('etag')).toBe('"1"');
      const job = (await response.json()) as Record<string, unknown>;
      expect(job).toMatchObject({
        meta: { id: 'nightly-test', version: 1, createdBy: 'api:test-operator' },
        status: 'healthy',
        schedule: { description: expect.stringContaining('02:00'), timezone: 'UTC' },
        lastExecution: null,
        nextRuns: ['2026-11-24T02:00:00.000Z', '2026-11-25T02:00:00.000Z', '2026-11-26T02:00:00.000Z', '2026-11-27T02:00:00.000Z', '2026-11-28T02:00:00.000Z'],
      });
      expect((await h.call('GET', '/api/jobs/nope', { as: 'viewer' })).status).toBe(404);
    });

    it('filters, searches and sorts the list', async () => {
      await create(aJobConfig({ id: 'alpha', displayName: 'Zebra report' }));
      await create(aJobConfig({ id: 'beta', displayName: 'Apple sync', schedule: { isEnabled: false } }));
      await create(httpConfig());
      const ids = async (query: string) => ((await (await h.call('GET', `/api/jobs${query}`, { as: 'viewer' })).json()) as { items: Array<{ meta: { id: string } }> }).items.map((j) => j.meta.id);
      expect(await ids('')).toEqual(['alpha', 'beta', 'ping']);
      expect(await ids('?type=http-request')).toEqual(['ping']);
      expect(await ids('?enabled=false')).toEqual(['beta']);
      expect(await ids('?q=apple')).toEqual(['beta']);
      expect(await ids('?sort=-title')).toEqual(['alpha', 'ping', 'beta']);
      expect(await ids('?sort=nextRun')).toEqual(['ping', 'alpha', 'beta']);
      const bad = await h.call('GET', '/api/jobs?sort=colour', { as: 'viewer' });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { field: string } }).error.field).toBe('sort');
    });

    it('refuses bad input with 400 naming the field, 415 for non-JSON and 413 for oversized bodies, changing nothing', async () => {
      await create();
      const before = await h.snapshot();
      const cron = await h.call('POST', '/api/jobs', { body: aJobConfig({ id: 'x', schedule: { cronExpression: '61 * * * *' } }) });
      expect(cron.status).toBe(400);
      expect(((await cron.json()) as { error: { field: string; message: string } }).error).toMatchObject({ code: 'CONFIG_INVALID', field: 'payload.schedule.cronExpression' });
      const unknown = await h.call('PATCH', '/api/jobs/nightly-test', { body: { payload: { limits: { batchSize: 0 } } } });
      expect(((await unknown.json()) as { error: { field: string } }).error.field).toBe('payload.limits.batchSize');
      const extra = await h.call('PATCH', '/api/jobs/nightly-test', { body: { meta: {}, colour: 'red' } });
      expect(extra.status).toBe(400);
      expect(((await extra.json()) as { error: { field: string } }).error.field).toBe('colour');
      const malformed = await h.call('POST', '/api/jobs', { raw: '{"meta":', headers: { 'content-type': 'application/json' } });
      expect(malformed.status).toBe(400);
      const text = await h.call('POST', '/api/jobs', { raw: 'meta=1', headers: { 'content-type': 'text/plain' } });
      expect(text.status).toBe(415);
      const huge = await h.call('POST', '/api/jobs', { raw: JSON.stringify({ meta: { id: 'big', description: 'x'.repeat(11 * 1024 * 1024) } }), headers: { 'content-type': 'application/json' } });
      expect(huge.status).toBe(413);
      const run = await h.call('POST', '/api/jobs/nightly-test/run', { body: { batchSize: 0 } });
      expect(((await run.json()) as { error: { field: string } }).error.field).toBe('batchSize');
      expect(await h.snapshot()).toBe(before);
    });

    it('honours If-Match: a stale version gets 409 and changes nothing; PATCH merges then validates whole', async () => {
      await create();
      const patched = await h.call('PATCH', '/api/jobs/nightly-test', { body: { payload: { limits: { batchSize: 250 }, schedule: { timezone: 'Asia/Tokyo' } } }, headers: { 'if-match': '"1"' } });
      expect(patched.status).toBe(200);
      expect(patched.headers.get('etag')).toBe('"2"');
      const job = (await patched.json()) as { payload: { limits: { batchSize: number; maxConcurrent: number }; schedule: { timezone: string } } };
      expect(job.payload.limits).toMatchObject({ batchSize: 250, maxConcurrent: 1 });
      expect(job.payload.schedule.timezone).toBe('Asia/Tokyo');
      const before = await h.snapshot();
      const stale = await h.call('PUT', '/api/jobs/nightly-test', { body: aJobConfig({ displayName: 'Stale' }), headers: { 'if-match': '"1"' } });
      expect(stale.status).toBe(409);
      expect(((await stale.json()) as { error: { code: string } }).error.code).toBe('CONFIG_VERSION_CONFLICT');
      expect((await h.call('DELETE', '/api/jobs/nightly-test', { as: 'admin', headers: { 'if-match': '"1"' } })).status).toBe(409);
      expect((await h.call('PATCH', '/api/jobs/nightly-test', { body: { meta: { title: 'x' } }, headers: { 'if-match': 'soon' } })).status).toBe(400);
      expect(await h.snapshot()).toBe(before);
      const put = await h.call('PUT', '/api/jobs/nightly-test', { body: aJobConfig({ displayName: 'Fresh' }), headers: { 'if-match': '"2"' } });
      expect(put.status).toBe(200);
      expect(((await put.json()) as { payload: { displayName: string; limits: { batchSize: number } } }).payload).toMatchObject({ displayName: 'Fresh', limits: { batchSize: 100 } });
    });

    it('never returns secrets and keeps them when the redacted placeholder is sent back', async () => {
      await create(httpConfig());
      const read = (await (await h.call('GET', '/api/jobs/ping', { as: 'viewer' })).json()) as { meta: object; payload: { parameters: Record<string, unknown> } };
      expect(read.payload.parameters).toMatchObject({ secret: REDACTED, secretHeaders: { Authorization: REDACTED } });
      expect(JSON.stringify(read)).not.toContain(SECRET);
      // The console saves what it read, with one change.
      const edited = { meta: read.meta, payload: { ...read.payload, displayName: 'Ping (edited)' } };
      expect((await h.call('PUT', '/api/jobs/ping', { body: edited })).status).toBe(200);
      expect((await h.call('PATCH', '/api/jobs/ping', { body: { payload: { parameters: { secret: REDACTED, method: 'PUT' } } } })).status).toBe(200);
      const stored = await h.system.configs.get('ping');
      expect(stored.payload.parameters).toMatchObject({ method: 'PUT', secret: SECRET, secretHeaders: { Authorization: BEARER } });
      const versions = await (await h.call('GET', '/api/jobs/ping/versions', { as: 'viewer' })).text();
      const list = await (await h.call('GET', '/api/jobs', { as: 'viewer' })).text();
      for (const text of [versions, list]) {
        expect(text).not.toContain(SECRET);
        expect(text).not.toContain(BEARER);
      }
    });

    it('drops stored secrets when a write moves the url to another host without setting them again, and says so', async () => {
      await create(httpConfig());
      const moved = await h.call('PATCH', '/api/jobs/ping', { body: { payload: { parameters: { url: 'https://elsewhere.example.net/hook' } } } });
      expect(moved.status).toBe(200);
      const answer = (await moved.json()) as { droppedSecrets?: { paths: string[] }; payload: { parameters: Record<string, unknown> } };
      expect(answer.droppedSecrets?.paths).toEqual(['payload.parameters.secret', 'payload.parameters.secretHeaders.Authorization']);
      expect((await h.system.configs.get('ping')).payload.parameters).toMatchObject({ secretHeaders: {} });
      expect((await h.system.configs.get('ping')).payload.parameters['secret']).toBeUndefined();
      // Set again in the same write: kept, nothing dropped. A change on the same host keeps them too.
      const back = await h.call('PATCH', '/api/jobs/ping', { body: { payload: { parameters: { url: 'https://example.com/hook', secret: SECRET, secretHeaders: { Authorization: BEARER } } } } });
      expect(((await back.json()) as { droppedSecrets?: unknown }).droppedSecrets).toBeUndefined();
      const samehost = await h.call('PATCH', '/api/jobs/ping', { body: { payload: { parameters: { url: 'https://example.com/other' } } } });
      expect(((await samehost.json()) as { droppedSecrets?: unknown }).droppedSecrets).toBeUndefined();
      expect((await h.system.configs.get('ping')).payload.parameters).toMatchObject({ secret: SECRET, secretHeaders: { Authorization: BEARER } });
    });

    it('refuses a header value outside Latin-1 naming the field, never echoing the value', async () => {
      const before = await h.snapshot();
      const config = httpConfig();
      const refused = await h.call('POST', '/api/jobs', { body: { ...config, payload: { ...config.payload, parameters: { ...config.payload.parameters, secretHeaders: { 'x-key': 'sk-€-hidden-value' } } } } });
      expect(refused.status).toBe(400);
      const text = await refused.text();
      expect(text).toContain('secretHeaders.x-key');
      expect(text).not.toMatch(/hidden-value|€/);
      expect(await h.snapshot()).toBe(before);
    });

    it("shows no secret of a config's earlier job type in its versions after the type changed", async () => {
      await create(httpConfig());
      expect((await h.call('PUT', '/api/jobs/ping', { body: { meta: { id: 'ping', title: 'Ping' }, payload: { jobType: 'test-job' } } })).status).toBe(200);
      const versions = await (await h.call('GET', '/api/jobs/ping/versions', { as: 'viewer' })).text();
      expect(versions).toContain('test-job');
      for (const secret of [SECRET, BEARER, BEARER.split(' ')[1] as string]) expect(versions).not.toContain(secret);
    });

    it('lists versions newest first, restores one as a new version, and duplicates a config switched off', async () => {
      await create();
      await h.call('PATCH', '/api/jobs/nightly-test', { body: { payload: { limits: { batchSize: 5 } } } });
      const versions = (await (await h.call('GET', '/api/jobs/nightly-test/versions', { as: 'viewer' })).json()) as { items: Array<{ version: number; changedBy: string }> };
      expect(versions.items.map((v) => v.version)).toEqual([2, 1]);
      const restored = await h.call('POST', '/api/jobs/nightly-test/versions/1/restore');
      expect(restored.status).toBe(200);
      expect(restored.headers.get('etag')).toBe('"3"');
      expect(((await restored.json()) as { payload: { limits: { batchSize: number } } }).payload.limits.batchSize).toBe(100);
      expect((await h.call('POST', '/api/jobs/nightly-test/versions/9/restore')).status).toBe(404);
      const copy = await h.call('POST', '/api/jobs/nightly-test/duplicate', { body: { id: 'nightly-copy' } });
      expect(copy.status).toBe(201);
      expect((await copy.json()) as object).toMatchObject({ meta: { id: 'nightly-copy', version: 1 }, status: 'disabled', nextRuns: [] });
      expect((await h.call('POST', '/api/jobs/nightly-test/duplicate', { body: { id: 'nightly-copy' } })).status).toBe(409);
    });

    it('runs a job (202, idempotent by key), lists, shows, cancels and retries its executions', async () => {
      await create();
      const run = await h.call('POST', '/api/jobs/nightly-test/run', { body: { dryRun: true, batchSize: 10 }, headers: { 'idempotency-key': 'k-1' } });
      expect(run.status).toBe(202);
      const { executionId } = (await run.json()) as { executionId: string };
      const again = (await (await h.call('POST', '/api/jobs/nightly-test/run', { body: { dryRun: true }, headers: { 'idempotency-key': 'k-1' } })).json()) as { executionId: string; created: boolean };
      expect(again).toEqual({ executionId, created: false });
      const execution = (await (await h.call('GET', `/api/executions/${executionId}`, { as: 'viewer' })).json()) as Record<string, unknown>;
      expect(execution).toMatchObject({ id: executionId, configId: 'nightly-test', status: 'queued', trigger: 'api', dryRun: true, batchSize: 10, requestedBy: 'api:test-operator' });
      expect(execution).not.toHaveProperty('config');
      const list = (await (await h.call('GET', '/api/jobs/nightly-test/executions?limit=5&status=queued', { as: 'viewer' })).json()) as { items: unknown[] };
      expect(list.items).toHaveLength(1);
      expect((await h.call('GET', '/api/jobs/nightly-test/executions?status=lost', { as: 'viewer' })).status).toBe(400);
      expect(((await (await h.call('GET', `/api/executions/${executionId}/logs?after=0`, { as: 'viewer' })).json()) as { items: unknown[] }).items).toEqual([]);
      expect((await h.call('POST', `/api/executions/${executionId}/retry`)).status).toBe(409);
      const cancelled = await h.call('POST', `/api/executions/${executionId}/cancel`);
      expect(((await cancelled.json()) as { status: string }).status).toBe('cancelled');
      expect((await h.call('POST', `/api/executions/${executionId}/cancel`)).status).toBe(409);
      await h.clock.advanceBy(1000);
      const retry = await h.call('POST', `/api/executions/${executionId}/retry`);
      expect(retry.status).toBe(202);
      const job = (await (await h.call('GET', '/api/jobs/nightly-test', { as: 'viewer' })).json()) as { lastExecution: { id: string; status: string } };
      expect(job.lastExecution).toMatchObject({ id: ((await retry.json()) as { executionId: string }).executionId, status: 'queued' });
      expect((await h.call('GET', '/api/executions/00000000-0000-4000-8000-000000000000', { as: 'viewer' })).status).toBe(404);
      expect((await h.call('POST', '/api/jobs/nope/run', { body: {} })).status).toBe(404);
    });

    it('deletes for admins only, with the history', async () => {
      await create();
      await h.call('POST', '/api/jobs/nightly-test/run', { body: {} });
      expect((await h.call('DELETE', '/api/jobs/nightly-test', { as: 'operator' })).status).toBe(403);
      expect((await h.call('DELETE', '/api/jobs/nightly-test', { as: 'admin', headers: { 'if-match': '"1"' } })).status).toBe(204);
      expect((await h.call('GET', '/api/jobs/nightly-test', { as: 'viewer' })).status).toBe(404);
      expect((await h.call('DELETE', '/api/jobs/nightly-test', { as: 'admin' })).status).toBe(404);
      expect(JSON.parse(await h.snapshot())).toMatchObject({ configs: 0, versions: 0, executions: 0 });
    });

    it('previews schedules: description and next runs, or the refusal code (200)', async () => {
      const ok = await h.call('GET', '/api/schedule/preview?cron=30%202%20*%20*%20*&tz=Europe/Berlin&count=2&from=2026-03-28T00:00:00Z', { as: 'viewer' });
      expect(await ok.json()).toEqual({ valid: true, description: expect.any(String), nextRuns: ['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z'] });
      const bad = await h.call('GET', '/api/schedule/preview?cron=61%20*%20*%20*%20*', { as: 'viewer' });
      expect(bad.status).toBe(200);
      expect(await bad.json()).toMatchObject({ valid: false, error: { code: 'E_RANGE', message: expect.stringContaining('61') } });
      expect((await h.call('GET', '/api/schedule/preview?cron=*%20*%20*%20*%20*&tz=Mars/Base', { as: 'viewer' })).status).toBe(200);
      expect((await h.call('GET', '/api/schedule/preview', { as: 'viewer' })).status).toBe(400);
    });

    it('answers every mutating route with 401 without a token and 403 to a viewer, changing nothing', async () => {
      await create();
      const { executionId } = (await (await h.call('POST', '/api/jobs/nightly-test/run', { body: {} })).json()) as { executionId: string };
      const before = await h.snapshot();
      for (const route of mutatingRoutes(executionId)) {
        const opts = route.body === undefined ? {} : { body: route.body };
        expect((await h.call(route.method, route.path, { ...opts, as: 'none' })).status, `${route.method} ${route.path}`).toBe(401);
        expect((await h.call(route.method, route.path, { ...opts, as: 'viewer' })).status, `${route.method} ${route.path}`).toBe(403);
        if (route.minimum === 'admin') expect((await h.call(route.method, route.path, { ...opts, as: 'operator' })).status).toBe(403);
        expect(await h.snapshot()).toBe(before);
      }
    });

    it('serves health, readiness, the console placeholder, docs and an OpenAPI 3.1 document listing every route', async () => {
      expect((await h.app.request('/healthz')).status).toBe(200);
      expect((await h.app.request('/readyz')).status).toBe(200);
      expect(await (await h.app.request('/')).text()).toContain('href="api/docs"');
      const doc = (await (await h.app.request('/api/openapi.json')).json()) as { openapi: string; paths: Record<string, Record<string, { responses: object; operationId?: string }>> };
      expect(doc.openapi).toBe('3.1.0');
      const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
      const served = h.app.routes
        .filter((r) => r.path.startsWith('/api/') && r.method !== 'ALL' && !['/api/openapi.json', '/api/docs'].includes(r.path))
        .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
      expect(served.length).toBeGreaterThanOrEqual(18);
      for (const route of served) expect(documented, route).toContain(route);
      for (const ops of Object.values(doc.paths)) for (const op of Object.values(ops)) expect(Object.keys(op.responses).length).toBeGreaterThan(0);
      const docs = await (await h.app.request('/api/docs')).text();
      expect(docs).toContain('/api/jobs/{id}/run');
      expect((await h.app.request('/nowhere')).status).toBe(404);
    });
  });
}

describe('job status', () => {
  const overview = (over: Partial<ConfigOverview> & { enabled?: boolean; last?: string }): ConfigOverview => ({
    config: { meta: {}, payload: { schedule: { isEnabled: over.enabled ?? true } } } as ConfigOverview['config'],
    running: over.running ?? 0,
    consecutiveFailures: over.consecutiveFailures ?? 0,
    pausedAt: over.pausedAt ?? null,
    pausedReason: null,
    pausedUntil: null,
    pausedBy: null,
    lastExecution: over.last ? ({ status: over.last } as ConfigOverview['lastExecution']) : null,
  });
  it.each([
    ['healthy', overview({ last: 'success' })],
    ['disabled', overview({ enabled: false, last: 'failed' })],
    ['critical', overview({ enabled: false, pausedAt: new Date('2026-01-01T00:00:00Z') })],
    ['critical', overview({ consecutiveFailures: 3, last: 'failed' })],
    ['running', overview({ running: 1, last: 'failed' })],
    ['failing', overview({ last: 'timeout' })],
  ])('is %s', (expected, input) => expect(jobStatus(input)).toBe(expected));
});
