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
import { performance } from 'node:perf_hooks';
import {
  CONCURRENCY,
  type ChildIo,
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
  until,
  type Variant,
  waitForCount,
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

export async function cron(task: CronTask, io: ChildIo): Promise<null> {
  const items = parseCronItems(
    Array.from({ length: task.configs }, (_, i) => ({ task: 'noop', match: `${everyOtherMinute(task.parity)} * * * *`, identifier: `cron-${i}`, payload: { i } })),
  );
  const runner = await run({
    ...options(task.dbUrl, task.variant),
    parsedCronItems: items,
    taskList: {
      noop: async (payload) => {
        const at = Date.now();
        const { i, _cron } = payload as { i: number; _cron?: { ts?: string } };
        if (_cron?.ts) io.sample({ key: i, slot: Date.parse(_cron.ts), at });
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
  const runner = await run({ ...options(task.dbUrl, task.variant), taskList: { noop: async () => started.resolve(performance.now()) } });
  let completed = 0;
  runner.events.on('job:complete', () => {
    completed++;
  });
  io.ready();
  await sleep(200);
  const lagsMs: number[] = [];
  for (let i = 0; i < WARMUP_SAMPLES + task.samples && !io.isStopped(); i++) {
    started = deferred<number>();
    const t0 = performance.now();
    await producer.addJob('noop', {});
    const lag = (await started.promise) - t0;
    if (i >= WARMUP_SAMPLES) lagsMs.push(lag);
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
  await waitForCount(task.dbUrl, 'select count(*)::int as n from graphile_worker.jobs', (n) => n === 0);
  const t1 = Date.now();
  await runner.stop();
  return { n: task.n, ms: t1 - t0, historyRows: 0, enqueueMs };
}
