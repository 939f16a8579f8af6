import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SlotLedger } from '../../src/domain/schedule/ledger.js';
import type { Sql } from '../../src/store/sql.js';
import { finishedCount, makeScenario, type Scenario, scenarioConfig } from '../support/engine.js';
import type { SqlFactory } from '../support/test-store.js';

const actor = { actor: 'test' };
const MONDAY = '2026-11-23';
const at = (time: string) => new Date(`${MONDAY}T${time}Z`);
const iso = (time: string) => at(time).toISOString();
const LONG_LEASE_SECONDS = 86_400;
const EVERY_FIVE = { cronExpression: '*/5 * * * *', misfirePolicy: 'skip', overlapPolicy: 'skip' };

/** "10:05 ran" per slot. */
const fates = (ledger: SlotLedger) => ledger.slots.map((s) => `${s.at.slice(11, 16)} ${s.fate}`);

/** Moves the clock to a slot and waits for its execution to finish (one step at a time: a store's round trips take real time). */
async function runSlot(s: Scenario, time: string): Promise<void> {
  const done = finishedCount(s.system, 1, (e) => e.slot?.getTime() === at(time).getTime());
  await s.clock.advanceTo(at(time));
  await done;
}

/** Each slot's fate in the ledger equals what happened, on a FakeClock. */
export function runLedgerScenarios(factory: SqlFactory): void {
  describe(`slot ledger scenarios on ${factory.name}`, () => {
    let sql: Sql;
    const opened: Scenario[] = [];
    const scenario = (start = `${MONDAY}T10:00:00Z`): Scenario => {
      const made = makeScenario(sql, start);
      opened.push(made);
      return made;
    };

    beforeEach(async () => {
      sql = await factory.make();
    });
    afterEach(async () => {
      for (const made of opened.splice(0).reverse()) await made.system.close({ graceMs: 0 });
    });
    afterAll(() => factory.dispose());

    it('tells runs, a pause with an end, and a switch-off apart', async () => {
      const s = scenario();
      await s.system.configs.create(scenarioConfig('five', EVERY_FIVE), actor);
      await s.system.startScheduler();
      await s.system.startWorker({ leaseSeconds: LONG_LEASE_SECONDS });
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
  });
}
