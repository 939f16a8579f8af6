import { OpenAPIHono } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/app.js';
import type { ApiEnv } from '../../src/api/http.js';
import { jsonPathBeyondDepth, jsonViolation } from '../../src/api/input-guard.js';
import { applyMergePatch } from '../../src/domain/config/merge-patch.js';
import { createTokenStore } from '../../src/store/tokens.js';
import { aJobConfig } from '../support/builders.js';
import { pgliteFactory } from '../support/test-store.js';
import { type ApiHarness, makeHarness } from './support.js';

const deepObject = (depth: number, leaf = '1') => '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
const deepArray = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const httpConfig = (id: string, body: string) =>
  `{"meta":{"id":"${id}"},"payload":{"jobType":"http-request","schedule":{"cronExpression":"0 3 * * *","timezone":"UTC"},"parameters":{"url":"http://127.0.0.1:9/hook","body":${body}}}}`;

describe('jsonPathBeyondDepth', () => {
  it.each([
    { text: deepArray(64), max: 64, path: undefined },
    { text: deepArray(65), max: 64, path: Array.from({ length: 64 }, () => 0) },
    { text: '{"a":{"b":[1,{"c":{}}]}}', max: 3, path: ['a', 'b', 1] },
    { text: '{"a":1,"b":{"c":2,"d":{"e":{}}}}', max: 3, path: ['b', 'd', 'e'] },
    { text: '{"x\\"{[":{"y":[]}}', max: 2, path: ['x"{[', 'y'] },
    { text: '["{{{{", "[[[["]', max: 1, path: undefined },
    { text: '{"a":'.repeat(2_000_000), max: 64, path: Array.from({ length: 64 }, () => 'a') },
  ])('finds $path in $text.length characters nested at most $max deep', ({ text, max, path }) => {
    expect(jsonPathBeyondDepth(text, max)).toEqual(path);
  });
});

describe('jsonViolation', () => {
  it.each([
    { json: '{"a":[1,"ok","x\\u0000"]}', path: ['a', 2], message: /NUL/ },
    { json: '{"a":{"k\\u0000":1}}', path: ['a', 'k\u0000'], message: /key with the NUL/ },
    { json: '{"n":1e999}', path: ['n'], message: /from -9007199254740991 to 9007199254740991/ },
    { json: '[{"n":-9007199254740993}]', path: [0, 'n'], message: /number/ },
    { json: '{"n":9007199254740991,"m":0.5,"z":-0}', path: undefined, message: undefined },
  ])('refuses $json at $path', ({ json, path, message }) => {
    const found = jsonViolation(JSON.parse(json));
    expect(found?.path).toEqual(path);
    if (message) expect(found?.message).toMatch(message);
  });
});

