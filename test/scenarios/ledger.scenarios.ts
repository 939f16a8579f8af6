import { describe, expect, it } from 'vitest';
import type { SlotLedger } from '../../src/domain/schedule/ledger.js';
import { finishedCount, type Scenario, scenarioConfig, scenariosPerTest } from '../support/engine.js';
import type { SqlFactory } from '../support/test-store.js';

const actor = { actor: 'test' };
const MONDAY = '2026-11-23';
const at = (time: string) => new Date(`${MONDAY}T${time}Z`);
const iso = (time: string) => at(time).toISOString();
const LONG_LEASE_SECONDS = 86_400;
/**
 * Every wake-up here is a config change, a slot or a queued run: no safety-net pass per
 * simulated minute (each a round trip, slow on the embedded store).
 */
const QUIET = { maxSleepMs: Number.POSITIVE_INFINITY };
const QUIET_WORKER = { leaseSeconds: LONG_LEASE_SECONDS, maxIdleMs: Number.POSITIVE_INFINITY };
const EVERY_FIVE = { cronExpression: '*/5 * * * *', misfirePolicy: 'skip', overlapPolicy: 'skip' };

/** "10:05 ran" per slot. */
const fates = (ledger: SlotLedger) => ledger.slots.map((s) => `${s.at.slice(11, 16)} ${s.fate}`);

/** Moves the clock to a slot and waits for its execution to finish (one step at a time: a store's round trips take real time). */
async function runSlot(s: Scenario, time: string): Promise<void> {
  const done = finishedCount(s.system, 1, (e) => e.slot?.getTime() === at(time).getTime());
  await s.clock.advanceTo(at(time));
  await done;
}

/** Moves the clock to a UTC instant and waits for the slot there (of `configId`, or any) to finish. */
async function runAt(s: Scenario, instant: string, configId?: string): Promise<void> {
  const slot = new Date(instant).getTime();
  const done = finishedCount(s.system, 1, (e) => e.slot?.getTime() === slot && (configId === undefined || e.configId === configId));
  await s.clock.advanceTo(instant);
  await done;
}

/** Resolves after `count` events of a kind (counting from now). */
function events<K extends 'slot:missed' | 'slot:claimed' | 'slot:skipped'>(s: Scenario, kind: K, count: number): Promise<void> {
  let seen = 0;
  return new Promise((resolve) => {
    if (count === 0) return resolve();
    const off = s.system.events.on(kind, () => {
      if (++seen < count) return;
      off();
      resolve();
    });
  });
}

