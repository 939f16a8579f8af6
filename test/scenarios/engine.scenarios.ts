import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sql } from '../../src/store/sql.js';
import type { SqlFactory } from '../support/test-store.js';
import type { EngineEventMap } from '../../src/engine/events.js';
import type { ExecutionRecord, Store } from '../../src/engine/ports.js';
import { STORE_RETRY_FIRST_MS, STORE_RETRY_MAX_MS } from '../../src/domain/execution/index.js';
import { migrate } from '../../src/store/migrate.js';
import { createSqlStore } from '../../src/store/sql-store.js';
import { finishedCount, makeScenario, type Scenario, scenarioConfig } from '../support/engine.js';
import { writeConfigAsOlderRelease } from '../support/older-release.js';

const actor = { actor: 'test' };

/** Statement names for the ad-hoc reads below, one per text (a prepared name is per text). */
const readNames = new Map<string, string>();

/** The ids (as text) a read returns, sorted. */
async function idsOf(sql: Sql, text: string): Promise<string[]> {
  const name = readNames.get(text) ?? `test-ids-${readNames.size}`;
  readNames.set(text, name);
  return (await sql.query<{ id: string }>({ name, text })).map((row) => row.id).sort();
}

/** Stands between the engine and its store, failing the next `count` writes of endings (calling `onFailure` for each). */
function failingEndings(count: number, onFailure: () => void = () => undefined) {
  let left = count;
  return {
    left: () => left,
    wrap: (store: Store): Store => ({
      ...store,
      finishExecutions: async (workerId, endings) => {
        if (left > 0) {
          left--;
          onFailure();
          throw new Error('store out of reach');
        }
        return store.finishExecutions(workerId, endings);
      },
    }),
  };
}

/**
 * A store whose writes of endings wait until `open()`, and which says when a claim came back
 * (with what it brought) while they wait.
 */
function heldEndings() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const claims: string[][] = [];
  let claimed: (ids: string[]) => void = () => undefined;
  return {
    open: () => open(),
    /** The next claim that brings executions. */
    nextClaim: () => new Promise<string[]>((resolve) => (claimed = resolve)),
    claims,
    wrap: (store: Store): Store => ({
      ...store,
      finishExecutions: async (workerId, endings) => {
        await opened;
        return store.finishExecutions(workerId, endings);
      },
      claimExecutions: async (...args) => {
        const claim = await store.claimExecutions(...args);
        const ids = claim.executions.map((e) => e.id);
        if (ids.length > 0) {
          claims.push(ids);
          claimed(ids);
        }
        return claim;
      },
    }),
  };
}

