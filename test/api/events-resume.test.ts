// Resuming the event stream: a client of a running server (`serve`, on a fake clock) that
// loses its connection reconnects with the last event's id and is sent what it missed, from
// the database, or one `resync` when that cannot be done.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createGroveJobs, type GroveJobs } from '../../src/app.js';
import { type OpenedGroveJobs, openGroveJobs, type StoreEnv } from '../../src/open.js';
import { type RunningServer, serve } from '../../src/server.js';
import { eventsRoute, HEARTBEAT_MS, REPLAY_WINDOW_MS } from '../../src/api/events.js';
import { defineJobType } from '../../src/domain/config/index.js';
import { scenarioConfig } from '../support/engine.js';
import { FakeClock } from '../support/fake-clock.js';
import { assertPostgresReachable, pgliteFactory, testDatabase } from '../support/test-store.js';
import { createSqlStore } from '../../src/store/sql-store.js';
import { SseReader, type SseEvent } from './sse-reader.js';
import { call, testApi } from './test-app.js';

const ADMIN = 'gj_events-resume-test-admin-token';
/** How long the client is cut off, on the server's clock. */
const CUT_MS = 6_000;

/** A gate a handler waits at until the test opens it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

/** A job that runs until the test lets it finish. */
function gatedJob(finish: { wait: Promise<void> }) {
  return defineJobType({
    name: 'scenario-job',
    description: 'Runs until the test lets it finish',
    parameters: z.strictObject({ mode: z.string().default('normal') }),
    execute: async (context) => {
      context.progress({ total: 2, processed: 1, succeeded: 1 });
      await finish.wait;
      return { summary: 'both', items: { total: 2, processed: 2, succeeded: 2 } };
    },
  });
}

interface LiveExecution {
  id: string;
  status: string;
  items: { processed: number };
}
interface LiveConfig {
  configId: string;
  change: string;
  version: number | null;
}

const isExecution = (id: string, status: string) => (e: SseEvent) => e.event === 'execution' && (e.data as LiveExecution).id === id && (e.data as LiveExecution).status === status;
const isConfig = (configId: string, version: number | null) => (e: SseEvent) =>
  e.event === 'config' && (e.data as LiveConfig).configId === configId && (e.data as LiveConfig).version === version;

interface StoreUnderTest {
  name: string;
  /** The environment `serve` opens its store from, and how to remove the store afterwards. */
  open(): Promise<{ env: StoreEnv; dispose(): Promise<void> }>;
}

const stores: StoreUnderTest[] = [
  {
    name: 'the embedded store',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'grove-events-resume-'));
      return { env: { GROVE_JOBS_DATA_DIR: dir }, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'PostgreSQL',
    async open() {
      await assertPostgresReachable();
      // A database of its own: whatever schemas the store makes go with it.
      const database = testDatabase('grove_events_resume');
      await database.create();
      return { env: { DATABASE_URL: database.url }, dispose: () => database.drop() };
    },
  },
];

