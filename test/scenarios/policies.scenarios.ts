import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GroveJobs } from '../../src/app.js';
import type { MisfirePolicy } from '../../src/domain/config/index.js';
import { nextSlots } from '../../src/domain/schedule/index.js';
import type { EngineEventMap } from '../../src/engine/events.js';
import { type ExecutionRecord, type Notification, NotificationKind } from '../../src/engine/ports.js';
import type { Sql } from '../../src/store/sql.js';
import { finishedCount, makeScenario, type Scenario, scenarioConfig } from '../support/engine.js';
import type { SqlFactory } from '../support/test-store.js';

const actor = { actor: 'test' };
const MONDAY = '2026-11-23';
const at = (time: string) => new Date(`${MONDAY}T${time}Z`);
/** `HH:MM` of an instant, for readable expectations on one day. */
const hhmm = (instant: Date | null) => instant?.toISOString().slice(11, 16) ?? 'none';
/** `HH:MM:SS` of an instant. */
const hhmmss = (instant: Date | null) => instant?.toISOString().slice(11, 19) ?? 'none';
/**
 * A lease far longer than any clock jump in these tests. The FakeClock moves in jumps while
 * heartbeats renew at the pace of real work, so a lease shorter than a jump would let the
 * reaper end a live execution as "worker lost" — which only the lost-worker test wants.
 */
const LONG_LEASE_SECONDS = 86_400;

/** A promise the test resolves when it wants a blocked handler to go on. */
function gate(): { open: () => void; opened: Promise<void> } {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/** What a handler that never finishes awaits. */
const never = () => new Promise<never>(() => undefined);

/** A handler that waits until its execution is aborted, then fails with the abort reason. */
const untilAborted = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });

/** Resolves with the next notification of `kind` the system's notifier is handed. */
function nextNotification(system: GroveJobs, kind: NotificationKind): Promise<Notification> {
  const notifier = system.notifier;
  const deliver = notifier.notify;
  return new Promise((resolve) => {
    notifier.notify = (notification) => {
      deliver.call(notifier, notification);
      if (notification.kind !== kind) return;
      notifier.notify = deliver;
      resolve(notification);
    };
  });
}

type SlotEvent =
  | { kind: 'claimed'; payload: EngineEventMap['slot:claimed'] }
  | { kind: 'missed'; payload: EngineEventMap['slot:missed'] }
  | { kind: 'skipped'; payload: EngineEventMap['slot:skipped'] };

/** Resolves with the next `count` scheduler decisions (claimed, missed or skipped slots), in order. */
function slotDecisions(system: GroveJobs, count: number): Promise<SlotEvent[]> {
  const seen: SlotEvent[] = [];
  return new Promise((resolve) => {
    const offs: Array<() => void> = [];
    const add = (event: SlotEvent) => {
      seen.push(event);
      if (seen.length < count) return;
      for (const off of offs) off();
      resolve(seen);
    };
    offs.push(system.events.on('slot:claimed', (payload) => add({ kind: 'claimed', payload })));
    offs.push(system.events.on('slot:missed', (payload) => add({ kind: 'missed', payload })));
    offs.push(system.events.on('slot:skipped', (payload) => add({ kind: 'skipped', payload })));
  });
}

/** One line per execution: slot, trigger, status and, for skipped ones, why. Sorted by slot. */
function historyLines(history: readonly ExecutionRecord[]): string[] {
  return history
    .map((e) => {
      const reason = (e.result as { reason?: string } | null)?.reason;
      return `${hhmm(e.slot)} ${e.trigger} ${e.status}${e.status === 'skipped' ? ` (${reason ?? '?'})` : ''}`;
    })
    .sort();
}

