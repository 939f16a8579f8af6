/**
 * Signal aggregation on the local PostgreSQL server.
 *
 *   npx tsx bench/grove-aggregation.bench.ts        (DATABASE_URL may name another server)
 *   npx tsx bench/grove-aggregation.bench.ts --events=200000 --sprouts=2000   (a smaller run)
 *   … --keep   (leaves the database grove_bench_aggregation_kept for a look at the plans)
 *
 * Creates its own database (dropped afterwards), migrates it, and generates in SQL
 * (generate_series, fixed seed) 20,000 sprouts and 2,000,000 usage events over the 90 days
 * before the clock time, in time order (as a live table fills), with a realistic mix of event
 * types (about 30 % views), 200,000 sessions, optional users, lenses and hubs, and a skewed
 * popularity (sprout = floor(N · u²): popular sprouts get many events, the least about 50).
 *
 * Lines
 *  1. the floor: `select sprout_id, count(*) from sprout_usage_events group by sprout_id`,
 *     best of 3 after a warm-up (the least any per-sprout aggregation over the table costs);
 *  2. full recompute of all three periods (first run: writes 60,000 rows), and the ratio to 1;
 *  3. the same full recompute again (values unchanged: nothing rewritten);
 *  4. 10,000 new events (same popularity, dated in the 15 minutes after the clock time),
 *     clock + 15 min, incremental refresh of all three periods, and the ratio to line 2;
 *     checked against a full recompute at the same clock time afterwards;
 *  5. clock + 1 h more, no new events: the incremental refresh an hourly last_7d run does
 *     (only sprouts with events that crossed a window edge), checked the same way.
 * Wall-clock seconds; the store's own code (createAggregationStore over the pg driver).
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { SIGNAL_PERIODS } from '../src/domain/grove/index.js';
import type { PeriodRefresh } from '../src/engine/ports.js';
import { createAggregationStore } from '../src/store/grove/aggregation.js';
import { createPostgresSql } from '../src/store/drivers/postgres.js';
import { migrate } from '../src/store/migrate.js';
import { createDatabase, dropDatabase } from './engine/common.js';

const arg = (name: string, fallback: number) => {
  const given = process.argv.find((a) => a.startsWith(`--${name}=`));
  return given === undefined ? fallback : Number(given.split('=')[1]);
};
const EVENTS = arg('events', 2_000_000);
const SPROUTS = arg('sprouts', 20_000);
const NEW_EVENTS = arg('new-events', 10_000);
const NOW = new Date('2026-03-10T00:00:00Z');
const LATER = new Date(NOW.getTime() + 15 * 60_000);
const KEEP = process.argv.includes('--keep');
const DB = KEEP ? 'grove_bench_aggregation_kept' : `grove_bench_aggregation_${process.pid}`;

/** Events in SQL: $1 count, $2 sprouts, $3 first instant, $4 span in seconds (events in time order). */
const GENERATE_EVENTS = `
  insert into sprout_usage_events (sprout_id, event_type, session_id, user_id, lens_id, hub_id, created_at)
  select 'sprout-' || lpad(floor($2::int * power(random(), 2))::int::text, 6, '0'),
         (array['viewed', 'viewed', 'viewed', 'viewed', 'viewed', 'viewed', 'retrieved', 'retrieved', 'retrieved', 'referenced',
                'referenced', 'searched', 'searched', 'searched', 'rated_up', 'rated_up', 'rated_down', 'exported', 'promoted', 'refined'])[1 + floor(random() * 20)::int],
         'session-' || floor(random() * 200000)::int,
         case when random() < 0.7 then 'user-' || floor(random() * 5000)::int end,
         case when random() < 0.6 then 'lens-' || floor(random() * 20)::int end,
         case when random() < 0.5 then 'hub-' || floor(random() * 12)::int end,
         $3::timestamptz + make_interval(secs => (g + random()) * $4::float8 / $1::int)
    from generate_series(0, $1::int - 1) as g`;

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { seconds: (performance.now() - started) / 1000, value };
}

