import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createGroveJobs, type GroveJobs, systemClock } from '../../src/app.js';
import { eventsRoute } from '../../src/api/events.js';
import { defineJobType } from '../../src/domain/config/index.js';
import { createPostgresSql } from '../../src/store/drivers/postgres.js';
import { migrate } from '../../src/store/migrate.js';
import { DEFAULT_SCHEMA, defaultDomainSchema, searchPath } from '../../src/store/schemas.js';
import type { Sql } from '../../src/store/sql.js';
import { createSqlStore } from '../../src/store/sql-store.js';
import { scenarioConfig } from '../support/engine.js';
import { assertPostgresReachable, pgliteFactory, POSTGRES_URL, postgresFactory, type SqlFactory, testDatabase, uniqueSchema } from '../support/test-store.js';
import { SseReader, type SseEvent } from './sse-reader.js';
import { call, testApi } from './test-app.js';

/** A gate a handler waits at until the test opens it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

/** A job that stops twice so the test sees each state: after it starts, and after its first progress. */
function gatedJob(gates: { started: ReturnType<typeof gate>; progressed: ReturnType<typeof gate> }) {
  return defineJobType({
    name: 'scenario-job',
    description: 'Waits for the test between its states',
    parameters: z.strictObject({ mode: z.string().default('normal') }),
    execute: async (context) => {
      await gates.started.wait;
      context.progress({ total: 10, processed: 5, succeeded: 5 });
      await gates.progressed.wait;
      return { summary: 'all ten', items: { total: 10, processed: 10, succeeded: 10 } };
    },
  });
}

interface Execution {
  id: string;
  configId: string;
  status: string;
  items: { total: number | null; processed: number };
  startedAt: string | null;
  finishedAt: string | null;
  error: unknown;
  dryRun?: boolean;
}

const executionEvent = (id: string, check: (e: Execution) => boolean) => (event: SseEvent) => event.event === 'execution' && (event.data as Execution).id === id && check(event.data as Execution);

/**
 * Connects an SSE client to `viewer`'s events route, runs one execution through `runner`
 * (queued by `runner`, worked by `runner`'s worker) and checks the client saw each state.
 */
async function watchOneRun(viewer: GroveJobs, runner: GroveJobs, gates: Parameters<typeof gatedJob>[0]): Promise<Execution[]> {
  const app = testApi([eventsRoute({ system: viewer })]);
  const response = await call(app, 'GET', '/api/events', { role: 'viewer' });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
  const stream = new SseReader(response);
  try {
    await stream.next((e) => e.event === 'ready');
    await runner.configs.create(scenarioConfig('sse-job', { cronExpression: '0 0 1 1 *', isEnabled: false }), { actor: 'test' });
    await stream.next((e) => e.event === 'config' && (e.data as { configId: string }).configId === 'sse-job');

    // A dry run, so that every event is seen to say so (the console marks it from the first).
    const { execution } = await runner.executions.trigger('sse-job', { requestedBy: 'test', dryRun: true });
    const queued = await stream.next(executionEvent(execution.id, () => true));
    await runner.startWorker({ concurrency: 1 });
    const running = await stream.next(executionEvent(execution.id, (e) => e.status !== 'queued'));
    gates.started.open();
    const progress = await stream.next(executionEvent(execution.id, (e) => e.items.processed > 0));
    gates.progressed.open();
    const success = await stream.next(executionEvent(execution.id, (e) => e.status !== 'running'));
    return [queued, running, progress, success].map((e) => e.data as Execution);
  } finally {
    gates.started.open();
    gates.progressed.open();
    await stream.close();
  }
}

function expectQueuedRunningProgressSuccess(states: Execution[], configId: string): void {
  expect(states.map((s) => s.status)).toEqual(['queued', 'running', 'running', 'success']);
  expect(states.every((s) => s.configId === configId)).toBe(true);
  expect(states.map((s) => s.dryRun)).toEqual([true, true, true, true]);
  expect(states[0]?.startedAt).toBeNull();
  expect(states[1]?.items.processed).toBe(0);
  expect(states[2]?.items).toMatchObject({ total: 10, processed: 5 });
  expect(states[3]).toMatchObject({ items: { total: 10, processed: 10 }, error: null, finishedAt: expect.any(String) });
}