/** Engine policies (timeouts, retries, misfires, overlap, manual runs, cancel, pause, leases, jitter) on a FakeClock, on every driver. */
export function runPolicyScenarios(factory: SqlFactory): void {
  describe(`policy scenarios on ${factory.name}`, () => {
    let sql: Sql;
    const opened: Scenario[] = [];

    /** A system on its own FakeClock; several over the same `on` Sql act as several processes. */
    const scenario = (start = `${MONDAY}T10:00:00Z`, on: Sql = sql): Scenario => {
      const made = makeScenario(on, start);
      opened.push(made);
      return made;
    };
    /** Runs the slot at `time` on time, then stops the scheduler: it is down from then on. */
    const runSlotThenStop = async (s: Scenario, time: string) => {
      const before = await s.system.startScheduler();
      const onTime = finishedCount(s.system, 1);
      await s.clock.advanceTo(at(time));
      await onTime;
      await before.stop();
    };
    /** Another connection to this test's schema, as a second process would open. */
    const sameDatabase = () => factory.make(sql.schema);

    beforeEach(async () => {
      sql = await factory.make();
    });
    afterEach(async () => {
      for (const made of opened.splice(0).reverse()) await made.system.close({ graceMs: 0 });
    });
    afterAll(() => factory.dispose());

    describe('timeout', () => {
      it('ends a handler that ignores its signal as timeout once timeoutSeconds have passed', async () => {
        const s = scenario();
        await s.system.configs.create(scenarioConfig('stubborn', { cronExpression: '0 0 * * *', isEnabled: false }, { limits: { timeoutSeconds: 60 } }), actor);
        let signalledAt: Date | undefined;
        s.setBehaviour((context) => {
          context.signal.addEventListener('abort', () => (signalledAt = context.now()), { once: true });
          return never();
        });
        await s.system.startWorker({ leaseSeconds: LONG_LEASE_SECONDS });
        const started = s.system.events.waitFor('execution:started');
        const { execution } = await s.system.executions.trigger('stubborn', { requestedBy: 'test' });
        await started;

        await s.clock.advanceBy(59_000);
        expect((await s.system.executions.get(execution.id)).status).toBe('running');

        const finished = finishedCount(s.system, 1);
        await s.clock.advanceBy(1_000);
        const [ended] = await finished;
        expect(ended).toMatchObject({ id: execution.id, status: 'timeout', durationMs: 60_000, error: { code: 'TIMEOUT' } });
        expect(signalledAt).toEqual(at('10:01:00'));
        expect(await s.system.executions.get(execution.id)).toMatchObject({ status: 'timeout', error: { code: 'TIMEOUT' } });
      });
    });

    describe('retry', () => {
      const policies = [
        { name: 'exponential (60 s doubling, cap 300 s)', retry: { backoffStrategy: 'exponential', initialDelaySeconds: 60, maxDelaySeconds: 300, maxAttempts: 4 }, delays: [60, 120, 240] },
        { name: 'exponential up to its cap', retry: { backoffStrategy: 'exponential', initialDelaySeconds: 60, maxDelaySeconds: 300, maxAttempts: 5 }, delays: [60, 120, 240, 300] },
        { name: 'fixed (45 s)', retry: { backoffStrategy: 'fixed', initialDelaySeconds: 45, maxDelaySeconds: 45, maxAttempts: 4 }, delays: [45, 45, 45] },
      ];

      for (const { name, retry, delays } of policies) {
        it(`queues each retry of a failing run after the ${name} delay, linked to the first attempt, and gives up after maxAttempts`, async () => {
          const s = scenario();
          await s.system.configs.create(scenarioConfig('flaky', { cronExpression: '0 0 * * *', isEnabled: false }, { retry }), actor);
          s.setBehaviour(async () => {
            throw new Error('the upstream is down');
          });
          await s.system.startWorker({ leaseSeconds: LONG_LEASE_SECONDS });
          const gaveUp = nextNotification(s.system, NotificationKind.Failure);

          const firstDone = finishedCount(s.system, 1);
          let nextRetry = s.system.events.waitFor('execution:queued', (e) => e.trigger === 'retry' && e.attempt === 2);
          const { execution: first } = await s.system.executions.trigger('flaky', { requestedBy: 'test' });
          const attempts = await firstDone;
          expect(attempts[0]).toMatchObject({ id: first.id, status: 'failed', attempt: 1, runId: first.id, retryOf: null });

          for (const [index, delaySeconds] of delays.entries()) {
            const attempt = index + 2;
            const previous = attempts[attempts.length - 1] as ExecutionRecord;
            const queued = await nextRetry;
            expect(queued).toMatchObject({ status: 'queued', trigger: 'retry', attempt, runId: first.id, retryOf: previous.id });
            expect(queued.runAfter.getTime() - (previous.finishedAt as Date).getTime()).toBe(delaySeconds * 1000);

            await s.clock.advanceTo(new Date(queued.runAfter.getTime() - 1000));
            expect((await s.system.executions.get(queued.id)).status).toBe('queued');

            const done = finishedCount(s.system, 1, (e) => e.id === queued.id);
            if (attempt < retry.maxAttempts) nextRetry = s.system.events.waitFor('execution:queued', (e) => e.trigger === 'retry' && e.attempt === attempt + 1);
            await s.clock.advanceTo(queued.runAfter);
            const [ended] = await done;
            expect(ended).toMatchObject({ status: 'failed', attempt, startedAt: queued.runAfter });
            attempts.push(ended as ExecutionRecord);
          }

          // The run's failure is reported once, after the last attempt, when no retry was queued.
          const notification = await gaveUp;
          expect(notification.execution).toMatchObject({ id: attempts[attempts.length - 1]?.id, attempt: retry.maxAttempts });
          // Twice the longest delay (300 s): a further attempt would have been queued and run by
          // then. (A simulated day costs an idle worker's pass every 5 s: 17,280 of them.)
          await s.clock.advanceBy(600_000);
          const history = await s.system.executions.list('flaky', { limit: 100 });
          expect(history).toHaveLength(retry.maxAttempts);
          expect(history.map((e) => e.attempt).sort()).toEqual(attempts.map((e) => e.attempt));
          expect(history.every((e) => e.runId === first.id && e.status === 'failed')).toBe(true);
        });
      }
    });

    describe('misfire after an outage of an hourly config (10:00 ran, then the scheduler was down)', () => {
      const ran = (slot: string) => `${slot} schedule success`;
      const missed = (slot: string) => `${slot} schedule skipped (missed)`;
      const cases: Array<{
        policy: MisfirePolicy;
        catchupWindowSeconds: number;
        overlapPolicy: 'skip' | 'queue';
        /** When the scheduler comes back; the latest slot, claimed within its grace (60 s here), still runs on time. */
        backAt: string;
        expected: string[];
      }> = [
        { policy: 'run-once', catchupWindowSeconds: 7200, overlapPolicy: 'skip', backAt: '13:30', expected: [missed('11:00'), missed('12:00'), ran('13:00')] },
        { policy: 'run-once', catchupWindowSeconds: 1200, overlapPolicy: 'skip', backAt: '13:30', expected: [missed('11:00'), missed('12:00'), missed('13:00')] },
        { policy: 'run-once', catchupWindowSeconds: 7200, overlapPolicy: 'skip', backAt: '13:00:30', expected: [missed('11:00'), missed('12:00'), ran('13:00')] },
        { policy: 'skip', catchupWindowSeconds: 7200, overlapPolicy: 'skip', backAt: '13:30', expected: [missed('11:00'), missed('12:00'), missed('13:00')] },
        { policy: 'skip', catchupWindowSeconds: 7200, overlapPolicy: 'skip', backAt: '13:00:30', expected: [missed('11:00'), missed('12:00'), ran('13:00')] },
        { policy: 'run-all', catchupWindowSeconds: 4 * 3600, overlapPolicy: 'queue', backAt: '13:30', expected: [ran('11:00'), ran('12:00'), ran('13:00')] },
        { policy: 'run-all', catchupWindowSeconds: 2 * 3600, overlapPolicy: 'queue', backAt: '13:30', expected: [missed('11:00'), ran('12:00'), ran('13:00')] },
        { policy: 'run-all', catchupWindowSeconds: 4 * 3600, overlapPolicy: 'skip', backAt: '13:30', expected: [ran('11:00'), ran('12:00'), ran('13:00')] },
        { policy: 'run-all', catchupWindowSeconds: 2 * 3600, overlapPolicy: 'skip', backAt: '13:30', expected: [missed('11:00'), ran('12:00'), ran('13:00')] },
      ];

      for (const { policy, catchupWindowSeconds, overlapPolicy, backAt, expected } of cases) {
        const runs = expected.filter((line) => line.endsWith('success')).length;
        it(`${policy}, window ${catchupWindowSeconds} s, overlap ${overlapPolicy}, back at ${backAt}: runs ${runs} of the 3 slots and records the others as missed`, async () => {
          const s = scenario(`${MONDAY}T09:30:00Z`);
          await s.system.configs.create(scenarioConfig('hourly', { cronExpression: '0 * * * *', misfirePolicy: policy, catchupWindowSeconds, overlapPolicy }), actor);
          await s.system.startWorker({ leaseSeconds: LONG_LEASE_SECONDS });
          await runSlotThenStop(s, '10:00');

          await s.clock.advanceTo(at(backAt));
          const decisions = slotDecisions(s.system, 3);
          const caughtUp = finishedCount(s.system, runs);
          await s.system.startScheduler();
          const events = await decisions;
          expect(events.map((e) => `${hhmm(e.payload.slot)} ${e.kind}`)).toEqual(
            expected.map((line) => `${line.slice(0, 5)} ${line.endsWith('success') ? 'claimed' : 'missed'}`),
          );
          await caughtUp;

          for (const event of events) {
            if (event.kind !== 'claimed') continue;
            const lateMs = at(backAt).getTime() - event.payload.slot.getTime();
            expect(event.payload).toMatchObject({ decision: lateMs > 60_000 ? 'catch-up' : 'run', lateMs });
          }
          const history = await s.system.executions.list('hourly', { limit: 100 });
          expect(historyLines(history)).toEqual(['10:00 schedule success', ...expected]);
          for (const e of history.filter((e) => hhmm(e.slot) !== '10:00')) {
            if (e.status === 'skipped') expect(e.result).toMatchObject({ reason: 'missed', misfirePolicy: policy });
            else expect(e.startedAt).toEqual(at(backAt));
          }
        });
      }
    });

    describe('misfire grace: a config every 2 seconds (grace 1 s) after its scheduler was down from 10:00:02 on', () => {
      const letters = { run: 'R', 'catch-up': 'C' } as const;
      /** One letter per slot decision, oldest first: R on time, C caught up, m missed. */
      const letter = (event: SlotEvent) => (event.kind === 'claimed' ? letters[event.payload.decision as keyof typeof letters] : event.kind === 'missed' ? 'm' : 's');
      const cases: Array<{ policy: MisfirePolicy; backAt: string; misfireGraceSeconds?: number; expected: string }> = [
        { policy: 'run-once', backAt: '10:00:21.300', expected: 'mmmmmmmmC' },
        { policy: 'run-once', backAt: '10:00:20.400', expected: 'mmmmmmmmR' },
        { policy: 'skip', backAt: '10:00:21.300', expected: 'mmmmmmmmm' },
        { policy: 'skip', backAt: '10:00:20.400', expected: 'mmmmmmmmR' },
        { policy: 'run-all', backAt: '10:00:21.300', expected: 'CCCCCCCCC' },
        { policy: 'run-all', backAt: '10:00:20.400', expected: 'CCCCCCCCR' },
        { policy: 'skip', backAt: '10:00:21.300', misfireGraceSeconds: 5, expected: 'mmmmmmmmR' },
      ];

      for (const { policy, backAt, misfireGraceSeconds, expected } of cases) {
        const runs = expected.replaceAll('m', '').length;
        const grace = misfireGraceSeconds === undefined ? '' : `, misfireGraceSeconds ${misfireGraceSeconds}`;
        it(`${policy}${grace}, back at ${backAt}: ${runs} execution(s) for the 9 slots 10:00:04-10:00:20 (${expected}), every other slot recorded as missed`, async () => {
          const s = scenario(`${MONDAY}T10:00:00Z`);
          const schedule = { cronExpression: '*/2 * * * * *', misfirePolicy: policy, catchupWindowSeconds: 3600, overlapPolicy: 'skip', ...(misfireGraceSeconds ? { misfireGraceSeconds } : {}) };
          await s.system.configs.create(scenarioConfig('fast', schedule), actor);
          await s.system.startWorker({ leaseSeconds: LONG_LEASE_SECONDS, concurrency: 10 });
          await runSlotThenStop(s, '10:00:02');

          await s.clock.advanceTo(at(backAt));
          const decisions = slotDecisions(s.system, 9);
          const ran = finishedCount(s.system, runs);
          await s.system.startScheduler();
          const events = await decisions;
          expect(events.map((e) => hhmmss(e.payload.slot))).toEqual(['04', '06', '08', '10', '12', '14', '16', '18', '20'].map((sec) => `10:00:${sec}`));
          expect(events.map(letter).join('')).toBe(expected);
          const finished = await ran;
          expect(finished.every((e) => e.startedAt?.getTime() === at(backAt).getTime())).toBe(true);

          const history = await s.system.executions.list('fast', { limit: 100 });
          const lines = history.map((e) => `${hhmmss(e.slot)} ${e.status}${e.status === 'skipped' ? ` (${(e.result as { reason?: string }).reason})` : ''}`).sort();
          const expectedLines = [...expected].map((decision, i) => `10:00:${String(4 + 2 * i).padStart(2, '0')} ${decision === 'm' ? 'skipped (missed)' : 'success'}`);
          expect(lines).toEqual(['10:00:02 success', ...expectedLines]);
          for (const e of history.filter((e) => e.status === 'skipped')) expect(e.result).toEqual({ reason: 'missed', misfirePolicy: policy });
        });
      }

      it('folds a long outage into summary records: the latest 100 missed slots one by one, the earlier ones counted, one catch-up (run-once)', { timeout: 120_000 }, async () => {
        const s = scenario(`${MONDAY}T10:00:00Z`);
        await s.system.configs.create(scenarioConfig('fast', { cronExpression: '*/2 * * * * *', misfirePolicy: 'run-once', catchupWindowSeconds: 3600 }), actor);
        await s.system.startWorker({ leaseSeconds: LONG_LEASE_SECONDS });
        await runSlotThenStop(s, '10:00:02');

        // An hour down: 1,800 slots from 10:00:04 to 11:00:02, more than one pass decides.
        await s.clock.advanceTo(at('11:00:03.500'));
        const caughtUp = finishedCount(s.system, 1);
        const claimed = s.system.events.waitFor('slot:claimed');
        const missedEvents: Array<EngineEventMap['slot:missed']> = [];
        s.system.events.on('slot:missed', (e) => missedEvents.push(e));
        await s.system.startScheduler();
        expect(await claimed).toMatchObject({ slot: at('11:00:02'), decision: 'catch-up' });
        await caughtUp;

        const history = await s.system.executions.list('fast', { limit: 500 });
        const summaries = history.filter((e) => (e.result as { missedSlots?: number } | null)?.missedSlots !== undefined);
        const oneByOne = history.filter((e) => e.status === 'skipped' && !summaries.includes(e));
        expect(summaries.map((e) => [hhmmss(e.slot), (e.result as { missedSlots: number }).missedSlots]).sort()).toEqual([
          ['10:00:04', 1000],
          ['10:33:24', 699],
        ]);
        for (const e of summaries) expect(e.summary).toMatch(/^Missed (1,000|699) slots from /);
        expect(oneByOne).toHaveLength(100);
        expect(oneByOne.map((e) => e.slot?.getTime() ?? 0).sort((a, b) => a - b)[0]).toBe(at('10:56:42').getTime());
        expect(history.filter((e) => e.status === 'success').map((e) => hhmmss(e.slot)).sort()).toEqual(['10:00:02', '11:00:02']);
        // Every one of the 1,799 missed slots is accounted for, once.
        expect(missedEvents.reduce((n, e) => n + (e.missedSlots ?? 1), 0)).toBe(1799);
      });

      it('counts at most 10,000 slots before the catch-up window: one summary record says "more than 10,000" and the next slot runs on time', { timeout: 120_000 }, async () => {
        const s = scenario(`${MONDAY}T10:00:00Z`);
        await s.system.configs.create(scenarioConfig('fast', { cronExpression: '*/2 * * * * *', misfirePolicy: 'run-once', catchupWindowSeconds: 0 }), actor);
        await s.system.startWorker({ leaseSeconds: LONG_LEASE_SECONDS });
        await runSlotThenStop(s, '10:00:02');

        // Six hours down: 10,800 slots, all before the window (0 s, so the grace: 1 s).
        await s.clock.advanceTo(at('16:00:03.500'));
        const missed = s.system.events.waitFor('slot:missed');
        await s.system.startScheduler();
        expect(await missed).toMatchObject({ slot: at('10:00:04'), missedSlots: 10_001 });
        const next = finishedCount(s.system, 1);
        await s.clock.advanceTo(at('16:00:04'));
        expect((await next)[0]).toMatchObject({ slot: at('16:00:04'), status: 'success' });

        const history = await s.system.executions.list('fast', { limit: 10 });
        expect(history.map((e) => `${hhmmss(e.slot)} ${e.status}`).sort()).toEqual(['10:00:02 success', '10:00:04 skipped', '16:00:04 success']);
        const summary = history.find((e) => e.status === 'skipped');
        expect(summary?.summary).toBe('Missed more than 10,000 slots from 2026-11-23T10:00:04.000Z to 2026-11-23T16:00:02.500Z: the scheduler was not running (misfire policy run-once)');
        expect(summary?.result).toEqual({ reason: 'missed', misfirePolicy: 'run-once', missedSlots: 10_001, through: '2026-11-23T16:00:02.500Z', orMore: true });
      });
    });

    describe('the default misfire grace follows the cron (skip policy, scheduler down after the 10:00:00 slot)', () => {
      const cases = [
        { cron: '*/30 * * * * *', grace: 15, backAt: '10:01:10', expected: ['10:00:30 missed', '10:01:00 claimed'] },
        { cron: '*/30 * * * * *', grace: 15, backAt: '10:01:20', expected: ['10:00:30 missed', '10:01:00 missed'] },
        { cron: '0 * * * * *', grace: 30, backAt: '10:02:25', expected: ['10:01:00 missed', '10:02:00 claimed'] },
        { cron: '0 * * * * *', grace: 30, backAt: '10:02:35', expected: ['10:01:00 missed', '10:02:00 missed'] },
      ];
      for (const { cron, grace, backAt, expected } of cases) {
        it(`'${cron}' (grace ${grace} s), back at ${backAt}: ${expected.join(', ')}`, async () => {
          const s = scenario(`${MONDAY}T09:59:50Z`);
          await s.system.configs.create(scenarioConfig('paced', { cronExpression: cron, misfirePolicy: 'skip' }), actor);
          await s.system.startWorker({ leaseSeconds: LONG_LEASE_SECONDS });
          await runSlotThenStop(s, '10:00:00');

          await s.clock.advanceTo(at(backAt));
          const decisions = slotDecisions(s.system, 2);
          await s.system.startScheduler();
          expect((await decisions).map((e) => `${hhmmss(e.payload.slot)} ${e.kind}`)).toEqual(expected);
        });
      }
    });

    describe('a pass that ends after the next slot (a slow claim) on a config every 2 seconds (grace 1 s)', () => {
      for (const { endsAt, expected } of [
        { endsAt: '10:00:04.900', expected: 'claimed run' },
        { endsAt: '10:00:05.500', expected: 'missed' },
      ]) {
        it(`ending at ${endsAt}, the next slot (10:00:04) is ${expected}`, async () => {
          const slow = gate();
          const claiming = gate();
          let firstClaim = true;
          const s = makeScenario(sql, `${MONDAY}T10:00:00Z`, (store) => ({
            ...store,
            claimSlots: async (...args) => {
              if (firstClaim) {
                firstClaim = false;
                claiming.open();
                await slow.opened;
              }
              return store.claimSlots(...args);
            },
          }));
          opened.push(s);
          await s.system.configs.create(scenarioConfig('fast', { cronExpression: '*/2 * * * * *', misfirePolicy: 'skip', overlapPolicy: 'queue' }), actor);
          await s.system.startScheduler({ maxSleepMs: Number.POSITIVE_INFINITY });
          const decisions = slotDecisions(s.system, 2);
          await s.clock.advanceTo(at('10:00:02'));
          // The claim of 10:00:02 is under way; it takes until `endsAt`.
          await claiming.opened;
          await s.clock.advanceTo(at(endsAt));
          slow.open();
          const [first, second] = await decisions;
          expect(first).toMatchObject({ kind: 'claimed', payload: { slot: at('10:00:02'), decision: 'run', lateMs: 0 } });
          expect(second?.payload.slot).toEqual(at('10:00:04'));
          expect(second?.kind === 'claimed' ? `claimed ${second.payload.decision}` : second?.kind).toBe(expected);
        });
      }
    });

    describe('overlap with maxConcurrent 1 while a run is still going', () => {
      const blockingConfig = (overlapPolicy: string) =>
        scenarioConfig('blocking', { cronExpression: '*/5 * * * *', overlapPolicy }, { limits: { maxConcurrent: 1 } });

      it('skip records the next slot as a skipped execution (reason overlap)', async () => {
        const s = scenario();
        await s.system.configs.create(blockingConfig('skip'), actor);
        const release = gate();
        s.setBehaviour(async () => {
          await release.opened;
          return { summary: 'done' };
        });
        await s.system.startScheduler();
        await s.system.startWorker({ leaseSeconds: LONG_LEASE_SECONDS });
        const firstStarted = s.system.events.waitFor('execution:started');
        await s.clock.advanceTo(at('10:05'));
        const first = await firstStarted;

        const skipped = s.system.events.waitFor('slot:skipped');
        await s.clock.advanceTo(at('10:10'));
        const event = await skipped;
        expect(event).toMatchObject({ configId: 'blocking', slot: at('10:10'), reason: 'overlap' });
        const record = await s.system.executions.get(event.executionId as string);
        expect(record).toMatchObject({ status: 'skipped', trigger: 'schedule', slot: at('10:10'), result: { reason: 'overlap', active: 1, maxConcurrent: 1 } });

        const finished = finishedCount(s.system, 1);
        release.open();
        expect((await finished)[0]).toMatchObject({ id: first.id, status: 'success' });
        expect(historyLines(await s.system.executions.list('blocking'))).toEqual(['10:05 schedule success', '10:10 schedule skipped (overlap)']);
      });

      it('skip never skips a catch-up: it queues behind the run still going and starts when that run finishes', async () => {
        const s = scenario();
        await s.system.configs.create(blockingConfig('skip'), actor);
        const release = gate();
        s.setBehaviour(async () => {
          await release.opened;
          return { summary: 'done' };
        });
        const scheduler = await s.system.startScheduler();
        await s.system.startWorker({ leaseSeconds: LONG_LEASE_SECONDS });
        const firstStarted = s.system.events.waitFor('execution:started');
        await s.clock.advanceTo(at('10:05'));
        await firstStarted;
        await scheduler.stop();

        // Back at 10:12: 10:10 is two minutes late (grace 60 s), so run-once catches it up.
        await s.clock.advanceTo(at('10:12'));
        const claimed = s.system.events.waitFor('slot:claimed');
        await s.system.startScheduler();
        expect(await claimed).toMatchObject({ configId: 'blocking', slot: at('10:10'), decision: 'catch-up' });
        const finished = finishedCount(s.system, 2);
        release.open();
        await finished;
        expect(historyLines(await s.system.executions.list('blocking'))).toEqual(['10:05 schedule success', '10:10 schedule success']);
      });

      it('queue keeps the next slot queued and starts it as soon as the first run finishes', async () => {
        const s = scenario();
        await s.system.configs.create(blockingConfig('queue'), actor);
        const release = gate();
        s.setBehaviour(async () => {
          await release.opened;
          return { summary: 'done' };
        });
        await s.system.startScheduler();
        await s.system.startWorker({ leaseSeconds: LONG_LEASE_SECONDS, concurrency: 4 });
        const firstStarted = s.system.events.waitFor('execution:started');
        await s.clock.advanceTo(at('10:05'));
        const first = await firstStarted;

        const claimed = s.system.events.waitFor('slot:claimed', (e) => e.slot.getTime() === at('10:10').getTime());
        await s.clock.advanceTo(at('10:10'));
        const second = (await claimed).executionId as string;
        // The worker has free places, but the config has no room: it stays queued.
        expect(await s.system.executions.get(second)).toMatchObject({ status: 'queued', slot: at('10:10') });

        const order: string[] = [];
        const offFinished = s.system.events.on('execution:finished', (e) => order.push(`finished ${hhmm(e.slot)}`));
        const offStarted = s.system.events.on('execution:started', (e) => order.push(`started ${hhmm(e.slot)}`));
        const bothDone = finishedCount(s.system, 2);
        release.open();
        const [firstDone, secondDone] = await bothDone;
        offFinished();
        offStarted();
        expect(order).toEqual(['finished 10:05', 'started 10:10', 'finished 10:10']);
        expect(firstDone).toMatchObject({ id: first.id, status: 'success' });
        expect(secondDone).toMatchObject({ id: second, status: 'success', startedAt: at('10:10') });
      });
    });

    describe('manual runs', () => {
      const cases = [
        { name: 'with dryRun and batchSize overrides', overrides: { dryRun: true, batchSize: 7 }, seen: { dryRun: true, batchSize: 7 }, recorded: { dryRun: true, batchSize: 7 } },
        { name: 'without overrides', overrides: {}, seen: { dryRun: false, batchSize: 100 }, recorded: { dryRun: false, batchSize: null } },
      ];

      for (const { name, overrides, seen, recorded } of cases) {
        it(`a repeated idempotency key returns the same execution of a disabled config, run ${name}`, async () => {
          const s = scenario();
          await s.system.configs.create(scenarioConfig('manual-only', { cronExpression: '0 2 * * *', isEnabled: false }), actor);
          const contexts: Array<{ dryRun: boolean; batchSize: number; parameterDryRun: unknown }> = [];
          s.setBehaviour(async (context) => {
            contexts.push({ dryRun: context.dryRun, batchSize: context.batchSize, parameterDryRun: (context.parameters as Record<string, unknown>)['dryRun'] });
            return { summary: 'ran by hand' };
          });
          const options = { requestedBy: 'ada', idempotencyKey: 'k', ...overrides };

          const once = await s.system.executions.trigger('manual-only', options);
          const twice = await s.system.executions.trigger('manual-only', options);
          expect(once.created).toBe(true);
          expect(twice).toMatchObject({ created: false, execution: { id: once.execution.id } });
          expect(once.execution).toMatchObject({ status: 'queued', trigger: 'manual', requestedBy: 'ada', idempotencyKey: 'k', slot: null, ...recorded });

          const finished = finishedCount(s.system, 1);
          await s.system.startWorker({ leaseSeconds: LONG_LEASE_SECONDS });
          expect((await finished)[0]).toMatchObject({ id: once.execution.id, status: 'success', ...recorded });
          expect(contexts).toEqual([{ ...seen, parameterDryRun: seen.dryRun }]);

          const again = await s.system.executions.trigger('manual-only', options);
          expect(again).toMatchObject({ created: false, execution: { id: once.execution.id, status: 'success' } });
          expect(await s.system.executions.list('manual-only')).toHaveLength(1);
        });
      }
    });

    describe('cancel', () => {
      it('ends a queued execution as cancelled at once', async () => {
        const s = scenario();
        await s.system.configs.create(scenarioConfig('cancellable', { cronExpression: '0 2 * * *', isEnabled: false }), actor);
        const { execution } = await s.system.executions.trigger('cancellable', { requestedBy: 'test' });
        const finished = s.system.events.waitFor('execution:finished');
        const cancelled = await s.system.executions.cancel(execution.id, 'ada');
        expect(cancelled).toMatchObject({ id: execution.id, status: 'cancelled', startedAt: null, finishedAt: at('10:00') });
        expect(await finished).toMatchObject({ id: execution.id, status: 'cancelled' });
        expect(await s.system.executions.get(execution.id)).toMatchObject({ status: 'cancelled' });
      });

      const running = [
        { from: 'this process', crossProcess: false },
        { from: 'another process (seen on the next heartbeat)', crossProcess: true },
      ];
      for (const { from, crossProcess } of running) {
        it(`ends a running execution as cancelled when cancelled from ${from}`, async () => {
          const s = scenario();
          await s.system.configs.create(scenarioConfig('cancellable', { cronExpression: '0 2 * * *', isEnabled: false }), actor);
          let abortReason: unknown;
          s.setBehaviour(async (context) => {
            try {
              return await untilAborted(context.signal);
            } catch (reason) {
              abortReason = reason;
              throw reason;
            }
          });
          await s.system.startWorker({ leaseSeconds: 30 });
          const started = s.system.events.waitFor('execution:started');
          const { execution } = await s.system.executions.trigger('cancellable', { requestedBy: 'test' });
          await started;

          const finished = finishedCount(s.system, 1);
          const operator = crossProcess ? scenario(`${MONDAY}T10:00:00Z`, await sameDatabase()) : s;
          const requested = await operator.system.executions.cancel(execution.id, 'ada');
          expect(requested).toMatchObject({ id: execution.id, status: 'running', cancelRequestedAt: at('10:00') });
          // The worker renews its lease every leaseSeconds / 3 and hears of the request then.
          if (crossProcess) await s.clock.advanceBy(10_000);
          const [ended] = await finished;
          expect(ended).toMatchObject({ id: execution.id, status: 'cancelled', error: { code: 'CANCELLED' } });
          expect(abortReason).toBeInstanceOf(Error);
        });
      }
    });

    it('pauses a config after pauseAfterConsecutiveFailures failed runs and tells the notifier', async () => {
      const s = scenario();
      await s.system.configs.create(
        scenarioConfig('fragile', { cronExpression: '*/5 * * * *' }, { retry: { maxAttempts: 1 }, notifications: { pauseAfterConsecutiveFailures: 3 } }),
        actor,
      );
      s.setBehaviour(async () => {
        throw new Error('still broken');
      });
      const pauses: Array<EngineEventMap['config:paused']> = [];
      s.system.events.on('config:paused', (e) => pauses.push(e));
      await s.system.startScheduler();
      await s.system.startWorker({ leaseSeconds: LONG_LEASE_SECONDS });

      for (const slot of ['10:05', '10:10']) {
        const failed = finishedCount(s.system, 1);
        await s.clock.advanceTo(at(slot));
        expect((await failed)[0]).toMatchObject({ status: 'failed', slot: at(slot) });
        expect(pauses).toEqual([]);
      }
      const paused = s.system.events.waitFor('config:paused');
      await s.clock.advanceTo(at('10:15'));
      expect(await paused).toEqual({ configId: 'fragile', consecutiveFailures: 3 });

      const config = await s.system.configs.get('fragile');
      expect(config.payload.schedule.isEnabled).toBe(false);
      expect(config.meta).toMatchObject({ version: 2, updatedBy: 'grove-jobs (auto-pause)' });
      expect(await s.system.store.getScheduleState('fragile')).toMatchObject({ pausedAt: at('10:15'), pausedReason: expect.stringContaining('3') });
      expect(s.notifications.map((n) => `${n.kind} ${n.consecutiveFailures ?? ''}`)).toEqual([
        'execution.failure 1',
        'execution.failure 2',
        'execution.failure 3',
        'config.paused 3',
      ]);
      expect(s.notifications[3]).toMatchObject({ configId: 'fragile', execution: { status: 'failed', slot: at('10:15').toISOString() } });
      expect(pauses).toHaveLength(1);
    });

    it('ends the execution of a worker that stopped heartbeating as failed (WORKER_LOST) and its retry runs elsewhere', async () => {
      // Two processes over one database, each with its own clock. The first one's clock
      // never moves again: it froze (or died) holding the execution, and never heartbeats.
      const survivor = scenario();
      const frozen = scenario(`${MONDAY}T10:00:00Z`, await sameDatabase());
      await survivor.system.configs.create(
        scenarioConfig('long-haul', { cronExpression: '0 2 * * *', isEnabled: false }, { retry: { maxAttempts: 2, backoffStrategy: 'fixed', initialDelaySeconds: 60, maxDelaySeconds: 60 } }),
        actor,
      );
      const stuck = gate();
      frozen.setBehaviour(async () => {
        await stuck.opened;
        return { summary: 'too late' };
      });
      survivor.setBehaviour(async (context) => ({ summary: `attempt ${context.attempt} done` }));
      const frozenWorker = await frozen.system.startWorker({ id: 'worker-frozen', leaseSeconds: 30, concurrency: 1 });
      const started = frozen.system.events.waitFor('execution:started');
      const { execution } = await frozen.system.executions.trigger('long-haul', { requestedBy: 'test' });
      expect(await started).toMatchObject({ id: execution.id, workerId: 'worker-frozen', leaseExpiresAt: at('10:00:30') });

      await survivor.system.startWorker({ id: 'worker-survivor', leaseSeconds: 30 });
      const lost = finishedCount(survivor.system, 1, (e) => e.id === execution.id);
      const retryQueued = survivor.system.events.waitFor('execution:queued', (e) => e.trigger === 'retry');
      // The survivor reaps every leaseSeconds / 2, so one of its passes falls after 10:00:30.
      await survivor.clock.advanceTo(at('10:00:45'));
      const [ended] = await lost;
      expect(ended).toMatchObject({ id: execution.id, status: 'failed', error: { code: 'WORKER_LOST', workerId: 'worker-frozen' } });
      const finishedAt = ended?.finishedAt as Date;
      expect(finishedAt.getTime()).toBeGreaterThan(at('10:00:30').getTime());

      const retry = await retryQueued;
      expect(retry).toMatchObject({ attempt: 2, runId: execution.id, retryOf: execution.id, runAfter: new Date(finishedAt.getTime() + 60_000) });
      const retried = finishedCount(survivor.system, 1, (e) => e.id === retry.id);
      await survivor.clock.advanceTo(retry.runAfter);
      expect((await retried)[0]).toMatchObject({ status: 'success', attempt: 2, workerId: 'worker-survivor', summary: 'attempt 2 done' });

      // The frozen worker wakes up and finishes: it no longer holds the execution, so nothing changes.
      stuck.open();
      await frozenWorker.stop(60_000);
      expect(await survivor.system.executions.get(execution.id)).toMatchObject({ status: 'failed', error: { code: 'WORKER_LOST' } });
      expect(historyLines(await survivor.system.executions.list('long-haul'))).toEqual(['none manual failed', 'none retry success']);
    });

    it('applies a schedule change to the next slot at once, while a running execution keeps the version it started with', async () => {
      const s = scenario(`${MONDAY}T00:30:00Z`);
      await s.system.configs.create(scenarioConfig('nightly', { cronExpression: '0 2 * * *' }), actor);
      const release = gate();
      const seen: Array<{ version: number; batchSize: number }> = [];
      s.setBehaviour(async (context) => {
        await release.opened;
        seen.push({ version: context.config.meta.version, batchSize: context.batchSize });
        return { summary: 'done' };
      });
      await s.system.startScheduler();
      await s.system.startWorker({ leaseSeconds: LONG_LEASE_SECONDS });

      await s.clock.advanceTo(at('01:00'));
      const v2 = await s.system.configs.patch('nightly', { payload: { schedule: { cronExpression: '0 3 * * *' } } }, actor);
      expect(v2.meta.version).toBe(2);
      const started = s.system.events.waitFor('execution:started');
      await s.clock.advanceTo(at('02:00'));
      await s.clock.advanceTo(at('03:00'));
      const running = await started;
      expect(running).toMatchObject({ slot: at('03:00'), configVersion: 2 });

      const v3 = await s.system.configs.patch('nightly', { payload: { schedule: { cronExpression: '0 4 * * *' }, limits: { batchSize: 50 } } }, actor);
      expect(v3.meta.version).toBe(3);
      const finished = finishedCount(s.system, 1);
      release.open();
      const [ended] = await finished;
      expect(ended).toMatchObject({ id: running.id, status: 'success', configVersion: 2, config: { meta: { version: 2 } } });
      expect(seen).toEqual([{ version: 2, batchSize: 100 }]);
      expect(historyLines(await s.system.executions.list('nightly'))).toEqual(['03:00 schedule success']);
    });

    describe('disabled configs', () => {
      it('get no scheduled executions while an enabled one runs every slot', async () => {
        const s = scenario();
        // Ids in this order: the scheduler would reach the disabled config first in each pass.
        await s.system.configs.create(scenarioConfig('a-disabled', { cronExpression: '*/5 * * * *', isEnabled: false }), actor);
        await s.system.configs.create(scenarioConfig('b-enabled', { cronExpression: '*/5 * * * *' }), actor);
        await s.system.startScheduler();
        await s.system.startWorker({ leaseSeconds: LONG_LEASE_SECONDS });
        for (const slot of ['10:05', '10:10', '10:15']) {
          const done = finishedCount(s.system, 1);
          await s.clock.advanceTo(at(slot));
          expect((await done)[0]).toMatchObject({ configId: 'b-enabled', slot: at(slot) });
        }
        expect(await s.system.executions.list('a-disabled')).toEqual([]);
        expect(await s.system.executions.list('b-enabled')).toHaveLength(3);
      });

      it('schedules a config switched on again from that moment, with nothing recorded for the slots it spent disabled', async () => {
        const s = scenario();
        await s.system.configs.create(scenarioConfig('sleeper', { cronExpression: '*/5 * * * *', isEnabled: false }), actor);
        await s.system.startScheduler();
        await s.system.startWorker({ leaseSeconds: LONG_LEASE_SECONDS });
        await s.clock.advanceTo(at('10:12'));
        await s.system.configs.setEnabled('sleeper', true, actor);
        const done = finishedCount(s.system, 1);
        await s.clock.advanceTo(at('10:15'));
        expect((await done)[0]).toMatchObject({ configId: 'sleeper', slot: at('10:15'), status: 'success' });
        expect(historyLines(await s.system.executions.list('sleeper'))).toEqual(['10:15 schedule success']);
      });
    });

    it('delays each slot by a deterministic jitter within jitterSeconds, the same in two separate systems', async () => {
      const ids = ['jitter-a', 'jitter-b', 'jitter-c'];
      const slots = ['10:05', '10:10'];
      const systems = [scenario(), scenario(`${MONDAY}T10:00:00Z`, await factory.make())];
      const offsets: Array<Map<string, number>> = [];

      for (const s of systems) {
        for (const id of ids) await s.system.configs.create(scenarioConfig(id, { cronExpression: '*/5 * * * *', jitterSeconds: 30 }), actor);
        await s.system.startScheduler();
        await s.system.startWorker({ leaseSeconds: LONG_LEASE_SECONDS });
        const offset = new Map<string, number>();
        for (const slot of slots) {
          const queued: ExecutionRecord[] = [];
          const allQueued = new Promise<void>((resolve) => {
            const off = s.system.events.on('execution:queued', (e) => {
              queued.push(e);
              if (queued.length < ids.length) return;
              off();
              resolve();
            });
          });
          await s.clock.advanceTo(at(slot));
          await allQueued;
          for (const e of queued) {
            const delay = e.runAfter.getTime() - at(slot).getTime();
            expect(delay).toBeGreaterThanOrEqual(0);
            expect(delay).toBeLessThanOrEqual(30_000);
            offset.set(`${e.configId}@${slot}`, delay);
          }
          // Each execution starts at its own runAfter, not at the slot.
          for (const runAfter of [...new Set(queued.map((e) => e.runAfter.getTime()))].sort((a, b) => a - b)) {
            const due = queued.filter((e) => e.runAfter.getTime() === runAfter);
            const done = finishedCount(s.system, due.length, (e) => due.some((d) => d.id === e.id));
            await s.clock.advanceTo(new Date(runAfter));
            for (const e of await done) expect(e.startedAt).toEqual(new Date(runAfter));
          }
        }
        offsets.push(offset);
      }
      expect(offsets[0]?.size).toBe(ids.length * slots.length);
      // Same offsets per (config, slot); the order configs are claimed in within a pass may differ.
      expect([...(offsets[1] ?? [])].sort()).toEqual([...(offsets[0] ?? [])].sort());
      expect([...(offsets[0]?.values() ?? [])].some((delay) => delay > 0)).toBe(true);
    });

    describe('simulated periods: every slot of every config exactly once, none missed, none extra', () => {
      for (const period of daylightSavingWindows()) {
        it(`runs ${period.configs.length} configs over ${period.name}`, { timeout: 120_000 }, async () => {
          await simulate(period);
        });
      }

      it('runs three configs every 2 seconds (grace 1 s) for two minutes, none missed', { timeout: 120_000 }, async () => {
        const configs = ['fast-a', 'fast-b', 'fast-c'].map((id) => ({ id, cron: '*/2 * * * * *', zone: 'UTC' }));
        await simulate({ name: 'two minutes', from: `${MONDAY}T10:00:00Z`, to: `${MONDAY}T10:02:00Z`, configs, minSlots: 180 });
      });

      it(
        'runs a simulated week of 200 configs in six zones across daylight-saving changes',
        { timeout: 900_000 },
        async () => {
          await simulate(simulatedWeek());
        },
      );
    });

    /** Steps the clock through every slot instant of the period in order and checks the history at the end. */
    async function simulate(period: SimulatedPeriod): Promise<void> {
      const s = scenario(period.from);
      s.setBehaviour(async () => ({ summary: 'ok', items: { total: 1, processed: 1, succeeded: 1 } }));
      for (const config of period.configs) await s.system.configs.create(scenarioConfig(config.id, { cronExpression: config.cron, timezone: config.zone }), actor);

      const expected = new Map<number, string[]>();
      const until = new Date(period.to).getTime();
      for (const config of period.configs) {
        for (const slot of nextSlots(config.cron, config.zone, new Date(period.from), 5000)) {
          if (slot.getTime() > until) break;
          expected.set(slot.getTime(), [...(expected.get(slot.getTime()) ?? []), config.id]);
        }
      }
      const instants = [...expected.keys()].sort((a, b) => a - b);
      const wanted = instants.flatMap((instant) => (expected.get(instant) as string[]).map((id) => `${id}@${new Date(instant).toISOString()} schedule success x1`)).sort();
      expect(wanted.length).toBeGreaterThanOrEqual(period.minSlots);

      const problems: string[] = [];
      s.system.events.on('slot:missed', (e) => problems.push(`missed ${e.configId}@${e.slot.toISOString()}`));
      s.system.events.on('slot:skipped', (e) => problems.push(`skipped ${e.configId}@${e.slot.toISOString()}`));
      s.system.events.on('slot:claimed', (e) => {
        if (e.lateMs !== 0) problems.push(`late by ${e.lateMs} ms ${e.configId}@${e.slot.toISOString()}`);
      });
      // The safety-net wake-ups would be a pass per simulated minute; every change here is notified.
      await s.system.startScheduler({ maxSleepMs: Number.POSITIVE_INFINITY });
      await s.system.startWorker({ concurrency: 50, leaseSeconds: LONG_LEASE_SECONDS, maxIdleMs: Number.POSITIVE_INFINITY });

      for (const instant of instants) {
        const ids = expected.get(instant) as string[];
        const done = finishedCount(s.system, ids.length, (e) => e.slot?.getTime() === instant);
        await s.clock.advanceTo(new Date(instant));
        const finished = await done;
        expect(finished.map((e) => e.configId).sort(), new Date(instant).toISOString()).toEqual([...ids].sort());
      }
      expect(problems).toEqual([]);

      const rows = await sql.query<{ config_id: string; slot_at: Date | null; status: string; trigger: string; n: number }>({
        name: 'test-simulated-executions',
        text: 'select config_id, slot_at, status, trigger, count(*)::int as n from executions group by 1, 2, 3, 4',
      });
      const actual = rows.map((r) => `${r.config_id}@${r.slot_at ? new Date(r.slot_at).toISOString() : 'none'} ${r.trigger} ${r.status} x${r.n}`).sort();
      expect(actual).toEqual(wanted);
    }
  });
}

