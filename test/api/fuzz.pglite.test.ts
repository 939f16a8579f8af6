import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aJobConfig } from '../support/builders.js';
import { pgliteFactory } from '../support/test-store.js';
import { type ApiHarness, makeHarness } from './support.js';

const factory = pgliteFactory();

/** A valid config with one field replaced by arbitrary JSON, at a path that exists or not. */
const mutatedConfig = fc
  .tuple(
    fc.constantFrom('meta', 'meta.id', 'meta.title', 'payload', 'payload.jobType', 'payload.schedule', 'payload.schedule.cronExpression', 'payload.schedule.timezone', 'payload.retry.maxAttempts', 'payload.limits.batchSize', 'payload.parameters', 'payload.parameters.mode', 'payload.notifications.channels', 'payload.unknown'),
    fc.jsonValue(),
  )
  .map(([path, value]) => {
    const config = JSON.parse(JSON.stringify(aJobConfig({ id: 'fuzz-target' }))) as Record<string, unknown>;
    const keys = path.split('.');
    let at: Record<string, unknown> = config;
    for (const key of keys.slice(0, -1)) {
      if (typeof at[key] !== 'object' || at[key] === null) at[key] = {};
      at = at[key] as Record<string, unknown>;
    }
    at[keys.at(-1) as string] = value;
    return JSON.stringify(config);
  });

const garbage = fc.oneof(
  fc.string().map((s) => s),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.jsonValue().map((v) => JSON.stringify(v).slice(0, -1)),
  fc.constantFrom('', '{', 'null', '[]', '{"meta":null}', '{"payload":[]}', '{"__proto__":{"x":1}}', '"\\u0000"', '{"dryRun":"yes"}', '{"batchSize":1e309}'),
);

const request = fc.record({
  route: fc.constantFrom(
    { method: 'POST', path: '/api/jobs' },
    { method: 'PUT', path: '/api/jobs/nightly-test' },
    { method: 'PATCH', path: '/api/jobs/nightly-test' },
    { method: 'POST', path: '/api/jobs/nightly-test/duplicate' },
    { method: 'POST', path: '/api/jobs/nightly-test/run' },
  ),
  body: fc.oneof(mutatedConfig, garbage),
  contentType: fc.constantFrom('application/json', 'application/json', 'application/json', 'text/plain', 'application/merge-patch+json'),
  ifMatch: fc.option(fc.constantFrom('"1"', '"999"', 'nonsense', '*'), { nil: undefined }),
});

describe('write routes under random and malformed bodies', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await makeHarness(await factory.make());
    expect((await h.call('POST', '/api/jobs', { body: aJobConfig() })).status).toBe(201);
  });
  afterAll(() => factory.dispose());

  it('never answers 5xx, and a 4xx changes nothing (5,000 requests)', async () => {
    let refusals = 0;
    await fc.assert(
      fc.asyncProperty(request, async ({ route, body, contentType, ifMatch }) => {
        const before = await h.snapshot();
        const headers: Record<string, string> = { 'content-type': contentType };
        if (ifMatch !== undefined) headers['if-match'] = ifMatch;
        const response = await h.call(route.method, route.path, { raw: body, headers });
        expect(response.status, `${route.method} ${route.path} ${body}`).toBeLessThan(500);
        const answer = (await response.json()) as { error?: { code: string; message: string } };
        if (response.status >= 400) {
          refusals++;
          expect(answer.error?.code).toEqual(expect.any(String));
          expect(await h.snapshot(), `${route.method} ${route.path} ${body}`).toBe(before);
        }
      }),
      { numRuns: 5000, seed: 6 },
    );
    // Most random bodies are refused; the property is about those.
    expect(refusals).toBeGreaterThan(2500);
  }, 240_000);
});