/** Engine scenarios on a FakeClock, run unchanged on every driver. */
export function runEngineScenarios(factory: SqlFactory): void {
  describe(`engine scenarios on ${factory.name}`, () => {
    let s: Scenario;
    let sql: Sql;
    beforeEach(async () => {
      sql = await factory.make();
      s = makeScenario(sql);
    });
    afterEach(() => s.system.close({ graceMs: 0 }));
    afterAll(() => factory.dispose());

    it('runs each slot of an enabled config once, in order, on time', async () => {
      await s.system.configs.create(scenarioConfig('every-five', { cronExpression: '*/5 * * * *' }), actor);
      await s.system.startScheduler();
      await s.system.startWorker({ concurrency: 2 });
      for (const minute of ['10:05', '10:10', '10:15']) {
        const done = finishedCount(s.system, 1);
        await s.clock.advanceTo(`2026-11-23T${minute}:00Z`);
        const [execution] = await done;
        expect(execution).toMatchObject({ status: 'success', trigger: 'schedule', attempt: 1 });
        expect(execution?.slot?.toISOString()).toBe(`2026-11-23T${minute}:00.000Z`);
      }
      const history = await s.system.executions.list('every-five');
      expect(history.map((e) => e.slot?.toISOString())).toEqual(['2026-11-23T10:15:00.000Z', '2026-11-23T10:10:00.000Z', '2026-11-23T10:05:00.000Z']);
    });

    it('reads the configs just before a slot, and reads them again when one changes in between: a new cron made then takes effect for that slot', async () => {
      await s.system.configs.create(scenarioConfig('moved', { cronExpression: '*/5 * * * *' }), actor);
      await s.system.startScheduler();
      await s.system.startWorker({ concurrency: 1 });
      // Within a minute of 10:05, the scheduler wakes 25 ms before it to read the configs, then
      // sleeps until the slot.
      await s.clock.advanceTo('2026-11-23T10:04:00Z');
      await s.clock.untilSleeping('2026-11-23T10:04:59.975Z');
      await s.clock.advanceTo('2026-11-23T10:04:59.975Z');
      await s.clock.untilSleeping('2026-11-23T10:05:00Z');
      await s.system.configs.patch('moved', { payload: { schedule: { cronExpression: '*/10 * * * *' } } }, actor);
      // Read again after the change: its next slot is 10:10, more than a minute away.
      await s.clock.untilSleeping('2026-11-23T10:05:59.975Z');
      const finished = finishedCount(s.system, 1);
      await s.clock.advanceTo('2026-11-23T10:10:00Z');
      expect((await finished)[0]?.slot?.toISOString()).toBe('2026-11-23T10:10:00.000Z');
      expect((await s.system.executions.list('moved')).map((e) => e.slot?.toISOString())).toEqual(['2026-11-23T10:10:00.000Z']);
    });

    it('holds maxConcurrent across several workers racing for one config, and loses no place', async () => {
      await s.system.configs.create(scenarioConfig('crowded', { cronExpression: '0 0 1 1 *', isEnabled: false }, { limits: { maxConcurrent: 3 } }), actor);
      let running = 0;
      let most = 0;
      s.setBehaviour(async () => {
        most = Math.max(most, ++running);
        // Stay running for a few turns of the event loop so that the workers' claims interleave.
        for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
        running--;
      });
      const runs = 24;
      for (let i = 0; i < runs; i++) await s.system.executions.trigger('crowded', { requestedBy: 'test' });
      const finished = finishedCount(s.system, runs);
      for (let i = 0; i < 3; i++) await s.system.startWorker({ concurrency: 4 });
      expect((await finished).every((e) => e.status === 'success')).toBe(true);
      expect(most).toBeGreaterThan(0);
      expect(most).toBeLessThanOrEqual(3);
      // Every place came back: a later run is claimed at once.
      const again = finishedCount(s.system, 1);
      await s.system.executions.trigger('crowded', { requestedBy: 'test' });
      expect((await again)[0]).toMatchObject({ status: 'success' });
    });

    it("keeps a config's count of running executions exact through endings, hand-backs and expired leases", async () => {
      await s.system.configs.create(scenarioConfig('counted', { cronExpression: '0 0 1 1 *', isEnabled: false }, { limits: { maxConcurrent: 2 } }), actor);
      for (let i = 0; i < 6; i++) await s.system.executions.trigger('counted', { requestedBy: 'test' });
      const store = createSqlStore(sql);
      const at = (seconds: number) => new Date(s.clock.now().getTime() + seconds * 1000);
      const leaseFrom = (seconds: number) => at(seconds + 30);
      const claim = async (worker: string, seconds = 0) => (await store.claimExecutions(worker, at(seconds), leaseFrom(seconds), 10)).executions.map((e) => e.id);
      const success = { status: 'success' as const, finishedAt: at(1), durationMs: 1, summary: null, result: null, error: null, items: { total: null, processed: 0, succeeded: 0, failed: 0 } };

      const [first, second, ...beyond] = await claim('w1');
      expect(beyond).toEqual([]);
      expect(second).toBeDefined();
      expect(await claim('w2')).toEqual([]);

      // An ending frees its place.
      expect([...(await store.finishExecutions('w1', [{ id: first ?? '', configId: 'counted', outcome: success }]))]).toEqual([first]);
      const third = await claim('w1', 1);
      expect(third).toHaveLength(1);
      expect(await claim('w2', 1)).toEqual([]);

      // A hand-back frees its place.
      await store.releaseExecutions(third, 'w1', at(2));
      const fourth = await claim('w2', 2);
      expect(fourth).toHaveLength(1);
      expect(await claim('w2', 2)).toEqual([]);

      // Expired leases free theirs: both places come back, and no more.
      const lost = await store.expireLeases(at(60), 100);
      expect(lost.map((e) => e.id).sort()).toEqual([second, ...fourth].sort());
      expect(await claim('w3', 61)).toHaveLength(2);
      expect(await claim('w3', 61)).toEqual([]);
    });

    it('keeps the queue, the claims and the log of finish times in step with every execution status', async () => {
      await s.system.configs.create(scenarioConfig('tracked', { cronExpression: '0 0 1 1 *', isEnabled: false }, { limits: { maxConcurrent: 3 } }), actor);
      const store = createSqlStore(sql);
      const at = (seconds: number) => new Date(s.clock.now().getTime() + seconds * 1000);
      const ids = (text: string) => idsOf(sql, text);
      const expectInStep = async () => {
        // A claimed execution's row stays as queued until it ends (migration 0023): queued rows
        // are either in the queue or held by exactly one claim, never both.
        const held = `select u.id from execution_claims c cross join unnest(c.ids) as u(id)`;
        expect(await ids(`select id::text from execution_queue`)).toEqual(
          await ids(`select id::text from executions where status = 'queued' and id not in (${held})`),
        );
        expect(await ids(`select e.id::text from (${held}) h join executions e on e.id = h.id where e.status = 'queued'`)).toEqual(
          await ids(`select id::text from executions where status = 'queued' and id not in (select id from execution_queue)`),
        );
        expect(await ids(`select id::text from (${held}) h group by id having count(*) > 1`)).toEqual([]);
        expect(await ids(`select id::text from executions where status = 'running'`)).toEqual([]);
        expect(await ids(`select x.id::text from execution_endings x join executions e on e.id = x.id and e.finished_at = x.finished_at`)).toEqual(
          await ids(`select id::text from executions where finished_at is not null`),
        );
      };
      const success = { status: 'success' as const, finishedAt: at(1), durationMs: 1, summary: null, result: null, error: null, items: { total: null, processed: 0, succeeded: 0, failed: 0 } };

      const runs = [];
      for (let i = 0; i < 7; i++) runs.push((await s.system.executions.trigger('tracked', { requestedBy: 'test' })).execution);
      await expectInStep();
      const claimed = (await store.claimExecutions('w1', at(0), at(30), 2)).executions.map((e) => e.id);
      expect(claimed).toHaveLength(2);
      const single = runs.find((run) => !claimed.includes(run.id))?.id ?? '';
      expect(await store.claimExecution(single, 'w2', at(0), at(30))).toMatchObject({ status: 'running' });
      await expectInStep();

      expect([...(await store.finishExecutions('w1', [{ id: claimed[0] ?? '', configId: 'tracked', outcome: success }]))]).toEqual([claimed[0]]);
      // Not this worker's: ends nothing, and leaves the lease.
      expect([...(await store.finishExecutions('w1', [{ id: single, configId: 'tracked', outcome: success }]))]).toEqual([]);
      await store.releaseExecutions([claimed[1] ?? ''], 'w1', at(2));
      const queued = runs.find((run) => ![...claimed, single].includes(run.id))?.id ?? '';
      expect(await store.cancelQueued(queued, at(3), 'test')).toMatchObject({ status: 'cancelled' });
      await expectInStep();

      expect((await store.expireLeases(at(60), 100)).map((e) => e.id)).toEqual([single]);
      expect((await store.claimExecutions('w3', at(61), at(91), 10)).executions).toHaveLength(3);
      await expectInStep();

      // A slot skipped by the overlap policy is recorded finished as it is inserted.
      await s.system.configs.create(scenarioConfig('overlapped', { cronExpression: '* * * * *', overlapPolicy: 'skip' }), actor);
      await s.system.startScheduler();
      const minute = Math.ceil((s.clock.now().getTime() + 1) / 60_000) * 60_000;
      const queuedSlot = s.system.events.waitFor('slot:claimed');
      await s.clock.advanceTo(new Date(minute));
      await queuedSlot;
      const skippedSlot = s.system.events.waitFor('slot:skipped');
      await s.clock.advanceTo(new Date(minute + 60_000));
      await skippedSlot;
      await expectInStep();
      expect(await ids(`select id::text from executions where config_id = 'overlapped' and status = 'skipped'`)).toHaveLength(1);
    });

    it('reads a claimed execution as running wherever it is read, and leaves no claim behind once its executions end or go back', async () => {
      await s.system.configs.create(scenarioConfig('read', { cronExpression: '0 0 1 1 *', isEnabled: false }, { limits: { maxConcurrent: 5 } }), actor);
      const store = createSqlStore(sql);
      const at = (seconds: number) => new Date(s.clock.now().getTime() + seconds * 1000);
      const claimRows = () => idsOf(sql, 'select id::text from execution_claims');
      const success = { status: 'success' as const, finishedAt: at(5), durationMs: 1, summary: null, result: null, error: null, items: { total: null, processed: 0, succeeded: 0, failed: 0 } };
      for (let i = 0; i < 4; i++) await s.system.executions.trigger('read', { requestedBy: 'test' });

      const claimed = (await store.claimExecutions('w1', at(0), at(30), 3)).executions.map((e) => e.id);
      expect(claimed).toHaveLength(3);
      const [first = '', second = '', third = ''] = claimed;
      const sorted = [...claimed].sort();
      expect(await claimRows()).toHaveLength(1);
      expect(await store.getExecution(first)).toMatchObject({ status: 'running', workerId: 'w1', startedAt: at(0), leaseExpiresAt: at(30), finishedAt: null });
      expect((await store.listExecutions('read', { limit: 10, status: 'running' })).map((e) => e.id).sort()).toEqual(sorted);
      expect(await store.listExecutions('read', { limit: 10, status: 'queued' })).toHaveLength(1);
      expect((await store.listConfigOverviews('read'))[0]).toMatchObject({ running: 3 });
      expect(await store.countActiveExecutions()).toEqual([
        { jobType: 'scenario-job', status: 'queued', count: 1 },
        { jobType: 'scenario-job', status: 'running', count: 3 },
      ]);
      const live = await store.watchExecutions({ ids: [], finishedSince: at(0), limit: 10, configs: false });
      expect(live.executions.filter((e) => e.status === 'running').map((e) => e.id).sort()).toEqual(sorted);
      expect(live.executions.find((e) => e.id === first)?.startedAt).toEqual(at(0));

      // One heartbeat renews the claim, and carries a cancel request made meanwhile.
      expect(await store.requestCancel(second, at(1))).toMatchObject({ status: 'running', cancelRequestedAt: at(1) });
      const held = await store.renewLeases(claimed, 'w1', at(2), at(40));
      expect([...held.keys()].sort()).toEqual(sorted);
      expect(held.get(second)).toEqual({ cancelRequested: true });
      expect(held.get(first)).toEqual({ cancelRequested: false });
      expect(await store.getExecution(first)).toMatchObject({ leaseExpiresAt: at(40) });
      // Another worker holds none of them, and renews nothing.
      expect((await store.renewLeases(claimed, 'w2', at(2), at(40))).size).toBe(0);

      // A hand-back takes one out of the claim; the ending of the last one deletes it.
      await store.releaseExecutions([third], 'w1', at(3));
      expect(await store.getExecution(third)).toMatchObject({ status: 'queued', workerId: null, startedAt: null, runAfter: at(3) });
      expect([...(await store.renewLeases(claimed, 'w1', at(3), at(40))).keys()].sort()).toEqual([first, second].sort());
      expect([...(await store.finishExecutions('w1', [{ id: first, configId: 'read', outcome: success }]))]).toEqual([first]);
      expect(await claimRows()).toHaveLength(1);
      // Not started: it keeps its claim's instant.
      expect([...(await store.finishExecutions('w1', [{ id: second, configId: 'read', outcome: { ...success, status: 'cancelled' } }]))]).toEqual([second]);
      expect(await claimRows()).toEqual([]);
      expect(await store.getExecution(first)).toMatchObject({ status: 'success', workerId: 'w1', startedAt: at(0), finishedAt: at(5), leaseExpiresAt: null });
      expect(await store.getExecution(second)).toMatchObject({ status: 'cancelled', startedAt: at(0) });
      expect((await store.listConfigOverviews('read'))[0]).toMatchObject({ running: 0 });
      expect(await store.countActiveExecutions()).toEqual([{ jobType: 'scenario-job', status: 'queued', count: 2 }]);

      // A claim left behind holding only ended executions goes when its lease expires, ending nothing.
      await sql.query({
        name: 'test-stale-claim',
        text: `insert into execution_claims (id, worker_id, claimed_at, heartbeat_at, lease_expires_at, ids) values ($1::uuid, 'w9', $2, $2, $2, array[$3::uuid])`,
        values: [randomUUID(), at(0), first],
      });
      expect(await store.expireLeases(at(60), 100)).toEqual([]);
      expect(await claimRows()).toEqual([]);
      expect(await store.getExecution(first)).toMatchObject({ status: 'success', workerId: 'w1' });
    });

    it('turns each execution an older release left running under a lease of its own into a claim of one (migration 0023)', async () => {
      const older = await factory.make(undefined, { migrated: false });
      await migrate(older, { upTo: 22 });
      const before = makeScenario(older);
      await writeConfigAsOlderRelease(older, before.system.configs.prepareCreate(scenarioConfig('kept', { cronExpression: '0 0 1 1 *', isEnabled: false }, { limits: { maxConcurrent: 5 } }), actor));
      const [running, finished] = [randomUUID(), randomUUID()];
      const now = before.clock.now();
      await older.query({
        name: 'test-rows-as-0022',
        text: `with rows as (
                 insert into executions (id, run_id, config_id, config_version, status, trigger, attempt, queued_at, run_after, worker_id,
                                         started_at, heartbeat_at, lease_expires_at, finished_at, duration_ms)
                 values ($1::uuid, $1::uuid, 'kept', 1, 'running', 'manual', 1, $3, $3, 'old-worker', $3, $3, $4, null, null),
                        ($2::uuid, $2::uuid, 'kept', 1, 'success', 'manual', 1, $3, $3, 'old-worker', $3, $3, null, $3, 0)
                 returning 1
               ), leased as (insert into execution_leases (id, config_id, worker_id) values ($1::uuid, 'kept', 'old-worker') returning 1),
               ended as (insert into execution_endings (finished_at, id) values ($3, $2::uuid) returning 1),
               claimed as (update config_running set claimed = claimed + 2 where config_id = 'kept' returning 1)
               update config_ended set ended = ended + 1 where config_id = 'kept'
                 and (select count(*) from rows) = 2 and (select count(*) from claimed) = 1
                 and (select count(*) from leased) = 1 and (select count(*) from ended) = 1`,
        values: [running, finished, now, new Date(now.getTime() + 30_000)],
      });

      expect((await migrate(older, { upTo: 23 })).applied).toEqual(['0023_claims_hold_their_executions.sql']);
      await migrate(older);
      expect(await idsOf(older, 'select id::text from execution_claims')).toEqual([running]);
      const store = createSqlStore(older);
      expect(await store.getExecution(running)).toMatchObject({ status: 'running', workerId: 'old-worker', startedAt: now });
      expect(await store.getExecution(finished)).toMatchObject({ status: 'success' });

      // Its worker is gone: it ends as lost when the lease expires, and the claim goes.
      const lost = await store.expireLeases(new Date(now.getTime() + 60_000), 100);
      expect(lost.map((e) => [e.id, e.status, e.workerId, e.error?.code])).toEqual([[running, 'failed', 'old-worker', 'WORKER_LOST']]);
      expect(await idsOf(older, 'select id::text from execution_claims')).toEqual([]);
      expect((await store.listConfigOverviews('kept'))[0]).toMatchObject({ running: 0 });
    });

    it('moves the queue, the running set and the finish times of a store an older release left into their own tables (migration 0017)', async () => {
      const older = await factory.make(undefined, { migrated: false });
      await migrate(older, { upTo: 16 });
      const before = makeScenario(older);
      // (Left open: closing a system closes its store's connections, which `after` uses too.)
      await writeConfigAsOlderRelease(older, before.system.configs.prepareCreate(scenarioConfig('kept', { cronExpression: '0 0 1 1 *', isEnabled: false }, { limits: { maxConcurrent: 5 } }), actor));
      // As release 0016 left them: one execution queued, one running under a lease, one finished.
      const [queued, running, finished] = [randomUUID(), randomUUID(), randomUUID()];
      const now = before.clock.now();
      await older.query({
        name: 'test-rows-as-0016',
        text: `with rows as (
                 insert into executions (id, run_id, config_id, config_version, status, trigger, attempt, queued_at, run_after, worker_id,
                                         started_at, heartbeat_at, lease_expires_at, finished_at, duration_ms)
                 values ($1::uuid, $1::uuid, 'kept', 1, 'queued', 'manual', 1, $4, $4, null, null, null, null, null, null),
                        ($2::uuid, $2::uuid, 'kept', 1, 'running', 'manual', 1, $4, $4, 'old-worker', $4, $4, $5, null, null),
                        ($3::uuid, $3::uuid, 'kept', 1, 'success', 'manual', 1, $4, $4, 'old-worker', $4, $4, null, $4, 0)
                 returning 1
               ), claimed as (update config_running set claimed = claimed + 2 where config_id = 'kept' returning 1)
               update config_ended set ended = ended + 1 where config_id = 'kept'
                 and (select count(*) from rows) = 3 and (select count(*) from claimed) = 1`,
        values: [queued, running, finished, now, new Date(now.getTime() + 30_000)],
      });

      expect((await migrate(older, { upTo: 17 })).applied).toEqual(['0017_queue_and_leases_apart.sql']);
      const ids = (table: string) => idsOf(older, `select id::text from ${table}`);
      expect(await ids('execution_queue')).toEqual([queued]);
      expect(await ids('execution_leases')).toEqual([running]);
      expect(await ids('execution_endings')).toEqual([finished]);
      await migrate(older);

      // The old worker's execution ends as lost when its lease expires; the queued one runs.
      const after = makeScenario(older, new Date(now.getTime() + 60_000).toISOString());
      const done = finishedCount(after.system, 2);
      await after.system.startWorker({ concurrency: 2 });
      const ended = await done;
      expect(Object.fromEntries(ended.map((e) => [e.id, e.status]))).toEqual({ [queued]: 'success', [running]: 'failed' });
      await after.system.close({ graceMs: 0 });
    });

    it("claims a config's slot racing the config's deletion without a deadlock: the deletion goes through, after the claim or before it", async () => {
      const store = createSqlStore(sql);
      const slot = new Date(s.clock.now().getTime() - 1000);
      for (let round = 0; round < 30; round++) {
        const id = `doomed-slots-${round}`;
        await s.system.configs.create(scenarioConfig(id, { cronExpression: '* * * * *' }), actor);
        const [claimed, deleted] = await Promise.allSettled([
          store.claimSlots([{ configId: id, version: 1, slot, runAfter: slot }], s.clock.now(), 'racing-scheduler'),
          s.system.configs.delete(id, { actor: 'ada' }),
        ]);
        expect(claimed.status === 'rejected' ? String(claimed.reason) : 'fulfilled').toBe('fulfilled');
        expect(deleted.status === 'rejected' ? String(deleted.reason) : 'fulfilled').toBe('fulfilled');
        expect(await store.getConfig(id)).toBeUndefined();
      }
    });

    it('keeps no copy of the config in an execution row: a record reads the version it runs with, an older row its own copy', async () => {
      await s.system.configs.create(scenarioConfig('lean', { cronExpression: '0 0 1 1 *', isEnabled: false }, { parameters: { mode: 'first' } }), actor);
      const { execution: first } = await s.system.executions.trigger('lean', { requestedBy: 'test' });
      await s.system.configs.update('lean', { ...scenarioConfig('lean', { cronExpression: '0 0 1 1 *', isEnabled: false }, { parameters: { mode: 'second' } }) }, actor);
      const { execution: second } = await s.system.executions.trigger('lean', { requestedBy: 'test' });
      const rows = await sql.query<{ id: string; copied: boolean }>({
        name: 'test-lean-rows',
        text: 'select id::text, config is not null as copied from executions where config_id = $1',
        values: ['lean'],
      });
      expect(rows.every((row) => !row.copied)).toBe(true);
      expect((await s.system.executions.get(first.id))?.config.payload.parameters).toEqual({ mode: 'first', dryRun: false });
      expect((await s.system.executions.get(second.id))?.config.payload.parameters).toEqual({ mode: 'second', dryRun: false });

      // A row written before executions stopped copying their config keeps reading its copy.
      const copy = { ...first.config, payload: { ...first.config.payload, parameters: { mode: 'as copied', dryRun: false } } };
      await sql.query({ name: 'test-lean-copy', text: 'update executions set config = $2::jsonb where id = $1::uuid', values: [first.id, JSON.stringify(copy)] });
      expect((await s.system.executions.get(first.id))?.config.payload.parameters).toEqual({ mode: 'as copied', dryRun: false });
      const seen: string[] = [];
      s.setBehaviour(async (context) => {
        seen.push(context.parameters.mode);
      });
      const finished = finishedCount(s.system, 2);
      await s.system.startWorker({ concurrency: 1 });
      await finished;
      expect(seen.sort()).toEqual(['as copied', 'second']);
    });

    it('hands a handler the execution as the store records it: a claim reads only what the worker does not know', async () => {
      await s.system.configs.create(
        scenarioConfig('faithful', { cronExpression: '*/5 * * * *' }, { limits: { maxConcurrent: 5 }, retry: { maxAttempts: 2 } }),
        actor,
      );
      const started = new Map<string, ExecutionRecord>();
      s.system.events.on('execution:started', (record) => void started.set(record.id, record));
      const compared: string[] = [];
      s.setBehaviour(async (context) => {
        const seen = started.get(context.executionId);
        const stored = await s.system.executions.get(context.executionId);
        // The handler's start is its own; the store keeps the claim's until the ending writes it.
        const same = seen !== undefined && isDeepStrictEqual({ ...seen, startedAt: null }, { ...stored, startedAt: null });
        compared.push(same ? `${context.attempt}:${seen.trigger}` : `differs: ${JSON.stringify(seen)} stored ${JSON.stringify(stored)}`);
        if (context.attempt === 1 && seen?.trigger === 'manual') throw new Error('fails once');
      });
      await s.system.startWorker({ concurrency: 2 });
      const manual = finishedCount(s.system, 2);
      await s.system.executions.trigger('faithful', { requestedBy: 'tester', dryRun: true, batchSize: 7, idempotencyKey: 'k-1' });
      expect((await manual).map((e) => e.status)).toEqual(['failed', 'success']);
      await s.system.startScheduler();
      const scheduled = finishedCount(s.system, 1);
      await s.clock.advanceTo('2026-11-23T10:05:00Z');
      expect((await scheduled)[0]?.slot?.toISOString()).toBe('2026-11-23T10:05:00.000Z');
      expect(compared.sort()).toEqual(['1:manual', '1:schedule', '2:retry']);
    });

    it("gives a handler that takes its context apart a working log, progress, clock and signal", async () => {
      await s.system.configs.create(scenarioConfig('apart', { cronExpression: '0 0 1 1 *', isEnabled: false }), actor);
      const seen: string[] = [];
      s.setBehaviour(async (context) => {
        const { log, progress, now, signal, executionId, attempt, batchSize } = context;
        log('info', 'taken apart', { batchSize });
        progress({ total: 3, processed: 2, succeeded: 2 });
        seen.push(`${executionId === context.executionId}:${attempt}:${now().toISOString()}:${signal.aborted}`);
        return { items: { processed: 3, succeeded: 3 } };
      });
      await s.system.startWorker({ concurrency: 1 });
      const done = finishedCount(s.system, 1);
      await s.system.executions.trigger('apart', { requestedBy: 'tester' });
      const [ended] = await done;
      expect(seen).toEqual([`true:1:${s.clock.now().toISOString()}:false`]);
      expect(ended?.items).toEqual({ total: 3, processed: 3, succeeded: 3, failed: 0 });
      const stored = await s.system.executions.get(ended?.id ?? '');
      expect([stored.status, stored.items]).toEqual(['success', { total: 3, processed: 3, succeeded: 3, failed: 0 }]);
      expect((await s.system.executions.logs(stored.id)).map((line) => [line.level, line.message, line.data])).toEqual([['info', 'taken apart', { batchSize: 100 }]]);
    });

    it('writes an ending again when its write fails, rather than leaving a finished execution to end as lost and run twice', async () => {
      // Resolved by each failed write, once the worker has set when to try again.
      let onFailure = () => undefined as void;
      const nextFailure = () => new Promise<void>((resolve) => (onFailure = resolve));
      let failed = nextFailure();
      const failing = failingEndings(2);
      const flakySql = await factory.make();
      const flaky = makeScenario(flakySql, undefined, failing.wrap);
      flaky.system.events.on('engine:error', () => onFailure());
      try {
        await flaky.system.configs.create(scenarioConfig('flaky', { cronExpression: '0 0 1 1 *', isEnabled: false }), actor);
        let runs = 0;
        flaky.setBehaviour(async () => {
          runs++;
          return { summary: 'done once' };
        });
        const finished = finishedCount(flaky.system, 1);
        await flaky.system.startWorker({ concurrency: 1 });
        await flaky.system.executions.trigger('flaky', { requestedBy: 'test' });
        // A failed write is tried again on the worker's next pass, after a short backoff.
        for (let attempt = 0; attempt < 2; attempt++) {
          await failed;
          failed = nextFailure();
          await flaky.clock.advanceBy(STORE_RETRY_MAX_MS);
        }
        const [ended] = await finished;
        expect(failing.left()).toBe(0);
        expect(ended).toMatchObject({ status: 'success', attempt: 1, summary: 'done once' });
        expect(runs).toBe(1);
        expect((await flaky.system.executions.list('flaky')).map((e) => e.status)).toEqual(['success']);
      } finally {
        await flaky.system.close({ graceMs: 0 });
      }
    });

    it('runs what a claim brought when the endings written beside it failed', async () => {
      const failing = failingEndings(1);
      const flakySql = await factory.make();
      const flaky = makeScenario(flakySql, undefined, failing.wrap);
      try {
        await flaky.system.configs.create(scenarioConfig('pair', { cronExpression: '0 0 1 1 *', isEnabled: false }, { limits: { maxConcurrent: 2 } }), actor);
        const ran: string[] = [];
        flaky.setBehaviour(async (context) => {
          ran.push(context.executionId);
        });
        const first = await flaky.system.executions.trigger('pair', { requestedBy: 'test' });
        const second = await flaky.system.executions.trigger('pair', { requestedBy: 'test' });
        const finished = finishedCount(flaky.system, 2);
        // One place: the second is claimed beside the first's ending, whose write fails.
        await flaky.system.startWorker({ concurrency: 1 });
        const ended = await finished;
        expect(failing.left()).toBe(0);
        expect(ended.map((e) => e.status)).toEqual(['success', 'success']);
        expect(ran.sort()).toEqual([first.execution.id, second.execution.id].sort());
        expect((await flaky.system.executions.list('pair')).map((e) => e.status)).toEqual(['success', 'success']);
      } finally {
        await flaky.system.close({ graceMs: 0 });
      }
    });

    it('claims a slot due while the store was out of reach within a short backoff of its return, and reports the outage once when it starts and once when it ends', async () => {
      let down = false;
      let failedCalls = 0;
      const outOfReach = <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
        async (...args: A): Promise<R> => {
          if (down) {
            failedCalls++;
            throw new Error('connect ECONNREFUSED');
          }
          return call(...args);
        };
      const flaky = makeScenario(await factory.make(), undefined, (store) => ({
        ...store,
        listSchedulable: outOfReach(store.listSchedulable),
        claimSlots: outOfReach(store.claimSlots),
      }));
      try {
        // No worker runs: room for two queued executions, so the next slot is not an overlap.
        await flaky.system.configs.create(scenarioConfig('every-minute', { cronExpression: '* * * * *' }, { limits: { maxConcurrent: 2 } }), actor);
        const outages: Array<EngineEventMap['engine:outage']> = [];
        let errors = 0;
        flaky.system.events.on('engine:outage', (outage) => outages.push(outage));
        flaky.system.events.on('engine:error', () => errors++);
        await flaky.system.startScheduler();
        await flaky.clock.untilSleeping('2026-11-23T10:00:59.975Z');
        // Out of reach from just before the 10:01 slot until 10:01:12: the scheduler tries again
        // every few seconds (not at the next slot, nor after a minute).
        down = true;
        await flaky.clock.advanceTo('2026-11-23T10:01:12Z');
        expect(failedCalls).toBeGreaterThanOrEqual(6);
        expect(failedCalls).toBeLessThanOrEqual(12 / 3.75 + 5 + 1);
        expect(errors).toBe(failedCalls - 1); // the read 25 ms before the slot fails quietly: the pass reads again
        expect(outages).toEqual([{ state: 'started', source: 'scheduler', id: expect.any(String), at: new Date('2026-11-23T10:01:00Z'), message: 'connect ECONNREFUSED' }]);
        down = false;
        const claimed = flaky.system.events.waitFor('slot:claimed');
        const back = flaky.system.events.waitFor('engine:outage', (outage) => outage.state === 'ended');
        await flaky.clock.advanceBy(STORE_RETRY_MAX_MS);
        const [slot] = await Promise.all([claimed, back]);
        expect(slot.slot.toISOString()).toBe('2026-11-23T10:01:00.000Z');
        expect(slot.lateMs).toBeGreaterThan(12_000);
        expect(slot.lateMs).toBeLessThanOrEqual(12_000 + STORE_RETRY_MAX_MS);
        expect(outages).toHaveLength(2);
        expect(outages[1]).toMatchObject({ state: 'ended', source: 'scheduler', id: outages[0]?.id, startedAt: new Date('2026-11-23T10:01:00Z') });
        const ended = outages[1] as Extract<EngineEventMap['engine:outage'], { state: 'ended' }>;
        expect(ended.durationMs).toBe(ended.at.getTime() - Date.parse('2026-11-23T10:01:00Z'));
        expect(ended.durationMs).toBeGreaterThan(12_000);
        expect(ended.durationMs).toBeLessThanOrEqual(12_000 + STORE_RETRY_MAX_MS);
        // Back to its usual rhythm: the next slot on time, and no further outage.
        const next = flaky.system.events.waitFor('slot:claimed');
        await flaky.clock.advanceTo('2026-11-23T10:02:00Z');
        expect(await next).toMatchObject({ lateMs: 0 });
        expect(outages).toHaveLength(2);
      } finally {
        await flaky.system.close({ graceMs: 0 });
      }
    });

    it('reports a failed pass as an engine error and tries again after a short backoff', async () => {
      let failures = 1;
      const flakySql = await factory.make();
      const flaky = makeScenario(flakySql, undefined, (store) => ({
        ...store,
        claimExecutions: async (...args) => {
          if (failures > 0) {
            failures--;
            throw new Error('store out of reach');
          }
          return store.claimExecutions(...args);
        },
      }));
      try {
        await flaky.system.configs.create(scenarioConfig('flaky-claims', { cronExpression: '0 0 1 1 *', isEnabled: false }), actor);
        await flaky.system.executions.trigger('flaky-claims', { requestedBy: 'test' });
        const reported = flaky.system.events.waitFor('engine:error');
        const finished = finishedCount(flaky.system, 1);
        const worker = await flaky.system.startWorker({ concurrency: 1 });
        expect(await reported).toEqual({ source: 'worker', id: worker.id, message: 'store out of reach' });
        await flaky.clock.advanceBy(STORE_RETRY_FIRST_MS);
        expect((await finished)[0]).toMatchObject({ status: 'success' });
      } finally {
        await flaky.system.close({ graceMs: 0 });
      }
    });

    describe('a manual run recorded beside a worker of the same process', () => {
      it('is claimed for that worker as it is recorded when the worker has a free place, and runs', async () => {
        await s.system.configs.create(scenarioConfig('by-hand', { cronExpression: '0 0 1 1 *', isEnabled: false }), actor);
        const worker = await s.system.startWorker({ concurrency: 1 });
        const finished = finishedCount(s.system, 1);
        const queued = s.system.events.waitFor('execution:queued');
        const { execution } = await s.system.executions.trigger('by-hand', { requestedBy: 'ada' });
        expect(execution).toMatchObject({ status: 'running', workerId: worker.id, trigger: 'manual', requestedBy: 'ada' });
        // Watchers see it queued first, then started.
        expect(await queued).toMatchObject({ id: execution.id, status: 'queued', workerId: null });
        expect((await finished)[0]).toMatchObject({ id: execution.id, status: 'success', workerId: worker.id });
        // It was counted running and then ended: the config's only place is free again.
        const again = finishedCount(s.system, 1);
        expect((await s.system.executions.trigger('by-hand', { requestedBy: 'ada' })).execution.status).toBe('running');
        expect((await again)[0]).toMatchObject({ status: 'success' });
      });

      it('races a deletion of its config without a deadlock: the first to come wins', async () => {
        await s.system.startWorker({ concurrency: 4 });
        for (let round = 0; round < 20; round++) {
          const id = `doomed-${round}`;
          await s.system.configs.create(scenarioConfig(id, { cronExpression: '0 0 1 1 *', isEnabled: false }), actor);
          const [run, deleted] = await Promise.allSettled([
            s.system.executions.trigger(id, { requestedBy: 'ada' }),
            s.system.configs.delete(id, { actor: 'ada' }),
          ]);
          // Whichever comes first wins: a run already running keeps its config, a deleted config takes no run.
          if (deleted.status === 'rejected') expect(String(deleted.reason)).toMatch(/has a running execution/);
          if (run.status === 'rejected') expect(String(run.reason)).toMatch(/does not exist|vanished/);
        }
      });

      it('races a deletion of its config without a worker too: queued, or the config is gone', async () => {
        for (let round = 0; round < 20; round++) {
          const id = `doomed-queue-${round}`;
          await s.system.configs.create(scenarioConfig(id, { cronExpression: '0 0 1 1 *', isEnabled: false }), actor);
          const [run, deleted] = await Promise.allSettled([
            s.system.executions.trigger(id, { requestedBy: 'ada' }),
            s.system.configs.delete(id, { actor: 'ada' }),
          ]);
          expect(deleted.status).toBe('fulfilled');
          if (run.status === 'rejected') expect(String(run.reason)).toMatch(/does not exist|vanished/);
        }
      });

      it('stays queued while its config has no room, or the worker no free place, and runs when one frees', async () => {
        await s.system.configs.create(scenarioConfig('one-at-a-time', { cronExpression: '0 0 1 1 *', isEnabled: false }), actor);
        await s.system.configs.create(scenarioConfig('other', { cronExpression: '0 0 1 1 *', isEnabled: false }), actor);
        const gates: Array<() => void> = [];
        s.setBehaviour(async () => {
          await new Promise<void>((resolve) => gates.push(resolve));
        });
        await s.system.startWorker({ concurrency: 2 });
        const started = s.system.events.waitFor('execution:started');
        const first = (await s.system.executions.trigger('one-at-a-time', { requestedBy: 'ada' })).execution;
        expect(first.status).toBe('running');
        await started;
        // maxConcurrent 1: the second waits in the queue although the worker has a place.
        const second = (await s.system.executions.trigger('one-at-a-time', { requestedBy: 'ada' })).execution;
        expect(second.status).toBe('queued');
        // The other config has room, and takes the worker's last place.
        const otherStarted = s.system.events.waitFor('execution:started', (e) => e.configId === 'other');
        expect((await s.system.executions.trigger('other', { requestedBy: 'ada' })).execution.status).toBe('running');
        await otherStarted;
        // No place left in the worker: queued.
        expect((await s.system.executions.trigger('other', { requestedBy: 'ada' })).execution.status).toBe('queued');
        const done = finishedCount(s.system, 4);
        let startedLater = 0;
        const bothLater = new Promise<void>((resolve) => {
          const off = s.system.events.on('execution:started', () => {
            if (++startedLater < 2) return;
            off();
            resolve();
          });
        });
        for (const gate of gates.splice(0)) gate();
        await bothLater;
        for (const gate of gates.splice(0)) gate();
        const ended = await done;
        expect(ended.map((e) => e.status)).toEqual(['success', 'success', 'success', 'success']);
        expect(ended.map((e) => e.id)).toContain(second.id);
      });
    });

    it('keeps what each handler gave (summary, result, error, counts) whatever characters it holds, beside plain endings written with it', async () => {
      await s.system.configs.create(scenarioConfig('null', { cronExpression: '0 0 1 1 *', isEnabled: false }, { limits: { maxConcurrent: 20 } }), actor);
      const awkward = 'a "quoted", {braced} \\ back\\slashed, NULL, ünïcödé ✓ and a\nnew line';
      s.setBehaviour(async (context) => {
        if (context.batchSize === 7) return { summary: awkward, result: { text: awkward, nested: { list: [1, 'two', null] } }, items: { total: 5, processed: 4, succeeded: 3, failed: 1 } };
        if (context.batchSize === 8) throw new Error(awkward);
        return {};
      });
      const runs = [7, 8, 1, 1, 7, 1, 8, 1];
      const finished = finishedCount(s.system, runs.length);
      const ids: string[] = [];
      for (const batchSize of runs) ids.push((await s.system.executions.trigger('null', { requestedBy: 'ada', batchSize })).execution.id);
      await s.system.startWorker({ concurrency: 4 });
      await finished;
      for (const [index, batchSize] of runs.entries()) {
        const stored = await s.system.executions.get(ids[index] as string);
        if (batchSize === 7) {
          expect(stored).toMatchObject({ status: 'partial', summary: awkward, result: { text: awkward, nested: { list: [1, 'two', null] } } });
          expect(stored.items).toEqual({ total: 5, processed: 4, succeeded: 3, failed: 1 });
        } else if (batchSize === 8) {
          expect(stored.status).toBe('failed');
          expect(stored.error?.message).toBe(awkward);
        } else {
          expect(stored).toMatchObject({ status: 'success', summary: null, result: null, error: null });
          expect(stored.items).toEqual({ total: null, processed: 0, succeeded: 0, failed: 0 });
        }
      }
    });

    describe('a slot due now beside a worker of the same process', () => {
      /** A scenario whose workers' claims are recorded (the ids each claim brought). */
      async function watchedClaims() {
        const claims: string[][] = [];
        const own = await factory.make();
        const scenario = makeScenario(own, undefined, (store) => ({
          ...store,
          claimExecutions: async (...args) => {
            const claim = await store.claimExecutions(...args);
            if (claim.executions.length > 0) claims.push(claim.executions.map((e) => e.id));
            return claim;
          },
        }));
        return { ...scenario, claims, sql: own };
      }

      it("starts on that worker in the statement that claims the slot, without a claim of the worker's own; watchers see it queued, then started", async () => {
        const w = await watchedClaims();
        try {
          await w.system.configs.create(scenarioConfig('on-time', { cronExpression: '*/5 * * * *' }), actor);
          const worker = await w.system.startWorker({ concurrency: 2 });
          await w.system.startScheduler();
          const seen: string[] = [];
          for (const name of ['execution:queued', 'execution:started', 'execution:finished'] as const) {
            w.system.events.on(name, (e) => void seen.push(`${name} ${e.status} ${e.workerId ?? '-'}`));
          }
          const finished = finishedCount(w.system, 1);
          await w.clock.advanceTo('2026-11-23T10:05:00Z');
          const [execution] = await finished;
          expect(execution).toMatchObject({ status: 'success', trigger: 'schedule', workerId: worker.id });
          expect(execution?.slot?.toISOString()).toBe('2026-11-23T10:05:00.000Z');
          expect(seen).toEqual([
            'execution:queued queued -',
            `execution:started running ${worker.id}`,
            `execution:finished success ${worker.id}`,
          ]);
          expect(w.claims).toEqual([]);
          // Counted running, then ended: the config's only place is free for the next slot.
          const next = finishedCount(w.system, 1);
          await w.clock.advanceTo('2026-11-23T10:10:00Z');
          expect((await next)[0]).toMatchObject({ status: 'success', workerId: worker.id });
          expect(await idsOf(w.sql, 'select id from execution_claims')).toEqual([]);
        } finally {
          await w.system.close({ graceMs: 0 });
        }
      });

      it('is queued for the workers when its config has no room or the worker no free place, and runs when one frees', async () => {
        const w = await watchedClaims();
        try {
          const everyFive = { cronExpression: '*/5 * * * *', overlapPolicy: 'queue' };
          for (const id of ['full', 'fits', 'waits']) await w.system.configs.create(scenarioConfig(id, everyFive), actor);
          const gates: Array<() => void> = [];
          w.setBehaviour(async () => {
            await new Promise<void>((resolve) => gates.push(resolve));
          });
          // Two places, and a manual run of 'full' (maxConcurrent 1) takes one. Its lease outlasts
          // the clock's jump to the slots.
          const worker = await w.system.startWorker({ concurrency: 2, leaseSeconds: 3600 });
          await w.system.startScheduler();
          const started = w.system.events.waitFor('execution:started');
          expect((await w.system.executions.trigger('full', { requestedBy: 'ada' })).execution.status).toBe('running');
          await started;
          const slots = new Promise<Map<string, string>>((resolve) => {
            const recorded = new Map<string, string>();
            const off = w.system.events.on('execution:queued', (e) => {
              if (e.trigger === 'schedule') recorded.set(e.configId, e.id);
              if (recorded.size === 3) {
                off();
                resolve(recorded);
              }
            });
          });
          const fitsStarted = w.system.events.waitFor('execution:started', (e) => e.configId === 'fits');
          await w.clock.advanceTo('2026-11-23T10:05:00Z');
          const recorded = await slots;
          // 'fits' took the free place as its slot was claimed; 'full' has no room and 'waits' found no place.
          expect(await fitsStarted).toMatchObject({ id: recorded.get('fits'), workerId: worker.id });
          expect(w.claims).toEqual([]);
          // Each place that frees goes to a queued slot through the worker's own claim.
          const done = finishedCount(w.system, 4);
          w.setBehaviour(async () => ({ summary: 'ok' }));
          for (const gate of gates.splice(0)) gate();
          expect((await done).map((e) => e.status)).toEqual(['success', 'success', 'success', 'success']);
          expect(w.claims.flat().sort()).toEqual([recorded.get('full'), recorded.get('waits')].sort());
        } finally {
          await w.system.close({ graceMs: 0 });
        }
      });
    });

    describe('a claim sent beside a write of endings', () => {
      /**
       * Two runs (and `more` after them) of a config with this maxConcurrent, on a worker with one
       * place whose writes of endings are held.
       */
      async function twoRuns(maxConcurrent: number, more = 0) {
        const held = heldEndings();
        const heldSql = await factory.make();
        const system = makeScenario(heldSql, undefined, held.wrap);
        await system.system.configs.create(scenarioConfig('pair', { cronExpression: '0 0 1 1 *', isEnabled: false }, { limits: { maxConcurrent } }), actor);
        const order: string[] = [];
        let secondStarted!: () => void;
        const secondRan = new Promise<void>((resolve) => (secondStarted = resolve));
        system.setBehaviour(async (context) => {
          order.push(`started ${context.executionId}`);
          if (context.executionId === second) secondStarted();
        });
        system.system.events.on('execution:finished', (e) => void order.push(`finished ${e.id}`));
        const first = (await system.system.executions.trigger('pair', { requestedBy: 'test' })).execution.id;
        const second = (await system.system.executions.trigger('pair', { requestedBy: 'test' })).execution.id;
        const later: string[] = [];
        for (let i = 0; i < more; i++) later.push((await system.system.executions.trigger('pair', { requestedBy: 'test' })).execution.id);
        const firstClaim = held.nextClaim();
        await system.system.startWorker({ concurrency: 1 });
        expect(await firstClaim).toEqual([first]);
        // The second is claimed while the first's ending waits to be written.
        const secondClaim = held.nextClaim();
        return { held, system, order, first, second, later, secondClaim, secondRan };
      }

      it('starts what it brought at once when it fits without the places those endings free', async () => {
        const { held, system, order, first, second, secondClaim, secondRan } = await twoRuns(5);
        try {
          expect(await secondClaim).toEqual([second]);
          await secondRan;
          expect(order).toEqual([`started ${first}`, `started ${second}`]);
          const done = finishedCount(system.system, 2);
          held.open();
          expect((await done).map((e) => e.status)).toEqual(['success', 'success']);
        } finally {
          held.open();
          await system.system.close({ graceMs: 0 });
        }
      });

      it('holds back only as many of what it brought as took the places of those endings', async () => {
        const { held, system, order, first, second, later, secondClaim } = await twoRuns(3, 1);
        try {
          // Room for two beside the first, which still counts as running: the last one claimed may be in its place.
          const claimed = await secondClaim;
          expect([...claimed].sort()).toEqual([second, ...later].sort());
          const [free, gated] = claimed;
          await system.system.events.waitFor('execution:started', (e) => e.id === free);
          const done = finishedCount(system.system, 3);
          // A turn of the event loop: the free one's handler returns, its place frees, and the other still waits.
          await new Promise((resolve) => setImmediate(resolve));
          expect(order).toEqual([`started ${first}`, `started ${free}`]);
          held.open();
          expect((await done).map((e) => e.status)).toEqual(['success', 'success', 'success']);
          expect(order.indexOf(`started ${gated}`)).toBeGreaterThan(order.indexOf(`finished ${first}`));
        } finally {
          held.open();
          await system.system.close({ graceMs: 0 });
        }
      });

      it('starts what took the place of an ending only once that ending is written and reported', async () => {
        const { held, system, order, first, second, secondClaim } = await twoRuns(2);
        try {
          // The first still counts as running: the second fits only in the place it frees.
          expect(await secondClaim).toEqual([second]);
          expect(order).toEqual([`started ${first}`]);
          const done = finishedCount(system.system, 2);
          held.open();
          await done;
          expect(order).toEqual([`started ${first}`, `finished ${first}`, `started ${second}`, `finished ${second}`]);
        } finally {
          held.open();
          await system.system.close({ graceMs: 0 });
        }
      });
    });

    describe('claiming ahead', () => {
      /** Lets the worker learn that this config's executions are short (they end at once). */
      async function warmUp(configId: string): Promise<void> {
        const warm = finishedCount(s.system, 4);
        for (let i = 0; i < 4; i++) await s.system.executions.trigger(configId, { requestedBy: 'test' });
        await warm;
      }

      /** Handlers that wait to be released; counts how many run at once. */
      function gatedHandlers() {
        const gates: Array<() => void> = [];
        const state = { running: 0, most: 0, started: [] as string[] };
        s.setBehaviour(async (context) => {
          state.started.push(context.executionId);
          state.most = Math.max(state.most, ++state.running);
          await new Promise<void>((resolve) => gates.push(resolve));
          state.running--;
          return { summary: 'released' };
        });
        return { state, releaseAll: () => gates.splice(0).forEach((open) => open()) };
      }

      /** Waits (bounded) until the store shows `count` executions of the config in `status`. */
      async function untilStatusCount(configId: string, status: 'running' | 'queued', count: number) {
        for (let turn = 0; turn < 2000; turn++) {
          if ((await s.system.executions.list(configId, { status, limit: 100 })).length === count) return;
          await new Promise((resolve) => setImmediate(resolve));
        }
        throw new Error(`never saw ${count} ${status} executions of ${configId}`);
      }

      /** Waits (bounded) until `count` gated handlers have started: held executions start from the next turn of the event loop. */
      async function untilStarted(state: { started: string[] }, count: number) {
        for (let turn = 0; turn < 2000 && state.started.length < count; turn++) await new Promise((resolve) => setImmediate(resolve));
      }

      const quick = () =>
        scenarioConfig('quick', { cronExpression: '0 0 1 1 *', isEnabled: false }, { limits: { maxConcurrent: 100 } });

      it('holds more than its places while executions are short, runs no more at once than its places, and records when each began', async () => {
        await s.system.configs.create(quick(), actor);
        await s.system.startWorker({ concurrency: 2 });
        await warmUp('quick');
        const { state, releaseAll } = gatedHandlers();
        const claimedAt = s.clock.now().getTime();
        for (let i = 0; i < 12; i++) await s.system.executions.trigger('quick', { requestedBy: 'test' });
        // All twelve are held by the worker (running in the store, under its lease); two run.
        await untilStatusCount('quick', 'running', 12);
        await untilStarted(state, 2);
        expect(state.running).toBe(2);

        await s.clock.advanceBy(5_000);
        const finished = finishedCount(s.system, 12);
        for (let turn = 0; state.started.length < 12 && turn < 100; turn++) {
          releaseAll();
          await new Promise((resolve) => setImmediate(resolve));
        }
        releaseAll();
        const ended = await finished;
        expect(ended.every((e) => e.status === 'success')).toBe(true);
        expect(state.most).toBe(2);
        // The ten that waited began when their handlers did, not when they were claimed.
        const stored = await Promise.all(ended.map((e) => s.system.executions.get(e.id)));
        const late = stored.filter((e) => (e?.startedAt?.getTime() ?? 0) > claimedAt);
        expect(late.length).toBeGreaterThanOrEqual(10);
      });

      it('hands what it holds ahead back to the queue on shutdown, never failing it', async () => {
        await s.system.configs.create(quick(), actor);
        const worker = await s.system.startWorker({ concurrency: 2 });
        await warmUp('quick');
        const { state } = gatedHandlers();
        for (let i = 0; i < 8; i++) await s.system.executions.trigger('quick', { requestedBy: 'test' });
        await untilStatusCount('quick', 'running', 8);
        await untilStarted(state, 2);
        await worker.stop(0);
        expect(state.started).toHaveLength(2);
        const queued = await s.system.executions.list('quick', { status: 'queued', limit: 100 });
        expect(queued).toHaveLength(8);
        expect(queued.every((e) => e.workerId === null && e.error === null)).toBe(true);

        s.setBehaviour(async () => ({ summary: 'next worker' }));
        const finished = finishedCount(s.system, 8);
        await s.system.startWorker({ concurrency: 2 });
        expect((await finished).every((e) => e.status === 'success' && e.summary === 'next worker')).toBe(true);
      });

      it('ends a cancelled execution it holds ahead without running it', async () => {
        await s.system.configs.create(quick(), actor);
        await s.system.startWorker({ concurrency: 1 });
        await warmUp('quick');
        const { state, releaseAll } = gatedHandlers();
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) ids.push((await s.system.executions.trigger('quick', { requestedBy: 'test' })).execution.id);
        await untilStatusCount('quick', 'running', 3);
        const waiting = ids.find((id) => !state.started.includes(id)) as string;
        const cancelled = finishedCount(s.system, 1, (e) => e.id === waiting);
        await s.system.executions.cancel(waiting, 'test');
        expect((await cancelled)[0]).toMatchObject({ status: 'cancelled', error: { message: 'cancelled before it started' } });
        const rest = finishedCount(s.system, 2);
        for (let turn = 0; state.started.length < 2 && turn < 100; turn++) {
          releaseAll();
          await new Promise((resolve) => setImmediate(resolve));
        }
        releaseAll();
        expect((await rest).map((e) => e.status)).toEqual(['success', 'success']);
        expect(state.started).not.toContain(waiting);
      });

      it('runs a config deleted and created again under the same id with its new snapshot', async () => {
        const seen: string[] = [];
        s.setBehaviour(async (context) => {
          seen.push(context.parameters.mode);
        });
        await s.system.configs.create({ ...quick(), payload: { ...quick().payload, parameters: { mode: 'first' } } }, actor);
        await s.system.startWorker({ concurrency: 2 });
        const first = finishedCount(s.system, 1);
        await s.system.executions.trigger('quick', { requestedBy: 'test' });
        await first;
        await s.system.configs.delete('quick', actor);
        await s.clock.advanceBy(1);
        await s.system.configs.create({ ...quick(), payload: { ...quick().payload, parameters: { mode: 'second' } } }, actor);
        const second = finishedCount(s.system, 1);
        await s.system.executions.trigger('quick', { requestedBy: 'test' });
        await second;
        expect(seen).toEqual(['first', 'second']);
      });
    });

    it('on shutdown lets a running execution finish within the grace period', async () => {
      await s.system.configs.create(scenarioConfig('graceful', { cronExpression: '0 0 1 1 *', isEnabled: false }), actor);
      let release!: () => void;
      s.setBehaviour(() => new Promise((resolve) => (release = () => resolve({ summary: 'finished late' }))));
      const worker = await s.system.startWorker({ concurrency: 1 });
      const started = s.system.events.waitFor('execution:started');
      const { execution } = await s.system.executions.trigger('graceful', { requestedBy: 'test' });
      await started;
      const stopping = worker.stop(30_000);
      release();
      await stopping;
      expect(await s.system.executions.get(execution.id)).toMatchObject({ status: 'success', summary: 'finished late' });
    });

    it('on shutdown hands an execution still running after the grace period back to the queue', async () => {
      await s.system.configs.create(scenarioConfig('stubborn', { cronExpression: '0 0 1 1 *', isEnabled: false }), actor);
      let sawAbort = false;
      s.setBehaviour(
        ({ signal }) =>
          new Promise((_, reject) =>
            signal.addEventListener('abort', () => {
              sawAbort = true;
              reject(signal.reason as Error);
            }),
          ),
      );
      const worker = await s.system.startWorker({ concurrency: 1 });
      const started = s.system.events.waitFor('execution:started');
      const { execution } = await s.system.executions.trigger('stubborn', { requestedBy: 'test' });
      await started;
      // 7 s: not a multiple of the heartbeat period, so the grace timer is the only sleeper then.
      const graceEnds = new Date(s.clock.now().getTime() + 7_000);
      const stopping = worker.stop(7_000);
      await s.clock.untilSleeping(graceEnds);
      await s.clock.advanceTo(graceEnds);
      await stopping;
      expect(sawAbort).toBe(true);
      expect(await s.system.executions.get(execution.id)).toMatchObject({ status: 'queued', workerId: null, startedAt: null });

      // Another worker picks it up.
      s.setBehaviour(async () => ({ summary: 'second worker' }));
      const finished = finishedCount(s.system, 1);
      await s.system.startWorker({ concurrency: 1 });
      expect((await finished)[0]).toMatchObject({ id: execution.id, status: 'success', summary: 'second worker' });
    });
  });
}