interface SimulatedPeriod {
  name: string;
  /** The clock starts here; slots strictly after it and up to `to` are expected. */
  from: string;
  to: string;
  configs: Array<{ id: string; cron: string; zone: string }>;
  /** A floor on the expected slot count, so a mistake in the table cannot make the test vacuous. */
  minSlots: number;
}

const SIX_ZONES = ['America/New_York', 'Europe/Berlin', 'Australia/Sydney', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'UTC'];

/** One config per (cron, zone), ids in table order. */
function configsFor(crons: readonly (readonly [cron: string, configs: number])[], zones: readonly string[]): SimulatedPeriod['configs'] {
  const configs: SimulatedPeriod['configs'] = [];
  for (const [cron, count] of crons) {
    for (let k = 0; k < count; k++) {
      const zone = zones[configs.length % zones.length] as string;
      configs.push({ id: `sim-${String(configs.length + 1).padStart(3, '0')}`, cron, zone });
    }
  }
  return configs;
}

/**
 * Four-hour windows around daylight-saving changes, with wall-clock crons that fall in the
 * skipped or repeated hour and interval crons that keep real elapsed time, in six zones:
 * New York and Berlin spring forward (02:30 does not exist), Sydney falls back (02:30 twice)
 * and Lord Howe falls back by 30 minutes (01:45 twice), next to Kathmandu (+05:45) and UTC.
 */
