import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  computeSignals,
  SIGNAL_PERIODS,
  USAGE_EVENT_TYPES,
  zeroSignals,
  type SignalPeriod,
  type SproutSignals,
  type UsageEventType,
} from '../../src/domain/grove/index.js';
import type { AggregationStore } from '../../src/engine/ports.js';
import { createAggregationStore } from '../../src/store/grove/aggregation.js';
import { searchPath } from '../../src/store/schemas.js';
import { quoteIdentifier, type Sql } from '../../src/store/sql.js';
import { POSTGRES_URL, type SqlFactory } from '../support/test-store.js';
import { addEvents, addSprouts, type TestEvent } from '../support/usage-events.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (iso: string) => new Date(iso);

async function deleteSprouts(sql: Sql, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await sql.query({ name: 'test-delete-sprouts', text: `delete from sprouts where id = any($1::text[])`, values: [ids] });
}

async function reset(sql: Sql): Promise<void> {
  await sql.exec(`truncate sprouts, sprout_usage_events, sprout_signal_aggregations, signal_aggregation_state, sprout_signal_keys, sprout_signal_key_marks, signal_key_state, sprout_signal_key_journal restart identity`);
}

const byPeriod = (rows: readonly SproutSignals[], sproutId: string, period: SignalPeriod) => rows.find((r) => r.sproutId === sproutId && r.period === period);

