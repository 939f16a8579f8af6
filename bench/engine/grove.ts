/**
 * Grove under test: PostgreSQL store (createPostgresSql, default pool of 10), the real clock,
 * a no-op job type, scheduler and worker in this process, worker concurrency 10.
 *
 * Grove runs as it ships, from the compiled dist/ (`npm run build` first; `npm run bench`
 * does), as the peers run their published JavaScript: the TypeScript loader's on-the-fly
 * output adds a helper call to every closure it creates.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import type { GroveJobs } from '../../src/app.js';
import type { JobContext } from '../../src/domain/config/index.js';
import { performance } from 'node:perf_hooks';
import {
  CONCURRENCY,
  type ChildIo,
  type CronTask,
  deferred,
  everyOtherMinute,
  type IdleResult,
  type IdleTask,
  pool,
  queryOnce,
  randomBetween,
  sleep,
  type ThroughputResult,
  type ThroughputTask,
  WARMUP_SAMPLES,
} from './common.js';

// Loaded from dist/ at run time and typed by the sources, so a fresh checkout typechecks
// before anything is built.
const DIST = new URL('../../dist/', import.meta.url);
if (!existsSync(new URL('app.js', DIST))) throw new Error('bench/engine/grove.ts runs Grove from dist/: run `npm run build` first');
const load = <T>(path: string): Promise<T> => import(new URL(path, DIST).href) as Promise<T>;
const { createGroveJobs } = await load<typeof import('../../src/app.js')>('app.js');
const { defineJobType } = await load<typeof import('../../src/domain/config/index.js')>('domain/config/index.js');
const { createPostgresSql } = await load<typeof import('../../src/store/drivers/postgres.js')>('store/drivers/postgres.js');
const { migrate } = await load<typeof import('../../src/store/migrate.js')>('store/migrate.js');
const { createSqlStore } = await load<typeof import('../../src/store/sql-store.js')>('store/sql-store.js');
const { systemClock } = await load<typeof import('../../src/system-clock.js')>('system-clock.js');
const { DEFAULT_SCHEMA } = await load<typeof import('../../src/store/schemas.js')>('store/schemas.js');

/**
 * Grove's minute slots fall on second 30 of their minute (six-field cron, seconds first):
 * minute slots like the peers', but its burst does not land on the peers' :00 burst on this
 * shared machine.
 */
export const GROVE_SLOT_SECOND = 30;

type OnStart = (context: JobContext<Record<string, never>>) => void;

function noopJobType(onStart: OnStart) {
  return defineJobType({
    name: 'bench-noop',
    description: 'Does nothing; records when it started',
    parameters: z.strictObject({}),
    execute: async (context) => {
      onStart(context);
    },
  });
}

async function openGrove(dbUrl: string, onStart: OnStart, runMigrations: boolean): Promise<GroveJobs> {
  const sql = createPostgresSql({ connectionString: dbUrl });
  if (runMigrations) await migrate(sql);
  return createGroveJobs({ clock: systemClock, store: createSqlStore(sql), jobTypes: [noopJobType(onStart)] });
}

function configInput(id: string, cronExpression: string, isEnabled: boolean, maxConcurrent: number) {
  return {
    meta: { id },
    payload: {
      jobType: 'bench-noop',
      schedule: { cronExpression, isEnabled, timezone: 'UTC' },
      retry: { maxAttempts: 1 },
      limits: { maxConcurrent },
    },
  };
}

export async function cron(task: CronTask, io: ChildIo): Promise<null> {
  const system = await openGrove(
    task.dbUrl,
    (context) => {
      const at = Date.now();
      if (context.slot) io.sample({ key: Number(context.config.meta.id.slice('cron-'.length)), slot: context.slot.getTime(), at });
    },
    true,
  );
  for (let i = 0; i < task.configs; i++) {
    await system.configs.create(configInput(`cron-${i}`, `${GROVE_SLOT_SECOND} ${everyOtherMinute(task.parity)} * * * *`, true, 1), { actor: 'bench' });
  }
  await system.startWorker({ concurrency: CONCURRENCY });
  await system.startScheduler();
  io.ready();
  await io.stopped;
  await system.close({ graceMs: 1000 });
  return null;
}

/**
 * The worker runs in one system; manual runs are requested through a second system on its
 * own pool (as an API process would), so the worker learns of them through NOTIFY only.
 * With `sameSystem`, the trigger goes through the worker's own system (in-process wake-up).
 */
export async function idle(task: IdleTask, io: ChildIo, sameSystem = false): Promise<IdleResult> {
  let started = deferred<number>();
  const worker = await openGrove(task.dbUrl, () => started.resolve(performance.now()), true);
  const enqueuer = sameSystem ? worker : await openGrove(task.dbUrl, () => undefined, false);
  await enqueuer.configs.create(configInput('manual', '0 0 * * *', false, 1), { actor: 'bench' });
  await worker.startWorker({ concurrency: CONCURRENCY });
  io.ready();
  await sleep(200);
  const lagsMs: number[] = [];
  for (let i = 0; i < WARMUP_SAMPLES + task.samples && !io.isStopped(); i++) {
    started = deferred<number>();
    const finished = worker.events.waitFor('execution:finished');
    const t0 = performance.now();
    await enqueuer.executions.trigger('manual', { requestedBy: 'bench' });
    const lag = (await started.promise) - t0;
    if (i >= WARMUP_SAMPLES) lagsMs.push(lag);
    await finished;
    await sleep(randomBetween(5, 25));
  }
  if (!sameSystem) await enqueuer.close();
  await worker.close({ graceMs: 1000 });
  return { lagsMs };
}

/** Enqueue-only trigger parallelism (not timed). */
const ENQUEUE_PARALLEL = 16;

export async function throughput(task: ThroughputTask, io: ChildIo): Promise<ThroughputResult> {
  const system = await openGrove(task.dbUrl, () => undefined, true);
  // One config whose per-config cap never binds (the peers' queues have none here): the most
  // maxConcurrent allows, above what the worker holds (its places plus what it claims ahead).
  await system.configs.create(configInput('bulk', '0 0 * * *', false, 1000), { actor: 'bench' });
  const e0 = Date.now();
  await pool(task.n, ENQUEUE_PARALLEL, () => system.executions.trigger('bulk', { requestedBy: 'bench' }));
  const enqueueMs = Date.now() - e0;
  io.ready();
  let finished = 0;
  const done = deferred<number>();
  system.events.on('execution:finished', () => {
    finished++;
    if (finished === task.n) done.resolve(Date.now());
  });
  const t0 = Date.now();
  await system.startWorker({ concurrency: CONCURRENCY });
  const t1 = await done.promise;
  await system.close({ graceMs: 1000 });
  const [row] = await queryOnce<{ n: number }>(task.dbUrl, `select count(*)::int as n from ${DEFAULT_SCHEMA}.executions where status = 'success' and finished_at is not null`);
  return { n: task.n, ms: t1 - t0, historyRows: row?.n ?? 0, enqueueMs };
}