/** Each slot's fate in the ledger equals what happened, on a FakeClock. */
export function runLedgerScenarios(factory: SqlFactory): void {
  describe(`slot ledger scenarios on ${factory.name}`, () => {
    const { scenario } = scenariosPerTest(factory, `${MONDAY}T10:00:00Z`);

    it('tells runs, a pause with an end, and a switch-off apart', async () => {
      const s = scenario();
      await s.system.configs.create(scenarioConfig('five', EVERY_FIVE), actor);
      await s.system.startScheduler(QUIET);
      await s.system.startWorker(QUIET_WORKER);
      await runSlot(s, '10:05');
      await runSlot(s, '10:10');
      await s.clock.advanceTo(at('10:11'));
      await s.system.configs.pause('five', { reason: 'supplier maintenance', until: '2026-11-23T10:22:00Z' }, 'cli:ops');
      const resumed = s.system.events.waitFor('config:resumed');
      await s.clock.advanceTo(at('10:22'));
      await resumed;
      await runSlot(s, '10:25');
      await runSlot(s, '10:30');
      await s.clock.advanceTo(at('10:31'));
      await s.system.configs.setEnabled('five', false, { actor: 'cli:alice' });
      await s.clock.advanceTo(at('10:41'));
      await s.system.configs.setEnabled('five', true, { actor: 'cli:alice' });
      await runSlot(s, '10:45');
      await s.clock.advanceTo(at('10:46'));
      const ledger = await s.system.slots.ledger('five', { from: iso('09:55'), until: iso('10:55') });
      expect(fates(ledger)).toEqual([
        '09:55 before-created',
        '10:00 before-created',
        '10:05 ran',
        '10:10 ran',
        '10:15 paused',
        '10:20 paused',
        '10:25 ran',
        '10:30 ran',
        '10:35 disabled',
        '10:40 disabled',
        '10:45 ran',
        '10:50 upcoming',
        '10:55 upcoming',
      ]);
      const paused = ledger.slots[4];
      expect(paused?.pause).toMatchObject({ reason: 'supplier maintenance', by: 'cli:ops', until: iso('10:22'), endedAt: iso('10:22') });
      expect(ledger.slots[8]?.switchedOff).toMatchObject({ version: 2, by: 'cli:alice' });
      expect(ledger.slots[2]?.execution).toMatchObject({ status: 'success', trigger: 'schedule', attempts: 1, lagMs: 0 });
    });

    it('explains a spring-forward day: the 02:30 that does not exist ran at 03:00 EDT, once', async () => {
      const s = scenario('2026-03-08T05:00:00Z');
      await s.system.configs.create(scenarioConfig('nightly', { cronExpression: '30 2 * * *', timezone: 'America/New_York' }), actor);
      await s.system.startScheduler(QUIET);
      await s.system.startWorker(QUIET_WORKER);
      await runAt(s, '2026-03-08T07:00:00Z');
      await runAt(s, '2026-03-09T06:30:00Z');
      await s.clock.advanceTo('2026-03-09T12:00:00Z');

      const ledger = await s.system.slots.ledger('nightly', { from: '2026-03-07T00:00:00Z', until: '2026-03-10T00:00:00Z' });
      expect(ledger.slots.map((x) => `${x.wallClock} ${x.fate}`)).toEqual([
        '2026-03-07T02:30:00-05:00 before-created',
        '2026-03-08T03:00:00-04:00 ran',
        '2026-03-09T02:30:00-04:00 ran',
      ]);
      expect(ledger.slots[1]?.dst).toEqual({ date: '2026-03-08', wallClock: '02:30:00', rule: 'gap-runs-after' });
      expect(ledger.dst).toMatchObject([{ date: '2026-03-08', wallClock: '02:30:00', rule: 'gap-runs-after', timezone: 'America/New_York' }]);

      const gap = await s.system.slots.explain('nightly', '2026-03-08T02:30');
      const id = ledger.slots[1]?.execution?.id.slice(0, 8);
      expect(gap.sentence).toBe(
        `At 2026-03-08 02:30 America/New_York there was no slot: that wall-clock time does not exist (clocks went 02:00 → 03:00); the 02:30 slot ran at 2026-03-08 03:00 EDT (07:00 UTC) as execution ${id}… (success, 0 ms).`,
      );
      const instant = await s.system.slots.explain('nightly', '2026-03-08T07:00:00Z');
      expect(instant.sentence).toBe(
        `At 2026-03-08 03:00 EDT (07:00 UTC) in America/New_York there was a slot; it stands for the 02:30 wall time, which does not exist that day: it ran at 2026-03-08 03:00 EDT (07:00 UTC) as execution ${id}… (success, 0 ms).`,
      );
    });

    it('explains a fall-back day: a fixed time runs at the first 01:30, an interval schedule at both', async () => {
      const s = scenario('2026-11-01T04:00:00Z');
      await s.system.configs.create(scenarioConfig('once', { cronExpression: '30 1 * * *', timezone: 'America/New_York' }), actor);
      await s.system.configs.create(scenarioConfig('half-hourly', { cronExpression: '*/30 1 * * *', timezone: 'America/New_York' }), actor);
      await s.system.startScheduler(QUIET);
      await s.system.startWorker({ ...QUIET_WORKER, concurrency: 2 });
      await runAt(s, '2026-11-01T05:00:00Z', 'half-hourly');
      for (const [time, count] of [['2026-11-01T05:30:00Z', 2], ['2026-11-01T06:00:00Z', 1], ['2026-11-01T06:30:00Z', 1]] as const) {
        const done = finishedCount(s.system, count, (e) => e.slot?.getTime() === new Date(time).getTime());
        await s.clock.advanceTo(time);
        await done;
      }
      await s.clock.advanceTo('2026-11-01T12:00:00Z');

      const once = await s.system.slots.ledger('once', { from: '2026-11-01T04:00:00Z', until: '2026-11-01T08:00:00Z' });
      expect(once.slots.map((x) => `${x.wallClock} ${x.fate} ${x.dst?.rule ?? ''}`)).toEqual(['2026-11-01T01:30:00-04:00 ran doubled-runs-once']);
      const twice = await s.system.slots.ledger('half-hourly', { from: '2026-11-01T04:00:00Z', until: '2026-11-01T08:00:00Z' });
      expect(twice.slots.map((x) => `${x.wallClock} ${x.fate} ${x.dst?.occurrence ?? ''}`)).toEqual([
        '2026-11-01T01:00:00-04:00 ran first',
        '2026-11-01T01:30:00-04:00 ran first',
        '2026-11-01T01:00:00-05:00 ran second',
        '2026-11-01T01:30:00-05:00 ran second',
      ]);

      const doubled = await s.system.slots.explain('once', '2026-11-01T01:30');
      const id = once.slots[0]?.execution?.id.slice(0, 8);
      expect(doubled.sentence).toBe(
        `At 2026-11-01 01:30 America/New_York: that wall-clock time happened twice, at 2026-11-01 01:30 EDT (05:30 UTC) and at 2026-11-01 01:30 EST (06:30 UTC); the schedule runs once, at the first: the slot ran at 2026-11-01 01:30 EDT (05:30 UTC) as execution ${id}… (success, 0 ms).`,
      );
      const both2 = await s.system.slots.explain('half-hourly', '2026-11-01T01:30');
      expect(both2.sentence).toMatch(/^At 2026-11-01 01:30 America\/New_York: that wall-clock time happened twice, .*; an interval schedule runs at both: the first ran at 2026-11-01 01:30 EDT \(05:30 UTC\) .*, and the second ran at 2026-11-01 01:30 EST \(06:30 UTC\) .*\.$/);
    });

    it.each([
      { policy: 'skip', expected: ['10:10 missed', '10:15 missed', '10:20 missed', '10:25 missed', '10:30 missed'] },
      { policy: 'run-once', expected: ['10:10 missed', '10:15 missed', '10:20 missed', '10:25 missed', '10:30 caught-up'] },
      { policy: 'run-all', expected: ['10:10 caught-up', '10:15 caught-up', '10:20 caught-up', '10:25 caught-up', '10:30 caught-up'] },
    ])('shows an outage under misfire policy $policy as it was decided', async ({ policy, expected }) => {
      const s = scenario();
      await s.system.configs.create(scenarioConfig('five', { ...EVERY_FIVE, misfirePolicy: policy, overlapPolicy: 'queue', catchupWindowSeconds: 86_400 }), actor);
      const scheduler = await s.system.startScheduler(QUIET);
      await s.system.startWorker(QUIET_WORKER);
      await runSlot(s, '10:05');
      await scheduler.stop();
      await s.clock.advanceTo(at('10:32'));
      const caughtUp = expected.filter((e) => e.endsWith('caught-up')).length;
      const decided = Promise.all([events(s, 'slot:missed', 5 - caughtUp), finishedCount(s.system, caughtUp)]);
      await s.system.startScheduler(QUIET);
      await decided;

      const ledger = await s.system.slots.ledger('five', { from: iso('10:05'), until: iso('10:35') });
      expect(fates(ledger)).toEqual(['10:05 ran', ...expected, '10:35 upcoming']);
      if (policy === 'skip') {
        const missed = await s.system.slots.explain('five', iso('10:15'));
        expect(missed.sentence).toMatch(
          /^At 2026-11-23 10:15 UTC there was a slot: it was missed: no scheduler claimed it in time, and the misfire policy skip ran nothing for it \(recorded in execution [0-9a-f]{8}…\)\.$/,
        );
      }
      if (policy === 'run-once') expect(ledger.slots[5]?.execution).toMatchObject({ status: 'success', lagMs: 120_000 });
    });

    it('shows a slot skipped for overlap with the execution that was still running', async () => {
      const s = scenario();
      await s.system.configs.create(scenarioConfig('slow', EVERY_FIVE), actor);
      let release = () => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      s.setBehaviour(async () => {
        await held;
        return { summary: 'slow' };
      });
      await s.system.startScheduler(QUIET);
      await s.system.startWorker(QUIET_WORKER);
      const started = s.system.events.waitFor('execution:started');
      await s.clock.advanceTo(at('10:05'));
      const running = await started;
      const skipped = events(s, 'slot:skipped', 1);
      await s.clock.advanceTo(at('10:10'));
      await skipped;
      const ledger = await s.system.slots.ledger('slow', { from: iso('10:05'), until: iso('10:10') });
      expect(fates(ledger)).toEqual(['10:05 running', '10:10 skipped-overlap']);
      expect(ledger.slots[1]?.overlap?.active).toEqual([running.id]);
      expect(ledger.slots[1]?.phrase).toContain(`(${running.id.slice(0, 8)}…) and its overlap policy is skip`);
      const done = finishedCount(s.system, 1);
      release();
      await done;
    });

    it('explains a slot while the schedule was switched off, with the version and who', async () => {
      const s = scenario();
      await s.system.configs.create(scenarioConfig('five', EVERY_FIVE), actor);
      await s.system.startScheduler(QUIET);
      await s.clock.advanceTo(at('10:02'));
      await s.system.configs.setEnabled('five', false, { actor: 'cli:alice' });
      await s.clock.advanceTo(at('10:12'));
      const off = await s.system.slots.explain('five', iso('10:05'));
      expect(off.sentence).toBe('At 2026-11-23 10:05 UTC there was a slot: it did not run: the schedule was switched off (version 2, by cli:alice, 2026-11-23 10:02 UTC).');
      const upcoming = await s.system.slots.ledger('five', { from: iso('10:10'), until: iso('10:20') });
      expect(fates(upcoming)).toEqual(['10:10 disabled', '10:15 disabled', '10:20 disabled']);
    });

    it('explains each slot by the cron in force at it when the cron is edited mid-day', async () => {
      const s = scenario();
      await s.system.configs.create(scenarioConfig('hourly', { cronExpression: '0 * * * *', misfirePolicy: 'skip' }), actor);
      await s.system.startScheduler(QUIET);
      await s.system.startWorker(QUIET_WORKER);
      await runSlot(s, '11:00');
      await runSlot(s, '12:00');
      await s.clock.advanceTo(at('12:10'));
      await s.system.configs.patch('hourly', { payload: { schedule: { cronExpression: '30 * * * *' } } }, { actor: 'cli:bob' });
      await runSlot(s, '12:30');
      await runSlot(s, '13:30');
      await s.clock.advanceTo(at('13:40'));
      const ledger = await s.system.slots.ledger('hourly', { from: iso('09:30'), until: iso('14:30') });
      expect(ledger.slots.map((x) => `${x.at.slice(11, 16)} ${x.fate} v${x.version}`)).toEqual([
        '10:00 before-created vnull',
        '11:00 ran v1',
        '12:00 ran v1',
        '12:30 ran v2',
        '13:30 ran v2',
        '14:30 upcoming v2',
      ]);
    });

    it('backfills missed slots once: a second backfill adds nothing, and the ledger shows them backfilled', async () => {
      const s = scenario();
      await s.system.configs.create(scenarioConfig('five', { ...EVERY_FIVE, overlapPolicy: 'queue' }), actor);
      const scheduler = await s.system.startScheduler(QUIET);
      await s.system.startWorker(QUIET_WORKER);
      await runSlot(s, '10:05');
      await scheduler.stop();
      await s.clock.advanceTo(at('10:22'));
      const missed = events(s, 'slot:missed', 3);
      await s.system.startScheduler(QUIET);
      await missed;

      const ran = finishedCount(s.system, 3);
      const first = await s.system.slots.backfill('five', { from: iso('10:00'), until: iso('10:20') }, 'cli:ops');
      expect(first.slots.map((x) => `${x.at.slice(11, 16)} ${x.fate} ${x.outcome}`)).toEqual(['10:10 missed queued', '10:15 missed queued', '10:20 missed queued']);
      expect(first.passed).toEqual({ 'before-created': 1, ran: 1 });
      expect((await ran).map((e) => `${e.slot?.toISOString().slice(11, 16)} ${e.trigger} ${e.status}`).sort()).toEqual([
        '10:10 backfill success',
        '10:15 backfill success',
        '10:20 backfill success',
      ]);
      const second = await s.system.slots.backfill('five', { from: iso('10:00'), until: iso('10:20') }, 'cli:ops');
      expect(second.slots).toEqual([]);
      expect(second.passed).toEqual({ 'before-created': 1, ran: 1, backfilled: 3 });

      const ledger = await s.system.slots.ledger('five', { from: iso('10:05'), until: iso('10:25') });
      expect(fates(ledger)).toEqual(['10:05 ran', '10:10 backfilled', '10:15 backfilled', '10:20 backfilled', '10:25 upcoming']);
      expect(ledger.slots[1]?.claim?.decision).toBe('missed');
      expect(ledger.slots[1]?.phrase).toMatch(/^was run by a backfill of cli:ops as execution [0-9a-f]{8}… \(success, 0 ms\)$/);
    });

    it('shows the pause after consecutive failures with its reason, and lists manual runs beside the slots', async () => {
      const s = scenario();
      await s.system.configs.create(scenarioConfig('fragile', EVERY_FIVE, { notifications: { pauseAfterConsecutiveFailures: 2 } }), actor);
      s.setBehaviour(async () => {
        throw new Error('still broken');
      });
      await s.system.startScheduler(QUIET);
      await s.system.startWorker(QUIET_WORKER);
      const paused = s.system.events.waitFor('config:paused');
      await runSlot(s, '10:05');
      await runSlot(s, '10:10');
      await paused;
      await s.clock.advanceTo(at('10:12'));
      s.setBehaviour(async () => ({ summary: 'by hand' }));
      const manual = finishedCount(s.system, 1);
      await s.system.executions.trigger('fragile', { requestedBy: 'cli:ops' });
      await manual;
      await s.clock.advanceTo(at('10:21'));
      const ledger = await s.system.slots.ledger('fragile', { from: iso('10:05'), until: iso('10:20') });
      expect(fates(ledger)).toEqual(['10:05 ran', '10:10 ran', '10:15 paused', '10:20 paused']);
      expect(ledger.slots[2]?.pause).toMatchObject({ reason: 'paused after 2 consecutive failures', by: 'grove-jobs', endedAt: null });
      expect(ledger.manual.map((m) => `${m.at.slice(11, 16)} ${m.trigger} ${m.status} ${m.requestedBy}`)).toEqual(['10:12 manual success cli:ops']);
    });
  });
}
