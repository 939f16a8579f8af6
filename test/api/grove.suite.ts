import type { OpenAPIHono } from '@hono/zod-openapi';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { GroveJobs } from '../../src/app.js';
import type { ApiEnv, Role } from '../../src/api/http.js';
import { groveRoutes } from '../../src/api/routes/grove.js';
import { DEFAULT_CONFIGS } from '../../src/jobs/defaults.js';
import type { Sql } from '../../src/store/sql.js';
import { FakeClock } from '../support/fake-clock.js';
import type { SqlFactory } from '../support/test-store.js';
import { call, groveSystem, testApi } from './test-app.js';

const NOW = '2026-11-23T10:00:00Z';

interface Json {
  [key: string]: unknown;
}

const rule = (id: string, extra: Json = {}) => ({
  meta: { id, title: `Rule ${id}` },
  payload: {
    lifecycleModelId: 'botanical',
    fromTier: 'seed',
    toTier: 'sprout',
    criteria: [{ signal: 'retrievals', operator: '>=', threshold: 2 }],
    logicOperator: 'AND',
    isEnabled: true,
    order: 1,
    ...extra,
  },
});

const usage = (sproutId: string, createdAt: string, eventType = 'retrieved') => ({ eventType, sproutId, sessionId: `s-${sproutId}`, createdAt });

/** Row counts of every table a Grove write route may change. */
export async function groveCounts(sql: Sql): Promise<Record<string, number>> {
  const [row] = await sql.query<Record<string, number>>({
    name: 'test-grove-counts',
    text: `select (select count(*)::int from sprouts) as sprouts, (select count(*)::int from sprout_usage_events) as events,
                  (select count(*)::int from advancement_rules) as rules, (select count(*)::int from advancement_events) as advancements,
                  (select coalesce(sum(version), 0)::int from advancement_rules) as rule_versions,
                  (select count(*)::int from sprouts where tier <> 'seed') as advanced`,
  });
  return row ?? {};
}

