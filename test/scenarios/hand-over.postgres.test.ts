import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/engine/ports.js';
import type { Sql } from '../../src/store/sql.js';
import { assertPostgresReachable, POSTGRES_URL, postgresFactory, uniqueSchema } from '../support/test-store.js';
import { finishedCount, makeScenario, type Scenario, scenarioConfig } from '../support/engine.js';

beforeAll(assertPostgresReachable);

const actor = { actor: 'test' };
const factory = postgresFactory();
afterAll(() => factory.dispose());

/** A store that says when its worker offered places (and how many), and what its own claims brought. */
function offers() {
  const made: number[] = [];
  const claimed: string[] = [];
  let waiting: { places: number; resolve: () => void } | undefined;
  let held: Promise<void> | undefined;
  return {
    made,
    claimed,
    /** Holds further offers until the returned release is called. */
    hold: () => {
      let release!: () => void;
      held = new Promise<void>((resolve) => (release = resolve));
      return release;
    },
    /** Resolves at the next offer of `places`. */
    next: (places: number) => new Promise<void>((resolve) => (waiting = { places, resolve })),
    wrap: (store: Store): Store => ({
      ...store,
      offerPlaces: async (workerId, places, leaseMs) => {
        if (held) await held;
        const offered = await store.offerPlaces(workerId, places, leaseMs);
        made.push(places);
        if (waiting?.places === places) waiting.resolve();
        return offered;
      },
      claimExecutions: async (...args) => {
        const claim = await store.claimExecutions(...args);
        claimed.push(...claim.executions.map((e) => e.id));
        return claim;
      },
    }),
  };
}

/** Two processes' systems on one database: `worker` runs a worker, `api` records runs. */
async function twoProcesses(): Promise<{ worker: Scenario; api: Scenario; workerSql: Sql; apiSql: Sql; offered: ReturnType<typeof offers> }> {
  const schema = uniqueSchema('hand');
  const workerSql = await factory.make(schema);
  const apiSql = await factory.make(schema, { migrated: false });
  const offered = offers();
  const worker = makeScenario(workerSql, undefined, offered.wrap);
  const api = makeScenario(apiSql);
  await api.system.configs.create(scenarioConfig('handed', { cronExpression: '0 0 1 1 *', isEnabled: false }, { limits: { maxConcurrent: 5 } }), actor);
  return { worker, api, workerSql, apiSql, offered };
}

/** Starts the worker, and resolves once it offered all its places (it found nothing to claim). */
async function startIdle(worker: Scenario, offered: ReturnType<typeof offers>, concurrency: number) {
  const ready = offered.next(concurrency);
  const started = await worker.system.startWorker({ concurrency });
  await ready;
  return started;
}