describe.each(stores)('resuming the event stream of serve on $name', (store) => {
  const clock = new FakeClock('2026-12-07T10:00:00Z');
  const finish = gate();
  let system: OpenedGroveJobs;
  let server: RunningServer;
  let dispose: () => Promise<void> = async () => undefined;
  /** The `ready` of the very first stream: too old to resume from once the clock moves on. */
  let firstReadyId: string | undefined;

  let env: StoreEnv = {};

  const open = async (options: { lastEventId?: string; query?: boolean; on?: RunningServer } = {}): Promise<SseReader> => {
    const headers: Record<string, string> = { authorization: `Bearer ${ADMIN}` };
    let url = `${(options.on ?? server).url}/api/events`;
    if (options.lastEventId !== undefined) {
      if (options.query) url += `?lastEventId=${encodeURIComponent(options.lastEventId)}`;
      else headers['last-event-id'] = options.lastEventId;
    }
    const response = await fetch(url, { headers });
    expect(response.status).toBe(200);
    return new SseReader(response);
  };

  beforeAll(async () => {
    const opened = await store.open();
    dispose = opened.dispose;
    env = opened.env;
    system = await openGroveJobs({ env, clock, jobTypes: [gatedJob(finish)], ensureDefaults: false });
    server = await serve(system, { host: '127.0.0.1', port: 0, env: { GROVE_JOBS_ADMIN_TOKEN: ADMIN } });
  }, 60_000);
  afterAll(async () => {
    finish.open();
    await server?.close();
    await system?.close({ graceMs: 0 });
    await dispose();
  });

  it(`sends a client cut off for ${CUT_MS / 1000} s the execution that ran and the config that changed meanwhile, when it reconnects with Last-Event-ID or lastEventId`, async () => {
    const first = await open();
    const ready = await first.next((e) => e.event === 'ready');
    expect(ready.id).toMatch(/\S/);
    expect(ready.data).toMatchObject({ resumed: false });
    firstReadyId = ready.id;
    await system.configs.create(scenarioConfig('resume-job', { cronExpression: '0 0 1 1 *', isEnabled: false }), { actor: 'test' });
    const created = await first.next(isConfig('resume-job', 1));
    expect(created.id).toMatch(/\S/);
    expect(first.seen.every((e) => e.id !== undefined)).toBe(true);
    const lastEventId = first.lastEventId;
    expect(lastEventId).toBe(created.id);
    await first.close();

    // Cut off: an execution starts, makes progress, the config changes, the execution ends.
    const cutAt = clock.now().getTime();
    await clock.advanceBy(1_000);
    await system.startWorker({ concurrency: 1 });
    const started = system.events.waitFor('execution:started');
    const { execution } = await system.executions.trigger('resume-job', { requestedBy: 'test' });
    await started;
    await clock.advanceBy(2_000);
    await system.configs.patch('resume-job', { payload: { limits: { batchSize: 50 } } }, { actor: 'test' });
    await clock.advanceBy(1_000);
    const finished = system.events.waitFor('execution:finished', (e) => e.id === execution.id);
    finish.open();
    await finished;
    await clock.advanceTo(new Date(cutAt + CUT_MS));

    for (const query of [false, true]) {
      const again = await open({ lastEventId: lastEventId ?? '', query });
      try {
        const resumed = await again.next((e) => e.event === 'ready');
        expect(again.seen[0]).toBe(resumed);
        expect(resumed.data).toMatchObject({ resumed: true });
        await again.until((seen) => seen.some(isExecution(execution.id, 'success')) && seen.some(isConfig('resume-job', 2)));
        const ended = again.seen.find(isExecution(execution.id, 'success'))?.data;
        expect(ended).toMatchObject({ configId: 'resume-job', items: { total: 2, processed: 2 }, summary: 'both' });
        expect(again.seen.filter((e) => e.event === 'resync')).toEqual([]);
        expect(again.seen.every((e) => e.id !== undefined)).toBe(true);
      } finally {
        await again.close();
      }
    }
  });

  it('resumes a client on another server of the same store (the first one restarted, or another behind the same proxy) from the database alone', async () => {
    const other = await openGroveJobs({ env, clock, jobTypes: [gatedJob(finish)], ensureDefaults: false });
    const otherServer = await serve(other, { host: '127.0.0.1', port: 0, env: { GROVE_JOBS_ADMIN_TOKEN: ADMIN } });
    try {
      const first = await open();
      await first.next((e) => e.event === 'ready');
      await system.configs.create(scenarioConfig('elsewhere', { cronExpression: '0 0 1 1 *', isEnabled: false }), { actor: 'test' });
      await first.next(isConfig('elsewhere', 1));
      await first.close();
      await clock.advanceBy(1_000);
      await other.configs.patch('elsewhere', { payload: { limits: { batchSize: 30 } } }, { actor: 'test' });
      await clock.advanceBy(1_000);

      const again = await open({ lastEventId: first.lastEventId ?? '', on: otherServer });
      try {
        expect((await again.next((e) => e.event === 'ready')).data).toMatchObject({ resumed: true });
        await again.next(isConfig('elsewhere', 2));
        expect(again.seen.filter((e) => e.event === 'resync')).toEqual([]);
      } finally {
        await again.close();
      }
    } finally {
      await otherServer.close();
      await other.close({ graceMs: 0 });
    }
  });

  it('sends one resync, after ready, to a client whose last event is older than the replay window, and carries on live', async () => {
    expect(firstReadyId).toBeDefined();
    await clock.advanceBy(REPLAY_WINDOW_MS + 1_000);
    const stale = await open({ lastEventId: firstReadyId ?? '' });
    try {
      const ready = await stale.next((e) => e.event === 'ready');
      expect(ready.data).toMatchObject({ resumed: false });
      await stale.next((e) => e.event === 'resync');
      await system.configs.create(scenarioConfig('after-resync', { cronExpression: '0 0 1 1 *', isEnabled: false }), { actor: 'test' });
      await stale.next(isConfig('after-resync', 1));
      expect(stale.seen[0]?.event).toBe('ready');
      expect(stale.seen.filter((e) => e.event === 'resync')).toHaveLength(1);
      expect(stale.seen.some(isConfig('resume-job', 2))).toBe(false);
    } finally {
      await stale.close();
    }
  });

  it('sends one resync to a client whose last event id this server never made', async () => {
    const unknown = await open({ lastEventId: 'not-an-event-id' });
    try {
      await unknown.next((e) => e.event === 'ready');
      await unknown.next((e) => e.event === 'resync');
      await system.configs.patch('after-resync', { payload: { limits: { batchSize: 20 } } }, { actor: 'test' });
      await unknown.next(isConfig('after-resync', 2));
      expect(unknown.seen.filter((e) => e.event === 'resync')).toHaveLength(1);
    } finally {
      await unknown.close();
    }
  });
});