/** The signal-aggregation store contract, run unchanged on every driver. */
export function runAggregationSuite(factory: SqlFactory): void {
  describe(`signal aggregation on ${factory.name}`, () => {
    let sql: Sql;
    let store: AggregationStore;

    beforeEach(async () => {
      sql = await factory.make();
      store = createAggregationStore(sql);
    });
    afterAll(() => factory.dispose());

    describe('a small fixture, checked against hand-computed numbers', () => {
      const now = at('2026-03-10T00:00:00Z');
      const e = (sproutId: string, eventType: UsageEventType, createdAt: string, extra: Partial<TestEvent> = {}): TestEvent => ({
        sproutId,
        eventType,
        sessionId: 'sess',
        createdAt: at(createdAt),
        ...extra,
      });
      // busy: 12 views over 12 sessions (4 within the last 7 days), 3 up and 1 down, lenses and hubs.
      const busy = [
        ...Array.from({ length: 12 }, (_, i) =>
          e('busy', 'viewed', new Date(now.getTime() - (i * 3 + 1) * DAY).toISOString(), {
            sessionId: `s${i}`,
            userId: `u${i % 3}`,
            lensId: `l${i % 6}`,
            hubId: i < 8 ? `h${i % 2}` : undefined,
          }),
        ),
        e('busy', 'rated_up', '2026-03-09T12:00:00Z', { sessionId: 's0' }),
        e('busy', 'rated_up', '2026-03-08T12:00:00Z', { sessionId: 's1' }),
        e('busy', 'rated_up', '2026-02-01T00:00:00Z', { sessionId: 's2' }),
        e('busy', 'rated_down', '2026-03-09T18:00:00Z', { sessionId: 's3' }),
        e('busy', 'retrieved', '2026-03-06T00:00:00Z', { sessionId: 's0' }),
        e('busy', 'referenced', '2026-03-01T00:00:00Z', { sessionId: 's4' }),
        e('busy', 'exported', '2026-01-15T00:00:00Z', { sessionId: 's5' }),
      ];
      // fading: three events 6 days before the clock: inside last_7d now, outside three days later.
      const fading = [
        e('fading', 'viewed', '2026-03-04T00:00:00Z', { sessionId: 'x' }),
        e('fading', 'searched', '2026-03-04T06:00:00Z', { sessionId: 'y', lensId: 'l1' }),
        e('fading', 'promoted', '2026-03-04T12:00:00Z', { sessionId: 'y' }),
      ];
      const ghost = [e('ghost', 'viewed', '2026-03-09T00:00:00Z')];

      beforeEach(async () => {
        await addSprouts(sql, ['busy', 'fading', 'quiet'], now);
        await addEvents(sql, [...busy, ...fading, ...ghost]);
      });

      it('computes every period set-based, with zeros for a sprout without events and no row for unknown sprouts', async () => {
        const refreshed = await store.refreshSignals({ periods: SIGNAL_PERIODS, full: false, now });
        expect(refreshed.map((r) => [r.period, r.mode, r.sproutsRecomputed, r.rowsWritten, r.rowsDeleted])).toEqual([
          ['all_time', 'full', 3, 3, 0],
          ['last_30d', 'full', 3, 3, 0],
          ['last_7d', 'full', 3, 3, 0],
        ]);
        const rows = await store.getSignals(['busy', 'fading', 'quiet', 'ghost']);
        expect(rows).toHaveLength(9);
        expect(rows.some((r) => r.sproutId === 'ghost')).toBe(false);

        // all_time, busy: views 12 (days 1,4,…,34 before now); sessions s0..s11 = 12; users u0..u2 = 3;
        // lenses l0..l5 = 6; hubs h0,h1 = 2; first 2026-01-15 (export), last 2026-03-09T18:00 (downvote).
        const allTime = byPeriod(rows, 'busy', 'all_time');
        expect(allTime).toMatchObject({
          viewCount: 12,
          retrievalCount: 1,
          referenceCount: 1,
          searchCount: 0,
          upvotes: 3,
          downvotes: 1,
          exportCount: 1,
          promotionCount: 0,
          refinementCount: 0,
          uniqueSessions: 12,
          uniqueUsers: 3,
          uniqueLenses: 6,
          uniqueHubs: 2,
          firstEventAt: '2026-01-15T00:00:00.000Z',
          lastEventAt: '2026-03-09T18:00:00.000Z',
          activeSpanDays: 53,
          utilityScore: 0.5,
          advancementEligible: true,
          computedAt: '2026-03-10T00:00:00.000Z',
        });
        // diversity (1 + 1 + 0.4)/3 = 0.8; quality 0.3·12/50 + 0.3·0.75 + 0.2·0.8 + 0.2·1 = 0.072 + 0.225 + 0.16 + 0.2
        expect(allTime?.diversityIndex).toBeCloseTo(0.8, 12);
        expect(allTime?.qualityScore).toBeCloseTo(0.657, 12);

        // last_7d, busy: views 1, 4 days before (s0, s1); up 2 (03-09, 03-08), down 1; retrieval 03-06.
        // sessions s0,s1,s3 = 3; users u0,u1 = 2; lenses l0,l1 = 2; hubs h0,h1 = 2;
        // first 2026-03-06T00:00 (view 4 days before = retrieval), last 03-09T18:00: span 3.
        const week = byPeriod(rows, 'busy', 'last_7d');
        expect(week).toMatchObject({
          viewCount: 2,
          retrievalCount: 1,
          referenceCount: 0,
          upvotes: 2,
          downvotes: 1,
          exportCount: 0,
          uniqueSessions: 3,
          uniqueUsers: 2,
          uniqueLenses: 2,
          uniqueHubs: 2,
          firstEventAt: '2026-03-06T00:00:00.000Z',
          lastEventAt: '2026-03-09T18:00:00.000Z',
          activeSpanDays: 3,
          advancementEligible: false,
        });
        expect(week?.utilityScore).toBeCloseTo(1 / 3, 12);
        // diversity (0.3 + 0.4 + 0.4)/3; quality 0.3·2/50 + 0.3·(4/3)/2 + 0.2·(1.1/3) + 0.2·3/30
        expect(week?.diversityIndex).toBeCloseTo(1.1 / 3, 12);
        expect(week?.qualityScore).toBeCloseTo(0.012 + 0.2 + 0.2 * (1.1 / 3) + 0.02, 12);

        // last_30d, busy: views at 1..28 days (10 of them: s0..s9), up 2, down 1, retrieval, reference.
        const month = byPeriod(rows, 'busy', 'last_30d');
        expect(month).toMatchObject({ viewCount: 10, upvotes: 2, downvotes: 1, retrievalCount: 1, referenceCount: 1, exportCount: 0, uniqueSessions: 10 });

        expect(byPeriod(rows, 'fading', 'last_7d')).toMatchObject({ viewCount: 1, searchCount: 1, promotionCount: 1, uniqueSessions: 2, uniqueLenses: 1, activeSpanDays: 0 });
        for (const period of SIGNAL_PERIODS) {
          expect(byPeriod(rows, 'quiet', period)).toEqual({ sproutId: 'quiet', period, computedAt: '2026-03-10T00:00:00.000Z', ...zeroSignals() });
        }
      });

      it('agrees exactly with the TypeScript formulas, to the last bit of every score', async () => {
        await store.refreshSignals({ periods: SIGNAL_PERIODS, full: false, now });
        const rows = await store.getSignals(['busy', 'fading', 'quiet']);
        const events: Record<string, TestEvent[]> = { busy, fading, quiet: [] };
        for (const row of rows) {
          const { sproutId, period, computedAt: _computedAt, ...values } = row;
          expect(values).toEqual(computeSignals(events[sproutId] ?? [], period, now));
        }
      });

      it('zeros a sprout whose events left the 7-day window while all_time keeps its counts', async () => {
        await store.refreshSignals({ periods: SIGNAL_PERIODS, full: false, now });
        const later = new Date(now.getTime() + 3 * DAY);

        const refreshed = await store.refreshSignals({ periods: SIGNAL_PERIODS, full: false, now: later });

        expect(refreshed.map((r) => r.mode)).toEqual(['incremental', 'incremental', 'incremental']);
        // last_7d: fading's events (03-04) and busy's 03-06 retrieval swept out by the start edge.
        expect(refreshed.find((r) => r.period === 'last_7d')?.sproutsRecomputed).toBe(2);
        // all_time: nothing new, no edge crossed (no event after the old clock time).
        expect(refreshed.find((r) => r.period === 'all_time')).toMatchObject({ sproutsRecomputed: 0, rowsWritten: 0 });
        const rows = await store.getSignals(['fading']);
        expect(byPeriod(rows, 'fading', 'last_7d')).toEqual({ sproutId: 'fading', period: 'last_7d', computedAt: later.toISOString(), ...zeroSignals() });
        expect(byPeriod(rows, 'fading', 'all_time')).toMatchObject({ viewCount: 1, searchCount: 1, promotionCount: 1, firstEventAt: '2026-03-04T00:00:00.000Z' });
        expect(byPeriod(rows, 'fading', 'last_30d')).toMatchObject({ viewCount: 1, searchCount: 1, promotionCount: 1 });
      });

      it('recomputes only the sprouts with new events, and counts an event dated after the clock once the clock reaches it', async () => {
        await store.refreshSignals({ periods: SIGNAL_PERIODS, full: false, now });
        await addEvents(sql, [e('quiet', 'viewed', '2026-03-10T00:30:00Z', { sessionId: 'q' }), e('ghost', 'viewed', '2026-03-10T00:00:00Z')]);

        const first = await store.refreshSignals({ periods: ['all_time'], full: false, now: at('2026-03-10T00:15:00Z') });
        expect(first).toEqual([{ period: 'all_time', mode: 'incremental', sproutsRecomputed: 1, rowsWritten: 0, rowsDeleted: 0, lastEventId: 25 }]);
        const second = await store.refreshSignals({ periods: ['all_time'], full: false, now: at('2026-03-10T00:30:00Z') });
        expect(second[0]).toMatchObject({ sproutsRecomputed: 1, rowsWritten: 1 });
        expect(byPeriod(await store.getSignals(['quiet']), 'quiet', 'all_time')).toMatchObject({ viewCount: 1, lastEventAt: '2026-03-10T00:30:00.000Z' });
      });

      it('gives new sprouts rows, drops the rows of deleted ones, and recomputes everything when asked', async () => {
        await store.refreshSignals({ periods: SIGNAL_PERIODS, full: false, now });
        await addSprouts(sql, ['ghost'], now);
        await deleteSprouts(sql, ['fading']);

        const [incremental] = await store.refreshSignals({ periods: ['last_7d'], full: false, now });
        expect(incremental).toMatchObject({ mode: 'incremental', sproutsRecomputed: 1, rowsWritten: 1, rowsDeleted: 1 });
        expect(byPeriod(await store.getSignals(['ghost']), 'ghost', 'last_7d')).toMatchObject({ viewCount: 1 });
        expect(await store.getSignals(['fading'])).toHaveLength(2);

        const [full] = await store.refreshSignals({ periods: ['last_7d'], full: true, now });
        expect(full).toMatchObject({ mode: 'full', sproutsRecomputed: 3, rowsWritten: 0, rowsDeleted: 0 });
      });

      it('recomputes whole when the new events outweigh the events in the window, and says why', async () => {
        await store.refreshSignals({ periods: ['last_7d'], full: false, now });
        const before = byPeriod(await store.getSignals(['busy']), 'busy', 'last_7d')?.viewCount ?? 0;
        // An import of 20,000 views of one sprout in the hour after the clock.
        await sql.query({
          name: 'test-bulk-events',
          text: `insert into sprout_usage_events (sprout_id, event_type, session_id, created_at)
                 select 'busy', 'viewed', 'bulk-' || g, $1::timestamptz + g * interval '150 milliseconds' from generate_series(1, 20000) as g`,
          values: [now],
        });
        const later = at('2026-03-10T01:00:00Z');

        const unweighed = createAggregationStore(sql, { weighRefreshes: false });
        const [dry] = await unweighed.refreshSignals({ periods: ['last_7d'], full: false, now: later, dryRun: true });
        expect(dry).toMatchObject({ mode: 'incremental', sproutsRecomputed: 1 });
        expect(dry).not.toHaveProperty('fullBecause');

        const [weighed] = await store.refreshSignals({ periods: ['last_7d'], full: false, now: later });
        expect(weighed).toMatchObject({ mode: 'full', sproutsRecomputed: 3, rowsWritten: 1 });
        expect(weighed?.fullBecause).toMatch(/^20,000 events to take in weigh more than grouping the \d+ in the window$/);
        expect(byPeriod(await store.getSignals(['busy']), 'busy', 'last_7d')).toMatchObject({ viewCount: before + 20_000 });
      });

      it('reads the keys a period missed from the journal, and recomputes whole a period further behind than the journal keeps', async () => {
        const keeping = createAggregationStore(sql, { journalKeepEvents: 3 });
        await keeping.refreshSignals({ periods: SIGNAL_PERIODS, full: false, now });
        const journalRows = async () =>
          (await sql.query<{ n: number }>({ name: 'test-journal-rows', text: `select count(*)::int as n from sprout_signal_key_journal` }))[0]?.n;
        // Two batches of two events, each folded by an all_time refresh; last_7d and last_30d wait.
        let clock = now;
        for (const session of ['n1', 'n2']) {
          clock = new Date(clock.getTime() + HOUR);
          await addEvents(sql, [e('busy', 'viewed', clock.toISOString(), { sessionId: session }), e('quiet', 'viewed', clock.toISOString(), { sessionId: session })]);
          await keeping.refreshSignals({ periods: ['all_time'], full: false, now: clock });
          // The first fold is kept for the periods 2 events behind; the second drops both, none within 3 events needing them.
          expect(await journalRows()).toBe(session === 'n1' ? 2 : 0);
        }
        // last_7d is 4 events behind, more than the 3 kept: the journal no longer reaches back to it.
        const [behind] = await keeping.refreshSignals({ periods: ['last_7d'], full: false, now: clock });
        expect(behind).toMatchObject({ mode: 'full', fullBecause: '4 events behind: the key journal keeps the last 3' });
        // last_30d too; then nothing waits and the journal is empty.
        const [other] = await store.refreshSignals({ periods: ['last_30d'], full: false, now: clock });
        expect(other).toMatchObject({ mode: 'full' });
        const all = [...busy, ...fading, ...['n1', 'n2'].flatMap((s, i) => ['busy', 'quiet'].map((id) => e(id, 'viewed', new Date(now.getTime() + (i + 1) * HOUR).toISOString(), { sessionId: s })))];
        for (const id of ['busy', 'quiet']) {
          for (const period of SIGNAL_PERIODS) {
            expect(byPeriod(await store.getSignals([id]), id, period)).toMatchObject(computeSignals(all.filter((x) => x.sproutId === id), period, clock));
          }
        }

        // With the default journal, a period two batches behind reads them from it.
        clock = new Date(clock.getTime() + HOUR);
        await addEvents(sql, [e('quiet', 'rated_up', clock.toISOString(), { sessionId: 'n3', lensId: 'l9' })]);
        await store.refreshSignals({ periods: ['all_time'], full: false, now: clock });
        const [caughtUp] = await store.refreshSignals({ periods: ['last_7d'], full: false, now: clock });
        expect(caughtUp).toMatchObject({ mode: 'incremental', sproutsRecomputed: 1 });
        expect(byPeriod(await store.getSignals(['quiet']), 'quiet', 'last_7d')).toMatchObject({ viewCount: 2, upvotes: 1, uniqueSessions: 3, uniqueLenses: 1 });
      });

      it('computes without writing on a dry run', async () => {
        const dry = await store.refreshSignals({ periods: ['all_time', 'last_7d'], full: false, now, dryRun: true });
        expect(dry.map((r) => [r.period, r.mode, r.sproutsRecomputed, r.rowsWritten])).toEqual([
          ['all_time', 'full', 3, 3],
          ['last_7d', 'full', 3, 3],
        ]);
        expect(await store.getSignals(['busy', 'fading', 'quiet'])).toEqual([]);
        const [state] = await sql.query<{ n: number }>({ name: 'test-count-state', text: `select count(*)::int as n from signal_aggregation_state where computed_at is not null` });
        expect(state?.n).toBe(0);
      });
    });

    it('gives an incremental refresh exactly the numbers of a full recompute, on random events and clock moves', async () => {
      const start = at('2026-03-10T00:00:00Z');
      const pool = ['a', 'b', 'c', 'd', 'e'];
      const anEvent = fc.record({
        sproutId: fc.constantFrom(...pool, 'orphan'),
        eventType: fc.constantFrom(...USAGE_EVENT_TYPES),
        sessionId: fc.constantFrom('s1', 's2', 's3', 's4'),
        userId: fc.option(fc.constantFrom('u1', 'u2'), { nil: undefined }),
        lensId: fc.option(fc.constantFrom('l1', 'l2', 'l3'), { nil: undefined }),
        hubId: fc.option(fc.constantFrom('h1', 'h2'), { nil: undefined }),
        // Hours before the step's clock time: whole hours, so events fall exactly on window edges too;
        // negative ones lie after the clock time and count later.
        hoursAgo: fc.integer({ min: -30, max: 35 * 24 }),
      });
      const aStep = fc.record({
        events: fc.array(anEvent, { maxLength: 8 }),
        addSprouts: fc.subarray(pool),
        deleteSprouts: fc.subarray(pool, { maxLength: 1 }),
        // Mostly forward, sometimes set back a little.
        advanceHours: fc.integer({ min: -12, max: 10 * 24 }),
        full: fc.oneof({ arbitrary: fc.constant(false), weight: 5 }, { arbitrary: fc.constant(true), weight: 1 }),
      });

      const incrementalSql = sql;
      const fullSql = await factory.make();
      const full = createAggregationStore(fullSql);

      await fc.assert(
        fc.asyncProperty(fc.array(aStep, { minLength: 2, maxLength: 5 }), async (steps) => {
          await reset(incrementalSql);
          await reset(fullSql);
          const written: TestEvent[] = [];
          const existing = new Set<string>();
          let now = start;
          for (const [index, step] of steps.entries()) {
            now = new Date(now.getTime() + step.advanceHours * HOUR);
            const events = step.events.map(({ hoursAgo, ...rest }) => ({ ...rest, createdAt: new Date(now.getTime() - hoursAgo * HOUR) }));
            const removed = step.deleteSprouts.filter((id) => !step.addSprouts.includes(id));
            for (const target of [incrementalSql, fullSql]) {
              await addSprouts(target, step.addSprouts, now);
              await deleteSprouts(target, removed);
              await addEvents(target, events);
            }
            written.push(...events);
            for (const id of step.addSprouts) existing.add(id);
            for (const id of removed) existing.delete(id);

            const incremental = await store.refreshSignals({ periods: SIGNAL_PERIODS, full: step.full, now });
            await full.refreshSignals({ periods: SIGNAL_PERIODS, full: true, now });
            expect(incremental.map((r) => r.mode)).toEqual(SIGNAL_PERIODS.map(() => (index === 0 || step.full ? 'full' : 'incremental')));

            const got = await store.getSignals(pool);
            expect(got).toEqual(await full.getSignals(pool));
            // And both are the definition: one row per existing sprout and period.
            const expected = [...existing].sort().flatMap((sproutId) =>
              [...SIGNAL_PERIODS].sort().map((period) => ({
                sproutId,
                period,
                computedAt: now.toISOString(),
                ...computeSignals(written.filter((e) => e.sproutId === sproutId), period, now),
              })),
            );
            expect(got).toEqual(expected);
          }
        }),
        { numRuns: 30, seed: 20260310 },
      );
    });

    it('stays equal to a full recompute across window-edge crossings, late events, deleted sprouts and periods refreshed at different times', async () => {
      const start = at('2026-03-10T00:00:00Z');
      const pool = ['a', 'b', 'c', 'd'];
      // Hours before the clock: on and around both sliding edges, recent ones, late ones inside a
      // window (dated well before the clock, inserted now), and a few after the clock.
      const hoursAgo = fc.oneof(
        fc.constantFrom(7 * 24, 7 * 24 - 1, 7 * 24 + 1, 30 * 24, 30 * 24 - 1, 30 * 24 + 1),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 24, max: 29 * 24 }),
        fc.integer({ min: -6, max: -1 }),
      );
      const anEvent = fc.record({
        sproutId: fc.constantFrom(...pool),
        eventType: fc.constantFrom(...USAGE_EVENT_TYPES),
        sessionId: fc.constantFrom('s1', 's2', 's3'),
        userId: fc.option(fc.constantFrom('u1', 'u2'), { nil: undefined }),
        lensId: fc.option(fc.constantFrom('l1', 'l2'), { nil: undefined }),
        hubId: fc.option(fc.constantFrom('h1'), { nil: undefined }),
        hoursAgo,
      });
      const aStep = fc.record({
        events: fc.array(anEvent, { maxLength: 10 }),
        deleteSprouts: fc.subarray(pool, { maxLength: 2 }),
        // Small moves sweep events across the edges one by one; a day or more lets a period fall behind.
        advanceHours: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 20, max: 60 }), fc.constant(-2)),
        periods: fc.subarray([...SIGNAL_PERIODS], { minLength: 1 }),
      });

      const incrementalSql = sql;
      const fullSql = await factory.make();
      const full = createAggregationStore(fullSql);

      await fc.assert(
        fc.asyncProperty(fc.array(aStep, { minLength: 3, maxLength: 6 }), async (steps) => {
          await reset(incrementalSql);
          await reset(fullSql);
          let now = start;
          for (const target of [incrementalSql, fullSql]) await addSprouts(target, pool, now);
          await store.refreshSignals({ periods: SIGNAL_PERIODS, full: false, now });
          for (const step of steps) {
            now = new Date(now.getTime() + step.advanceHours * HOUR);
            const events = step.events.map(({ hoursAgo: ago, ...rest }) => ({ ...rest, createdAt: new Date(now.getTime() - ago * HOUR) }));
            for (const target of [incrementalSql, fullSql]) {
              await addEvents(target, events);
              // Deleted now; made again (same id, events kept) at the next step.
              await addSprouts(target, pool, now);
              await deleteSprouts(target, step.deleteSprouts);
            }
            const incremental = await store.refreshSignals({ periods: step.periods, full: false, now });
            expect(incremental.map((r) => r.mode)).toEqual(step.periods.map(() => 'incremental'));
            await full.refreshSignals({ periods: step.periods, full: true, now });
            const refreshed = (rows: readonly SproutSignals[]) => rows.filter((r) => step.periods.includes(r.period));
            expect(refreshed(await store.getSignals(pool))).toEqual(refreshed(await full.getSignals(pool)));
          }
        }),
        { numRuns: 25, seed: 20261207 },
      );
      // Each run is a few dozen refreshes on two stores.
    }, 180_000);

    it('gives a store upgraded with events and rows (migrations grove/0002 and 0003 backfill) a right first incremental refresh', async () => {
      const migration = (file: string) => readFileSync(new URL(`../../src/store/migrations/grove/${file}`, import.meta.url), 'utf8');
      const tail = (text: string, from: string) => text.slice(text.indexOf(from));
      const backfill = [
        tail(migration('0002_signal_running_state.sql'), '-- Backfill'),
        tail(migration('0003_signal_key_journal.sql'), '-- Every existing mark'),
      ].join('\n');
      const t0 = at('2026-03-10T00:00:00Z');
      const ev = (sproutId: string, sessionId: string, hoursAgo: number, now: Date, extra: Partial<TestEvent> = {}): TestEvent => ({
        sproutId,
        eventType: 'viewed',
        sessionId,
        createdAt: new Date(now.getTime() - hoursAgo * HOUR),
        ...extra,
      });
      const before = [ev('a', 's1', 2, t0, { lensId: 'l1' }), ev('a', 's2', 6 * 24, t0), ev('b', 's1', 29 * 24, t0, { hubId: 'h1' }), ev('c', 's3', 1, t0)];
      await addSprouts(sql, ['a', 'b', 'c'], t0);
      await addEvents(sql, before);
      await store.refreshSignals({ periods: SIGNAL_PERIODS, full: false, now: t0 });
      // Events the old rows do not count yet: new ones, a late one inside the week, one for a sprout made later.
      const later = new Date(t0.getTime() + 2 * HOUR);
      const after = [ev('a', 's3', 1, later, { lensId: 'l2' }), ev('b', 's4', 3 * 24, later, { userId: 'u1' }), ev('d', 's1', 1, later)];
      await addEvents(sql, after);
      await addSprouts(sql, ['d'], later);
      // The store as an earlier release left it, then the migration's backfill.
      await sql.exec(`truncate sprout_signal_keys, sprout_signal_key_marks, signal_key_state, sprout_signal_key_journal; update signal_aggregation_state set seen_through = 0`);
      await sql.exec(backfill);

      const refreshed = await store.refreshSignals({ periods: SIGNAL_PERIODS, full: false, now: later });
      expect(refreshed.map((r) => r.mode)).toEqual(['incremental', 'incremental', 'incremental']);
      const all = [...before, ...after];
      expect(await store.getSignals(['a', 'b', 'c', 'd'])).toEqual(
        ['a', 'b', 'c', 'd'].flatMap((sproutId) =>
          [...SIGNAL_PERIODS].sort().map((period) => ({
            sproutId,
            period,
            computedAt: later.toISOString(),
            ...computeSignals(all.filter((e) => e.sproutId === sproutId), period, later),
          })),
        ),
      );
    });

    // Needs two sessions at once (an insert held open while a refresh runs): only the
    // PostgreSQL server has them; PGlite is one session, so the test exists there only.
    const onServer = factory.name === 'PostgreSQL' ? it : () => undefined;
    onServer('never skips an event whose insert commits after a later id was already counted', async () => {
      const now = at('2026-03-10T00:00:00Z');
      await addSprouts(sql, ['slow', 'fast'], now);
      // Short, so the first refresh below gives up quickly; long, so the last one surely waits.
      const impatient = createAggregationStore(sql, { watermarkLockTimeoutMs: 200 });
      const patient = createAggregationStore(sql, { watermarkLockTimeoutMs: 30_000 });
      await store.refreshSignals({ periods: ['all_time'], full: false, now });

      const open = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${searchPath(sql.schema, sql.domainSchema).replaceAll(' ', '')}` });
      await open.connect();
      try {
        // 'slow' draws id 1 and stays uncommitted; 'fast' draws id 2 and commits.
        await open.query('begin');
        await open.query(`insert into sprout_usage_events (sprout_id, event_type, session_id, created_at) values ('slow', 'viewed', 's', $1)`, [now]);
        await addEvents(sql, [{ sproutId: 'fast', eventType: 'viewed', sessionId: 's', createdAt: now }]);

        // The refresh cannot learn which ids are settled while the insert is open: it counts what it
        // sees and keeps its watermark (a naive max(id) would move it to 2 and lose id 1).
        const [blocked] = await impatient.refreshSignals({ periods: ['all_time'], full: false, now });
        expect(blocked).toMatchObject({ mode: 'incremental', sproutsRecomputed: 1, lastEventId: 0 });

        await open.query('commit');
        const [after] = await store.refreshSignals({ periods: ['all_time'], full: false, now });
        expect(after).toMatchObject({ sproutsRecomputed: 2, lastEventId: 2 });
        const rows = await store.getSignals(['slow', 'fast']);
        expect(rows.map((r) => [r.sproutId, r.viewCount])).toEqual([
          ['fast', 1],
          ['slow', 1],
        ]);

        // An insert that ends while the refresh waits for it is counted by that refresh.
        await open.query('begin');
        await open.query(`insert into sprout_usage_events (sprout_id, event_type, session_id, created_at) values ('slow', 'viewed', 's2', $1)`, [now]);
        const refreshing = patient.refreshSignals({ periods: ['all_time'], full: false, now });
        await waitForLockWaiter(open);
        await open.query('commit');
        const [waited] = await refreshing;
        expect(waited).toMatchObject({ sproutsRecomputed: 1, lastEventId: 3 });
        expect(byPeriod(await store.getSignals(['slow']), 'slow', 'all_time')).toMatchObject({ viewCount: 2 });
      } finally {
        await open.end();
      }
    });

    onServer('gives a row to a sprout made by a session that names the schema (its search_path lacks it), and none to one deleted so', async () => {
      const now = at('2026-03-10T00:00:00Z');
      await addSprouts(sql, ['kept', 'gone'], now);
      await store.refreshSignals({ periods: ['last_7d'], full: false, now });
      const other = new pg.Client({ connectionString: POSTGRES_URL });
      await other.connect();
      try {
        const sprouts = `${quoteIdentifier(sql.domainSchema ?? sql.schema)}.sprouts`;
        await other.query(`insert into ${sprouts} (id, title, tier, created_at, updated_at) values ('made', 'Made', 'seed', $1, $1)`, [now]);
        await other.query(`delete from ${sprouts} where id = 'gone'`);
      } finally {
        await other.end();
      }
      const [refresh] = await store.refreshSignals({ periods: ['last_7d'], full: false, now });
      expect(refresh).toMatchObject({ mode: 'incremental', sproutsRecomputed: 1, rowsWritten: 1, rowsDeleted: 1 });
      expect((await store.getSignals(['kept', 'gone', 'made'])).map((r) => r.sproutId)).toEqual(['kept', 'made']);
      // Nothing changed since: the next refresh looks for neither.
      const [quiet] = await store.refreshSignals({ periods: ['last_7d'], full: false, now });
      expect(quiet).toMatchObject({ sproutsRecomputed: 0, rowsWritten: 0, rowsDeleted: 0 });
    });
  });
}

/** Resolves once some session waits for a lock on the events table (the refresh's SHARE lock). */
async function waitForLockWaiter(client: pg.Client): Promise<void> {
  for (;;) {
    const { rows } = await client.query<{ waiting: boolean }>(
      `select exists (select 1 from pg_locks where locktype = 'relation' and relation = 'sprout_usage_events'::regclass and not granted) as waiting`,
    );
    if (rows[0]?.waiting) return;
  }
}