function daylightSavingWindows(): SimulatedPeriod[] {
  const crons = [
    ['30 2 * * *', 6],
    ['45 1 * * *', 6],
    ['0 3 * * *', 6],
    ['*/30 * * * *', 6],
    ['0 * * * *', 6],
  ] as const;
  const configs = configsFor(crons, SIX_ZONES);
  return [
    { name: "New York's spring-forward night (2026-03-08)", from: '2026-03-08T05:00:00Z', to: '2026-03-08T09:00:00Z', configs, minSlots: 60 },
    { name: "Europe's spring-forward night (2026-03-29)", from: '2026-03-28T23:00:00Z', to: '2026-03-29T03:00:00Z', configs, minSlots: 60 },
    { name: "Sydney's and Lord Howe's fall-back night (2026-04-05)", from: '2026-04-04T13:00:00Z', to: '2026-04-04T17:00:00Z', configs, minSlots: 60 },
  ];
}

/**
 * 200 configs over the week 2026-03-29 00:00 → 2026-04-05 00:00 UTC, which holds Europe's
 * spring-forward (03-29 01:00 UTC) and the fall-backs of Sydney (04-04 16:00 UTC) and
 * Lord Howe (04-04 15:00 UTC, a 30-minute shift): 4,959 slots at 672 distinct instants.
 */
function simulatedWeek(): SimulatedPeriod {
  const crons = [
    ['30 2 * * *', 30],
    ['0 3 * * *', 25],
    ['0 9 * * 1-5', 25],
    ['45 1 * * *', 15],
    ['0 0,12 * * *', 15],
    ['0 */6 * * *', 25],
    ['15 */4 * * *', 20],
    ['0 */2 * * *', 12],
    ['0 8-18 * * 1-5', 10],
    ['*/30 * * * *', 3],
    ['0 2 * * 0', 20],
  ] as const;
  return {
    name: 'a week across daylight-saving changes',
    from: '2026-03-29T00:00:00Z',
    to: '2026-04-05T00:00:00Z',
    configs: configsFor(crons, SIX_ZONES),
    minSlots: 3000,
  };
}