describe('resuming the event stream when the changes missed cannot be replayed', () => {
  const factory = pgliteFactory();
  const clock = new FakeClock('2026-12-07T10:00:00Z');
  let system: GroveJobs;
  const finish = gate();
  finish.open();

  beforeAll(async () => {
    system = createGroveJobs({ clock, store: createSqlStore(await factory.make()), jobTypes: [gatedJob(finish)] });
  });
  afterAll(async () => {
    await system?.close({ graceMs: 0 });
    await factory.dispose();
  });

  /** Opens a stream (resuming from `lastEventId`) and reads its opening: `ready` and what follows at once. */
  async function openAt(app: ReturnType<typeof testApi>, lastEventId?: string): Promise<SseReader> {
    const response = await call(app, 'GET', '/api/events', { role: 'viewer', ...(lastEventId !== undefined ? { headers: { 'last-event-id': lastEventId } } : {}) });
    expect(response.status).toBe(200);
    const stream = new SseReader(response);
    await stream.next((e) => e.event === 'ready');
    return stream;
  }

  /** The id a client holds after seeing `configId` created. */
  async function idAfterCreating(app: ReturnType<typeof testApi>, configId: string): Promise<string> {
    const stream = await openAt(app);
    await system.configs.create(scenarioConfig(configId, { cronExpression: '0 0 1 1 *', isEnabled: false }), { actor: 'test' });
    await stream.next(isConfig(configId, 1));
    await stream.close();
    return stream.lastEventId ?? '';
  }

  it('sends one resync when a config was deleted while the client was away (a deletion leaves nothing to replay)', async () => {
    const app = testApi([eventsRoute({ system })]);
    const lastEventId = await idAfterCreating(app, 'doomed');
    await clock.advanceBy(2_000);
    await system.configs.delete('doomed', { actor: 'test' });
    const stream = await openAt(app, lastEventId);
    try {
      const next = await stream.next(() => true);
      expect(next).toMatchObject({ event: 'resync', data: { reason: expect.stringMatching(/deleted/) } });
    } finally {
      await stream.close();
    }
  });

  it('replays configs made after the client left, without taking them for deletions', async () => {
    const app = testApi([eventsRoute({ system })]);
    const lastEventId = await idAfterCreating(app, 'kept');
    await clock.advanceBy(10_000);
    await system.configs.create(scenarioConfig('newcomer', { cronExpression: '0 0 1 1 *', isEnabled: false }), { actor: 'test' });
    const stream = await openAt(app, lastEventId);
    try {
      await stream.next(isConfig('newcomer', 1));
      expect(stream.seen.filter((e) => e.event === 'resync')).toEqual([]);
    } finally {
      await stream.close();
    }
  });

  it('moves a quiet stream\'s position with each heartbeat, so that it resumes after longer than the replay window without events', async () => {
    const app = testApi([eventsRoute({ system })]);
    const quiet = await openAt(app);
    const readyId = quiet.lastEventId ?? '';
    await clock.advanceBy(HEARTBEAT_MS);
    const heartbeatId = await quiet.nextBareId();
    expect(heartbeatId).not.toBe(readyId);
    expect(quiet.seen.map((e) => e.event)).toEqual(['ready']);
    await quiet.close();
    await clock.advanceBy(REPLAY_WINDOW_MS - HEARTBEAT_MS / 2);

    const fromHeartbeat = await openAt(app, heartbeatId);
    expect(fromHeartbeat.seen[0]?.data).toMatchObject({ resumed: true });
    await fromHeartbeat.close();
    const fromReady = await openAt(app, readyId);
    expect(fromReady.seen[0]?.data).toMatchObject({ resumed: false });
    expect((await fromReady.next(() => true)).event).toBe('resync');
    await fromReady.close();
  });

  it('sends one resync instead of more than the replay limit of missed events', async () => {
    const app = testApi([eventsRoute({ system, replayLimit: 2 })]);
    const lastEventId = await idAfterCreating(app, 'busy');
    await clock.advanceBy(1_000);
    await system.startWorker({ concurrency: 1 });
    for (let i = 0; i < 3; i++) {
      const finished = system.events.waitFor('execution:finished');
      await system.executions.trigger('busy', { requestedBy: 'test' });
      await finished;
    }
    const stream = await openAt(app, lastEventId);
    try {
      const next = await stream.next(() => true);
      expect(next).toMatchObject({ event: 'resync', data: { reason: expect.stringMatching(/more than 2/) } });
    } finally {
      await stream.close();
    }
  });
});
