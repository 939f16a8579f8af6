import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createGroveJobs, createGroveStores, type GroveJobs } from '../../src/app.js';
import { initialiseStore, seedDemoData } from '../../src/first-start.js';
import { GroveError, GroveErrorCode } from '../../src/domain/grove/index.js';
import type { Sql } from '../../src/store/sql.js';
import { createSqlStore } from '../../src/store/sql-store.js';
import { testJobType } from '../support/builders.js';
import { FakeClock } from '../support/fake-clock.js';
import type { SqlFactory } from '../support/test-store.js';

async function refusal(promise: Promise<unknown>): Promise<GroveError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GroveError);
  return error as GroveError;
}

const event = (sproutId: string, createdAt: string, extra: Record<string, unknown> = {}) => ({ eventType: 'viewed', sproutId, sessionId: 's-1', createdAt, ...extra });

/** Sprouts, usage events, demo data and first-start defaults, run unchanged on every driver. */
export function runSproutSuite(factory: SqlFactory): void {
  describe(`sprouts and usage events on ${factory.name}`, () => {
    let sql: Sql;
    let clock: FakeClock;
    let system: GroveJobs;

    beforeEach(async () => {
      sql = await factory.make();
      clock = new FakeClock('2026-11-23T10:00:00Z');
      system = createGroveJobs({ clock, store: createSqlStore(sql), grove: createGroveStores(sql), jobTypes: [testJobType] });
    });
    afterAll(() => factory.dispose());

    const count = async (table: string) => (await sql.query<{ n: number }>({ name: `count-${table}`, text: `select count(*)::int as n from ${table}` }))[0]?.n;

    it('imports sprouts all or none, generating missing ids, and refuses a bad one naming its field', async () => {
      const { sprouts } = system.grove;
      const ids = await sprouts.importSprouts([{ id: 'a', title: 'Alpha', tier: 'seed' }, { title: 'Beta', tier: 'sapling' }]);
      expect(ids[0]).toBe('a');
      expect(ids[1]).toMatch(/^[0-9a-f-]{36}$/);
      expect(await sprouts.get('a')).toMatchObject({ id: 'a', title: 'Alpha', tier: 'seed', lifecycleModelId: 'botanical' });

      const badTier = await refusal(sprouts.importSprouts([{ id: 'c', title: 'C', tier: 'seed' }, { id: 'd', title: 'D', tier: 'shrub' }]));
      expect(badTier).toMatchObject({ code: GroveErrorCode.Invalid, field: 'sprouts[1].tier' });
      expect((await refusal(sprouts.importSprouts([{ id: 'e', title: '', tier: 'seed' }]))).field).toBe('sprouts[0].title');
      expect((await refusal(sprouts.importSprouts([{ id: 'a', title: 'Again', tier: 'seed' }]))).code).toBe(GroveErrorCode.Exists);
      expect((await refusal(sprouts.importSprouts([{ id: 'f', title: 'F', tier: 'seed', lifecycleModelId: 'fungal' }]))).field).toBe('sprouts[0].lifecycleModelId');
      expect(await count('sprouts')).toBe(2);
    });

    it('imports usage events all or none: past is fine, future and unknown sprouts are refused', async () => {
      const { sprouts } = system.grove;
      await sprouts.importSprouts([{ id: 'a', title: 'Alpha', tier: 'seed' }]);
      expect(
        await sprouts.importEvents([
          event('a', '2025-01-01T00:00:00Z', { userId: 'u-1', provenance: { lensId: 'l-1', hubId: 'h-1', queryHash: 'q' }, metadata: { source: 'import' } }),
          event('a', '2026-11-23T09:59:59Z', { eventType: 'rated_up' }),
        ]),
      ).toBe(2);
      const future = await refusal(sprouts.importEvents([event('a', '2026-11-23T09:00:00Z'), event('a', '2026-11-23T10:00:01Z')]));
      expect(future).toMatchObject({ code: GroveErrorCode.Invalid, field: 'events[1].createdAt' });
      expect((await refusal(sprouts.importEvents([event('nobody', '2026-11-23T09:00:00Z')]))).field).toBe('events[0].sproutId');
      expect((await refusal(sprouts.importEvents([event('a', '2026-11-23T09:00:00Z', { eventType: 'liked' })]))).field).toBe('events[0].eventType');
      expect((await refusal(sprouts.importEvents([event('a', 'yesterday')]))).field).toBe('events[0].createdAt');
      const tooMany = Array.from({ length: 3 }, () => event('a', '2026-11-23T09:00:00Z'));
      expect((await refusal(sprouts.importEvents(tooMany, { maxEvents: 2 }))).field).toBe('events');
      expect(await count('sprout_usage_events')).toBe(2);
      const [row] = await sql.query<Record<string, unknown>>({ name: 'first-event', text: 'select * from sprout_usage_events order by id limit 1' });
      expect(row).toMatchObject({ sprout_id: 'a', event_type: 'viewed', session_id: 's-1', user_id: 'u-1', lens_id: 'l-1', hub_id: 'h-1', query_hash: 'q', metadata: { source: 'import' } });
    });

    it('lists every sprout page by page, in id order, optionally of one tier', async () => {
      const { sprouts } = system.grove;
      await sprouts.importSprouts(Array.from({ length: 2500 }, (_, i) => ({ id: `s-${String(i).padStart(4, '0')}`, title: `S${i}`, tier: i % 5 === 0 ? 'tree' : 'seed' })));
      const all: string[] = [];
      let pages = 0;
      for await (const page of sprouts.all()) {
        pages++;
        all.push(...page.map((s) => s.id));
      }
      expect(pages).toBe(3);
      expect(all).toHaveLength(2500);
      expect([...all].sort()).toEqual(all);
      const trees: string[] = [];
      for await (const page of sprouts.all({ tier: 'tree' })) trees.push(...page.map((s) => s.id));
      expect(trees).toHaveLength(500);
      expect(await sprouts.count()).toBe(2500);
    });

    it('seeds the same demo data for the same seed, and refuses to seed it twice', async () => {
      const report = await seedDemoData(system, { sprouts: 40, events: 3000, seed: 7 });
      expect(report).toEqual({ sprouts: 40, events: 3000, rules: 4 });
      const digest = async () =>
        (await sql.query<{ d: string }>({ name: 'events-digest', text: `select md5(string_agg(sprout_id || event_type || session_id || created_at::text, ',' order by id)) as d from sprout_usage_events` }))[0]?.d;
      const first = await digest();
      const span = (await sql.query<{ oldest: Date; newest: Date }>({ name: 'events-span', text: 'select min(created_at) as oldest, max(created_at) as newest from sprout_usage_events' }))[0];
      expect(new Date(span!.newest).getTime()).toBeLessThanOrEqual(clock.now().getTime());
      expect(new Date(span!.oldest).getTime()).toBeGreaterThanOrEqual(clock.now().getTime() - 90 * 86_400_000);
      expect((await refusal(seedDemoData(system, { sprouts: 40, events: 3000, seed: 7 }))).code).toBe(GroveErrorCode.Exists);

      const other = await factory.make();
      const twin = createGroveJobs({ clock, store: createSqlStore(other), grove: createGroveStores(other), jobTypes: [testJobType] });
      await seedDemoData(twin, { sprouts: 40, events: 3000, seed: 7 });
      const twinDigest = (await other.query<{ d: string }>({ name: 'events-digest', text: `select md5(string_agg(sprout_id || event_type || session_id || created_at::text, ',' order by id)) as d from sprout_usage_events` }))[0]?.d;
      expect(twinDigest).toBe(first);
    });

    it('initialises a store once: a later start changes nothing, even after an operator deleted demo data', async () => {
      const first = await initialiseStore(system, { demo: true });
      expect(first.first).toBe(true);
      expect(first.demo?.sprouts).toBeGreaterThan(0);
      await sql.query({ name: 'wipe-sprouts', text: 'delete from sprouts' });
      const again = await initialiseStore(system, { demo: true });
      expect(again).toEqual({ first: false });
      expect(await count('sprouts')).toBe(0);
    });

    it('loads no demo data on a first start with demo off', async () => {
      const report = await initialiseStore(system, { demo: false });
      expect(report.first).toBe(true);
      expect(report.demo).toBeUndefined();
      expect(await count('sprouts')).toBe(0);
    });
  });
}
