import { describe, expect, it } from 'vitest';
import type { EngineEventMap } from '../../src/engine/events.js';
import type { ExecutionRecord } from '../../src/engine/ports.js';
import { finishedCount, scenarioConfig, scenariosPerTest } from '../support/engine.js';
import type { SqlFactory } from '../support/test-store.js';

const actor = { actor: 'test' };
const MONDAY = '2026-11-23';
const at = (time: string) => new Date(`${MONDAY}T${time}Z`);
const hhmm = (instant: Date | null) => instant?.toISOString().slice(11, 16) ?? 'none';
/** A lease far longer than any clock jump here (heartbeats renew at the pace of real work). */
const LONG_LEASE_SECONDS = 86_400;
/** Every 5 minutes; run-all with a wide window, so that any slot treated as a misfire would be caught up. */
const EVERY_FIVE = { cronExpression: '*/5 * * * *', misfirePolicy: 'run-all', catchupWindowSeconds: 86_400, overlapPolicy: 'queue' };

/** One line per execution: slot, trigger and status, by slot. */
const historyLines = (history: readonly ExecutionRecord[]) => history.map((e) => `${hhmm(e.slot)} ${e.trigger} ${e.status}`).sort();

/** Pauses by hand (with and without an end), resume, and resuming a pause after failures, on a FakeClock. */
export function runPauseScenarios(factory: SqlFactory): void {
  describe(`pause scenarios on ${factory.name}`, () => {
    const { scenario } = scenariosPerTest(factory, `${MONDAY}T10:00:00Z`);

    it('runs no slot while a config is paused, and none of them after it is resumed', async () => {
      const s = scenario();
      await s.system.configs.create(scenarioConfig('hourly-ish', EVERY_FIVE), actor);
      await s.system.startScheduler();
      await s.system.startWorker({ leaseSeconds: LONG_LEASE_SECONDS });
      const claimed: Array<EngineEventMap['slot:claimed']> = [];
      s.system.events.on('slot:claimed', (e) => claimed.push(e));

      const paused = await s.system.configs.pause('hourly-ish', { reason: 'database upgrade' }, 'cli:ops');
      expect(paused).toMatchObject({ pausedAt: at('10:00'), pausedReason: 'database upgrade', pausedBy: 'cli:ops', pausedUntil: null });
      expect(paused.config.payload.schedule.isEnabled).toBe(true);
      await s.clock.advanceTo(at('10:32'));
      expect(claimed).toEqual([]);

      const resumed = s.system.events.waitFor('config:resumed');
      const { resumed: ended, overview } = await s.system.configs.resume('hourly-ish', 'cli:ops');
      expect(ended).toBe(true);
      expect(overview).toMatchObject({ pausedAt: null, pausedReason: null, pausedBy: null, pausedUntil: null });
      expect(await resumed).toEqual({ configId: 'hourly-ish', at: at('10:32'), by: 'cli:ops' });

      const next = finishedCount(s.system, 1);
      await s.clock.advanceTo(at('10:35'));
      expect((await next)[0]).toMatchObject({ slot: at('10:35'), status: 'success' });
      expect(claimed.map((e) => `${hhmm(e.slot)} ${e.decision}`)).toEqual(['10:35 run']);
      expect(historyLines(await s.system.executions.list('hourly-ish', { limit: 100 }))).toEqual(['10:35 schedule success']);
    });

    it('ends a pause with an end by itself at that instant: the next slot after it runs, none in between ran or is caught up', async () => {
      const s = scenario();
      await s.system.configs.create(scenarioConfig('every-five', EVERY_FIVE), actor);
      await s.system.startScheduler();
      await s.system.startWorker({ leaseSeconds: LONG_LEASE_SECONDS });
      const claimed: Array<EngineEventMap['slot:claimed']> = [];
      s.system.events.on('slot:claimed', (e) => claimed.push(e));

      await s.clock.advanceTo(at('10:01'));
      const paused = await s.system.configs.pause('every-five', { reason: 'supplier maintenance', until: '2026-11-23T10:12:00Z' }, 'api:ops');
      expect(paused).toMatchObject({ pausedAt: at('10:01'), pausedUntil: at('10:12'), pausedBy: 'api:ops' });

      let endedAt: Date | undefined;
      const resumed = s.system.events.waitFor('config:resumed');
      s.system.events.on('config:resumed', () => (endedAt ??= s.clock.now()));
      // The scheduler wakes for the pause's end (no slot falls on it), not at the next slot.
      await s.clock.advanceTo(at('10:12'));
      expect(await resumed).toEqual({ configId: 'every-five', at: at('10:12'), by: null });
      expect(endedAt).toEqual(at('10:12'));
      expect(claimed).toEqual([]);
      const next = finishedCount(s.system, 1);
      await s.clock.advanceTo(at('10:15'));
      expect((await next)[0]).toMatchObject({ slot: at('10:15'), status: 'success' });
      expect(claimed.map((e) => `${hhmm(e.slot)} ${e.decision} ${e.lateMs}`)).toEqual(['10:15 run 0']);
      expect(await s.system.store.getScheduleState('every-five')).toMatchObject({ pausedAt: null, pausedUntil: null, pausedBy: null });
      expect(historyLines(await s.system.executions.list('every-five', { limit: 100 }))).toEqual(['10:15 schedule success']);
    });

    it('runs a slot that falls exactly on the end of a pause, on time', async () => {
      const s = scenario();
      await s.system.configs.create(scenarioConfig('on-the-end', EVERY_FIVE), actor);
      await s.system.startScheduler();
      await s.system.startWorker({ leaseSeconds: LONG_LEASE_SECONDS });
      await s.system.configs.pause('on-the-end', { reason: 'short window', until: '2026-11-23T10:10:00Z' }, 'cli:ops');
      const claimed: Array<EngineEventMap['slot:claimed']> = [];
      s.system.events.on('slot:claimed', (e) => claimed.push(e));

      const next = finishedCount(s.system, 1);
      await s.clock.advanceTo(at('10:10'));
      expect((await next)[0]).toMatchObject({ slot: at('10:10'), status: 'success', startedAt: at('10:10') });
      expect(claimed.map((e) => `${hhmm(e.slot)} ${e.decision}`)).toEqual(['10:10 run']);
      expect(historyLines(await s.system.executions.list('on-the-end', { limit: 100 }))).toEqual(['10:10 schedule success']);
    });

    it('keeps a pause when a new pause replaces it before its end, and when the cron changes', async () => {
      const s = scenario();
      await s.system.configs.create(scenarioConfig('re-paused', EVERY_FIVE), actor);
      await s.system.startScheduler();
      await s.system.startWorker({ leaseSeconds: LONG_LEASE_SECONDS });
      await s.system.configs.pause('re-paused', { reason: 'first', until: '2026-11-23T10:07:00Z' }, 'cli:a');
      await s.system.configs.pause('re-paused', { reason: 'longer', until: '2026-11-23T10:22:00Z' }, 'cli:b');
      await s.system.configs.patch('re-paused', { payload: { schedule: { cronExpression: '*/10 * * * *' } } }, actor);
      expect(await s.system.store.getScheduleState('re-paused')).toMatchObject({ pausedReason: 'longer', pausedUntil: at('10:22'), pausedBy: 'cli:b' });

      const next = finishedCount(s.system, 1);
      await s.clock.advanceTo(at('10:30'));
      expect((await next)[0]).toMatchObject({ slot: at('10:30'), status: 'success' });
      expect(historyLines(await s.system.executions.list('re-paused', { limit: 100 }))).toEqual(['10:30 schedule success']);
    });

    it('resumes a pause after consecutive failures: the schedule is switched on again and the next slot runs', async () => {
      const s = scenario();
      await s.system.configs.create(scenarioConfig('fragile', EVERY_FIVE, { notifications: { pauseAfterConsecutiveFailures: 2 } }), actor);
      let failing = true;
      s.setBehaviour(async () => {
        if (failing) throw new Error('still broken');
        return { summary: 'fixed' };
      });
      await s.system.startScheduler();
      await s.system.startWorker({ leaseSeconds: LONG_LEASE_SECONDS });

      const paused = s.system.events.waitFor('config:paused');
      await s.clock.advanceTo(at('10:10'));
      expect(await paused).toEqual({ configId: 'fragile', consecutiveFailures: 2 });
      const overview = await s.system.configs.overview('fragile');
      expect(overview).toMatchObject({ pausedAt: at('10:10'), pausedReason: 'paused after 2 consecutive failures', pausedBy: 'grove-jobs', pausedUntil: null });
      expect(overview.config.payload.schedule.isEnabled).toBe(false);

      await s.clock.advanceTo(at('10:22'));
      failing = false;
      const { resumed, overview: after } = await s.system.configs.resume('fragile', 'cli:ops');
      expect(resumed).toBe(true);
      expect(after).toMatchObject({ pausedAt: null, pausedBy: null, consecutiveFailures: 0 });
      expect(after.config.payload.schedule.isEnabled).toBe(true);
      expect(after.config.meta.updatedBy).toBe('cli:ops');

      const next = finishedCount(s.system, 1);
      await s.clock.advanceTo(at('10:25'));
      expect((await next)[0]).toMatchObject({ slot: at('10:25'), status: 'success' });
      expect(historyLines(await s.system.executions.list('fragile', { limit: 100 }))).toEqual([
        '10:05 schedule failed',
        '10:10 schedule failed',
        '10:25 schedule success',
      ]);
    });

    it('answers resume of a config that is not paused with nothing changed', async () => {
      const s = scenario();
      await s.system.configs.create(scenarioConfig('steady', EVERY_FIVE), actor);
      const { resumed, overview } = await s.system.configs.resume('steady', 'cli:ops');
      expect(resumed).toBe(false);
      expect(overview.config.meta.version).toBe(1);
    });
  });
}
