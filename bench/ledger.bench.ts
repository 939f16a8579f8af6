/**
 * The slot ledger of 10,000 slots on the local PostgreSQL server, with 1,000,000 executions in the table.
 *
 *   npx tsx bench/ledger.bench.ts        (DATABASE_URL may name another server)
 *   … --keep   (leaves the database grove_bench_ledger_kept for a look at the plans)
 *
 * Creates its own database (dropped afterwards, also on failure), migrates it and creates the
 * configs through the system (createGroveJobs, a fake clock): the target `minutely-health`
 * ('* * * * *', misfire run-once, overlap skip) and nine `heartbeat-n` (every 10 s, a six-field
 * cron), all at CREATED. The target is paused for two hours by hand (configs.pause, then resume)
 * and its cron changed to every other minute on day 14 (configs.patch: version 2), the clock at
 * each instant. Then SQL (generate_series, fixed seed) fills 21 days of history as the
 * scheduler and workers would have left it, in time order (as a live table fills, so the
 * target's rows lie among the others'), ids time-ordered as grove_execution_id() makes them:
 *
 *   target, per slot (a hash of its minute picks the fate): 93.5 % claimed on time and
 *   succeeded; 4 % failed and were retried once (attempt 2 under the same run_id, 1 in 4
 *   failing again); 0.5 % failed without a retry; 1.5 % skipped for overlap (the run before
 *   them lasted past their instant); 0.5 % missed one by one; five outages of 30 minutes (one
 *   missed-slots record standing for all but the last slot, which is caught up; one outage
 *   straddles `from`); the paused slots have no claim; a manual run every 97 minutes.
 *   heartbeats: every 10 s, round robin, up to the 1,000,000th row: 97 % success, 1 % skipped
 *   for overlap, 2 % failed and retried once.
 *
 * schedule_slots gets one claim per scheduled first attempt (1,000,000 rows less the retries
 * and manual runs); VACUUM ANALYZE after loading.
 *
 * Lines (3 warm-up rounds, then 15 timed; a round calls 1, 2a, 2b and 3 once each, in turn,
 * so a busy moment of the machine falls on all of them alike)
 *  1. system.slots.ledger(target, { from, until }) over a range of exactly 10,000 slots (7,000
 *     per-minute slots before the version change, 3,000 every-other-minute after it): p50, p95,
 *     min, and the ratio of p50 to the 300 ms target;
 *  2. its two halves: (a) store.readSlotLedger (five queries at once on the pool) and (b)
 *     planLedger (pure, on rows read once);
 *  3. GET /api/jobs/{id}/slots through the API in-process (app.request, a viewer's token; the
 *     body read to its end, parsed outside the timing).
 * Every ledger is checked: 10,000 slots, not truncated, and each fate, version, retry and
 * manual-run count equal to what was loaded; a mismatch fails the bench (exit code 1).
 * Milliseconds of wall clock (performance.now()); Grove runs from src/ through tsx.
 * Percentiles are nearest-rank.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createApi } from '../src/api/app.js';
import { issueToken } from '../src/api/auth.js';
import { builtInJobTypes, createGroveJobs, createGroveStores } from '../src/app.js';
import { MAX_LEDGER_SLOTS, planLedger, type SlotLedger } from '../src/domain/schedule/ledger.js';
import { createPostgresSql } from '../src/store/drivers/postgres.js';
import { migrate } from '../src/store/migrate.js';
import { createSqlStore } from '../src/store/sql-store.js';
import { createTokenStore } from '../src/store/tokens.js';
import { FakeClock } from '../test/support/fake-clock.js';
import { createDatabase, dropDatabase, percentile } from './engine/common.js';

const KEEP = process.argv.includes('--keep');
const DB = KEEP ? 'grove_bench_ledger_kept' : `grove_bench_ledger_${process.pid}`;

const TARGET_MS = 300;
const EXECUTIONS = 1_000_000;
const WARMUPS = 3;
const RUNS = 15;

const MINUTE = 60_000;
const CREATED = new Date('2026-01-01T00:00:00Z');
const at = (minutes: number, seconds = 0) => new Date(CREATED.getTime() + minutes * MINUTE + seconds * 1000);
/** 21 days of history; the target's last slot and where its scheduler stands. */
const END_MIN = 21 * 1440;
/** Day 14: every minute until this minute's slot, every other minute after it (the change comes 30 s after the slot). */
const CHANGE_MIN = 14 * 1440;
/** The range: 7,000 per-minute slots up to the change, 3,000 every-other-minute slots after it. */
const FROM_MIN = CHANGE_MIN - 7_000 + 1;
const UNTIL_MIN = CHANGE_MIN + 2 * 3_000;
const RANGE_SLOTS = CHANGE_MIN - FROM_MIN + 1 + (UNTIL_MIN - CHANGE_MIN) / 2;
/** Paused by hand 15 s after this minute's slot, resumed 15 s after PAUSE_MIN + PAUSE_SLOTS: those slots fall in the pause. */
const PAUSE_MIN = 16_000;
const PAUSE_SLOTS = 120;
/** Outages: the slots in (start, start + 30 min] were not claimed on time; the first records them all but the last, which is caught up. */
const OUTAGES = [FROM_MIN - 11, CHANGE_MIN - 5_000, CHANGE_MIN - 1_000, CHANGE_MIN + 1_840, END_MIN - 2_000];
const OUTAGE_MIN = 30;
const HEARTBEATS = 9;
const TARGET = 'minutely-health';
const NOW = at(END_MIN, 30);
const FROM = at(FROM_MIN);
const UNTIL = at(UNTIL_MIN);

