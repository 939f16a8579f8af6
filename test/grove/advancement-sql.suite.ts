import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { JobConfig, JobContext } from '../../src/domain/config/index.js';
import {
  type AdvancementRule,
  applicableRules,
  BOTANICAL_TIERS,
  decideAdvancement,
  RULE_COMPARISON_TOLERANCE,
  RULE_OPERATORS,
  RULE_SIGNALS,
  type SignalSnapshot,
  takeSignalSnapshot,
} from '../../src/domain/grove/index.js';
import type { AdvancementStore } from '../../src/engine/ports.js';
import {
  type AdvancementBatchParameters,
  type AdvancementBatchResult,
  advancementBatchJobType,
  advancementBatchParameters,
} from '../../src/jobs/advancement-batch/index.js';
import { createAdvancementStore } from '../../src/store/grove/advancement.js';
import { type SignalColumns, toSignalValues } from '../../src/store/grove/signal-row.js';
import type { Sql } from '../../src/store/sql.js';
import type { SqlFactory } from '../support/test-store.js';

const T0 = new Date('2026-03-01T00:00:00Z');
const T1 = new Date('2026-03-02T02:00:00Z');
const sproutId = (n: number) => `sp-${String(n).padStart(5, '0')}`;

/** Thresholds and values meet at these points, so values land exactly on, just inside and just outside the tolerance. */
const ANCHORS = [0, 0.5, 0.8, 1, 3, 5, 12, -1e308, 1e308];
const OFFSETS = [0, RULE_COMPARISON_TOLERANCE, -RULE_COMPARISON_TOLERANCE, 2e-9, -2e-9, 1e-10, -1e-10, 1.0000001e-9, -1.0000001e-9, 0.3, -0.3];
const near = fc.tuple(fc.constantFrom(...ANCHORS), fc.constantFrom(...OFFSETS)).map(([a, d]) => a + d);
/** A float column as stored: near an anchor, any double, or not finite (the rules then skip it). */
const floatColumn = fc.oneof(
  { weight: 5, arbitrary: near },
  { weight: 2, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 * 0.8 - 1, (1 + 1 + 0.4) / 3) },
);
/** utility_score such that (u + 1) / 2 lands near an anchor too. */
const utilityColumn = fc.oneof(floatColumn, near.map((t) => 2 * t - 1));
const countColumn = fc.oneof(fc.integer({ min: 0, max: 15 }), fc.constantFrom(0, 3, 5, 12, 2_147_483_647));
/** Timestamps with microseconds: the snapshot records them as the drivers read them (milliseconds). */
const instant = fc.oneof(
  fc.constant(null),
  fc.integer({ min: 0, max: 999_999 }).map((us) => `2026-02-${String(1 + (us % 28)).padStart(2, '0')} 13:45:07.${String(us).padStart(6, '0')}+00`),
);

const aggregationRow = fc.record({
  retrieval_count: countColumn,
  reference_count: countColumn,
  view_count: countColumn,
  upvotes: countColumn,
  unique_lenses: countColumn,
  utility_score: utilityColumn,
  diversity_index: floatColumn,
  quality_score: floatColumn,
  first_event_at: instant,
  last_event_at: instant,
  advancement_eligible: fc.boolean(),
  computed_at: instant.map((v) => v ?? '2026-03-01 00:00:00.000999+00'),
});
type AggregationRow = typeof aggregationRow extends fc.Arbitrary<infer T> ? T : never;

const criterion = fc.record({
  signal: fc.constantFrom(...RULE_SIGNALS),
  operator: fc.constantFrom(...RULE_OPERATORS),
  threshold: fc.oneof(near, fc.double({ min: -2, max: 20, noNaN: true, noDefaultInfinity: true })),
});
const rule = fc.record({
  fromTier: fc.constantFrom('seed', 'sprout', 'sapling'),
  criteria: fc.array(criterion, { minLength: 0, maxLength: 4 }),
  logicOperator: fc.constantFrom('AND' as const, 'OR' as const),
  order: fc.integer({ min: 0, max: 2 }),
  isEnabled: fc.constantFrom(true, true, true, false),
});
const sprout = fc.record({ tier: fc.constantFrom('seed', 'sprout', 'sapling', 'tree'), row: fc.option(aggregationRow, { freq: 5 }) });

