import { randomUUID } from 'node:crypto';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { JobConfig, JobContext, JobProgress } from '../../src/domain/config/index.js';
import fc from 'fast-check';
import {
  type AdvancementRule,
  type AdvancementRuleInput,
  BOTANICAL_TIERS,
  decideAdvancement,
  deriveSignals,
  GroveError,
  GroveErrorCode,
  reproduceCriterion,
  RULE_OPERATORS,
  RULE_SIGNALS,
  type SignalValues,
} from '../../src/domain/grove/index.js';
import type { AdvancementStore } from '../../src/engine/ports.js';
import {
  type AdvancementBatchParameters,
  type AdvancementBatchResult,
  advancementBatchJobType,
  advancementBatchParameters,
} from '../../src/jobs/advancement-batch/index.js';
import { createAdvancementStore } from '../../src/store/grove/advancement.js';
import type { Sql } from '../../src/store/sql.js';
import type { SqlFactory } from '../support/test-store.js';

const T0 = new Date('2026-03-01T00:00:00Z');
const T1 = new Date('2026-03-02T02:00:00Z');
const T2 = new Date('2026-03-03T02:00:00Z');

const sproutId = (n: number) => `sp-${String(n).padStart(5, '0')}`;

/**
 * Sprouts `from`..`to` at `tier`, and (unless `signals: false`) their aggregation row for
 * `period`, set-based. Signals follow the number n: retrievals n % 10, citations n % 7,
 * diversity (n % 5) / 4, utility (n % 3) − 1.
 */
async function seedSprouts(sql: Sql, from: number, to: number, tier: string, options: { signals?: boolean; period?: string } = {}) {
  await sql.query({
    name: 'test-sprouts',
    text: `insert into sprouts (id, title, tier, lifecycle_model_id, created_at, updated_at)
           select 'sp-' || lpad(g::text, 5, '0'), 'Sprout ' || g, $3, 'botanical', $4::timestamptz, $4::timestamptz
             from generate_series($1::int, $2::int) g`,
    values: [from, to, tier, T0],
  });
  if (options.signals === false) return;
  await sql.query({
    name: 'test-aggregations',
    text: `insert into sprout_signal_aggregations (sprout_id, period, view_count, retrieval_count, reference_count, unique_sessions,
                  first_event_at, last_event_at, utility_score, diversity_index, quality_score, advancement_eligible, computed_at)
           select 'sp-' || lpad(g::text, 5, '0'), $3, 20, g % 10, g % 7, 4, $4::timestamptz, $4::timestamptz,
                  (g % 3) - 1, (g % 5) / 4.0, 0.5, false, $4::timestamptz
             from generate_series($1::int, $2::int) g`,
    values: [from, to, options.period ?? 'all_time', T0],
  });
}

/** The same signals as seedSprouts, for computing what should advance. */
const signalsOf = (n: number) => ({ retrievals: n % 10, citations: n % 7, diversity: (n % 5) / 4, utility: (n % 3) - 1 });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const seedToSprout = (criteria: AdvancementRuleInput['payload']['criteria'], extra: Partial<AdvancementRuleInput['payload']> = {}): AdvancementRuleInput => ({
  meta: { id: 'seed-to-sprout', title: 'Seed → Sprout' },
  payload: { lifecycleModelId: 'botanical', fromTier: 'seed', toTier: 'sprout', criteria, logicOperator: 'AND', isEnabled: true, order: 1, ...extra },
});
const sproutToSapling: AdvancementRuleInput = {
  meta: { id: 'sprout-to-sapling' },
  payload: { fromTier: 'sprout', toTier: 'sapling', criteria: [{ signal: 'citations', operator: '>=', threshold: 3 }], order: 2 },
};

interface Run {
  result: AdvancementBatchResult;
  progress: JobProgress[];
  summary: string | undefined;
  executionId: string;
}

async function tiers(sql: Sql): Promise<Map<string, string>> {
  const rows = await sql.query<{ id: string; tier: string }>({ name: 'test-tiers', text: 'select id, tier from sprouts order by id' });
  return new Map(rows.map((r) => [r.id, r.tier]));
}

async function countWhere(sql: Sql, text: string, values: unknown[] = []): Promise<number> {
  const [row] = await sql.query<{ n: number }>({ name: `test-count-${text.length}-${text.slice(0, 40)}`, text: `select count(*)::int as n from ${text}`, values });
  return row?.n ?? 0;
}

async function refusal(promise: Promise<unknown>): Promise<GroveError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GroveError);
  return error as GroveError;
}