const log = (message: string) => process.stderr.write(`[bench] ${new Date().toISOString().slice(11, 19)} ${message}\n`);

/** A version 7 uuid for an instant: grove_execution_id() with the instant given instead of the clock. */
const UUID7 = `create function pg_temp.bench_uuid7(at timestamptz) returns uuid language sql as $$
  select encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
                placing substring(int8send(floor(extract(epoch from at) * 1000)::bigint) from 3) from 1 for 6), 52, 1), 53, 1), 'hex')::uuid
$$`;

/**
 * The target's history, one row per slot (kind picks its fate; 'in-outage' rows stand for the
 * folded slots and get no claim) plus its manual runs, with both attempts' columns.
 * $1 CREATED, $2 CHANGE_MIN, $3 END_MIN, $4 PAUSE_MIN, $5 PAUSE_SLOTS, $6 OUTAGES, $7 OUTAGE_MIN.
 */
const TARGET_HISTORY = `
  create temp table bench_target as
  with minutes as (
    select m, $1::timestamptz + m * interval '1 minute' as slot_at, case when m <= $2::int then 1 else 2 end as version,
           mod(abs(hashint4(m)::bigint), 1000)::int as r,
           mod(abs(hashint4(case when m < $2::int then m + 1 else m + 2 end)::bigint), 1000)::int as r_next
      from generate_series(1, $3::int) as m
     where (m <= $2::int or m % 2 = 0) and m not between $4::int + 1 and $4::int + $5::int
  ), placed as (
    select s.*, o.outage,
           row_number() over (partition by o.outage order by s.m) as up,
           row_number() over (partition by o.outage order by s.m desc) as down,
           count(*) over (partition by o.outage) - 1 as folded,
           nth_value(s.slot_at, 2) over (partition by o.outage order by s.m desc rows between unbounded preceding and unbounded following) as through
      from minutes s left join unnest($6::int[]) as o(outage) on s.m > o.outage and s.m <= o.outage + $7::int
  ), kinds as (
    select p.*, $1::timestamptz + (p.outage + $7::int) * interval '1 minute' + interval '40 seconds' as back_at,
           case when p.outage is not null then (case when p.down = 1 then 'catch-up' when p.up = 1 then 'missed-record' else 'in-outage' end)
                when r < 15 then 'skipped-overlap' when r < 20 then 'missed' when r < 50 then 'retry-ok' when r < 60 then 'retry-failed'
                when r < 65 then 'failed' else 'ok' end as kind
      from placed p
  ), timed as (
    select k.*,
           case when kind in ('catch-up', 'missed-record') then back_at
                when kind = 'missed' then slot_at + interval '95 seconds'
                else slot_at + (20 + r % 50) * interval '1 millisecond' end as queued_at,
           (200 + random() * 1300)::int as lag_ms,
           -- The run before a slot skipped for overlap was still running at its instant.
           case when r_next < 15 then 75000 + (random() * 35000)::int else 2000 + (random() * 38000)::int end as duration_ms,
           2000 + (random() * 20000)::int as retry_duration_ms
      from kinds k
  )
  select m, slot_at, version, kind, queued_at, through, folded,
         case when kind in ('missed', 'missed-record', 'skipped-overlap', 'in-outage') then null else queued_at + lag_ms * interval '1 millisecond' end as started_at,
         duration_ms, retry_duration_ms, pg_temp.bench_uuid7(queued_at) as id, r
    from timed
  union all
  select m, null, case when m <= $2::int then 1 else 2 end, 'manual', $1::timestamptz + m * interval '1 minute' + interval '20 seconds', null, null,
         $1::timestamptz + m * interval '1 minute' + interval '20.3 seconds', 2000 + (random() * 38000)::int, null,
         pg_temp.bench_uuid7($1::timestamptz + m * interval '1 minute' + interval '20 seconds'), 0
    from generate_series(1, $3::int) as m where m % 97 = 13`;