describe('live events across processes on PostgreSQL', () => {
  const factory: SqlFactory = postgresFactory();
  let viewer: GroveJobs;
  let runner: GroveJobs;
  let runnerSql: Sql;
  const gates = { started: gate(), progressed: gate() };

  beforeAll(async () => {
    await assertPostgresReachable();
    const schema = uniqueSchema();
    const viewerSql = await factory.make(schema);
    // The other "process": its own pool, its own system and engine events, the same schema.
    runnerSql = createPostgresSql({ connectionString: POSTGRES_URL, schema, maxConnections: 2 });
    viewer = createGroveJobs({ clock: systemClock, store: createSqlStore(viewerSql), jobTypes: [gatedJob(gates)] });
    runner = createGroveJobs({ clock: systemClock, store: createSqlStore(runnerSql), jobTypes: [gatedJob(gates)] });
  });
  afterAll(async () => {
    await runner?.close({ graceMs: 0 });
    await factory.dispose();
  });

  it('shows a client queued → running → progress → success for a dry run another system queued and worked, each event marked as a dry run', async () => {
    let localEvents = 0;
    viewer.events.on('execution:queued', () => localEvents++);
    viewer.events.on('execution:started', () => localEvents++);
    const states = await watchOneRun(viewer, runner, gates);
    expectQueuedRunningProgressSuccess(states, 'sse-job');
    // Everything came through the database: the viewing system ran nothing itself.
    expect(localEvents).toBe(0);
  });
});

describe('live events where NOTIFY does not reach (a client of an embedded store\'s socket)', () => {
  // A database of its own: a shared session (as through an embedded store's socket) hears no
  // NOTIFY and sets no schema of its own.
  const database = testDatabase('grove_events_quiet');
  let viewer: GroveJobs;
  let runner: GroveJobs;

  beforeAll(async () => {
    await assertPostgresReachable();
    await database.create();
    const runnerSql = createPostgresSql({ connectionString: database.url, maxConnections: 2 });
    await migrate(runnerSql);
    // The shared session finds the store's tables as the embedded store's owner makes it: by a
    // search path it did not set itself (here the database's, for every new session).
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query(`alter database ${database.name} set search_path to ${searchPath(DEFAULT_SCHEMA, defaultDomainSchema(DEFAULT_SCHEMA))}`).finally(() => admin.end());
    const viewerSql = createPostgresSql({ connectionString: database.url, maxConnections: 2, sharedSession: true });
    viewer = createGroveJobs({ clock: systemClock, store: createSqlStore(viewerSql), jobTypes: [gatedJob({ started: gate(), progressed: gate() })] });
    runner = createGroveJobs({ clock: systemClock, store: createSqlStore(runnerSql), jobTypes: [gatedJob({ started: gate(), progressed: gate() })] });
  });
  afterAll(async () => {
    await viewer?.close({ graceMs: 0 });
    await runner?.close({ graceMs: 0 });
    await database.drop();
  });

  it('still sees another process change a config, by reading config versions every few polls', async () => {
    expect(viewer.store.hearsOtherProcesses).toBe(false);
    const app = testApi([eventsRoute({ system: viewer })]);
    const stream = new SseReader(await call(app, 'GET', '/api/events', { role: 'viewer' }));
    try {
      await stream.next((e) => e.event === 'ready');
      await runner.configs.create(scenarioConfig('quiet-job', { cronExpression: '0 0 1 1 *', isEnabled: false }), { actor: 'test' });
      const change = await stream.next((e) => e.event === 'config' && (e.data as { configId: string }).configId === 'quiet-job');
      expect(change.data).toMatchObject({ change: 'changed', version: 1 });
    } finally {
      await stream.close();
    }
  });
});

describe('live events in one process on the embedded store', () => {
  const factory = pgliteFactory();
  let system: GroveJobs;
  const gates = { started: gate(), progressed: gate() };

  beforeAll(async () => {
    system = createGroveJobs({ clock: systemClock, store: createSqlStore(await factory.make()), jobTypes: [gatedJob(gates)] });
  });
  afterAll(async () => {
    await system?.close({ graceMs: 0 });
    await factory.dispose();
  });

  it('shows a client queued → running → progress → success for a dry run of its own process, each state once and marked as a dry run', async () => {
    const app = testApi([eventsRoute({ system })]);
    const other = new SseReader(await call(app, 'GET', '/api/events', { role: 'viewer' }));
    await other.next((e) => e.event === 'ready');
    const states = await watchOneRun(system, system, gates);
    expectQueuedRunningProgressSuccess(states, 'sse-job');
    // A second client that read nothing meanwhile gets each status once, in order: its
    // waiting progress was replaced by the newer progress, and nothing was sent twice.
    const id = states[0]?.id ?? '';
    await other.next(executionEvent(id, (e) => e.status === 'success'));
    const seen = other.seen.filter((e) => e.event === 'execution').map((e) => e.data as Execution);
    expect(seen.map((e) => e.status)).toEqual(['queued', 'running', 'success']);
    expect(seen[1]?.items.processed).toBeGreaterThanOrEqual(5);
    await other.close();
  });

  it('refuses a request without a token', async () => {
    const app = testApi([eventsRoute({ system })]);
    expect((await call(app, 'GET', '/api/events')).status).toBe(401);
  });
});