/** The advancement store and job, run unchanged on every driver. */
export function runAdvancementSuite(factory: SqlFactory): void {
  describe(`advancement on ${factory.name}`, () => {
    let sql: Sql;
    let store: AdvancementStore;

    beforeEach(async () => {
      sql = await factory.make();
      store = createAdvancementStore(sql);
    });
    afterAll(() => factory.dispose());

    /** Runs the job type as the worker would: parameters through its schema, a context per execution. */
    async function runBatch(
      parameters: Partial<AdvancementBatchParameters> = {},
      options: { batchSize?: number; now?: Date; store?: AdvancementStore; logs?: string[]; onProgress?: (p: JobProgress, abort: () => void) => void } = {},
    ): Promise<Run> {
      const type = advancementBatchJobType({ advancement: options.store ?? store });
      const parsed = advancementBatchParameters.parse(parameters);
      const progress: JobProgress[] = [];
      const controller = new AbortController();
      const executionId = randomUUID();
      const context: JobContext<AdvancementBatchParameters> = {
        executionId,
        config: { meta: { id: 'advancement-batch' } } as unknown as JobConfig,
        parameters: parsed,
        slot: undefined,
        attempt: 1,
        batchSize: options.batchSize ?? 100,
        dryRun: parsed.dryRun,
        signal: controller.signal,
        now: () => options.now ?? T1,
        log: (level, message) => {
          options.logs?.push(`${level}: ${message}`);
        },
        progress: (p) => {
          progress.push(p);
          options.onProgress?.(p, () => controller.abort(new Error('cancelled by test')));
        },
      };
      const outcome = await type.execute(context);
      return { result: outcome?.result as unknown as AdvancementBatchResult, progress, summary: outcome?.summary, executionId };
    }

    it("counts a run's first execution and its retries as one run (a sprout moves once per run)", async () => {
      await sql.query({
        name: 'test-run-config',
        text: `insert into job_configs (id, job_type, version, is_enabled, config, created_at, updated_at, created_by, updated_by)
               values ('advancement-batch', 'advancement-batch', 1, false, '{}', now(), now(), 'test', 'test')`,
      });
      const [first, second, third, other] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      const rows: Array<[string, string, number]> = [
        [first, first, 1],
        [second, first, 2],
        [third, first, 3],
        [other, other, 1],
      ];
      for (const [id, runId, attempt] of rows) {
        await sql.query({
          name: 'test-run-execution',
          text: `insert into executions (id, run_id, config_id, config_version, config, status, trigger, attempt, queued_at, run_after)
                 values ($1::uuid, $2::uuid, 'advancement-batch', 1, '{}', 'failed', 'manual', $3, now(), now())`,
          values: [id, runId, attempt],
        });
      }
      for (const id of [first, second, third]) expect((await store.runExecutionIds(id)).sort()).toEqual([first, second, third].sort());
      expect(await store.runExecutionIds(other)).toEqual([other]);
    });

    describe('the batch', () => {
      it('evaluates all 2,500 eligible sprouts in 25 pages of 100 and records every change with its execution id and snapshot', async () => {
        await seedSprouts(sql, 1, 2500, 'seed');
        await store.createRule(
          seedToSprout([
            { signal: 'retrievals', operator: '>=', threshold: 5 },
            { signal: 'queryDiversity', operator: '>=', threshold: 0.5 },
          ]),
          T0,
        );
        const expected = range(1, 2500).filter((n) => signalsOf(n).retrievals >= 5 && signalsOf(n).diversity >= 0.5);

        const run = await runBatch();

        expect(run.result).toMatchObject({ candidates: 2500, evaluated: 2500, advanced: expected.length, skippedNoSignals: 0, pages: 25 });
        expect(run.result.byRule).toEqual({ 'seed-to-sprout': expected.length });
        // One report before the first page, then one per page.
        expect(run.progress).toHaveLength(26);
        expect(run.progress.map((p) => p.processed)).toEqual(range(0, 25).map((page) => page * 100));
        expect(run.progress.at(-1)).toEqual({ total: 2500, processed: 2500, succeeded: expected.length, failed: 0 });

        const after = await tiers(sql);
        const moved = [...after].filter(([, tier]) => tier === 'sprout').map(([id]) => id);
        expect(moved).toEqual(expected.map(sproutId));

        const events = await store.listEvents({ executionId: run.executionId, limit: 10_000 });
        expect(events).toHaveLength(expected.length);
        expect(new Set(events.map((e) => e.sproutId))).toEqual(new Set(moved));
        for (const event of events) {
          expect(event).toMatchObject({ eventType: 'auto-advancement', ruleId: 'seed-to-sprout', fromTier: 'seed', toTier: 'sprout', executionId: run.executionId, rolledBack: false });
          expect(event.timestamp).toBe(T1.toISOString());
        }
        const last = events.find((e) => e.sproutId === sproutId(2499));
        const n = 2499;
        // The rule signals as tested (utility rescaled to 0…1), and the aggregation row as read (utility −1…1).
        expect(last?.signalValues).toMatchObject({
          period: 'all_time',
          computedAt: T0.toISOString(),
          ruleSignals: { retrievals: 9, citations: signalsOf(n).citations, queryDiversity: 1, utilityScore: (signalsOf(n).utility + 1) / 2 },
          aggregation: {
            viewCount: 20,
            retrievalCount: signalsOf(n).retrievals,
            referenceCount: signalsOf(n).citations,
            diversityIndex: signalsOf(n).diversity,
            utilityScore: signalsOf(n).utility,
            uniqueSessions: 4,
            firstEventAt: T0.toISOString(),
            advancementEligible: false,
          },
        });
        expect(Object.keys(last?.signalValues ?? {}).sort()).toEqual(['aggregation', 'computedAt', 'period', 'ruleSignals']);
        expect(Object.keys(last?.signalValues?.aggregation ?? {})).toHaveLength(20);
        expect(last?.criteriaMet).toEqual([
          { signal: 'retrievals', operator: '>=', threshold: 5, value: 9, met: true },
          { signal: 'queryDiversity', operator: '>=', threshold: 0.5, value: 1, met: true },
        ]);
      });

      it('commits each page atomically: a failure in the middle of page 13 leaves pages 1–12 whole and page 13 untouched', async () => {
        await seedSprouts(sql, 1, 2500, 'seed');
        await store.createRule(seedToSprout([{ signal: 'retrievals', operator: '>=', threshold: 0 }]), T0);
        // Raises while page 13's events are being written, after its tier updates ran in the same statement.
        await sql.exec(`
          create function fail_for_one_sprout() returns trigger language plpgsql as $$
          begin
            if new.sprout_id = 'sp-01250' then raise exception 'injected failure for %', new.sprout_id; end if;
            return new;
          end $$;
          create trigger fail_for_one_sprout before insert on advancement_events for each row execute function fail_for_one_sprout();`);

        const failed = await runBatch().then(
          () => undefined,
          (e: unknown) => e as Error,
        );
        expect(failed?.message).toMatch(/injected failure for sp-01250/);

        const after = await tiers(sql);
        const moved = [...after].filter(([, tier]) => tier === 'sprout').map(([id]) => id);
        expect(moved).toEqual(range(1, 1200).map(sproutId));
        expect(range(1201, 1300).every((n) => after.get(sproutId(n)) === 'seed')).toBe(true);
        expect(await countWhere(sql, 'advancement_events')).toBe(1200);
        // No tier change without its event, no event without its tier change.
        expect(await countWhere(sql, "sprouts s where s.tier <> 'seed' and not exists (select 1 from advancement_events e where e.sprout_id = s.id)")).toBe(0);
        expect(await countWhere(sql, "advancement_events e join sprouts s on s.id = e.sprout_id where s.tier <> e.to_tier")).toBe(0);

        // A re-run picks up the rest.
        await sql.exec('drop trigger fail_for_one_sprout on advancement_events');
        const rerun = await runBatch();
        expect(rerun.result).toMatchObject({ candidates: 1300, evaluated: 1300, advanced: 1300, pages: 13 });
        expect(await countWhere(sql, "sprouts where tier = 'sprout'")).toBe(2500);
      });

      it('writes nothing in a dry run and reports what would advance', async () => {
        await seedSprouts(sql, 1, 500, 'seed');
        await store.createRule(seedToSprout([{ signal: 'retrievals', operator: '>', threshold: 6 }]), T0);
        const before = await sql.query({ name: 'test-dump', text: 'select id, tier, updated_at from sprouts order by id' });

        const run = await runBatch({ dryRun: true });

        const expected = range(1, 500).filter((n) => signalsOf(n).retrievals > 6);
        expect(run.result).toMatchObject({ dryRun: true, evaluated: 500, advanced: expected.length, pages: 5 });
        expect(run.result.sample).toHaveLength(20);
        expect(run.result.sample[0]).toEqual({ sproutId: sproutId(7), fromTier: 'seed', toTier: 'sprout', ruleId: 'seed-to-sprout' });
        expect(run.summary).toMatch(new RegExp(`Dry run: evaluated 500 sprouts in 5 pages; ${expected.length} would advance`));
        expect(await sql.query({ name: 'test-dump', text: 'select id, tier, updated_at from sprouts order by id' })).toEqual(before);
        expect(await countWhere(sql, 'advancement_events')).toBe(0);
      });

      it('skips and counts sprouts without an aggregation row for the period', async () => {
        await seedSprouts(sql, 1, 150, 'seed');
        await seedSprouts(sql, 151, 170, 'seed', { signals: false });
        await seedSprouts(sql, 171, 180, 'seed', { period: 'last_7d' });
        await store.createRule(seedToSprout([{ signal: 'retrievals', operator: '>=', threshold: 0 }]), T0);

        const run = await runBatch({ signalPeriod: 'all_time' });
        expect(run.result).toMatchObject({ candidates: 180, evaluated: 150, skippedNoSignals: 30, advanced: 150, pages: 2 });
        expect(run.summary).toContain('30 skipped without all_time signals');

        const weekly = await runBatch({ signalPeriod: 'last_7d' });
        expect(weekly.result).toMatchObject({ candidates: 30, evaluated: 10, skippedNoSignals: 20, advanced: 10 });
        expect((await store.listEvents({ executionId: weekly.executionId, limit: 100 }))[0]?.signalValues?.period).toBe('last_7d');
      });

      it('moves a sprout at most one tier per run; the next run moves only those whose new tier has a matching rule', async () => {
        await seedSprouts(sql, 1, 300, 'seed');
        await seedSprouts(sql, 301, 400, 'sprout');
        await store.createRule(seedToSprout([{ signal: 'retrievals', operator: '>=', threshold: 5 }]), T0);
        await store.createRule(sproutToSapling, T0);

        const first = await runBatch({}, { batchSize: 40 });
        const seedsMoved = range(1, 300).filter((n) => signalsOf(n).retrievals >= 5);
        const sproutsMoved = range(301, 400).filter((n) => signalsOf(n).citations >= 3);
        expect(first.result).toMatchObject({ candidates: 400, evaluated: 400, advanced: seedsMoved.length + sproutsMoved.length });
        expect(first.result.byRule).toEqual({ 'seed-to-sprout': seedsMoved.length, 'sprout-to-sapling': sproutsMoved.length });
        let now = await tiers(sql);
        expect(seedsMoved.every((n) => now.get(sproutId(n)) === 'sprout')).toBe(true);
        expect(await countWhere(sql, "advancement_events where from_tier = 'seed' and to_tier = 'sapling'")).toBe(0);
        expect(await countWhere(sql, '(select sprout_id from advancement_events group by sprout_id having count(*) > 1) twice')).toBe(0);

        // No new events: only the seeds that became sprouts and meet sprout → sapling move now.
        const second = await runBatch({}, { now: T2 });
        const chained = seedsMoved.filter((n) => signalsOf(n).citations >= 3);
        expect(chained.length).toBeGreaterThan(0);
        expect(second.result.advanced).toBe(chained.length);
        expect(second.result.byRule).toEqual({ 'sprout-to-sapling': chained.length });
        now = await tiers(sql);
        expect(chained.every((n) => now.get(sproutId(n)) === 'sapling')).toBe(true);

        const third = await runBatch({}, { now: T2 });
        expect(third.result.advanced).toBe(0);
      });

      it('moves nothing on a second run when no rule chains', async () => {
        await seedSprouts(sql, 1, 300, 'seed');
        await store.createRule(seedToSprout([{ signal: 'retrievals', operator: '>=', threshold: 5 }]), T0);
        const first = await runBatch();
        expect(first.result.advanced).toBe(range(1, 300).filter((n) => signalsOf(n).retrievals >= 5).length);
        const second = await runBatch({}, { now: T2 });
        expect(second.result).toMatchObject({ advanced: 0, candidates: 300 - first.result.advanced });
      });

      it('limits the run to fromTiers and the lifecycle model, and refuses ones that do not exist', async () => {
        await seedSprouts(sql, 1, 50, 'seed');
        await seedSprouts(sql, 51, 100, 'sprout');
        await store.createRule(seedToSprout([{ signal: 'retrievals', operator: '>=', threshold: 0 }]), T0);
        await store.createRule(sproutToSapling, T0);
        const run = await runBatch({ fromTiers: ['sprout'], lifecycleModelId: 'botanical' });
        expect(run.result).toMatchObject({ groups: [{ lifecycleModelId: 'botanical', tier: 'sprout' }], candidates: 50, evaluated: 50 });
        expect(run.result.byRule).toEqual({ 'sprout-to-sapling': range(51, 100).filter((n) => signalsOf(n).citations >= 3).length });

        expect((await refusal(runBatch({ fromTiers: ['acorn'] }))).field).toBe('fromTiers[0]');
        expect((await refusal(runBatch({ lifecycleModelId: 'kitchen' }))).field).toBe('lifecycleModelId');
      });

      it('skips a stored rule that does not move a sprout to the next tier, with a log line, and applies the others', async () => {
        await seedSprouts(sql, 1, 40, 'seed');
        await store.createRule(seedToSprout([{ signal: 'retrievals', operator: '>=', threshold: 5 }], { order: 2 }), T0);
        // Stored before rules were held to the next tier: written past the store's checks.
        await sql.query({
          name: 'test-bad-rules',
          text: `insert into advancement_rules (id, title, lifecycle_model_id, from_tier, to_tier, criteria, logic_operator, sort_order, created_at, updated_at)
                 values ('seed-to-tree', 'jump', 'botanical', 'seed', 'tree', '[{"signal":"retrievals","operator":">=","threshold":0}]', 'AND', 1, $1::timestamptz, $1::timestamptz),
                        ('tree-to-seed', 'down', 'botanical', 'tree', 'seed', '[{"signal":"retrievals","operator":">=","threshold":0}]', 'AND', 1, $1::timestamptz, $1::timestamptz)`,
          values: [T0],
        });
        const logs: string[] = [];
        const run = await runBatch({}, { logs });
        expect(run.result.skippedRules).toEqual([
          { ruleId: 'seed-to-tree', field: 'payload.toTier', message: "'tree' is not the tier after 'seed' in botanical: a rule moves a sprout to 'sprout' only" },
          { ruleId: 'tree-to-seed', field: 'payload.toTier', message: "'seed' is not the tier after 'tree' in botanical: a rule moves a sprout to 'grove' only" },
        ]);
        expect(logs.filter((l) => l.startsWith('warn: rule '))).toEqual([
          "warn: rule seed-to-tree skipped: payload.toTier: 'tree' is not the tier after 'seed' in botanical: a rule moves a sprout to 'sprout' only; fix or delete the rule",
          "warn: rule tree-to-seed skipped: payload.toTier: 'seed' is not the tier after 'tree' in botanical: a rule moves a sprout to 'grove' only; fix or delete the rule",
        ]);
        expect(run.summary).toContain('2 rule(s) skipped, not moving to the next tier: seed-to-tree, tree-to-seed');
        expect(run.result.groups).toEqual([{ lifecycleModelId: 'botanical', tier: 'seed' }]);
        expect(run.result.byRule).toEqual({ 'seed-to-sprout': range(1, 40).filter((n) => signalsOf(n).retrievals >= 5).length });
        expect(await countWhere(sql, "sprouts where tier not in ('seed', 'sprout')")).toBe(0);
        // Such a rule is fixed by an update that moves it to the next tier (or deleted).
        expect((await refusal(store.updateRule({ meta: { id: 'seed-to-tree', version: 1 }, payload: { fromTier: 'seed', toTier: 'tree' } }, T1))).field).toBe('payload.toTier');
        await store.updateRule({ meta: { id: 'seed-to-tree', version: 1 }, payload: { fromTier: 'sapling', toTier: 'tree' } }, T1);
      });

      it('records snapshots from which every criterion result is reproduced alone (generated sprouts and rules)', async () => {
        const counts = fc.record({
          viewCount: fc.integer({ min: 0, max: 200 }),
          retrievalCount: fc.integer({ min: 0, max: 200 }),
          referenceCount: fc.integer({ min: 0, max: 80 }),
          upvotes: fc.integer({ min: 0, max: 30 }),
          downvotes: fc.integer({ min: 0, max: 30 }),
          uniqueSessions: fc.integer({ min: 0, max: 15 }),
          uniqueLenses: fc.integer({ min: 0, max: 7 }),
          uniqueHubs: fc.integer({ min: 0, max: 7 }),
        });
        const sprout = fc.record({ tier: fc.constantFrom('seed', 'sprout', 'sapling', 'tree'), counts: fc.option(counts, { freq: 6 }) });
        const criterion = fc.record({
          signal: fc.constantFrom(...RULE_SIGNALS),
          operator: fc.constantFrom(...RULE_OPERATORS),
          threshold: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 1, noNaN: true, noDefaultInfinity: true })),
        });
        const rule = fc.record({
          fromTier: fc.constantFrom('seed', 'sprout', 'sapling', 'tree'),
          criteria: fc.array(criterion, { minLength: 1, maxLength: 4 }),
          logicOperator: fc.constantFrom('AND' as const, 'OR' as const),
          order: fc.integer({ min: 0, max: 3 }),
        });
        let checked = 0;
        await fc.assert(
          fc.asyncProperty(fc.array(sprout, { minLength: 1, maxLength: 40 }), fc.array(rule, { minLength: 1, maxLength: 6 }), async (sprouts, rules) => {
            await sql.exec('delete from advancement_events; delete from sprout_signal_aggregations; delete from sprouts; delete from advancement_rules;');
            const rows = sprouts.map((s, i) => {
              const values: SignalValues | null = s.counts
                ? deriveSignals({ ...s.counts, searchCount: 1, exportCount: 0, promotionCount: 0, refinementCount: 0, uniqueUsers: 1, firstEventAt: T0.toISOString(), lastEventAt: T1.toISOString() })
                : null;
              return { id: sproutId(i + 1), tier: s.tier, values };
            });
            await sql.query({
              name: 'test-prop-sprouts',
              text: `insert into sprouts (id, title, tier, lifecycle_model_id, created_at, updated_at)
                     select x.id, x.id, x.tier, 'botanical', $2::timestamptz, $2::timestamptz from jsonb_to_recordset($1::jsonb) as x(id text, tier text)`,
              values: [JSON.stringify(rows), T0],
            });
            const withSignals = rows.filter((r) => r.values !== null).map((r) => ({ id: r.id, ...(r.values as SignalValues) }));
            await sql.query({
              name: 'test-prop-aggregations',
              text: `insert into sprout_signal_aggregations (sprout_id, period, view_count, retrieval_count, reference_count, search_count, upvotes, downvotes,
                            export_count, promotion_count, refinement_count, unique_sessions, unique_users, unique_lenses, unique_hubs, first_event_at,
                            last_event_at, active_span_days, utility_score, diversity_index, quality_score, advancement_eligible, computed_at)
                     select x.id, 'all_time', x."viewCount", x."retrievalCount", x."referenceCount", x."searchCount", x.upvotes, x.downvotes,
                            x."exportCount", x."promotionCount", x."refinementCount", x."uniqueSessions", x."uniqueUsers", x."uniqueLenses", x."uniqueHubs",
                            x."firstEventAt", x."lastEventAt", x."activeSpanDays", x."utilityScore", x."diversityIndex", x."qualityScore",
                            x."advancementEligible", $2::timestamptz
                       from jsonb_to_recordset($1::jsonb) as x(id text, "viewCount" int, "retrievalCount" int, "referenceCount" int, "searchCount" int,
                            upvotes int, downvotes int, "exportCount" int, "promotionCount" int, "refinementCount" int, "uniqueSessions" int,
                            "uniqueUsers" int, "uniqueLenses" int, "uniqueHubs" int, "firstEventAt" timestamptz, "lastEventAt" timestamptz,
                            "activeSpanDays" int, "utilityScore" float8, "diversityIndex" float8, "qualityScore" float8, "advancementEligible" boolean)`,
              values: [JSON.stringify(withSignals), T0],
            });
            const stored: AdvancementRule[] = [];
            for (const [i, r] of rules.entries()) {
              const toTier = BOTANICAL_TIERS[BOTANICAL_TIERS.indexOf(r.fromTier) + 1] as string;
              stored.push(await store.createRule({ meta: { id: `rule-${i}` }, payload: { ...r, toTier } }, T0));
            }

            const run = await runBatch({}, { batchSize: 7 });
            const events = await store.listEvents({ executionId: run.executionId, limit: 1000 });
            expect(events).toHaveLength(run.result.advanced);
            for (const event of events) {
              const snapshot = event.signalValues;
              if (!snapshot || !event.criteriaMet) throw new Error(`event ${event.id} has no snapshot or criteria`);
              for (const result of event.criteriaMet) {
                const { signal, operator, threshold } = result;
                expect(reproduceCriterion({ signal, operator, threshold }, snapshot)).toEqual(result);
              }
              // The decision itself follows from the snapshot and the rules alone.
              expect(decideAdvancement({ lifecycleModelId: 'botanical', tier: event.fromTier }, stored, snapshot.ruleSignals)).toMatchObject({
                advance: true,
                ruleId: event.ruleId,
                toTier: event.toTier,
                criteriaMet: event.criteriaMet,
              });
              const { id: _id, ...aggregation } = withSignals.find((w) => w.id === event.sproutId) ?? { id: '' };
              expect(snapshot).toMatchObject({ period: 'all_time', computedAt: T0.toISOString(), aggregation });
              checked += 1;
            }
          }),
          { numRuns: 12 },
        );
        expect(checked).toBeGreaterThan(0);
      }, 120_000);

      it('stops between pages when the signal fires, keeping the pages already committed', async () => {
        await seedSprouts(sql, 1, 500, 'seed');
        await store.createRule(seedToSprout([{ signal: 'retrievals', operator: '>=', threshold: 0 }]), T0);
        const stopped = await runBatch({}, { onProgress: (p, abort) => (p.processed ?? 0) >= 200 && abort() }).then(
          () => undefined,
          (e: unknown) => e as Error,
        );
        expect(stopped?.message).toBe('cancelled by test');
        expect(await countWhere(sql, "sprouts where tier = 'sprout'")).toBe(200);
        expect(await countWhere(sql, 'advancement_events')).toBe(200);
      });

      it('leaves a sprout whose tier changed between the read and the write, with no event', async () => {
        await seedSprouts(sql, 1, 100, 'seed');
        await store.createRule(seedToSprout([{ signal: 'retrievals', operator: '>=', threshold: 0 }]), T0);
        const racing: AdvancementStore = {
          ...store,
          readCandidates: async (...args) => {
            const page = await store.readCandidates(...args);
            await sql.query({ name: 'test-race', text: "update sprouts set tier = 'tree' where id = 'sp-00042'" });
            return page;
          },
        };
        const run = await runBatch({}, { store: racing });
        expect(run.result).toMatchObject({ evaluated: 100, advanced: 99, skippedConcurrentChange: 1 });
        expect((await tiers(sql)).get('sp-00042')).toBe('tree');
        expect(await store.listEvents({ sproutId: 'sp-00042', limit: 10 })).toEqual([]);
      });

      it('reports that nothing applies when no rule is enabled', async () => {
        await seedSprouts(sql, 1, 10, 'seed');
        await store.createRule(seedToSprout([{ signal: 'retrievals', operator: '>=', threshold: 0 }], { isEnabled: false }), T0);
        const run = await runBatch();
        expect(run.result).toMatchObject({ candidates: 0, evaluated: 0, pages: 0, groups: [] });
        expect(run.summary).toMatch(/No enabled advancement rule/);
      });
    });

    describe('rules', () => {
      const rule = seedToSprout([{ signal: 'retrievals', operator: '>=', threshold: 3 }]);

      it('creates, lists, updates with the expected version and deletes', async () => {
        const created = await store.createRule(rule, T0);
        expect(created).toEqual({
          meta: { id: 'seed-to-sprout', title: 'Seed → Sprout', version: 1, createdAt: T0.toISOString(), updatedAt: T0.toISOString() },
          payload: rule.payload,
        });
        await store.createRule({ meta: { id: 'b' }, payload: { fromTier: 'sprout', toTier: 'sapling', order: 5 } }, T0);
        expect((await store.listRules()).map((r) => r.meta.id)).toEqual(['seed-to-sprout', 'b']);

        const updated = await store.updateRule({ ...rule, meta: { ...rule.meta, version: 1 }, payload: { ...rule.payload, isEnabled: false } }, T1);
        expect(updated.meta).toMatchObject({ version: 2, createdAt: T0.toISOString(), updatedAt: T1.toISOString() });
        expect(updated.payload.isEnabled).toBe(false);
        expect((await store.listRules({ enabledOnly: true })).map((r) => r.meta.id)).toEqual(['b']);

        await store.deleteRule('b');
        expect(await store.getRule('b')).toBeUndefined();
      });

      it('refuses a duplicate id, a stale version, a missing rule and tiers outside the model', async () => {
        await store.createRule(rule, T0);
        expect((await refusal(store.createRule(rule, T0))).code).toBe(GroveErrorCode.Exists);

        await store.updateRule({ ...rule, meta: { ...rule.meta, version: 1 } }, T1);
        const stale = await refusal(store.updateRule({ ...rule, meta: { ...rule.meta, version: 1 } }, T1));
        expect(stale.code).toBe(GroveErrorCode.Conflict);
        expect(stale.message).toMatch(/version 2, not 1/);
        expect((await refusal(store.updateRule({ ...rule, meta: { id: 'ghost', version: 1 } }, T1))).code).toBe(GroveErrorCode.NotFound);
        expect((await refusal(store.updateRule(rule, T1))).field).toBe('meta.version');
        expect((await refusal(store.deleteRule('seed-to-sprout', 1))).code).toBe(GroveErrorCode.Conflict);
        expect((await refusal(store.deleteRule('ghost'))).code).toBe(GroveErrorCode.NotFound);

        const badTier = await refusal(store.createRule({ meta: { id: 'x' }, payload: { fromTier: 'seed', toTier: 'forest' } }, T0));
        expect(badTier).toMatchObject({ code: GroveErrorCode.Invalid, field: 'payload.toTier' });
        const badModel = await refusal(store.createRule({ meta: { id: 'x' }, payload: { lifecycleModelId: 'kitchen', fromTier: 'raw', toTier: 'cooked' } }, T0));
        expect(badModel.field).toBe('payload.lifecycleModelId');
        const badSignal = await refusal(store.createRule({ meta: { id: 'x' }, payload: { fromTier: 'seed', toTier: 'sprout', criteria: [{ signal: 'views', operator: '>=', threshold: 1 }] } }, T0));
        expect(badSignal.field).toBe('payload.criteria[0].signal');
      });
    });

    describe('manual overrides', () => {
      it('sets the tier and writes a manual-override event with operator and reason, together', async () => {
        await seedSprouts(sql, 1, 3, 'seed');
        const event = await store.overrideTier({ sproutId: sproutId(2), toTier: 'tree', operator: 'ana', reason: 'editor pick' }, T1);
        expect(event).toMatchObject({ sproutId: sproutId(2), fromTier: 'seed', toTier: 'tree', eventType: 'manual-override', operatorId: 'ana', reason: 'editor pick', ruleId: null, executionId: null, timestamp: T1.toISOString() });
        expect((await tiers(sql)).get(sproutId(2))).toBe('tree');
        expect(await store.listEvents({ sproutId: sproutId(2), limit: 10 })).toEqual([event]);
      });

      it('refuses a missing reason, an unknown sprout, a tier outside the model and the current tier, changing nothing', async () => {
        await seedSprouts(sql, 1, 1, 'seed');
        const base = { sproutId: sproutId(1), toTier: 'tree', operator: 'ana', reason: 'why' };
        expect((await refusal(store.overrideTier({ ...base, reason: ' ' }, T1))).field).toBe('reason');
        expect((await refusal(store.overrideTier({ ...base, sproutId: 'ghost' }, T1))).code).toBe(GroveErrorCode.NotFound);
        expect((await refusal(store.overrideTier({ ...base, toTier: 'forest' }, T1))).field).toBe('toTier');
        expect((await refusal(store.overrideTier({ ...base, toTier: 'seed' }, T1))).message).toMatch(/already at tier 'seed'/);
        expect((await tiers(sql)).get(sproutId(1))).toBe('seed');
        expect(await countWhere(sql, 'advancement_events')).toBe(0);
      });
    });

    describe('bulk rollback', () => {
      const day = { since: '2026-03-02T00:00:00Z', until: '2026-03-03T00:00:00Z' };

      async function advanceSome() {
        await seedSprouts(sql, 1, 200, 'seed');
        await store.createRule(seedToSprout([{ signal: 'retrievals', operator: '>=', threshold: 8 }]), T0);
        await store.createRule({ meta: { id: 'diverse' }, payload: { fromTier: 'seed', toTier: 'sprout', criteria: [{ signal: 'queryDiversity', operator: '==', threshold: 1 }], order: 2 } }, T0);
        return runBatch();
      }

      it('applies exactly what the preview listed and leaves a sprout that moved on alone, reporting it', async () => {
        const run = await advanceSome();
        const advanced = await store.listEvents({ executionId: run.executionId, limit: 1000 });
        expect(advanced.length).toBeGreaterThan(50);
        const movedOn = advanced[0]?.sproutId as string;
        await store.overrideTier({ sproutId: movedOn, toTier: 'grove', operator: 'ben', reason: 'promoted by hand' }, T2);

        const preview = await store.previewRollback(day);
        expect(preview.items).toHaveLength(advanced.length);
        expect(preview.movedOn).toBe(1);
        expect(preview.reverts).toBe(advanced.length - 1);
        expect(preview.items.find((i) => i.sproutId === movedOn)).toMatchObject({ action: 'moved-on', stillAtAdvancedTier: false, currentTier: 'grove' });
        const before = await tiers(sql);

        const applied = await store.applyRollback({ ...day, operator: 'ana', reason: 'thresholds were too low' }, T2);

        expect(applied.reverted).toEqual(preview.items.filter((i) => i.action === 'revert'));
        expect(applied.leftAlone).toEqual(preview.items.filter((i) => i.action !== 'revert'));
        const after = await tiers(sql);
        for (const change of preview.sproutChanges) {
          expect(before.get(change.sproutId)).toBe(change.fromTier);
          expect(after.get(change.sproutId)).toBe(change.toTier);
        }
        const changedIds = new Set(preview.sproutChanges.map((c) => c.sproutId));
        expect([...after].filter(([id, tier]) => before.get(id) !== tier).map(([id]) => id)).toEqual([...changedIds].sort());
        expect(after.get(movedOn)).toBe('grove');
        expect([...after.values()].filter((t) => t !== 'seed')).toEqual(['grove']);

        // The originals are marked rolled back, each linked both ways to its bulk-rollback event.
        const events = await store.listEvents({ limit: 1000 });
        const rollbacks = events.filter((e) => e.eventType === 'bulk-rollback');
        expect(rollbacks).toHaveLength(applied.reverted.length);
        expect(applied.rollbackEventIds.sort()).toEqual(rollbacks.map((e) => e.id).sort());
        for (const rollback of rollbacks) {
          const original = events.find((e) => e.id === rollback.rollbackOf);
          expect(original).toMatchObject({ rolledBack: true, rolledBackBy: rollback.id, sproutId: rollback.sproutId, fromTier: rollback.toTier, toTier: rollback.fromTier });
          expect(rollback).toMatchObject({ operatorId: 'ana', reason: 'thresholds were too low', timestamp: T2.toISOString() });
        }
        expect(events.find((e) => e.sproutId === movedOn && e.eventType === 'auto-advancement')?.rolledBack).toBe(false);

        // Applied once: a second preview finds only the sprout that moved on.
        const again = await store.previewRollback(day);
        expect(again.items.map((i) => [i.sproutId, i.action])).toEqual([[movedOn, 'moved-on']]);
        const noop = await store.applyRollback({ ...day, operator: 'ana', reason: 'again' }, T2);
        expect(noop.reverted).toEqual([]);
      });

      it('selects by rule and by execution, within the half-open time range', async () => {
        const run = await advanceSome();
        const byRule = await store.previewRollback({ ...day, ruleId: 'diverse' });
        expect(byRule.items.length).toBeGreaterThan(0);
        expect(byRule.items.every((i) => i.ruleId === 'diverse' && i.toTier === 'sprout')).toBe(true);
        expect((await store.previewRollback({ ...day, executionId: run.executionId })).items).toHaveLength((await store.previewRollback(day)).items.length);
        expect((await store.previewRollback({ ...day, executionId: randomUUID() })).items).toEqual([]);
        expect((await store.previewRollback({ since: day.since, until: T1.toISOString() })).items).toEqual([]);

        const applied = await store.applyRollback({ ...day, ruleId: 'diverse', operator: 'ana', reason: 'diverse rule was wrong' }, T2);
        expect(applied.reverted).toEqual(byRule.items);
        const after = await tiers(sql);
        expect(byRule.items.every((i) => after.get(i.sproutId) === 'seed')).toBe(true);
        expect(await countWhere(sql, "sprouts where tier = 'sprout'")).toBeGreaterThan(0);
      });

      it('undoes two advancements of one sprout in the range back to the first tier', async () => {
        await seedSprouts(sql, 1, 20, 'seed');
        await store.createRule(seedToSprout([{ signal: 'retrievals', operator: '>=', threshold: 9 }]), T0);
        await store.createRule(sproutToSapling, T0);
        await runBatch({}, { now: T1 });
        await runBatch({}, { now: new Date('2026-03-02T12:00:00Z') });
        expect((await tiers(sql)).get(sproutId(19))).toBe('sapling');

        const preview = await store.previewRollback(day);
        expect(preview.sproutChanges).toContainEqual({ sproutId: sproutId(19), fromTier: 'sapling', toTier: 'seed' });
        expect(preview.sproutChanges).toContainEqual({ sproutId: sproutId(9), fromTier: 'sprout', toTier: 'seed' });
        await store.applyRollback({ ...day, operator: 'ana', reason: 'undo both' }, T2);
        expect([...(await tiers(sql)).values()].every((t) => t === 'seed')).toBe(true);
      });

      it('refuses a rollback without a reason', async () => {
        await advanceSome();
        expect((await refusal(store.applyRollback({ ...day, operator: 'ana', reason: '' }, T2))).field).toBe('reason');
        expect(await countWhere(sql, "advancement_events where event_type = 'bulk-rollback'")).toBe(0);
      });
    });

    describe('the audit trail', () => {
      it('reads a snapshot stored as the flat aggregation row (before rule signals were recorded) with the rule signals its criteria were evaluated on', async () => {
        const flat = { period: 'all_time', computedAt: T0.toISOString(), viewCount: 12, retrievalCount: 7, referenceCount: 2, utilityScore: 0.723, diversityIndex: 0.4 };
        const criteria = [{ signal: 'utilityScore', operator: '>=', threshold: 0.8, value: (0.723 + 1) / 2, met: true }];
        await sql.query({
          name: 'test-legacy-event',
          text: `insert into advancement_events (sprout_id, rule_id, from_tier, to_tier, event_type, criteria_met, signal_values, created_at)
                 values ('sp-00001', 'old', 'seed', 'sprout', 'auto-advancement', $1::jsonb, $2::jsonb, $3::timestamptz)`,
          values: [JSON.stringify(criteria), JSON.stringify(flat), T1],
        });
        const [event] = await store.listEvents({ limit: 10 });
        const { period: _p, computedAt: _c, ...row } = flat;
        expect(event?.signalValues).toEqual({
          period: 'all_time',
          computedAt: T0.toISOString(),
          ruleSignals: { retrievals: 7, citations: 2, queryDiversity: 0.4, utilityScore: (0.723 + 1) / 2 },
          aggregation: row,
        });
        const [result] = event?.criteriaMet ?? [];
        if (!result || !event?.signalValues) throw new Error('no criterion');
        expect(reproduceCriterion(result, event.signalValues)).toEqual(result);
      });

      it('lists events newest first, camelCase, filtered by sprout, rule, execution and time', async () => {
        await seedSprouts(sql, 1, 30, 'seed');
        await store.createRule(seedToSprout([{ signal: 'retrievals', operator: '>=', threshold: 9 }]), T0);
        const run = await runBatch();
        await store.overrideTier({ sproutId: sproutId(1), toTier: 'tree', operator: 'ana', reason: 'why not' }, T2);

        const all = await store.listEvents({ limit: 100 });
        expect(all.map((e) => e.eventType)).toEqual(['manual-override', 'auto-advancement', 'auto-advancement', 'auto-advancement']);
        expect(Object.keys(all[1] ?? {}).sort()).toEqual(
          ['criteriaMet', 'eventType', 'executionId', 'fromTier', 'id', 'operatorId', 'reason', 'rollbackOf', 'rolledBack', 'rolledBackBy', 'ruleId', 'signalValues', 'sproutId', 'timestamp', 'toTier'].sort(),
        );
        expect(await store.listEvents({ ruleId: 'seed-to-sprout', limit: 100 })).toHaveLength(3);
        expect(await store.listEvents({ executionId: run.executionId, limit: 2 })).toHaveLength(2);
        expect(await store.listEvents({ sproutId: sproutId(19), limit: 100 })).toEqual([all.find((e) => e.sproutId === sproutId(19))]);
        expect((await store.listEvents({ since: T2, limit: 100 })).map((e) => e.eventType)).toEqual(['manual-override']);
        expect((await store.listEvents({ until: T2.toISOString(), limit: 100 })).every((e) => e.eventType === 'auto-advancement')).toBe(true);
        expect((await refusal(store.listEvents({ limit: 0 }))).field).toBe('limit');
      });
    });
  });
}