async function main(): Promise<void> {
  const url = await createDatabase(DB);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const sql = createPostgresSql({ connectionString: url, maxConnections: 2 });
  try {
    await migrate(sql);
    const setup = await timed(async () => {
      await client.query(`select setseed(0.42)`);
      await client.query(
        `insert into sprouts (id, title, tier, created_at, updated_at)
         select 'sprout-' || lpad(i::text, 6, '0'), 'Sprout ' || i, 'seed', $2::timestamptz, $2::timestamptz from generate_series(0, $1::int - 1) as i`,
        [SPROUTS, new Date(NOW.getTime() - 100 * 86_400_000)],
      );
      await client.query(GENERATE_EVENTS, [EVENTS, SPROUTS, new Date(NOW.getTime() - 90 * 86_400_000), 90 * 86_400]);
      await client.query(`vacuum analyze`);
      await client.query(`checkpoint`);
    });
    console.log(`setup: ${SPROUTS} sprouts, ${EVENTS} events in ${setup.seconds.toFixed(1)} s`);

    const floorQuery = `select sprout_id, count(*) from sprout_usage_events group by sprout_id`;
    await client.query(floorQuery);
    const floorRuns: number[] = [];
    for (let i = 0; i < 3; i++) floorRuns.push((await timed(() => client.query(floorQuery))).seconds);
    const floor = Math.min(...floorRuns);

    const store = createAggregationStore(sql);
    /** All three periods, one call each (as the default configs run them), timed per period too. */
    const refreshAll = async (full: boolean, now: Date) => {
      const runs: Array<PeriodRefresh & { seconds: number }> = [];
      for (const period of SIGNAL_PERIODS) {
        const { seconds, value } = await timed(() => store.refreshSignals({ periods: [period], full, now }));
        runs.push(...value.map((r) => ({ ...r, seconds })));
      }
      return { seconds: runs.reduce((n, r) => n + r.seconds, 0), value: runs };
    };
    const full = await refreshAll(true, NOW);
    await client.query(`vacuum analyze sprout_signal_aggregations`);
    const fullAgain = await refreshAll(true, NOW);

    await client.query(GENERATE_EVENTS, [NEW_EVENTS, SPROUTS, NOW, 15 * 60]);
    const incremental = await refreshAll(false, LATER);

    // Check: a full recompute at the same clock time finds nothing to change.
    const changedBy = async (now: Date) =>
      (await store.refreshSignals({ periods: SIGNAL_PERIODS, full: true, now })).reduce((n, r) => n + r.rowsWritten + r.rowsDeleted, 0);
    let changed = await changedBy(LATER);

    const hourLater = new Date(LATER.getTime() + 3_600_000);
    const edgesOnly = await refreshAll(false, hourLater);
    changed += await changedBy(hourLater);

    const per = (runs: typeof full.value) => runs.map((r) => `${r.period} ${r.sproutsRecomputed} in ${r.seconds.toFixed(2)} s`).join(', ');
    const rows: Array<[string, number, string, string]> = [
      ['floor: select sprout_id, count(*) … group by sprout_id (best of 3)', floor, '1.0 × floor', `${floorRuns.map((s) => s.toFixed(2)).join(' / ')} s`],
      [`full recompute, 3 periods (first: ${full.value.reduce((n, r) => n + r.rowsWritten, 0).toLocaleString('en')} rows written)`, full.seconds, `${(full.seconds / floor).toFixed(1)} × floor`, `recomputed ${per(full.value)}`],
      ['full recompute again (no value changed, nothing rewritten)', fullAgain.seconds, `${(fullAgain.seconds / floor).toFixed(1)} × floor`, `written ${fullAgain.value.reduce((n, r) => n + r.rowsWritten, 0)}; ${per(fullAgain.value)}`],
      [`incremental after ${NEW_EVENTS.toLocaleString('en')} new events, clock +15 min`, incremental.seconds, `${(incremental.seconds / full.seconds).toFixed(3)} × full`, `recomputed ${per(incremental.value)}`],
      ['incremental, clock +1 h, no new events (window edges only)', edgesOnly.seconds, `${(edgesOnly.seconds / full.seconds).toFixed(3)} × full`, `recomputed ${per(edgesOnly.value)}`],
    ];
    console.log(`\nsignal aggregation: ${EVENTS.toLocaleString('en')} events, ${SPROUTS.toLocaleString('en')} sprouts, PostgreSQL ${(await client.query<{ server_version: string }>(`show server_version`)).rows[0]?.server_version}\n`);
    const width = Math.max(...rows.map((r) => r[0].length));
    console.log(`${'measurement'.padEnd(width)}  ${'seconds'.padStart(8)}  ${'ratio'.padEnd(16)}  detail`);
    for (const [name, seconds, ratio, detail] of rows) console.log(`${name.padEnd(width)}  ${seconds.toFixed(3).padStart(8)}  ${ratio.padEnd(16)}  ${detail}`);
    console.log(`\ncheck: full recomputes at the clock times of lines 4 and 5 changed ${changed} rows (must be 0)\n`);
    if (changed !== 0) process.exitCode = 1;
  } finally {
    await client.end().catch(() => undefined);
    await sql.close().catch(() => undefined);
    if (KEEP) console.log(`kept database ${DB}`);
    else await dropDatabase(DB);
  }
}

await main();
