/**
 * The advancement batch over 100,000 and 1,000,000 sprouts at batch sizes 100 and 1,000.
 *
 *   npx tsx bench/grove-advancement.bench.ts      (DATABASE_URL may name another server)
 *
 * Creates its own database (dropped afterwards), generates the sprouts and their all_time
 * aggregation rows set-based in SQL, and runs the real job type (store + handler) in this
 * process, as a worker would. One rule, seed → sprout when retrievals >= 5 AND utilityScore
 * >= 0.5, advances about a third of the sprouts. Before each run the moved sprouts go back to
 * seed and the events are truncated, then VACUUM ANALYZE, so every run starts alike.
 *
 * Per run: sprouts evaluated per second and advanced per second (wall clock over the whole
 * run: rule load, count, every page read, evaluated and committed), and the process's memory
 * sampled after every page: peak RSS and peak V8 heap in use. Memory must not grow with the
 * sprout count: the handler holds one page at a time.
 *
 * Beside each Grove run, in the same process over the same data, runs the reference: the
 * advancement a team would write by hand, one data-modifying statement (UPDATE … FROM …
 * RETURNING feeding the audit INSERT, the snapshot built with jsonb_build_object) with the
 * same rule, the same comparison tolerance and the same audit content (criteria results,
 * full signal snapshot, execution id). Both start from the same reset state and use the same
 * execution id and clock time; before any figure is printed, the sprouts (tier, updated_at,
 * last_advanced_by) and the audit rows (every column but the generated id) of the two must be
 * equal as multisets (`except all` both ways), else the bench fails. Each line ends with the
 * ratio Grove / reference in sprouts evaluated per second (1 = as fast as the reference).
 */
import { randomUUID } from 'node:crypto';
import type { JobConfig, JobContext } from '../src/domain/config/index.js';
import { type AdvancementBatchParameters, type AdvancementBatchResult, advancementBatchJobType, advancementBatchParameters } from '../src/jobs/advancement-batch/index.js';
import { createPostgresSql } from '../src/store/drivers/postgres.js';
import { createAdvancementStore } from '../src/store/grove/advancement.js';
import { migrate } from '../src/store/migrate.js';
import type { Sql } from '../src/store/sql.js';
import { createDatabase, dropDatabase } from './engine/common.js';

const DB = 'grove_advancement_bench';
const COUNTS = (process.env['BENCH_COUNTS'] ?? '100000,1000000').split(',').map(Number);
const BATCH_SIZES = [100, 1000];
const AT = new Date('2026-03-01T00:00:00Z');
const MB = 1024 * 1024;

async function generate(sql: Sql, count: number): Promise<void> {
  // Cascade: whatever else refers to sprouts in this throwaway database goes with them.
  await sql.exec('truncate advancement_events, sprout_signal_aggregations, sprouts, advancement_rules cascade');
  await sql.query({
    name: 'bench-sprouts',
    text: `insert into sprouts (id, title, tier, lifecycle_model_id, created_at, updated_at)
           select 'sp-' || lpad(g::text, 8, '0'), 'Sprout ' || g, 'seed', 'botanical', $2::timestamptz, $2::timestamptz
             from generate_series(1, $1::int) g`,
    values: [count, AT],
  });
  await sql.query({
    name: 'bench-aggregations',
    text: `insert into sprout_signal_aggregations (sprout_id, period, view_count, retrieval_count, reference_count, unique_sessions,
                  first_event_at, last_event_at, utility_score, diversity_index, quality_score, advancement_eligible, computed_at)
           select 'sp-' || lpad(g::text, 8, '0'), 'all_time', 20, g % 10, g % 7, 4, $2::timestamptz, $2::timestamptz,
                  (g % 3) - 1, (g % 5) / 4.0, 0.5, false, $2::timestamptz
             from generate_series(1, $1::int) g`,
    values: [count, AT],
  });
  await createAdvancementStore(sql).createRule(
    {
      meta: { id: 'seed-to-sprout' },
      payload: {
        fromTier: 'seed',
        toTier: 'sprout',
        criteria: [
          { signal: 'retrievals', operator: '>=', threshold: 5 },
          { signal: 'utilityScore', operator: '>=', threshold: 0.5 },
        ],
      },
    },
    AT,
  );
}

async function reset(sql: Sql): Promise<void> {
  // Every sprout as generated: the next run (Grove or the reference, with the same execution id) starts from the same rows.
  await sql.query({
    name: 'bench-reset',
    text: "update sprouts set tier = 'seed', updated_at = $1::timestamptz, last_advanced_by = null where tier <> 'seed' or last_advanced_by is not null",
    values: [AT],
  });
  await sql.exec('truncate advancement_events');
  await sql.exec('vacuum analyze sprouts, advancement_events, sprout_signal_aggregations');
}