/**
 * Every execution in time order: the target's first attempts and retries, and the heartbeats'
 * ($3 first attempts, round robin over $4 configs every 10 s up to $2; 2 in 100 retried).
 * $1 the target's id, $2 the end of history, $5 the heartbeats' ids.
 */
const EXECUTIONS_INSERT = `
  insert into executions (id, run_id, retry_of, config_id, config_version, status, trigger, slot_at, attempt, requested_by,
                          queued_at, run_after, started_at, finished_at, duration_ms, worker_id, summary, result, error)
  select x.* from (
    select t.id, t.id, null::uuid, $1::text, t.version,
           case when t.kind in ('missed', 'missed-record', 'skipped-overlap') then 'skipped'
                when t.kind in ('retry-ok', 'retry-failed', 'failed') then 'failed' else 'success' end,
           case when t.kind = 'manual' then 'manual' else 'schedule' end, t.slot_at, 1,
           case when t.kind = 'manual' then 'operator:ana' end,
           t.queued_at, case when t.kind in ('ok', 'retry-ok', 'retry-failed', 'failed') then t.slot_at else t.queued_at end,
           t.started_at, coalesce(t.started_at + t.duration_ms * interval '1 millisecond', t.queued_at),
           case when t.started_at is null then 0 else t.duration_ms end,
           case when t.started_at is not null then 'worker-a' end,
           case t.kind
             when 'missed' then format('Missed: the scheduler was not running at %s (misfire policy run-once)', t.slot_at)
             when 'missed-record' then format('Missed %s slots from %s to %s: the scheduler was not running (misfire policy run-once)', t.folded, t.slot_at, t.through)
             when 'skipped-overlap' then 'Skipped: 1 execution(s) of this config already queued or running (overlap policy skip, at most 1)'
             when 'catch-up' then format('Catch-up run for the missed slot %s', t.slot_at)
             when 'manual' then 'Manual run: HTTP 200'
             when 'ok' then 'HTTP 200'
             else null end,
           case t.kind
             when 'missed' then jsonb_build_object('reason', 'missed', 'misfirePolicy', 'run-once')
             when 'missed-record' then jsonb_build_object('reason', 'missed', 'misfirePolicy', 'run-once', 'missedSlots', t.folded, 'through', t.through)
             when 'skipped-overlap' then jsonb_build_object('reason', 'overlap', 'active', 1, 'maxConcurrent', 1)
             when 'ok' then jsonb_build_object('status', 200)
             else null end,
           case when t.kind in ('retry-ok', 'retry-failed', 'failed') then jsonb_build_object('message', 'HTTP 503 Service Unavailable') end
      from bench_target t where t.kind <> 'in-outage'
    union all
    -- Retries: queued as the first attempt failed, run a minute later.
    select pg_temp.bench_uuid7(f.finished_at), t.id, t.id, $1::text, t.version, case when t.kind = 'retry-ok' then 'success' else 'failed' end,
           'retry', t.slot_at, 2, null, f.finished_at, f.finished_at + interval '60 seconds', f.finished_at + interval '60.3 seconds',
           f.finished_at + interval '60.3 seconds' + t.retry_duration_ms * interval '1 millisecond', t.retry_duration_ms, 'worker-a',
           case when t.kind = 'retry-ok' then 'HTTP 200' else 'Attempt 2 of 2 after failed' end, null,
           case when t.kind = 'retry-failed' then jsonb_build_object('message', 'HTTP 503 Service Unavailable') end
      from bench_target t cross join lateral (select t.started_at + t.duration_ms * interval '1 millisecond' as finished_at) f
     where t.kind in ('retry-ok', 'retry-failed')
    union all
    select h.id, h.id, null::uuid, h.config_id, 1, case when h.k % 100 = 0 then 'skipped' when h.k % 100 in (1, 2) then 'failed' else 'success' end,
           'schedule', h.slot_at, 1, null, h.queued_at, h.slot_at,
           case when h.k % 100 <> 0 then h.queued_at + interval '150 milliseconds' end,
           h.queued_at + case when h.k % 100 <> 0 then interval '150 milliseconds' + h.duration_ms * interval '1 millisecond' else interval '0' end,
           case when h.k % 100 <> 0 then h.duration_ms else 0 end, case when h.k % 100 <> 0 then 'worker-b' end,
           case when h.k % 100 = 0 then 'Skipped: 1 execution(s) of this config already queued or running (overlap policy skip, at most 1)' end,
           case when h.k % 100 = 0 then jsonb_build_object('reason', 'overlap', 'active', 1, 'maxConcurrent', 1) end,
           case when h.k % 100 in (1, 2) then jsonb_build_object('message', 'connect ECONNREFUSED 10.0.0.7:5432') end
      from heartbeats h
    union all
    select pg_temp.bench_uuid7(h.queued_at + interval '2 seconds'), h.id, h.id, h.config_id, 1, 'success', 'retry', h.slot_at, 2, null,
           h.queued_at + interval '2 seconds', h.queued_at + interval '5 seconds', h.queued_at + interval '5.1 seconds',
           h.queued_at + interval '5.1 seconds' + h.duration_ms * interval '1 millisecond', h.duration_ms, 'worker-b', null, null, null
      from heartbeats h where h.k % 100 in (1, 2)
  ) as x (id, run_id, retry_of, config_id, config_version, status, trigger, slot_at, attempt, requested_by,
          queued_at, run_after, started_at, finished_at, duration_ms, worker_id, summary, result, error)
  order by x.queued_at`;

