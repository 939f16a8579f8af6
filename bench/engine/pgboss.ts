/**
 * pg-boss 10 under test, schema `pgboss` in a fresh database. pg-boss 10 has no concurrency
 * setting: each `work()` call adds one polling loop, so concurrency 10 is ten `work()` calls
 * on the queue. A loop fetches up to `batchSize` jobs, runs the handler, and then sleeps
 * until `pollingIntervalSeconds` has passed since the fetch began — whether or not it found
 * jobs — so one loop handles at most batchSize jobs per polling interval. Nothing wakes a
 * loop when a job is sent. Its schedule() is one cron per queue, checked by a cron monitor
 * every cronMonitorIntervalSeconds and handed on through an internal queue polled every
 * cronWorkerIntervalSeconds.
 *
 * default: the library's defaults — pollingIntervalSeconds 2, batchSize 1,
 *   cronMonitorIntervalSeconds 30, cronWorkerIntervalSeconds 5.
 * fast: the lowest intervals it accepts — pollingIntervalSeconds 0.5,
 *   cronMonitorIntervalSeconds 1, cronWorkerIntervalSeconds 1 — and batchSize 100.
 */
import PgBoss from 'pg-boss';
import { performance } from 'node:perf_hooks';
import {
  CONCURRENCY,
  type ChildIo,
  type CronResult,
  type CronSample,
  type CronTask,
  deferred,
  everyOtherMinute,
  type IdleResult,
  type IdleTask,
  randomBetween,
  sleep,
  type ThroughputResult,
  type ThroughputTask,
  WARMUP_SAMPLES,
  type Variant,
  waitForCount,
} from './common.js';

export const FAST_BATCH_SIZE = 100;

export function pollingMs(variant: Variant): number {
  return variant === 'fast' ? 500 : 2000;
}

async function openBoss(dbUrl: string, variant: Variant): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: dbUrl,
    ...(variant === 'fast' ? { cronMonitorIntervalSeconds: 1, cronWorkerIntervalSeconds: 1 } : {}),
  });
  boss.on('error', (error) => process.stderr.write(`pg-boss error: ${error.message}\n`));
  await boss.start();
  return boss;
}

function workOptions(variant: Variant): PgBoss.WorkOptions {
  return variant === 'fast' ? { pollingIntervalSeconds: 0.5, batchSize: FAST_BATCH_SIZE } : {};
}

async function stopBoss(boss: PgBoss): Promise<void> {
  await boss.stop({ graceful: true, timeout: 5000, wait: true });
}

/**
 * One queue per schedule (pg-boss 10 keys schedules by queue name), one work() loop each.
 *
 * A pg-boss job does not carry its slot, and every cron tick fires "the minute we are in"
 * (deduplicated by a 60 s singleton), so the first tick after schedule() fires a minute
 * that began before it, and that job may start after the next minute began. The exact slot
 * is the singleton minute of the internal send-it job that produced the job: per queue,
 * send-it jobs and handler starts are paired in order. The streamed samples (slot = the
 * minute the handler started in) only tell the orchestrator when everything has arrived.
 */
export async function cron(task: CronTask, io: ChildIo): Promise<CronResult> {
  const boss = await openBoss(task.dbUrl, task.variant);
  const starts = new Map<number, number[]>();
  for (let i = 0; i < task.configs; i++) {
    const queue = `cron-${i}`;
    starts.set(i, []);
    await boss.createQueue(queue);
    await boss.schedule(queue, `${everyOtherMinute(task.parity)} * * * *`, { i }, { tz: 'UTC' });
    await boss.work(queue, workOptions(task.variant), async (jobs) => {
      const at = Date.now();
      for (const _job of jobs) {
        starts.get(i)?.push(at);
        io.sample({ key: i, slot: at - (at % 60_000), at });
      }
    });
  }
  io.ready();
  await io.stopped;
  const { rows } = await boss.getDb().executeSql(
    `select data ->> 'name' as queue, (extract(epoch from singleton_on) * 1000)::float8 as slot
       from pgboss.job where name = '__pgboss__send-it' order by created_on, id`,
    [],
  );
  await stopBoss(boss);
  const fired = new Map<number, number[]>();
  for (const row of rows as Array<{ queue: string; slot: number }>) {
    const key = Number(row.queue.slice('cron-'.length));
    fired.set(key, [...(fired.get(key) ?? []), row.slot]);
  }
  const samples: CronSample[] = [];
  for (const [key, times] of starts) {
    times.forEach((at, index) => {
      const slot = fired.get(key)?.[index];
      if (slot !== undefined) samples.push({ key, slot, at });
    });
  }
  return { samples };
}

export async function idle(task: IdleTask, io: ChildIo): Promise<IdleResult> {
  let started = deferred<number>();
  const boss = await openBoss(task.dbUrl, task.variant);
  await boss.createQueue('noop');
  for (let i = 0; i < CONCURRENCY; i++) await boss.work('noop', workOptions(task.variant), async () => started.resolve(performance.now()));
  io.ready();
  await sleep(200);
  const lagsMs: number[] = [];
  for (let i = 0; i < WARMUP_SAMPLES + task.samples && !io.isStopped(); i++) {
    started = deferred<number>();
    const t0 = performance.now();
    await boss.send('noop', {});
    const lag = (await started.promise) - t0;
    if (i >= WARMUP_SAMPLES) lagsMs.push(lag);
    // Polling loops: send at a random phase of the polling interval.
    await sleep(randomBetween(0, pollingMs(task.variant)));
  }
  await stopBoss(boss);
  return { lagsMs };
}

export async function throughput(task: ThroughputTask, io: ChildIo): Promise<ThroughputResult> {
  const boss = await openBoss(task.dbUrl, task.variant);
  await boss.createQueue('noop');
  const e0 = Date.now();
  for (let i = 0; i < task.n; i += 1000) {
    await boss.insert(Array.from({ length: Math.min(1000, task.n - i) }, () => ({ name: 'noop', data: {} })));
  }
  const enqueueMs = Date.now() - e0;
  io.ready();
  let handled = 0;
  const allHandled = deferred<void>();
  const t0 = Date.now();
  for (let i = 0; i < CONCURRENCY; i++) {
    await boss.work('noop', workOptions(task.variant), async (jobs) => {
      handled += jobs.length;
      if (handled === task.n) allHandled.resolve();
    });
  }
  await allHandled.promise;
  // complete() runs after the handler returns and is not awaited: done when every row says so.
  const historyRows = await waitForCount(task.dbUrl, `select count(*)::int as n from pgboss.job where name = 'noop' and state = 'completed'`, (n) => n === task.n);
  const t1 = Date.now();
  await stopBoss(boss);
  return { n: task.n, ms: t1 - t0, historyRows, enqueueMs };
}