/**
 * The reference: seed → sprout when retrievals >= 5 AND utilityScore >= 0.5, with the rules'
 * tolerance (RULE_COMPARISON_TOLERANCE: equal within 1e-9), in one statement over every sprout.
 * Its events hold what the job records: both criteria results (both met, as the rule is AND),
 * the snapshot of the rule signals and the whole aggregation row, the execution id.
 */
const REFERENCE = `
  with moved as (
    update sprouts s set tier = 'sprout', updated_at = $1::timestamptz, last_advanced_by = $2::uuid
      from sprout_signal_aggregations a
     where a.sprout_id = s.id and a.period = 'all_time' and s.lifecycle_model_id = 'botanical' and s.tier = 'seed'
       and (abs(a.retrieval_count - 5) <= 1e-9 or a.retrieval_count > 5)
       and (abs((a.utility_score + 1) / 2 - 0.5) <= 1e-9 or (a.utility_score + 1) / 2 > 0.5)
    returning s.id, a.*
  ), written as (
  insert into advancement_events (sprout_id, rule_id, from_tier, to_tier, event_type, execution_id, criteria_met, signal_values, created_at)
  select m.id, 'seed-to-sprout', 'seed', 'sprout', 'auto-advancement', $2::uuid,
         jsonb_build_array(
           jsonb_build_object('signal', 'retrievals', 'operator', '>=', 'threshold', 5, 'value', m.retrieval_count, 'met', true),
           jsonb_build_object('signal', 'utilityScore', 'operator', '>=', 'threshold', 0.5, 'value', (m.utility_score + 1) / 2, 'met', true)),
         jsonb_build_object(
           'period', 'all_time',
           'computedAt', to_char(m.computed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           'ruleSignals', jsonb_build_object('retrievals', m.retrieval_count, 'citations', m.reference_count,
                                             'queryDiversity', m.diversity_index, 'utilityScore', (m.utility_score + 1) / 2),
           'aggregation', jsonb_build_object(
             'viewCount', m.view_count, 'retrievalCount', m.retrieval_count, 'referenceCount', m.reference_count,
             'searchCount', m.search_count, 'upvotes', m.upvotes, 'downvotes', m.downvotes, 'exportCount', m.export_count,
             'promotionCount', m.promotion_count, 'refinementCount', m.refinement_count, 'uniqueSessions', m.unique_sessions,
             'uniqueUsers', m.unique_users, 'uniqueLenses', m.unique_lenses, 'uniqueHubs', m.unique_hubs,
             'firstEventAt', to_char(m.first_event_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
             'lastEventAt', to_char(m.last_event_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
             'activeSpanDays', m.active_span_days, 'utilityScore', m.utility_score, 'diversityIndex', m.diversity_index,
             'qualityScore', m.quality_score, 'advancementEligible', m.advancement_eligible)),
         $1::timestamptz
    from moved m
  returning 1
  )
  select count(*)::int as n from written`;

/** Runs the reference; returns its wall-clock seconds and the sprouts it moved. */
async function runReference(sql: Sql, executionId: string): Promise<{ seconds: number; advanced: number }> {
  const started = performance.now();
  const rows = await sql.query<{ n: number }>({ name: 'bench-reference', text: REFERENCE, values: [AT, executionId] });
  return { seconds: (performance.now() - started) / 1000, advanced: rows[0]?.n ?? 0 };
}

const SPROUT_STATE = 'select id, tier, updated_at, last_advanced_by from sprouts';
const EVENT_STATE = `select sprout_id, rule_id, from_tier, to_tier, event_type, execution_id, criteria_met, signal_values, operator_id, reason,
                            rolled_back, rolled_back_by, rollback_of, created_at from advancement_events`;

/** Keeps what the reference wrote, to compare Grove's run with after the next reset. */
async function keepReference(sql: Sql): Promise<void> {
  await sql.exec(`drop table if exists bench_ref_sprouts, bench_ref_events;
    create unlogged table bench_ref_sprouts as ${SPROUT_STATE};
    create unlogged table bench_ref_events as ${EVENT_STATE};`);
}

