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
  await sql.exec('truncate advancement_events, sprout_signal_aggregations, sprouts, advancement_rules');
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
  await sql.exec("update sprouts set tier = 'seed' where tier <> 'seed'; truncate advancement_events");
  await sql.exec('vacuum analyze sprouts, advancement_events, sprout_signal_aggregations');
}

interface Measurement {
  count: number;
  batchSize: number;
  seconds: number;
  result: AdvancementBatchResult;
  peakRssMb: number;
  peakHeapMb: number;
}

async function run(sql: Sql, count: number, batchSize: number): Promise<Measurement> {
  const type = advancementBatchJobType({ advancement: createAdvancementStore(sql) });
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const memory = process.memoryUsage();
    peakRss = Math.max(peakRss, memory.rss);
    peakHeap = Math.max(peakHeap, memory.heapUsed);
  };
  const context: JobContext<AdvancementBatchParameters> = {
    executionId: randomUUID(),
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
        await reset(sql);
        const m = await run(sql, count, batchSize);
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
            `(${fmt(m.result.advanced)} advanced, ${fmt(m.result.pages)} pages), peak RSS ${m.peakRssMb.toFixed(0)} MB, peak heap ${m.peakHeapMb.toFixed(0)} MB`,
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
