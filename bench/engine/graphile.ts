/**
 * graphile-worker 0.17 under test: `run()` with a `noop` task list, concurrency 10, its own
 * schema (graphile_worker) in a fresh database, logging silenced.
 *
 * default: the library's defaults (pollInterval 2000 ms, maxPoolSize 10, no local queue,
 *   one completion query per job). New jobs wake workers through LISTEN/NOTIFY.
 * fast: its performance page's batching options scaled to concurrency 10 —
 *   localQueue.size 500, completeJobBatchDelay 0, failJobBatchDelay 0 — with
 *   maxPoolSize 12 (concurrency + 2, as its docs advise) and pollInterval 500 ms.
 */
import { Logger, makeWorkerUtils, parseCronItems, run, type RunnerOptions, type WorkerUtils } from 'graphile-worker';
import {
  CONCURRENCY,
  type ChildIo,
  type CronTask,
  deferred,
  type IdleResult,
  type IdleTask,
  queryOnce,
  randomBetween,
  sleep,
  type ThroughputResult,
  type ThroughputTask,
  until,
  type Variant,
} from './common.js';

const silent = new Logger(() => () => undefined);

function options(dbUrl: string, variant: Variant): RunnerOptions {
  const base: RunnerOptions = { connectionString: dbUrl, concurrency: CONCURRENCY, noHandleSignals: true, logger: silent };
  if (variant === 'default') return base;
  return {
    ...base,
    maxPoolSize: CONCURRENCY + 2,
    pollInterval: 500,
    preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
  };
}

async function utilsFor(dbUrl: string): Promise<WorkerUtils> {
  const utils = await makeWorkerUtils({ connectionString: dbUrl, logger: silent });
  await utils.migrate();
  return utils;
}

async function remainingJobs(dbUrl: string): Promise<number> {
  const [row] = await queryOnce<{ n: number }>(dbUrl, 'select count(*)::int as n from graphile_worker.jobs');
  return row?.n ?? 0;
}

export async function cron(task: CronTask, io: ChildIo): Promise<null> {
  const items = parseCronItems(
    Array.from({ length: task.configs }, (_, i) => ({ task: 'noop', match: '* * * * *', identifier: `cron-${i}`, payload: { i } })),
  );
  const runner = await run({
    ...options(task.dbUrl, task.variant),
    parsedCronItems: items,
    taskList: {
      noop: async (payload) => {
        const at = Date.now();
        const ts = (payload as { _cron?: { ts?: string } })._cron?.ts;
        if (ts) io.sample({ slot: Date.parse(ts), at });
      },
    },
  });
  io.ready();
  await io.stopped;
  await runner.stop();
  return null;
}

export async function idle(task: IdleTask, io: ChildIo): Promise<IdleResult> {
  let started = deferred<number>();
  const producer = await utilsFor(task.dbUrl);
  const runner = await run({ ...options(task.dbUrl, task.variant), taskList: { noop: async () => started.resolve(Date.now()) } });
  let completed = 0;
  runner.events.on('job:complete', () => {
    completed++;
  });
  io.ready();
  await sleep(200);
  const lagsMs: number[] = [];
  for (let i = 0; i < task.samples && !io.isStopped(); i++) {
    started = deferred<number>();
    const t0 = Date.now();
    await producer.addJob('noop', {});
    lagsMs.push((await started.promise) - t0);
    await until(() => completed > i, 1);
    await sleep(randomBetween(5, 25));
  }
  await runner.stop();
  await producer.release();
  return { lagsMs };
}

export async function throughput(task: ThroughputTask, io: ChildIo): Promise<ThroughputResult> {
  const producer = await utilsFor(task.dbUrl);
  const e0 = Date.now();
  for (let i = 0; i < task.n; i += 1000) {
    await producer.addJobs(Array.from({ length: Math.min(1000, task.n - i) }, () => ({ identifier: 'noop', payload: {} })));
  }
  const enqueueMs = Date.now() - e0;
  await producer.release();
  io.ready();
  let handled = 0;
  const allHandled = deferred<void>();
  const t0 = Date.now();
  const runner = await run({
    ...options(task.dbUrl, task.variant),
    taskList: {
      noop: async () => {
        handled++;
        if (handled === task.n) allHandled.resolve();
      },
    },
  });
  await allHandled.promise;
  // Completions are written after the handler returns (batched in `fast`): done when the table is empty.
  await until(async () => (await remainingJobs(task.dbUrl)) === 0, 10);
  const t1 = Date.now();
  await runner.stop();
  return { n: task.n, ms: t1 - t0, historyRows: 0, enqueueMs };
}
