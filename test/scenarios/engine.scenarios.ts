import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqlFactory } from '../support/test-store.js';
import { finishedCount, makeScenario, type Scenario, scenarioConfig } from '../support/engine.js';

const actor = { actor: 'test' };

/** Engine scenarios on a FakeClock, run unchanged on every driver. */
export function runEngineScenarios(factory: SqlFactory): void {
  describe(`engine scenarios on ${factory.name}`, () => {
    let s: Scenario;
    beforeEach(async () => {
      s = makeScenario(await factory.make());
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
