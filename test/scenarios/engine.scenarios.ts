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
  });
}