describe('runs recorded in another process, handed to an idle worker (PostgreSQL)', () => {
  it('start on an idle worker in the statement that records them, with no claim of its own, one place each', async () => {
    const { worker, api, workerSql, offered } = await twoProcesses();
    try {
      const started = await startIdle(worker, offered, 2);
      const places = async () =>
        (await workerSql.query<{ places: number }>({ name: 'test-places', text: 'select places from worker_places where worker_id = $1', values: [started.id] }))[0]?.places;
      expect(await places()).toBe(2);

      const seen: string[] = [];
      for (const name of ['execution:started', 'execution:finished'] as const) worker.system.events.on(name, (e) => void seen.push(`${name} ${e.status}`));
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      worker.setBehaviour(async () => {
        await held;
        return { summary: 'ran where it was handed' };
      });
      const startedTwo = new Promise<void>((resolve) => {
        let n = 0;
        worker.system.events.on('execution:started', () => void (++n === 2 && resolve()));
      });
      const first = (await api.system.executions.trigger('handed', { requestedBy: 'test' })).execution;
      const second = (await api.system.executions.trigger('handed', { requestedBy: 'test' })).execution;
      expect(first).toMatchObject({ status: 'running', workerId: started.id });
      expect(second).toMatchObject({ status: 'running', workerId: started.id });
      await startedTwo;
      // Both places taken: a third is queued.
      expect(await places()).toBe(0);
      const third = (await api.system.executions.trigger('handed', { requestedBy: 'test' })).execution;
      expect(third.status).toBe('queued');

      const done = finishedCount(worker.system, 3);
      release();
      const ended = await done;
      expect(ended.map((e) => [e.id, e.status, e.workerId]).sort()).toEqual(
        [first, second, third].map((e) => [e.id, 'success', started.id]).sort(),
      );
      expect((await api.system.executions.get(first.id)).summary).toBe('ran where it was handed');
      expect(seen.filter((line) => line.startsWith('execution:started'))).toHaveLength(3);
      // The worker's own claims brought only the queued third run.
      expect(offered.claimed).toEqual([third.id]);
      expect(await idsOf(workerSql, 'select id::text from execution_claims')).toEqual([]);
    } finally {
      await worker.system.close({ graceMs: 0 });
      await api.system.close({ graceMs: 0 });
    }
  });

  it('are queued when the idle worker stopped or its connection closed; the offer of a worker that died goes', async () => {
    const { worker, api, workerSql, apiSql, offered } = await twoProcesses();
    try {
      // A worker process that died without withdrawing its offer (its backend is gone).
      await apiSql.query({
        name: 'test-ghost-offer',
        text: `insert into worker_places (worker_id, backend_pid, backend_start, places, lease_ms) values ('ghost', 2147483647, now(), 4, 30000)`,
      });
      expect((await api.system.executions.trigger('handed', { requestedBy: 'test' })).execution.status).toBe('queued');
      // It runs the queued one first (its claim), then offers its place.
      const started = await startIdle(worker, offered, 1);
      let release = () => undefined as void;
      expect(await idsOf(apiSql, `select worker_id as id from worker_places`)).toEqual([started.id]);
      // Its listening connection is gone (a worker killed, or cut off): its offer is not taken.
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      try {
        const [row] = (await admin.query<{ pid: number }>(`select backend_pid as pid from ${workerSql.schema}.worker_places where worker_id = $1`, [started.id])).rows;
        expect(row?.pid).toBeGreaterThan(0);
        // Not yet listening again (it would offer its place anew from a new connection).
        release = offered.hold();
        await admin.query('select pg_terminate_backend($1)', [row?.pid]);
        // Terminated: the backend leaves pg_stat_activity when it has exited.
        for (let i = 0; i < 200; i++) {
          if ((await admin.query('select 1 from pg_stat_activity where pid = $1', [row?.pid])).rowCount === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      } finally {
        await admin.end();
      }
      expect((await api.system.executions.trigger('handed', { requestedBy: 'test' })).execution.status).toBe('queued');
      release();
      await worker.system.close({ graceMs: 0 });
      expect(await idsOf(apiSql, `select worker_id as id from worker_places`)).toEqual([]);
      expect((await api.system.executions.trigger('handed', { requestedBy: 'test' })).execution.status).toBe('queued');
    } finally {
      await worker.system.close({ graceMs: 0 });
      await api.system.close({ graceMs: 0 });
    }
  });

  it('reach an idle worker again once it listens on a new connection after losing its old one (a database restart, say)', async () => {
    const { worker, api, workerSql, offered } = await twoProcesses();
    try {
      const started = await startIdle(worker, offered, 1);
      const offeredFrom = async () =>
        (await workerSql.query<{ pid: number }>({ name: 'test-offer-pid', text: 'select backend_pid as pid from worker_places where worker_id = $1', values: [started.id] }))[0]?.pid;
      const before = await offeredFrom();
      // The worker offers its place again, from its new listening connection.
      const again = offered.next(1);
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      try {
        await admin.query('select pg_terminate_backend($1)', [before]);
      } finally {
        await admin.end();
      }
      await again;
      const after = await offeredFrom();
      expect(after).toBeGreaterThan(0);
      expect(after).not.toBe(before);
      const done = finishedCount(worker.system, 1);
      const run = (await api.system.executions.trigger('handed', { requestedBy: 'test' })).execution;
      expect(run).toMatchObject({ status: 'running', workerId: started.id });
      expect((await done)[0]).toMatchObject({ id: run.id, status: 'success', workerId: started.id });
      expect(offered.claimed).not.toContain(run.id);
    } finally {
      await worker.system.close({ graceMs: 0 });
      await api.system.close({ graceMs: 0 });
    }
  });

  it('stay queued for the process that records them to run itself (grove-jobs run)', async () => {
    const { worker, api, offered } = await twoProcesses();
    try {
      await startIdle(worker, offered, 1);
      const run = (await api.system.executions.trigger('handed', { requestedBy: 'test', handOver: false })).execution;
      expect(run.status).toBe('queued');
      const ran = await api.system.runHere(run.id);
      // Claimed here unless the idle worker, woken by the queued run, claimed it first.
      expect(ran === undefined || ran.status === 'success').toBe(true);
    } finally {
      await worker.system.close({ graceMs: 0 });
      await api.system.close({ graceMs: 0 });
    }
  });

  it('go back to the queue when the worker has no room left for them, and run when a place frees', async () => {
    const { worker, api, workerSql, offered } = await twoProcesses();
    try {
      const started = await startIdle(worker, offered, 1);
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      worker.setBehaviour(async () => {
        await held;
        return { summary: 'ok' };
      });
      const running = worker.system.events.waitFor('execution:started');
      const first = (await api.system.executions.trigger('handed', { requestedBy: 'test' })).execution;
      await running;
      // An offer the worker has not taken back yet (as when a claim of its own just filled it).
      await workerSql.query({ name: 'test-stale-offer', text: 'update worker_places set places = 1 where worker_id = $1', values: [started.id] });
      const second = (await api.system.executions.trigger('handed', { requestedBy: 'test' })).execution;
      expect(second).toMatchObject({ status: 'running', workerId: started.id });
      const done = finishedCount(worker.system, 2);
      release();
      const ended = await done;
      expect(ended.map((e) => [e.id, e.status]).sort()).toEqual([
        [first.id, 'success'],
        [second.id, 'success'],
      ].sort());
      expect(await idsOf(workerSql, 'select id::text from execution_claims')).toEqual([]);
      expect(await idsOf(workerSql, 'select id::text from execution_queue')).toEqual([]);
    } finally {
      await worker.system.close({ graceMs: 0 });
      await api.system.close({ graceMs: 0 });
    }
  });
});

const readNames = new Map<string, string>();
async function idsOf(sql: Sql, text: string): Promise<string[]> {
  const name = readNames.get(text) ?? `test-hand-ids-${readNames.size}`;
  readNames.set(text, name);
  return (await sql.query<{ id: string }>({ name, text })).map((row) => row.id).sort();
}