/** The heartbeats' first attempts, as a CTE in front of EXECUTIONS_INSERT (its parameters). */
const HEARTBEATS_CTE = `
  with heartbeats as (
    select k, ($5::text[])[1 + k % $4::int] as config_id, s.slot_at, s.slot_at + interval '15 milliseconds' as queued_at,
           pg_temp.bench_uuid7(s.slot_at + interval '15 milliseconds') as id, 100 + (random() * 900)::int as duration_ms
      from generate_series(0, $3::int - 1) as k
     cross join lateral (select $2::timestamptz - (ceil($3::numeric / $4::int)::int - k / $4::int) * interval '10 seconds' as slot_at) s
  )`;

/** One claim per scheduled first attempt, its decision read back from the execution, as the scheduler recorded it. */
const CLAIMS_INSERT = `
  insert into schedule_slots (config_id, slot_at, decision, execution_id, claimed_at, claimed_by)
  select config_id, slot_at,
         case when status = 'skipped' and result ->> 'reason' = 'overlap' then 'skipped-overlap'
              when status = 'skipped' and result ->> 'reason' = 'missed' then 'missed'
              when summary like 'Catch-up run%' then 'catch-up' else 'run' end,
         id, queued_at, 'scheduler-a'
    from executions where trigger = 'schedule' and attempt = 1
   order by queued_at`;