/** A float as text PostgreSQL parses back to the same double (NaN and the infinities by name). */
const floatText = (n: number) => (Number.isNaN(n) ? 'NaN' : n === Infinity ? 'Infinity' : n === -Infinity ? '-Infinity' : String(n));

interface Expected {
  sproutId: string;
  groupIndex: number;
  decision: ReturnType<typeof decideAdvancement>;
  snapshot: SignalSnapshot;
}

/** What the batch records, as JSON stores it (no NaN, no −0). */
const asStored = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/**
 * The SQL evaluation of the advancement batch against the TypeScript definition
 * (decideAdvancement on takeSignalSnapshot's rule signals), over generated signals and rules.
 */
export function runAdvancementSqlSuite(factory: SqlFactory): void {
  describe(`advancement decided in SQL on ${factory.name}`, () => {
    let sql: Sql;
    let store: AdvancementStore;

    beforeEach(async () => {
      sql = await factory.make();
      store = createAdvancementStore(sql);
    });
    afterAll(() => factory.dispose());

    async function runBatch(options: { dryRun: boolean; batchSize: number }) {
      const type = advancementBatchJobType({ advancement: store });
      const executionId = randomUUID();
      const context: JobContext<AdvancementBatchParameters> = {
        executionId,
        config: { meta: { id: 'advancement-batch' } } as unknown as JobConfig,
        parameters: advancementBatchParameters.parse({ dryRun: options.dryRun }),
        slot: undefined,
        attempt: 1,
        batchSize: options.batchSize,
        dryRun: options.dryRun,
        signal: new AbortController().signal,
        now: () => T1,
        log: () => undefined,
        progress: () => undefined,
      };
      const outcome = await type.execute(context);
      return { result: outcome?.result as unknown as AdvancementBatchResult, executionId };
    }

    /** Stores sprouts and aggregation rows, and reads the rows back as the store's reads give them. */
    async function seed(sprouts: Array<{ tier: string; row: AggregationRow | null }>): Promise<Map<string, SignalColumns & { computed_at: Date }>> {
      await sql.exec('delete from advancement_events; delete from sprout_signal_aggregations; delete from sprouts; delete from advancement_rules;');
      const ids = sprouts.map((_, i) => sproutId(i + 1));
      await sql.query({
        name: 'test-sql-sprouts',
        text: `insert into sprouts (id, title, tier, lifecycle_model_id, created_at, updated_at)
               select x.id, x.id, x.tier, 'botanical', $3::timestamptz, $3::timestamptz from unnest($1::text[], $2::text[]) as x(id, tier)`,
        values: [ids, sprouts.map((s) => s.tier), T0],
      });
      const withRows = sprouts.flatMap((s, i) => (s.row ? [{ id: ids[i] as string, ...s.row }] : []));
      if (withRows.length > 0) {
        const column = <K extends keyof AggregationRow>(key: K) => withRows.map((r) => r[key]);
        await sql.query({
          name: 'test-sql-aggregations',
          text: `insert into sprout_signal_aggregations (sprout_id, period, retrieval_count, reference_count, view_count, upvotes, unique_lenses,
                        utility_score, diversity_index, quality_score, first_event_at, last_event_at, advancement_eligible, computed_at)
                 select * from unnest($1::text[], array_fill('all_time'::text, array[cardinality($1::text[])]), $2::int[], $3::int[], $4::int[], $5::int[], $6::int[],
                                      $7::float8[], $8::float8[], $9::float8[], $10::timestamptz[], $11::timestamptz[], $12::boolean[], $13::timestamptz[])`,
          values: [
            withRows.map((r) => r.id),
            column('retrieval_count'),
            column('reference_count'),
            column('view_count'),
            column('upvotes'),
            column('unique_lenses'),
            column('utility_score').map(floatText),
            column('diversity_index').map(floatText),
            column('quality_score').map(floatText),
            column('first_event_at'),
            column('last_event_at'),
            column('advancement_eligible'),
            column('computed_at'),
          ],
        });
      }
      const rows = await sql.query<SignalColumns & { sprout_id: string; computed_at: Date }>({
        name: 'test-sql-read-aggregations',
        text: "select * from sprout_signal_aggregations where period = 'all_time'",
      });
      return new Map(rows.map((r) => [r.sprout_id, r]));
    }

    it('moves, records and reports exactly what decideAdvancement decides on the snapshot (generated signals at the thresholds, missing signals, AND/OR, ordered rules)', async () => {
      let moved = 0;
      let held = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(sprout, { minLength: 1, maxLength: 30 }),
          fc.array(rule, { minLength: 1, maxLength: 6 }),
          fc.boolean(),
          fc.integer({ min: 1, max: 9 }),
          async (sprouts, rules, dryRun, batchSize) => {
            const rows = await seed(sprouts);
            const stored: AdvancementRule[] = [];
            for (const [i, r] of rules.entries()) {
              const toTier = BOTANICAL_TIERS[BOTANICAL_TIERS.indexOf(r.fromTier) + 1] as string;
              stored.push(await store.createRule({ meta: { id: `rule-${i}` }, payload: { ...r, toTier } }, T0));
            }
            const enabled = stored.filter((r) => r.payload.isEnabled);
            // The groups the batch pages through, in order: tiers with an enabled rule, lowest first.
            const groupTiers = BOTANICAL_TIERS.filter((tier) => enabled.some((r) => r.payload.fromTier === tier));

            const expected: Expected[] = [];
            let noSignals = 0;
            sprouts.forEach((s, i) => {
              const id = sproutId(i + 1);
              const groupIndex = groupTiers.indexOf(s.tier as (typeof groupTiers)[number]);
              if (groupIndex < 0) return;
              const row = rows.get(id);
              if (!row) {
                noSignals += 1;
                return;
              }
              const snapshot = takeSignalSnapshot({ period: 'all_time', computedAt: new Date(row.computed_at).toISOString(), ...toSignalValues(row) });
              const decision = decideAdvancement({ lifecycleModelId: 'botanical', tier: s.tier }, applicableRules(enabled, 'botanical', s.tier), snapshot.ruleSignals);
              expected.push({ sproutId: id, groupIndex, decision, snapshot });
            });
            expected.sort((a, b) => a.groupIndex - b.groupIndex || (a.sproutId < b.sproutId ? -1 : 1));
            const moves = expected.filter((e) => e.decision.advance);
            const byRule: Record<string, number> = {};
            for (const e of moves) if (e.decision.advance) byRule[e.decision.ruleId] = (byRule[e.decision.ruleId] ?? 0) + 1;

            const { result, executionId } = await runBatch({ dryRun, batchSize });

            expect(result).toMatchObject({ evaluated: expected.length, skippedNoSignals: noSignals, advanced: moves.length, skippedConcurrentChange: 0 });
            // The same counts per rule, listed in the order of each rule's first move.
            expect(Object.entries(result.byRule)).toEqual(Object.entries(byRule));
            expect(result.sample).toEqual(
              moves.slice(0, 20).map((e) => (e.decision.advance ? { sproutId: e.sproutId, fromTier: e.decision.fromTier, toTier: e.decision.toTier, ruleId: e.decision.ruleId } : null)),
            );

            const tiers = new Map((await sql.query<{ id: string; tier: string }>({ name: 'test-sql-tiers', text: 'select id, tier from sprouts' })).map((r) => [r.id, r.tier]));
            const events = await store.listEvents({ executionId, limit: 1000 });
            if (dryRun) {
              expect(events).toEqual([]);
              sprouts.forEach((s, i) => expect(tiers.get(sproutId(i + 1))).toBe(s.tier));
              return;
            }
            sprouts.forEach((s, i) => {
              const e = moves.find((m) => m.sproutId === sproutId(i + 1));
              expect(tiers.get(sproutId(i + 1))).toBe(e?.decision.advance ? e.decision.toTier : s.tier);
            });
            expect(events).toHaveLength(moves.length);
            for (const e of moves) {
              if (!e.decision.advance) continue;
              const event = events.find((ev) => ev.sproutId === e.sproutId);
              expect(event).toMatchObject({ ruleId: e.decision.ruleId, fromTier: e.decision.fromTier, toTier: e.decision.toTier, executionId, eventType: 'auto-advancement' });
              // The audit content the TypeScript batch recorded, value for value.
              expect(event?.criteriaMet).toEqual(asStored(e.decision.criteriaMet));
              expect(event?.signalValues).toEqual(asStored(e.snapshot));
            }
            moved += moves.length;
            held += expected.length - moves.length;
          },
        ),
        { numRuns: 60 },
      );
      // The generators reach both outcomes.
      expect(moved).toBeGreaterThan(0);
      expect(held).toBeGreaterThan(0);
    }, 240_000);

    it('decides a value exactly at, just inside and just outside the tolerance as compareRuleValue does, for every operator', async () => {
      const tol = RULE_COMPARISON_TOLERANCE;
      // (signal, threshold, values): 1e-9 − 0 is exactly the tolerance; 5 − 1e-9 is a threshold just below a count.
      const cases = [
        { signal: 'queryDiversity' as const, threshold: 0, values: [0, tol, -tol, 1.0000001e-9, -1.0000001e-9, 1e-10, 2e-9] },
        { signal: 'queryDiversity' as const, threshold: 0.8, values: [0.8, 0.8 + tol, 0.8 - tol, 0.8 + 2e-9, 0.8 - 2e-9, (1 + 1 + 0.4) / 3] },
        { signal: 'retrievals' as const, threshold: 5 - tol, values: [4, 5, 6] },
        { signal: 'retrievals' as const, threshold: 5 + 1e-10, values: [4, 5, 6] },
        { signal: 'utilityScore' as const, threshold: 0.5, values: [0, tol, 2 * (0.5 + tol) - 1, -1, 1] },
      ];
      for (const { signal, threshold, values } of cases) {
        const row = (v: number) => ({
          retrieval_count: signal === 'retrievals' ? v : 0,
          reference_count: 0,
          view_count: 0,
          upvotes: 0,
          unique_lenses: 0,
          utility_score: signal === 'utilityScore' ? v : 0,
          diversity_index: signal === 'queryDiversity' ? v : 0,
          quality_score: 0,
          first_event_at: null,
          last_event_at: null,
          advancement_eligible: false,
          computed_at: '2026-03-01 00:00:00+00',
        });
        for (const operator of RULE_OPERATORS) {
          const rows = await seed(values.map((v) => ({ tier: 'seed', row: row(v) })));
          const stored = await store.createRule({ meta: { id: 'r' }, payload: { fromTier: 'seed', toTier: 'sprout', criteria: [{ signal, operator, threshold }] } }, T0);
          const { result } = await runBatch({ dryRun: true, batchSize: 100 });
          const expected = values
            .map((_, i) => sproutId(i + 1))
            .filter((id) => {
              const read = rows.get(id);
              if (!read) return false;
              const snapshot = takeSignalSnapshot({ period: 'all_time', computedAt: T0.toISOString(), ...toSignalValues(read) });
              return decideAdvancement({ lifecycleModelId: 'botanical', tier: 'seed' }, [stored], snapshot.ruleSignals).advance;
            });
          expect({ signal, threshold, operator, moved: result.sample.map((s) => s.sproutId) }).toEqual({ signal, threshold, operator, moved: expected });
        }
      }
    });

    it('carries any sprout id through the page intact: quotes, commas, braces, backslashes, spaces, NULL', async () => {
      const ids = ['a"b', 'c,d', '{e}', 'f\\g', 'h i', 'NULL', "j'k", 'é-ü'];
      await sql.query({
        name: 'test-sql-odd-sprouts',
        text: `insert into sprouts (id, title, tier, lifecycle_model_id, created_at, updated_at)
               select x.id, x.id, 'seed', 'botanical', $2::timestamptz, $2::timestamptz from unnest($1::text[]) as x(id)`,
        values: [ids, T0],
      });
      await sql.query({
        name: 'test-sql-odd-aggregations',
        text: `insert into sprout_signal_aggregations (sprout_id, period, retrieval_count, computed_at)
               select x.id, 'all_time', 7, $2::timestamptz from unnest($1::text[]) as x(id)`,
        values: [ids, T0],
      });
      await store.createRule({ meta: { id: 'r' }, payload: { fromTier: 'seed', toTier: 'sprout', criteria: [{ signal: 'retrievals', operator: '>=', threshold: 5 }] } }, T0);
      const { result, executionId } = await runBatch({ dryRun: false, batchSize: 3 });
      expect(result).toMatchObject({ evaluated: ids.length, advanced: ids.length, pages: 3 });
      expect(result.sample.map((s) => s.sproutId).sort()).toEqual([...ids].sort());
      const events = await store.listEvents({ executionId, limit: 100 });
      expect(events.map((e) => e.sproutId).sort()).toEqual([...ids].sort());
    });
  });
}