/** Throws unless Grove's sprouts and events equal the reference's, row for row (as multisets). */
async function checkEqualToReference(sql: Sql, label: string): Promise<void> {
  const [row] = await sql.query<{ sprouts: number; events: number; ref_events: number; grove_events: number }>({
    name: 'bench-compare',
    text: `select (select count(*) from (${SPROUT_STATE} except all select * from bench_ref_sprouts) x)::int
                + (select count(*) from (select * from bench_ref_sprouts except all ${SPROUT_STATE}) x)::int as sprouts,
                  (select count(*) from (${EVENT_STATE} except all select * from bench_ref_events) x)::int
                + (select count(*) from (select * from bench_ref_events except all ${EVENT_STATE}) x)::int as events,
                  (select count(*) from bench_ref_events)::int as ref_events,
                  (select count(*) from advancement_events)::int as grove_events`,
  });
  if (!row || row.sprouts !== 0 || row.events !== 0) {
    throw new Error(`${label}: Grove's results differ from the reference's: ${JSON.stringify(row)} (rows in one and not the other)`);
  }
}

interface Measurement {
  count: number;
  batchSize: number;
  seconds: number;
  referenceSeconds: number;
  ratio: number;
  result: AdvancementBatchResult;
  peakRssMb: number;
  peakHeapMb: number;
}

async function run(sql: Sql, count: number, batchSize: number, executionId: string): Promise<Omit<Measurement, 'referenceSeconds' | 'ratio'>> {
  const type = advancementBatchJobType({ advancement: createAdvancementStore(sql) });
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const memory = process.memoryUsage();
    peakRss = Math.max(peakRss, memory.rss);
    peakHeap = Math.max(peakHeap, memory.heapUsed);
  };
  const context: JobContext<AdvancementBatchParameters> = {
    executionId,
    config: { meta: { id: 'advancement-batch' } } as unknown as JobConfig,
    parameters: advancementBatchParameters.parse({}),
    slot: undefined,
    attempt: 1,
    batchSize,
    dryRun: false,
    signal: new AbortController().signal,
    now: () => AT,
    log: () => undefined,
    progress: sample,
  };
  global.gc?.();
  const started = performance.now();
  const outcome = await type.execute(context);
  const seconds = (performance.now() - started) / 1000;
  sample();
  return { count, batchSize, seconds, result: outcome?.result as unknown as AdvancementBatchResult, peakRssMb: peakRss / MB, peakHeapMb: peakHeap / MB };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const url = await createDatabase(DB);
  const sql = createPostgresSql({ connectionString: url, maxConnections: 2 });
  const measurements: Measurement[] = [];
  try {
    await migrate(sql);
    for (const count of COUNTS) {
      const generating = performance.now();
      await generate(sql, count);
      console.log(`generated ${fmt(count)} sprouts + aggregation rows in ${((performance.now() - generating) / 1000).toFixed(1)} s`);
      for (const batchSize of BATCH_SIZES) {
        // The same execution id and clock for both, so their rows compare column for column.
        const executionId = randomUUID();
        await reset(sql);
        const reference = await runReference(sql, executionId);
        await keepReference(sql);
        await reset(sql);
        const grove = await run(sql, count, batchSize, executionId);
        await checkEqualToReference(sql, `run over ${count} at ${batchSize}`);
        const m: Measurement = { ...grove, referenceSeconds: reference.seconds, ratio: reference.seconds / grove.seconds };
        // retrievals = n % 10 >= 5 and utilityScore = ((n % 3 - 1) + 1) / 2 >= 0.5, i.e. n % 3 is 1 or 2.
        let expected = 0;
        for (let n = 1; n <= count; n += 1) if (n % 10 >= 5 && n % 3 !== 0) expected += 1;
        if (m.result.evaluated !== count || m.result.advanced !== expected) {
          throw new Error(`run over ${count} at ${batchSize}: evaluated ${m.result.evaluated}, advanced ${m.result.advanced}, expected ${count} and ${expected}`);
        }
        measurements.push(m);
        console.log(
          `${fmt(count).padStart(9)} sprouts, batch ${String(batchSize).padStart(4)}: ${m.seconds.toFixed(1).padStart(6)} s, ` +
            `${fmt(count / m.seconds).padStart(7)} evaluated/s, ${fmt(m.result.advanced / m.seconds).padStart(7)} advanced/s ` +
            `(${fmt(m.result.advanced)} advanced, ${fmt(m.result.pages)} pages), peak RSS ${m.peakRssMb.toFixed(0)} MB, peak heap ${m.peakHeapMb.toFixed(0)} MB; ` +
            `reference ${m.referenceSeconds.toFixed(2)} s, ${fmt(count / m.referenceSeconds)} evaluated/s; Grove/reference ${m.ratio.toFixed(2)}×`,
        );
      }
    }
  } finally {
    await sql.close();
    await dropDatabase(DB);
  }
  console.log(JSON.stringify(measurements.map(({ result, ...m }) => ({ ...m, evaluated: result.evaluated, advanced: result.advanced, pages: result.pages }))));
  console.log(`process max RSS over the whole bench: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}

await main();