describe('applyMergePatch', () => {
  it.each([
    { target: { a: 'b' }, patch: { a: 'c' }, result: { a: 'c' } },
    { target: { a: 'b' }, patch: { b: 'c' }, result: { a: 'b', b: 'c' } },
    { target: { a: 'b' }, patch: { a: null }, result: {} },
    { target: { a: ['b'] }, patch: { a: 'c' }, result: { a: 'c' } },
    { target: { a: { b: 'c' } }, patch: { a: { b: 'd', c: null } }, result: { a: { b: 'd' } } },
    { target: { a: [{ b: 'c' }] }, patch: { a: [1] }, result: { a: [1] } },
    { target: ['a', 'b'], patch: ['c', 'd'], result: ['c', 'd'] },
    { target: { a: 'b' }, patch: ['c'], result: ['c'] },
    { target: { e: null }, patch: { a: 1 }, result: { e: null, a: 1 } },
    { target: {}, patch: { a: { bb: { ccc: null } } }, result: { a: { bb: {} } } },
  ])('RFC 7396: $patch onto $target', ({ target, patch, result }) => {
    const before = JSON.stringify(target);
    expect(applyMergePatch(target, patch)).toEqual(result);
    expect(JSON.stringify(target)).toBe(before);
  });

  it('merges a patch 20,000 levels deep without recursion, and keeps a __proto__ key as a key', () => {
    const merged = applyMergePatch({ keep: 1 }, JSON.parse(deepObject(20_000))) as Record<string, unknown>;
    expect(merged['keep']).toBe(1);
    const withProto = applyMergePatch({}, JSON.parse('{"__proto__":{"polluted":1}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(withProto)).toBe(Object.prototype);
    expect(JSON.stringify(withProto)).toBe('{"__proto__":{"polluted":1}}');
  });
});

describe('the API input guard', () => {
  const factory = pgliteFactory();
  let h: ApiHarness;
  const send = (method: string, path: string, raw?: string, headers: Record<string, string> = {}) =>
    h.call(method, path, { as: 'admin', ...(raw !== undefined ? { raw } : {}), headers: { 'content-type': 'application/json', ...headers } });
  const refusal = async (response: Response) => ({ status: response.status, ...((await response.json()) as { error: { code: string; field?: string; message: string } }).error });

  beforeAll(async () => {
    h = await makeHarness(await factory.make());
    expect((await h.call('POST', '/api/jobs', { body: aJobConfig({ id: 'target' }) })).status).toBe(201);
    await h.system.grove.sprouts.importSprouts([{ id: 'sp-1', title: 'One', tier: 'seed' }]);
  });
  afterAll(() => factory.dispose());

  it('refuses an http-request body 20,000 levels deep with 400 naming the field, and stores nothing', async () => {
    const before = await h.snapshot();
    const answer = await refusal(await send('POST', '/api/jobs', httpConfig('deep', deepObject(20_000))));
    expect(answer).toMatchObject({ status: 400, code: 'INVALID_REQUEST' });
    expect(answer.field).toMatch(/^payload\.parameters\.body(\.a){60}/);
    expect(answer.message).toMatch(/nests deeper than 64 levels/);
    expect(await h.snapshot()).toBe(before);
  });

  it('accepts nesting of 64 levels and refuses 65, counting the body itself as level 1', async () => {
    // The config, payload and parameters are levels 1-3, so the body's value may nest 61 more.
    expect((await send('POST', '/api/jobs', httpConfig('at-limit', deepObject(61)))).status).toBe(201);
    expect(await refusal(await send('POST', '/api/jobs', httpConfig('over-limit', deepObject(62))))).toMatchObject({ status: 400, field: `payload.parameters.body${'.a'.repeat(61)}` });
  });

  it('refuses a PATCH body 20,000 levels deep (merge patch) with 400', async () => {
    const answer = await refusal(await send('PATCH', '/api/jobs/target', `{"payload":{"parameters":${deepObject(20_000)}}}`));
    expect(answer).toMatchObject({ status: 400, code: 'INVALID_REQUEST' });
    expect(answer.field).toMatch(/^payload\.parameters\.a\.a/);
  });

  it('refuses NUL in a path id, a title, a query key or value, naming each', async () => {
    expect(await refusal(await send('GET', '/api/jobs/tar%00get'))).toMatchObject({ status: 400, field: 'id' });
    expect(await refusal(await send('POST', '/api/jobs/target/versions/1%00/restore'))).toMatchObject({ status: 400, field: 'version' });
    expect(await refusal(await send('POST', '/api/jobs', JSON.stringify({ meta: { id: 'nul', title: 'a\u0000b' }, payload: { jobType: 'test-job' } })))).toMatchObject({
      status: 400,
      field: 'meta.title',
    });
    expect(await refusal(await send('GET', '/api/jobs?q=a%00'))).toMatchObject({ status: 400, field: 'q' });
    expect(await refusal(await send('GET', '/api/sprouts/sp%00/x'))).toMatchObject({ status: 400, field: 'path' });
    expect(await refusal(await send('GET', '/api/jobs?x%00=1'))).toMatchObject({ status: 400, field: 'x\\0' });
  });

  it('refuses NUL at any depth of usage-event metadata, naming its path', async () => {
    const metadata = `${'{"m":'.repeat(60)}"x\\u0000"${'}'.repeat(60)}`;
    const body = `{"events":[{"eventType":"retrieved","sproutId":"sp-1","sessionId":"s","createdAt":"2026-11-23T09:00:00Z","metadata":${metadata}}]}`;
    const answer = await refusal(await send('POST', '/api/sprout-events', body));
    expect(answer).toMatchObject({ status: 400, code: 'INVALID_REQUEST' });
    expect(answer.field).toBe(`events[0].metadata${'.m'.repeat(60)}`);
  });

  it('refuses numbers outside the safe range (1e999, 2^53 + 1) naming the field', async () => {
    expect(await refusal(await send('POST', '/api/jobs/target/run', '{"batchSize":1e999}'))).toMatchObject({ status: 400, field: 'batchSize' });
    const rule = '{"meta":{"id":"r"},"payload":{"fromTier":"seed","toTier":"sprout","criteria":[{"signal":"retrievals","operator":">=","threshold":9007199254740993}]}}';
    expect(await refusal(await send('POST', '/api/advancement-rules', rule))).toMatchObject({ status: 400, field: 'payload.criteria[0].threshold' });
  });

  it('keeps 413 for a body over the limit and lets one of exactly the limit through', async () => {
    const limit = 10 * 1024 * 1024;
    const body = '{"sprouts":[{"title":"Big","tier":"seed"}]}';
    const over = body + ' '.repeat(limit + 1 - body.length);
    expect((await send('POST', '/api/sprouts', over)).status).toBe(413);
    const exact = body + ' '.repeat(limit - body.length);
    expect((await send('POST', '/api/sprouts', exact)).status).toBe(201);
    const deep = '['.repeat(limit);
    const started = performance.now();
    expect(await refusal(await send('POST', '/api/sprouts', deep))).toMatchObject({ status: 400 });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('answers an unexpected error with 500 and a request id, logged once with the stack', async () => {
    const lines: string[] = [];
    const boom = new OpenAPIHono<ApiEnv>();
    boom.get('/boom', () => {
      throw new Error('the disk is on fire');
    });
    const app = createApi({ system: h.system, tokens: createTokenStore(h.sql), extraApiRoutes: [boom], errorLog: (line) => lines.push(line) });
    const auth = { authorization: `Bearer ${h.tokens.viewer}` };

    const response = await app.request('/api/boom', { headers: auth });
    const id = response.headers.get('x-request-id');
    expect(response.status).toBe(500);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.json()).toEqual({ error: { code: 'INTERNAL', message: 'internal error', requestId: id } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`request ${id} (GET /api/boom)`);
    expect(lines[0]).toContain('the disk is on fire');
    expect(lines[0]).toMatch(/\n\s+at /);

    const given = await app.request('/api/boom', { headers: { ...auth, 'x-request-id': 'client-42.a_b' } });
    expect(given.headers.get('x-request-id')).toBe('client-42.a_b');
    expect(((await given.json()) as { error: { requestId: string } }).error.requestId).toBe('client-42.a_b');
    const unsafe = await app.request('/api/boom', { headers: { ...auth, 'x-request-id': `${'x'.repeat(65)}` } });
    expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const spaced = await app.request('/api/boom', { headers: { ...auth, 'x-request-id': 'a b<script>' } });
    expect(spaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines).toHaveLength(4);

    // Refusals are not logged; every answer names its request.
    const refused = await app.request('/api/jobs/missing', { headers: auth });
    expect(refused.status).toBe(404);
    expect(refused.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const listed = await app.request('/api/jobs', { headers: { ...auth, 'accept-encoding': 'gzip', 'x-request-id': 'list-1' } });
    expect([listed.status, listed.headers.get('x-request-id')]).toEqual([200, 'list-1']);
    expect(lines).toHaveLength(4);
  });
});
