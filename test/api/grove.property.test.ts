import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroveJobs } from '../../src/app.js';
import { groveRoutes } from '../../src/api/routes/grove.js';
import type { Sql } from '../../src/store/sql.js';
import { FakeClock } from '../support/fake-clock.js';
import { pgliteFactory } from '../support/test-store.js';
import { groveCounts } from './grove.suite.js';
import { call, groveSystem, testApi } from './test-app.js';

/** Requests the property sends: at least the 5,000 the issue asks for. */
const RUNS = 5_000;

const tier = fc.constantFrom('seed', 'sprout', 'sapling', 'tree', 'grove', 'shrub', '', ' seed ', 'SEED');
const text = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('sp-1', 'sp-2', 'seed-to-sprout', '\u0000', 'é', '😀', ' '.repeat(3), 'x'.repeat(600)));
const instant = fc.oneof(
  fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('2026-11-23T10:00:00Z', '2026-11-23T10:00:00.001Z', 'yesterday', '2026-13-01T00:00:00Z', '2026-11-23', ''),
);
const anything = fc.oneof(fc.anything({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 3 }));
/** A value of a plausible field, sometimes of the wrong type. */
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: anything });

const sprout = fc.record({ id: maybe(text), title: maybe(text), tier: maybe(tier), lifecycleModelId: maybe(fc.constantFrom('botanical', 'fungal')) }, { requiredKeys: [] });
const usageEvent = fc.record(
  {
    eventType: maybe(fc.constantFrom('viewed', 'retrieved', 'referenced', 'liked')),
    sproutId: maybe(fc.constantFrom('sp-1', 'sp-2', 'ghost')),
    sessionId: maybe(text),
    userId: maybe(text),
    provenance: maybe(fc.record({ lensId: text, hubId: text, queryHash: text, other: text }, { requiredKeys: [] })),
    metadata: anything,
    createdAt: maybe(instant),
  },
  { requiredKeys: [] },
);
const criterion = fc.record(
  { signal: maybe(fc.constantFrom('retrievals', 'citations', 'queryDiversity', 'utilityScore', 'karma')), operator: maybe(fc.constantFrom('>=', '>', '<=', '<', '==', '=>')), threshold: maybe(fc.double()) },
  { requiredKeys: [] },
);
const rule = fc.record(
  {
    meta: maybe(fc.record({ id: maybe(fc.constantFrom('seed-to-sprout', 'r-new', 'bad id!', '')), title: maybe(text), version: maybe(fc.integer({ min: -1, max: 3 })) }, { requiredKeys: [] })),
    payload: maybe(
      fc.record(
        {
          lifecycleModelId: maybe(fc.constantFrom('botanical', 'fungal')),
          fromTier: maybe(tier),
          toTier: maybe(tier),
          criteria: maybe(fc.array(criterion, { maxLength: 3 })),
          logicOperator: maybe(fc.constantFrom('AND', 'OR', 'XOR')),
          isEnabled: maybe(fc.boolean()),
          order: maybe(fc.integer({ min: -2_000_000, max: 2_000_000 })),
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);
const rollback = fc.record(
  { since: maybe(instant), until: maybe(instant), ruleId: maybe(text), executionId: maybe(fc.oneof(fc.uuid(), text)), reason: maybe(text), preview: maybe(fc.boolean()) },
  { requiredKeys: [] },
);

/** A body as sent: usually JSON of a near-valid or random shape, sometimes broken text. */
const bodyOf = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof(
    { weight: 6, arbitrary: arb },
    { weight: 2, arbitrary: anything },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((s) => ({ raw: s })) },
    { weight: 1, arbitrary: fc.constantFrom({ raw: '{"sprouts": [' }, { raw: '' }, { raw: 'null' }, { raw: '[]' }, { raw: '{"events": {"0": 1}}' }) },
  );

const request = fc.oneof(
  fc.record({ method: fc.constant('POST'), path: fc.constant('/api/sprouts'), body: bodyOf(fc.record({ sprouts: fc.array(sprout, { maxLength: 3 }) })) }),
  fc.record({ method: fc.constant('POST'), path: fc.constant('/api/sprout-events'), body: bodyOf(fc.record({ events: fc.array(usageEvent, { maxLength: 3 }) })) }),
  fc.record({ method: fc.constant('POST'), path: fc.constant('/api/advancement-rules'), body: bodyOf(rule) }),
  fc.record({ method: fc.constant('PUT'), path: fc.constantFrom('/api/advancement-rules/seed-to-sprout', '/api/advancement-rules/r-new', '/api/advancement-rules/%20'), body: bodyOf(rule) }),
  fc.record({ method: fc.constant('DELETE'), path: fc.constantFrom('/api/advancement-rules/ghost', '/api/advancement-rules/%00'), body: fc.constant(undefined) }),
  fc.record({ method: fc.constant('POST'), path: fc.constantFrom('/api/sprouts/sp-1/tier', '/api/sprouts/ghost/tier'), body: bodyOf(fc.record({ tier: maybe(tier), reason: maybe(text) }, { requiredKeys: [] })) }),
  fc.record({ method: fc.constant('POST'), path: fc.constant('/api/advancement-events/rollback'), body: bodyOf(rollback) }),
);

describe('Grove write routes under random and malformed bodies (PGlite)', () => {
  const factory = pgliteFactory();
  let sql: Sql;
  let system: GroveJobs;

  beforeAll(async () => {
    sql = await factory.make();
    system = groveSystem(sql, new FakeClock('2026-11-23T10:00:00Z'));
    await system.grove.sprouts.importSprouts([
      { id: 'sp-1', title: 'One', tier: 'seed' },
      { id: 'sp-2', title: 'Two', tier: 'sprout' },
    ]);
    await system.grove.advancement.createRule({ meta: { id: 'seed-to-sprout' }, payload: { fromTier: 'seed', toTier: 'sprout' } });
  });
  afterAll(() => factory.dispose());

  it(`never answers 5xx and changes nothing on a 4xx, over ${RUNS.toLocaleString('en')} requests`, { timeout: 120_000 }, async () => {
    const app = testApi([groveRoutes({ system })]);
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async ({ method, path, body }) => {
        const before = await groveCounts(sql);
        const raw = body !== undefined && typeof body === 'object' && body !== null && 'raw' in body && Object.keys(body).length === 1 ? String(body.raw) : undefined;
        const response = await call(app, method, path, { role: 'admin', body: raw ?? (body === undefined ? undefined : JSON.stringify(body) ?? 'null') });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const text = await response.text();
        expect(response.status, `${method} ${path} ${JSON.stringify(body)?.slice(0, 300)} → ${text.slice(0, 300)}`).toBeLessThan(500);
        if (response.status >= 400) {
          expect(JSON.parse(text)).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
          expect(await groveCounts(sql)).toEqual(before);
        }
      }),
      { numRuns: RUNS, seed: 20261123 },
    );
    // The bodies reached the handlers: some succeeded, most were refused by name.
    expect([...statuses.keys()].some((s) => s < 300)).toBe(true);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(RUNS / 2);
  });
});