/** The Grove routes on one driver, run unchanged on PGlite and PostgreSQL. */
export function runGroveApiSuite(factory: SqlFactory): void {
  describe(`Grove HTTP routes on ${factory.name}`, () => {
    let sql: Sql;
    let clock: FakeClock;
    let system: GroveJobs;
    let app: OpenAPIHono<ApiEnv>;

    beforeEach(async () => {
      sql = await factory.make();
      clock = new FakeClock(NOW);
      system = groveSystem(sql, clock);
      app = testApi([groveRoutes({ system })]);
    });
    afterAll(() => factory.dispose());

    const as = (role: Role) => ({
      get: (path: string) => call(app, 'GET', path, { role }),
      post: (path: string, body: unknown) => call(app, 'POST', path, { role, body }),
      put: (path: string, body: unknown) => call(app, 'PUT', path, { role, body }),
      delete: (path: string, headers: Record<string, string> = {}) => call(app, 'DELETE', path, { role, headers }),
    });
    const operator = () => as('operator');
    const viewer = () => as('viewer');

    async function expectError(response: Response, status: number, field?: string): Promise<Json> {
      const body = (await response.json()) as { error: Json };
      expect({ status: response.status, field: body.error?.['field'] }).toEqual({ status, field: field ?? body.error?.['field'] });
      expect(body.error?.['code']).toEqual(expect.any(String));
      return body.error;
    }

    async function seedSprouts() {
      const response = await operator().post('/api/sprouts', {
        sprouts: [
          { id: 'sp-1', title: 'One', tier: 'seed' },
          { id: 'sp-2', title: 'Two', tier: 'seed' },
          { id: 'sp-3', title: 'Three', tier: 'sapling' },
        ],
      });
      expect(response.status).toBe(201);
    }

    /** Two sprouts with retrievals, a rule, signals and one advancement-batch run: sp-1 and sp-2 advance. */
    async function advanceByBatch(): Promise<string> {
      await seedSprouts();
      const events = ['sp-1', 'sp-1', 'sp-2', 'sp-2', 'sp-2'].map((id, i) => usage(id, `2026-11-22T0${i}:00:00Z`));
      expect((await operator().post('/api/sprout-events', { events })).status).toBe(201);
      expect((await operator().post('/api/advancement-rules', rule('seed-to-sprout'))).status).toBe(201);
      await system.grove.signals.refreshSignals({ periods: ['all_time'], full: true, now: clock.now() });
      const batch = DEFAULT_CONFIGS.find((c) => c.meta.id === 'advancement-batch');
      if (!batch) throw new Error('no advancement-batch default config');
      await system.configs.create(batch, { actor: 'test' });
      const { execution } = await system.executions.trigger('advancement-batch', { requestedBy: 'test' });
      const done = await system.runHere(execution.id);
      expect(done?.status).toBe('success');
      return execution.id;
    }

    describe('advancement rules', () => {
      it('creates, lists, replaces at the version it was based on, and deletes a rule (admin)', async () => {
        const created = await operator().post('/api/advancement-rules', rule('seed-to-sprout'));
        expect(created.status).toBe(201);
        expect(created.headers.get('etag')).toBe('"1"');
        expect(await created.json()).toMatchObject({ meta: { id: 'seed-to-sprout', version: 1 }, payload: { fromTier: 'seed', criteria: [{ threshold: 2 }] } });

        const list = await viewer().get('/api/advancement-rules');
        expect(list.status).toBe(200);
        expect(((await list.json()) as { items: Json[] }).items).toHaveLength(1);

        const edited = rule('seed-to-sprout', { order: 5 });
        const updated = await operator().put('/api/advancement-rules/seed-to-sprout', { ...edited, meta: { ...edited.meta, version: 1 } });
        expect(updated.status).toBe(200);
        expect(await updated.json()).toMatchObject({ meta: { version: 2 }, payload: { order: 5 } });

        const stale = await operator().put('/api/advancement-rules/seed-to-sprout', { ...edited, meta: { ...edited.meta, version: 1 } });
        await expectError(stale, 409, 'meta.version');

        await expectError(await as('admin').delete('/api/advancement-rules/seed-to-sprout', { 'if-match': '"1"' }), 409);
        expect((await as('admin').delete('/api/advancement-rules/seed-to-sprout', { 'if-match': '"2"' })).status).toBe(204);
        await expectError(await as('admin').delete('/api/advancement-rules/seed-to-sprout'), 404);
        expect(((await (await viewer().get('/api/advancement-rules')).json()) as { items: Json[] }).items).toHaveLength(0);
      });

      it('refuses a rule that does not move a sprout to the next tier of its model with 400 naming the field, on create and on update', async () => {
        const before = await groveCounts(sql);
        const jump = await expectError(await operator().post('/api/advancement-rules', rule('seed-to-tree', { toTier: 'tree' })), 400, 'payload.toTier');
        expect(jump['message']).toBe("payload.toTier: 'tree' is not the tier after 'seed' in botanical: a rule moves a sprout to 'sprout' only");
        const down = await expectError(await operator().post('/api/advancement-rules', rule('tree-to-seed', { fromTier: 'tree', toTier: 'seed' })), 400, 'payload.toTier');
        expect(down['message']).toContain("a rule moves a sprout to 'grove' only");
        await expectError(await operator().post('/api/advancement-rules', rule('back', { fromTier: 'sprout', toTier: 'seed' })), 400, 'payload.toTier');
        const last = await expectError(await operator().post('/api/advancement-rules', rule('past-grove', { fromTier: 'grove', toTier: 'tree' })), 400, 'payload.fromTier');
        expect(last['message']).toContain("'grove' is the last tier of botanical");
        expect(await groveCounts(sql)).toEqual(before);

        expect((await operator().post('/api/advancement-rules', rule('seed-to-sprout'))).status).toBe(201);
        const skip = { meta: { id: 'seed-to-sprout', version: 1 }, payload: { ...rule('x').payload, toTier: 'sapling' } };
        await expectError(await operator().put('/api/advancement-rules/seed-to-sprout', skip), 400, 'payload.toTier');
        const next = { meta: { id: 'seed-to-sprout', version: 1 }, payload: { ...rule('x').payload, fromTier: 'sapling', toTier: 'tree' } };
        expect((await operator().put('/api/advancement-rules/seed-to-sprout', next)).status).toBe(200);

        // A rule stored before the check is listed with the problem for which the batch skips it.
        await sql.query({
          name: 'test-api-bad-rule',
          text: `insert into advancement_rules (id, title, lifecycle_model_id, from_tier, to_tier, logic_operator, created_at, updated_at)
                 values ('old-jump', 'Old jump', 'botanical', 'seed', 'tree', 'AND', now(), now())`,
        });
        const { items } = (await (await viewer().get('/api/advancement-rules')).json()) as { items: Array<{ meta: { id: string }; problem?: Json }> };
        expect(items.find((r) => r.meta.id === 'old-jump')?.problem).toEqual({
          field: 'payload.toTier',
          message: "'tree' is not the tier after 'seed' in botanical: a rule moves a sprout to 'sprout' only",
        });
        expect(items.find((r) => r.meta.id === 'seed-to-sprout')).not.toHaveProperty('problem');
      });

      it('refuses bad rules with 400 naming the field, a duplicate id with 409, and a path that disagrees with meta.id', async () => {
        await expectError(await operator().post('/api/advancement-rules', rule('r1', { criteria: [{ signal: 'retrievals', operator: '>=', threshold: 'x' }] })), 400, 'payload.criteria[0].threshold');
        await expectError(await operator().post('/api/advancement-rules', rule('r1', { criteria: [{ signal: 'karma', operator: '>=', threshold: 1 }] })), 400, 'payload.criteria[0].signal');
        await expectError(await operator().post('/api/advancement-rules', rule('r1', { fromTier: 'shrub' })), 400, 'payload.fromTier');
        await expectError(await operator().post('/api/advancement-rules', rule('r1', { toTier: 'seed' })), 400, 'payload.toTier');
        await expectError(await operator().post('/api/advancement-rules', { ...rule('r1'), extra: true }), 400, 'extra');
        await expectError(await operator().post('/api/advancement-rules', { meta: { title: 'no id' }, payload: rule('x').payload }), 400, 'meta.id');
        expect((await operator().post('/api/advancement-rules', rule('r1'))).status).toBe(201);
        await expectError(await operator().post('/api/advancement-rules', rule('r1')), 409);

        const other = rule('r2');
        await expectError(await operator().put('/api/advancement-rules/r1', { ...other, meta: { ...other.meta, version: 1 } }), 400, 'meta.id');
        await expectError(await operator().put('/api/advancement-rules/r1', rule('r1')), 400, 'meta.version');
        await expectError(await operator().put('/api/advancement-rules/nope', { ...rule('nope'), meta: { id: 'nope', version: 1 } }), 404);
        await expectError(await as('admin').delete('/api/advancement-rules/r1', { 'if-match': 'soon' }), 400, 'If-Match');
        expect(await groveCounts(sql)).toMatchObject({ rules: 1, rule_versions: 1 });
      });
    });

    describe('sprouts and usage events', () => {
      it('creates sprouts and lists them by tier, in pages, and one with its signals and advancements', async () => {
        const created = await operator().post('/api/sprouts', { sprouts: [{ id: 'a', title: 'A', tier: 'seed' }, { title: 'B', tier: 'tree' }] });
        expect(created.status).toBe(201);
        const { ids } = (await created.json()) as { ids: string[] };
        expect(ids[0]).toBe('a');
        expect(ids[1]).toMatch(/^[0-9a-f-]{36}$/);
        await seedSprouts();

        const all = (await (await viewer().get('/api/sprouts')).json()) as { items: Json[] };
        expect(all.items.map((s) => s['id'])).toEqual(['a', ids[1], 'sp-1', 'sp-2', 'sp-3'].sort());
        const seeds = (await (await viewer().get('/api/sprouts?tier=seed')).json()) as { items: Json[] };
        expect(seeds.items.map((s) => s['id'])).toEqual(['a', 'sp-1', 'sp-2']);
        const page = (await (await viewer().get('/api/sprouts?tier=seed&limit=2')).json()) as { items: Json[]; nextAfter?: string };
        expect(page).toMatchObject({ items: [{ id: 'a' }, { id: 'sp-1' }], nextAfter: 'sp-1' });
        const rest = (await (await viewer().get(`/api/sprouts?tier=seed&limit=2&after=${page.nextAfter}`)).json()) as { items: Json[]; nextAfter?: string };
        expect(rest.items.map((s) => s['id'])).toEqual(['sp-2']);
        expect(rest.nextAfter).toBeUndefined();
        await expectError(await viewer().get('/api/sprouts?limit=0'), 400, 'limit');
        await expectError(await viewer().get('/api/sprouts?limit=lots'), 400, 'limit');

        await operator().post('/api/sprout-events', { events: [usage('sp-1', '2026-11-22T00:00:00Z'), usage('sp-1', '2026-11-22T01:00:00Z', 'viewed')] });
        await system.grove.signals.refreshSignals({ periods: ['all_time', 'last_7d'], full: true, now: clock.now() });
        const one = await viewer().get('/api/sprouts/sp-1');
        expect(one.status).toBe(200);
        const detail = (await one.json()) as Json & { signals: Record<string, Json>; advancements: Json[] };
        expect(detail).toMatchObject({ id: 'sp-1', tier: 'seed', lifecycleModelId: 'botanical', advancements: [] });
        expect(Object.keys(detail.signals).sort()).toEqual(['all_time', 'last_7d']);
        expect(detail.signals['all_time']).toMatchObject({ retrievalCount: 1, viewCount: 1 });
        const withSignals = (await (await viewer().get('/api/sprouts?tier=seed&signals=true')).json()) as { items: Array<{ id: string; signals: Record<string, Json> }> };
        expect(withSignals.items.find((s) => s.id === 'sp-1')?.signals['all_time']).toMatchObject({ retrievalCount: 1 });
        await expectError(await viewer().get('/api/sprouts/nope'), 404, 'id');
      });

      it('refuses a bad sprout naming its field and creates none of the batch', async () => {
        await expectError(await operator().post('/api/sprouts', { sprouts: [{ id: 'c', title: 'C', tier: 'seed' }, { id: 'd', title: 'D', tier: 'shrub' }] }), 400, 'sprouts[1].tier');
        await expectError(await operator().post('/api/sprouts', { sprouts: [{ id: 'c', title: 5, tier: 'seed' }] }), 400, 'sprouts[0].title');
        await expectError(await operator().post('/api/sprouts', { sprouts: [] }), 400, 'sprouts');
        await expectError(await operator().post('/api/sprouts', { sprout: [] }), 400);
        await expectError(await operator().post('/api/sprouts', '{"sprouts": ['), 400);
        await seedSprouts();
        await expectError(await operator().post('/api/sprouts', { sprouts: [{ id: 'new', title: 'N', tier: 'seed' }, { id: 'sp-1', title: 'again', tier: 'seed' }] }), 409, 'sprouts[1].id');
        expect(await groveCounts(sql)).toMatchObject({ sprouts: 3 });
      });

      it('imports usage events all or none: 10,001 events, a future createdAt or an unknown sprout insert nothing', async () => {
        await seedSprouts();
        const ok = await operator().post('/api/sprout-events', { events: [usage('sp-1', '2020-01-01T00:00:00Z'), usage('sp-2', '2026-11-23T09:59:59+01:00')] });
        expect(ok.status).toBe(201);
        expect(await ok.json()).toEqual({ inserted: 2 });

        const tooMany = Array.from({ length: 10_001 }, (_, i) => usage(i % 2 ? 'sp-1' : 'sp-2', '2026-11-01T00:00:00Z'));
        const refused = await expectError(await operator().post('/api/sprout-events', { events: tooMany }), 400, 'events');
        expect(String(refused['message'])).toMatch(/10000/);
        const exactly = await operator().post('/api/sprout-events', { events: tooMany.slice(0, 10_000) });
        expect(exactly.status).toBe(201);
        expect(await exactly.json()).toEqual({ inserted: 10_000 });

        await expectError(await operator().post('/api/sprout-events', { events: [usage('sp-1', '2026-11-23T09:00:00Z'), usage('sp-1', '2026-11-23T10:00:01Z')] }), 400, 'events[1].createdAt');
        await expectError(await operator().post('/api/sprout-events', { events: [usage('sp-1', '2026-11-23T09:00:00Z'), usage('ghost', '2026-11-23T09:00:00Z')] }), 400, 'events[1].sproutId');
        await expectError(await operator().post('/api/sprout-events', { events: [{ ...usage('sp-1', '2026-11-23T09:00:00Z'), eventType: 'liked' }] }), 400, 'events[0].eventType');
        await expectError(await operator().post('/api/sprout-events', { events: [usage('sp-1', 'yesterday')] }), 400, 'events[0].createdAt');
        expect(await groveCounts(sql)).toMatchObject({ events: 10_002 });
      });

      it('sets a tier by hand as a manual-override event, refusing the same tier, an unknown tier and a missing reason', async () => {
        await seedSprouts();
        const moved = await operator().post('/api/sprouts/sp-1/tier', { tier: 'tree', reason: 'editor pick' });
        expect(moved.status).toBe(200);
        expect(await moved.json()).toMatchObject({ sproutId: 'sp-1', fromTier: 'seed', toTier: 'tree', eventType: 'manual-override', operatorId: 'api:test-operator', reason: 'editor pick' });
        await expectError(await operator().post('/api/sprouts/sp-1/tier', { tier: 'tree', reason: 'again' }), 400, 'tier');
        await expectError(await operator().post('/api/sprouts/sp-1/tier', { tier: 'shrub', reason: 'x' }), 400, 'tier');
        await expectError(await operator().post('/api/sprouts/sp-1/tier', { tier: 'seed', reason: ' ' }), 400, 'reason');
        await expectError(await operator().post('/api/sprouts/sp-1/tier', { tier: 'seed' }), 400, 'reason');
        await expectError(await operator().post('/api/sprouts/nope/tier', { tier: 'seed', reason: 'x' }), 404, 'id');
        const detail = (await (await viewer().get('/api/sprouts/sp-1')).json()) as { tier: string; advancements: Json[] };
        expect(detail.tier).toBe('tree');
        expect(detail.advancements).toMatchObject([{ eventType: 'manual-override', toTier: 'tree' }]);
      });
    });

    describe('advancement events and rollback', () => {
      it('lists the auto-advancements of a run with their criteria and signals, filtered by rule, execution and time', async () => {
        const executionId = await advanceByBatch();
        const response = await viewer().get(`/api/advancement-events?executionId=${executionId}`);
        expect(response.status).toBe(200);
        const { items } = (await response.json()) as { items: Json[] };
        expect(items.map((e) => e['sproutId']).sort()).toEqual(['sp-1', 'sp-2']);
        for (const event of items) {
          expect(Object.keys(event)).toEqual(
            expect.arrayContaining(['id', 'sproutId', 'ruleId', 'fromTier', 'toTier', 'eventType', 'executionId', 'criteriaMet', 'signalValues', 'operatorId', 'reason', 'rolledBack', 'timestamp']),
          );
          expect(event).toMatchObject({ ruleId: 'seed-to-sprout', fromTier: 'seed', toTier: 'sprout', eventType: 'auto-advancement', executionId, rolledBack: false });
          expect(event['criteriaMet']).toMatchObject([{ signal: 'retrievals', met: true }]);
          // The snapshot holds the values the criteria were evaluated on: each result is reproduced from it.
          const snapshot = event['signalValues'] as { period: string; ruleSignals: Record<string, number>; aggregation: Json };
          expect(snapshot).toMatchObject({ period: 'all_time', aggregation: { retrievalCount: expect.any(Number) } });
          for (const criterion of event['criteriaMet'] as Array<{ signal: string; value: number }>) expect(snapshot.ruleSignals[criterion.signal]).toBe(criterion.value);
        }
        const byRule = (await (await viewer().get('/api/advancement-events?ruleId=seed-to-sprout&since=2026-11-23T00:00:00Z&until=2026-11-24T00:00:00Z')).json()) as { items: Json[] };
        expect(byRule.items).toHaveLength(2);
        const before = (await (await viewer().get('/api/advancement-events?until=2026-11-23T00:00:00Z')).json()) as { items: Json[] };
        expect(before.items).toHaveLength(0);
        await expectError(await viewer().get('/api/advancement-events?since=last-week'), 400, 'since');
        await expectError(await viewer().get('/api/advancement-events?executionId=42'), 400, 'executionId');
        await expectError(await viewer().get('/api/advancement-events?limit=0'), 400, 'limit');
      });

      it('previews a rollback exactly as it then applies it, and the apply returns the sprouts with a bulk-rollback event each', async () => {
        const executionId = await advanceByBatch();
        // sp-2 moves on by hand: the rollback leaves it alone.
        expect((await operator().post('/api/sprouts/sp-2/tier', { tier: 'tree', reason: 'editor pick' })).status).toBe(200);
        const range = { since: '2026-11-23T00:00:00Z', until: '2026-11-24T00:00:00Z', executionId };

        const preview = await operator().post('/api/advancement-events/rollback', { ...range, preview: true });
        expect(preview.status).toBe(200);
        const previewed = (await preview.json()) as { preview: boolean; plan: Json; result?: Json };
        expect(previewed.preview).toBe(true);
        expect(previewed.result).toBeUndefined();
        expect(previewed.plan).toMatchObject({ reverts: 1, movedOn: 1, missing: 0, sproutChanges: [{ sproutId: 'sp-1', fromTier: 'sprout', toTier: 'seed' }] });
        const unchanged = await groveCounts(sql);

        await expectError(await operator().post('/api/advancement-events/rollback', range), 400, 'reason');
        await expectError(await operator().post('/api/advancement-events/rollback', { ...range, until: range.since, reason: 'x' }), 400, 'until');
        await expectError(await viewer().post('/api/advancement-events/rollback', { ...range, reason: 'bad run' }), 403);
        expect(await groveCounts(sql)).toEqual(unchanged);

        await clock.advanceBy(60_000);
        const applied = await operator().post('/api/advancement-events/rollback', { ...range, reason: 'bad run' });
        expect(applied.status).toBe(200);
        const result = (await applied.json()) as { preview: boolean; plan: Json; result: { rollbackEventIds: string[]; reverted: Json[]; leftAlone: Json[] } };
        expect(result.preview).toBe(false);
        expect(result.plan).toEqual(previewed.plan);
        expect(result.result.rollbackEventIds).toHaveLength(1);
        expect(result.result.reverted).toMatchObject([{ sproutId: 'sp-1' }]);
        expect(result.result.leftAlone).toMatchObject([{ sproutId: 'sp-2', action: 'moved-on' }]);

        const sp1 = (await (await viewer().get('/api/sprouts/sp-1')).json()) as { tier: string; advancements: Json[] };
        expect(sp1.tier).toBe('seed');
        expect(sp1.advancements).toMatchObject([
          { eventType: 'bulk-rollback', fromTier: 'sprout', toTier: 'seed', operatorId: 'api:test-operator', reason: 'bad run', signalValues: null, criteriaMet: null },
          { eventType: 'auto-advancement', rolledBack: true },
        ]);
        // Nothing left to undo: a second preview is empty.
        const again = (await (await operator().post('/api/advancement-events/rollback', { ...range, preview: true })).json()) as { plan: { reverts: number } };
        expect(again.plan.reverts).toBe(0);
      });
    });

    describe('roles', () => {
      /** Every mutating Grove route with a body that would succeed for a strong enough role. */
      const writes = (): Array<{ method: string; path: string; body?: unknown; needs: Role }> => [
        { method: 'POST', path: '/api/advancement-rules', body: rule('new-rule'), needs: 'operator' },
        { method: 'PUT', path: '/api/advancement-rules/seed-to-sprout', body: { ...rule('seed-to-sprout', { order: 9 }), meta: { id: 'seed-to-sprout', version: 1 } }, needs: 'operator' },
        { method: 'DELETE', path: '/api/advancement-rules/seed-to-sprout', needs: 'admin' },
        { method: 'POST', path: '/api/sprouts', body: { sprouts: [{ title: 'New', tier: 'seed' }] }, needs: 'operator' },
        { method: 'POST', path: '/api/sprouts/sp-1/tier', body: { tier: 'tree', reason: 'why' }, needs: 'operator' },
        { method: 'POST', path: '/api/sprout-events', body: { events: [usage('sp-1', '2026-11-22T00:00:00Z')] }, needs: 'operator' },
        { method: 'POST', path: '/api/advancement-events/rollback', body: { since: '2026-11-23T00:00:00Z', until: '2026-11-24T00:00:00Z', reason: 'why' }, needs: 'operator' },
      ];

      it('answers every mutating route 401 without a token and 403 to a viewer (and an operator where admin is needed), changing nothing', async () => {
        await advanceByBatch();
        const before = await groveCounts(sql);
        for (const write of writes()) {
          const refusedRoles: Array<Role | undefined> = [undefined, 'viewer', ...(write.needs === 'admin' ? (['operator'] as const) : [])];
          for (const role of refusedRoles) {
            const response = await call(app, write.method, write.path, { role, body: write.body });
            expect({ route: `${write.method} ${write.path}`, role, status: response.status }).toEqual({ route: `${write.method} ${write.path}`, role, status: role ? 403 : 401 });
          }
        }
        expect(await groveCounts(sql)).toEqual(before);

        for (const write of writes()) {
          const response = await call(app, write.method, write.path, { role: write.needs, body: write.body });
          expect({ route: `${write.method} ${write.path}`, status: response.status }).toEqual({ route: `${write.method} ${write.path}`, status: expect.toSatisfy((s: number) => s >= 200 && s < 300) });
        }
        expect(await groveCounts(sql)).not.toEqual(before);
      });

      it('lets a viewer read every Grove list and detail', async () => {
        await advanceByBatch();
        for (const path of ['/api/advancement-rules', '/api/sprouts', '/api/sprouts?tier=sprout', '/api/sprouts/sp-1', '/api/advancement-events']) {
          expect({ path, status: (await viewer().get(path)).status }).toEqual({ path, status: 200 });
          expect({ path, status: (await call(app, 'GET', path)).status }).toEqual({ path, status: 401 });
        }
      });
    });

    it('declares every route in the OpenAPI document', () => {
      const document = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'test', version: '0' } });
      const operations = Object.entries(document.paths ?? {}).flatMap(([path, ops]) => Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${path}`));
      expect(operations.sort()).toEqual(
        [
          'GET /api/advancement-rules',
          'POST /api/advancement-rules',
          'PUT /api/advancement-rules/{id}',
          'DELETE /api/advancement-rules/{id}',
          'GET /api/sprouts',
          'POST /api/sprouts',
          'GET /api/sprouts/{id}',
          'POST /api/sprouts/{id}/tier',
          'POST /api/sprout-events',
          'GET /api/advancement-events',
          'POST /api/advancement-events/rollback',
        ].sort(),
      );
    });
  });
}