/** Runs one loading step and logs how long it took. */
async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
  const { ms, value } = await timed(work);
  log(`${name}: ${(ms / 1000).toFixed(1)} s`);
  return value;
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

/** One measured call: `work` is timed, `check` (untimed) judges what it returned. */
interface Probe {
  call(): Promise<number>;
}

function probe<T>(work: () => Promise<T>, check: (value: T) => void): Probe {
  return {
    async call() {
      const { ms, value } = await timed(work);
      check(value);
      return ms;
    },
  };
}

/**
 * WARMUPS rounds untimed, then RUNS timed; a round calls every probe once, in turn, so a busy
 * moment of the machine falls on all of them alike. Samples per probe, in the order given.
 */
async function rounds(probes: readonly Probe[]): Promise<number[][]> {
  const samples = probes.map((): number[] => []);
  for (let round = 0; round < WARMUPS + RUNS; round++) {
    for (const [i, p] of probes.entries()) {
      const ms = await p.call();
      if (round >= WARMUPS) samples[i]?.push(ms);
    }
  }
  return samples;
}

interface Expected {
  fates: Record<string, number>;
  versions: Record<string, number>;
  retried: number;
  retriedFailing: number;
  manual: number;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

const sameCounts = (a: Record<string, number>, b: Record<string, number>) =>
  Object.keys({ ...a, ...b }).every((k) => (a[k] ?? 0) === (b[k] ?? 0));
const show = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort((x, y) => y[1] - x[1])
    .map(([k, n]) => `${k} ${n.toLocaleString('en')}`)
    .join(', ');

/** Throws unless the ledger lists exactly the range's slots with the fates loaded. */
function checkLedger(ledger: Pick<SlotLedger, 'slots' | 'manual' | 'truncated'>, expected: Expected): void {
  const problems: string[] = [];
  if (ledger.slots.length !== RANGE_SLOTS) problems.push(`${ledger.slots.length} slots, not ${RANGE_SLOTS}`);
  if (ledger.truncated) problems.push('truncated');
  const fates = countBy(ledger.slots, (s) => s.fate);
  if (!sameCounts(fates, expected.fates)) problems.push(`fates ${show(fates)}; loaded ${show(expected.fates)}`);
  const versions = countBy(ledger.slots, (s) => String(s.version));
  if (!sameCounts(versions, expected.versions)) problems.push(`versions ${show(versions)}; loaded ${show(expected.versions)}`);
  const retried = ledger.slots.filter((s) => s.execution?.attempts === 2);
  if (retried.length !== expected.retried) problems.push(`${retried.length} slots retried, loaded ${expected.retried}`);
  const failing = retried.filter((s) => s.execution?.status === 'failed').length;
  if (failing !== expected.retriedFailing) problems.push(`${failing} retries failed, loaded ${expected.retriedFailing}`);
  if (ledger.manual.length !== expected.manual) problems.push(`${ledger.manual.length} manual runs, loaded ${expected.manual}`);
  if (problems.length > 0) throw new Error(`the ledger is not what was loaded: ${problems.join('; ')}`);
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const stats = (samples: readonly number[]) => ({ p50: percentile(samples, 0.5), p95: percentile(samples, 0.95), min: Math.min(...samples) });

async function main(): Promise<void> {
  const began = performance.now();
  const url = await createDatabase(DB);
  const client = new pg.Client({ connectionString: url });
  const sql = createPostgresSql({ connectionString: url });
  try {
    await client.connect();
    await migrate(sql);
    await client.query(`set search_path = grove_jobs`);

    // Configs, pause and version change through the system, the clock at each instant.
    const clock = new FakeClock(CREATED);
    const system = createGroveJobs({ clock, store: createSqlStore(sql), grove: createGroveStores(sql), jobTypes: builtInJobTypes });
    const actor = 'bench';
    const config = (id: string, cronExpression: string, url: string) => ({
      meta: { id, title: id },
      payload: {
        jobType: 'http-request',
        schedule: { cronExpression, timezone: 'UTC', isEnabled: true },
        retry: { maxAttempts: 2 },
        limits: { maxConcurrent: 1 },
        parameters: { method: 'GET', url },
      },
    });
    await system.configs.create(config(TARGET, '* * * * *', 'https://status.example.com/health'), { actor });
    const heartbeats = Array.from({ length: HEARTBEATS }, (_, i) => `heartbeat-${i + 1}`);
    for (const id of heartbeats) await system.configs.create(config(id, '*/10 * * * * *', `https://hooks.example.com/heartbeat/${id}`), { actor });
    await clock.advanceTo(at(PAUSE_MIN, 15));
    await system.configs.pause(TARGET, { reason: 'database migration' }, 'operator:ana');
    await clock.advanceTo(at(PAUSE_MIN + PAUSE_SLOTS, 15));
    await system.configs.resume(TARGET, 'operator:ana');
    await clock.advanceTo(at(CHANGE_MIN, 30));
    await system.configs.patch(TARGET, { payload: { schedule: { cronExpression: '*/2 * * * *' } } }, { actor: 'operator:ana' });
    await clock.advanceTo(NOW);

    const load = await timed(async () => {
      await client.query(`select setseed(0.42)`);
      await client.query(`set work_mem = '256MB'`);
      // Foreign-key triggers off while loading (a million lookups each for schedule_slots and
      // executions): every row refers to configs and executions made here, by construction.
      await client.query(`set session_replication_role = replica`);
      await client.query(UUID7);
      await step('target history', () => client.query(TARGET_HISTORY, [CREATED, CHANGE_MIN, END_MIN, PAUSE_MIN, PAUSE_SLOTS, OUTAGES, OUTAGE_MIN]));
      const [counts] = (
        await client.query<{ firsts: number; retries: number }>(
          `select count(*) filter (where kind <> 'in-outage')::int as firsts, count(*) filter (where kind in ('retry-ok', 'retry-failed'))::int as retries from bench_target`,
        )
      ).rows;
      const targetRows = (counts?.firsts ?? 0) + (counts?.retries ?? 0);
      // The heartbeats fill the table to EXECUTIONS: n first attempts bring n + their retries (k % 100 in 1, 2) rows.
      const retriesOf = (n: number) => 2 * Math.floor(n / 100) + Math.max(0, Math.min(2, (n % 100) - 1));
      let firsts = EXECUTIONS - targetRows;
      while (firsts + retriesOf(firsts) > EXECUTIONS - targetRows) firsts--;
      if (firsts + retriesOf(firsts) !== EXECUTIONS - targetRows) throw new Error(`no heartbeat count makes ${EXECUTIONS - targetRows} rows`);
      await step('executions', () => client.query(`${HEARTBEATS_CTE} ${EXECUTIONS_INSERT}`, [TARGET, at(END_MIN), firsts, HEARTBEATS, heartbeats]));
      await step('schedule_slots', () => client.query(CLAIMS_INSERT));
      // Where the scheduler stands: every slot of the history decided.
      await client.query(
        `insert into schedule_state (config_id, last_slot_at) select unnest($1::text[]), $2::timestamptz
         on conflict (config_id) do update set last_slot_at = excluded.last_slot_at`,
        [[TARGET, ...heartbeats], at(END_MIN)],
      );
      await client.query(`reset session_replication_role`);
      await step('vacuum analyze', async () => {
        await client.query(`vacuum analyze executions`);
        await client.query(`vacuum analyze schedule_slots`);
      });
      await step('checkpoint', () => client.query(`checkpoint`));
    });

    const figures = (
      await client.query<{ executions: number; target: number; claims: number; versions: number; pauses: number; mb: number }>(
        `select (select count(*)::int from executions) as executions,
                (select count(*)::int from executions where config_id = $1) as target,
                (select count(*)::int from schedule_slots) as claims,
                (select count(*)::int from job_config_versions where config_id = $1) as versions,
                (select count(*)::int from schedule_pauses where config_id = $1) as pauses,
                round(pg_total_relation_size('executions') / 1048576.0)::int as mb`,
        [TARGET],
      )
    ).rows[0];
    if (!figures || figures.executions !== EXECUTIONS) throw new Error(`the executions table holds ${figures?.executions} rows, not ${EXECUTIONS}`);
    if (figures.versions !== 2 || figures.pauses !== 1) throw new Error(`the target has ${figures.versions} versions and ${figures.pauses} pauses, not 2 and 1`);
    log(`loaded in ${(load.ms / 1000).toFixed(1)} s`);

    // What the range should show, from the rows loaded.
    const fromLoad = (
      await client.query<{ kind: string; n: number }>(
        `select kind, count(*)::int as n from bench_target
          where (kind = 'manual' and queued_at between $1 and $2) or (kind <> 'manual' and slot_at between $1 and $2)
          group by kind`,
        [FROM, UNTIL],
      )
    ).rows;
    const kinds = Object.fromEntries(fromLoad.map((r) => [r.kind, r.n]));
    const n = (...names: string[]) => names.reduce((sum, name) => sum + (kinds[name] ?? 0), 0);
    const claimed = n('ok', 'retry-ok', 'retry-failed', 'failed', 'catch-up', 'skipped-overlap', 'missed', 'missed-record', 'in-outage');
    const expected: Expected = {
      fates: {
        ran: n('ok', 'retry-ok', 'retry-failed', 'failed'),
        'caught-up': n('catch-up'),
        'skipped-overlap': n('skipped-overlap'),
        // The outage straddling `from` is recorded before it: its slots in the range are missed by that record.
        missed: n('missed', 'missed-record', 'in-outage'),
        paused: PAUSE_SLOTS,
      },
      versions: { '1': CHANGE_MIN - FROM_MIN + 1, '2': (UNTIL_MIN - CHANGE_MIN) / 2 },
      retried: n('retry-ok', 'retry-failed'),
      retriedFailing: n('retry-failed'),
      manual: n('manual'),
    };
    if (claimed + PAUSE_SLOTS !== RANGE_SLOTS) throw new Error(`loaded ${claimed} claimed + ${PAUSE_SLOTS} paused slots in the range, not ${RANGE_SLOTS}`);

    const query = { from: FROM.toISOString(), until: UNTIL.toISOString() };
    const limit = MAX_LEDGER_SLOTS + 1;
    // 2b plans on rows read once, outside the rounds.
    const reading = await system.store.readSlotLedger(TARGET, FROM, UNTIL, limit);
    const tokens = createTokenStore(sql);
    const { token } = await issueToken(tokens, { role: 'viewer', name: 'bench-viewer', now: clock.now() });
    const app = createApi({ system, tokens, auth: { clientAddress: () => 'bench' } });
    const path = `/api/jobs/${TARGET}/slots?from=${encodeURIComponent(query.from)}&until=${encodeURIComponent(query.until)}`;
    let last: SlotLedger | undefined;
    let bytes = 0;
    const [ledgerMs = [], readMs = [], planMs = [], httpMs = []] = await rounds([
      // 1. The ledger through the system.
      probe(
        () => system.slots.ledger(TARGET, query),
        (ledger) => {
          checkLedger(ledger, expected);
          last = ledger;
        },
      ),
      // 2a, 2b. Its halves: the store's reads, and the pure decision.
      probe(
        () => system.store.readSlotLedger(TARGET, FROM, UNTIL, limit),
        (read) => {
          if (read.claims.length !== claimed - n('in-outage') + 1) throw new Error(`read ${read.claims.length} claims`);
        },
      ),
      probe(
        () => Promise.resolve(planLedger({ configId: TARGET, from: FROM, until: UNTIL, now: NOW, limit: MAX_LEDGER_SLOTS, ...reading })),
        (ledger) => checkLedger(ledger, expected),
      ),
      // 3. The HTTP route in-process, as a viewer, the body read to its end.
      probe(
        async () => {
          const response = await app.request(path, { headers: { authorization: `Bearer ${token}` } });
          const body = await response.text();
          if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${body.slice(0, 300)}`);
          bytes = Buffer.byteLength(body);
          return body;
        },
        // Parsed outside the timing: what a client does with the body is not the route's cost.
        (body) => checkLedger(JSON.parse(body) as SlotLedger, expected),
      ),
    ]);
    const withActive = last?.slots.filter((s) => (s.overlap?.active.length ?? 0) > 0).length ?? 0;
    if (withActive === 0) throw new Error('no slot skipped for overlap lists the run it overlapped');

    const version = (await client.query<{ server_version: string }>(`show server_version`)).rows[0]?.server_version;
    const l = stats(ledgerMs);
    const r = stats(readMs);
    const p = stats(planMs);
    const h = stats(httpMs);
    const fates = countBy(last?.slots ?? [], (s) => s.fate);
    console.log(`\nslot ledger: ${RANGE_SLOTS.toLocaleString('en')} slots of '${TARGET}', ${figures.executions.toLocaleString('en')} executions in the table, PostgreSQL ${version}\n`);
    console.log(`executions: ${figures.executions.toLocaleString('en')} rows (${figures.mb} MB with indexes), ${figures.target.toLocaleString('en')} of them the target's; ${figures.claims.toLocaleString('en')} claims in schedule_slots; loaded in ${(load.ms / 1000).toFixed(1)} s`);
    console.log(`range: ${query.from} – ${query.until}; fates ${show(fates)}; versions 1 and 2; ${expected.retried} retried (${expected.retriedFailing} failing again), ${expected.manual} manual runs; ${withActive} of ${expected.fates['skipped-overlap']} overlap skips list the run they met`);
    console.log(`1  system.slots.ledger, ${RUNS} runs after ${WARMUPS} warm-ups: p50 ${ms(l.p50)}, p95 ${ms(l.p95)}, min ${ms(l.min)}; p50 = ${(l.p50 / TARGET_MS).toFixed(2)} × the ${TARGET_MS} ms target (${l.p50 < TARGET_MS ? 'met' : 'MISSED'})`);
    console.log(`2a store.readSlotLedger (5 queries on the pool): p50 ${ms(r.p50)}, p95 ${ms(r.p95)}, min ${ms(r.min)}`);
    console.log(`2b planLedger (pure): p50 ${ms(p.p50)}, p95 ${ms(p.p95)}, min ${ms(p.min)}`);
    console.log(`3  GET /api/jobs/{id}/slots in-process (${(bytes / 1048576).toFixed(1)} MB of JSON read): p50 ${ms(h.p50)}, p95 ${ms(h.p95)}, min ${ms(h.min)}; p50 = ${(h.p50 / TARGET_MS).toFixed(2)} × ${TARGET_MS} ms`);
    console.log(`\ntotal time ${((performance.now() - began) / 1000).toFixed(0)} s\n`);
  } finally {
    await client.end().catch(() => undefined);
    await sql.close().catch(() => undefined);
    if (KEEP) console.log(`kept database ${DB}`);
    else await dropDatabase(DB).catch((error: Error) => log(`could not drop ${DB}: ${error.message}`));
  }
}

await main();
