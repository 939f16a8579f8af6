import { describe, expect, it } from 'vitest';
import type { MisfirePolicy } from '../config/policies.js';
import {
  decideOverlap,
  jitterSeconds,
  MAX_CATCH_UP_SLOTS,
  MAX_MISSED_RECORDED,
  misfireGraceSeconds,
  planMisfires,
} from './plan-slots.js';
import { shortestSlotIntervalSeconds } from './slot-interval.js';

const at = (iso: string) => new Date(iso);
const hourly = ['09:00', '10:00', '11:00', '12:00'].map((t) => at(`2026-11-23T${t}:00Z`));
/** Slots of a config every 2 seconds from 10:00:02 to 10:00:20: a 20-second outage. */
const everyTwoSeconds = Array.from({ length: 10 }, (_, i) => new Date(Date.UTC(2026, 10, 23, 10, 0, 2 + 2 * i)));
const letters = { run: 'R', 'catch-up': 'C', missed: 'm' } as const;
/** One letter per slot, oldest first: R run on time, C catch-up, m missed. */
const decisions = (plan: ReturnType<typeof planMisfires>) => plan.slots.map((p) => letters[p.decision]).join('');

describe('shortestSlotIntervalSeconds', () => {
  it.each([
    { cron: '*/2 * * * * *', expected: 2 },
    { cron: '* * * * * *', expected: 1 },
    { cron: '*/30 * * * * *', expected: 30 },
    { cron: '0,45 * * * * *', expected: 15 },
    { cron: '10,20 * * * * *', expected: 10 },
    { cron: '0 * * * * *', expected: 60 },
    { cron: '* * * * *', expected: 60 },
    { cron: '0,59 * * * *', expected: 60 },
    { cron: '0 0,59 0,23 * * *', expected: 60 },
    { cron: '0 0,59 0,23 * * MON', expected: 120 },
    { cron: '0 59 23 L * *', expected: 120 },
    { cron: '*/5 * * * *', expected: 120 },
    { cron: '@hourly', expected: 120 },
  ])('$cron: $expected s (120 stands for two minutes or more)', ({ cron, expected }) => {
    expect(shortestSlotIntervalSeconds(cron)).toBe(expected);
  });
});

describe('misfireGraceSeconds', () => {
  it.each([
    { cron: '*/2 * * * * *', set: undefined, expected: 1 },
    { cron: '* * * * * *', set: undefined, expected: 1 },
    { cron: '0,1 * * * * *', set: undefined, expected: 1 },
    { cron: '*/3 * * * * *', set: undefined, expected: 1 },
    { cron: '*/30 * * * * *', set: undefined, expected: 15 },
    { cron: '0,45 * * * * *', set: undefined, expected: 7 },
    { cron: '* * * * *', set: undefined, expected: 30 },
    { cron: '*/2 * * * *', set: undefined, expected: 60 },
    { cron: '0 * * * *', set: undefined, expected: 60 },
    { cron: '0 2 * * *', set: undefined, expected: 60 },
    { cron: '*/2 * * * * *', set: 5, expected: 5 },
    { cron: '0 * * * *', set: 300, expected: 300 },
  ])('$cron with misfireGraceSeconds $set: $expected s', ({ cron, set, expected }) => {
    expect(misfireGraceSeconds({ cronExpression: cron, misfireGraceSeconds: set })).toBe(expected);
  });
});

describe('planMisfires', () => {
  const cases: Array<{ behaviour: string; due: Date[]; now: string; policy: MisfirePolicy; window: number; grace: number; expected: string }> = [
    // Normal operation: the scheduler wakes a few milliseconds after the slot.
    { behaviour: 'a slot claimed 4 ms after its instant runs on time (skip)', due: [at('2026-11-23T10:00:00Z')], now: '2026-11-23T10:00:00.004Z', policy: 'skip', window: 3600, grace: 1, expected: 'R' },
    { behaviour: 'a slot claimed 0.9 s late after a slow pass runs on time with a 1 s grace', due: [at('2026-11-23T10:00:00Z')], now: '2026-11-23T10:00:00.900Z', policy: 'skip', window: 3600, grace: 1, expected: 'R' },
    { behaviour: 'a slot claimed exactly at its grace runs on time', due: [at('2026-11-23T10:00:00Z')], now: '2026-11-23T10:01:00Z', policy: 'skip', window: 0, grace: 60, expected: 'R' },
    { behaviour: 'a slot claimed past its grace is missed (skip)', due: [at('2026-11-23T10:00:00Z')], now: '2026-11-23T10:00:01.500Z', policy: 'skip', window: 3600, grace: 1, expected: 'm' },
    { behaviour: 'a slot claimed past its grace is caught up (run-once)', due: [at('2026-11-23T10:00:00Z')], now: '2026-11-23T10:00:01.500Z', policy: 'run-once', window: 3600, grace: 1, expected: 'C' },
    { behaviour: 'a slot with a later slot due too is missed, even within its grace', due: [at('2026-11-23T10:00:00Z'), at('2026-11-23T10:00:02Z')], now: '2026-11-23T10:00:02.100Z', policy: 'skip', window: 3600, grace: 60, expected: 'mR' },
    // A 20-second outage of a config every 2 seconds (grace 1 s).
    { behaviour: 'run-once after a 20 s outage: one catch-up for the latest slot, the rest missed', due: everyTwoSeconds, now: '2026-11-23T10:00:21.300Z', policy: 'run-once', window: 3600, grace: 1, expected: 'mmmmmmmmmC' },
    { behaviour: 'run-once after a 20 s outage ending within the latest slot grace: that slot runs on time, no other', due: everyTwoSeconds, now: '2026-11-23T10:00:20.400Z', policy: 'run-once', window: 3600, grace: 1, expected: 'mmmmmmmmmR' },
    { behaviour: 'skip after a 20 s outage: every slot missed', due: everyTwoSeconds, now: '2026-11-23T10:00:21.300Z', policy: 'skip', window: 3600, grace: 1, expected: 'mmmmmmmmmm' },
    { behaviour: 'skip after a 20 s outage ending within the latest slot grace: only that slot runs', due: everyTwoSeconds, now: '2026-11-23T10:00:20.400Z', policy: 'skip', window: 3600, grace: 1, expected: 'mmmmmmmmmR' },
    { behaviour: 'run-all after a 20 s outage: every slot caught up', due: everyTwoSeconds, now: '2026-11-23T10:00:21.300Z', policy: 'run-all', window: 3600, grace: 1, expected: 'CCCCCCCCCC' },
    { behaviour: 'run-all after a 20 s outage ending within the latest slot grace: the others caught up', due: everyTwoSeconds, now: '2026-11-23T10:00:20.400Z', policy: 'run-all', window: 3600, grace: 1, expected: 'CCCCCCCCCR' },
    { behaviour: 'run-all catches up only the slots inside the window', due: everyTwoSeconds, now: '2026-11-23T10:00:21.300Z', policy: 'run-all', window: 10, grace: 1, expected: 'mmmmmCCCCC' },
    // An hourly config down from 08:30 (grace 60 s).
    { behaviour: 'run-once runs only the latest late slot inside the window', due: hourly, now: '2026-11-23T12:30:00Z', policy: 'run-once', window: 7200, grace: 60, expected: 'mmmC' },
    { behaviour: 'run-once runs nothing late when the latest slot is on time anyway', due: hourly, now: '2026-11-23T12:00:20Z', policy: 'run-once', window: 7200, grace: 60, expected: 'mmmR' },
    { behaviour: 'run-once misses a late slot outside the window', due: hourly, now: '2026-11-23T15:00:00Z', policy: 'run-once', window: 3600, grace: 60, expected: 'mmmm' },
    { behaviour: 'skip runs no late slot', due: hourly, now: '2026-11-23T12:30:00Z', policy: 'skip', window: 86400, grace: 60, expected: 'mmmm' },
    { behaviour: 'run-all runs every late slot inside the window', due: hourly, now: '2026-11-23T12:30:00Z', policy: 'run-all', window: 3 * 3600, grace: 60, expected: 'mCCC' },
    { behaviour: 'a set grace of 5 minutes keeps a slot 4 minutes late on time', due: hourly.slice(3), now: '2026-11-23T12:04:00Z', policy: 'skip', window: 0, grace: 300, expected: 'R' },
  ];
  it.each(cases)('$behaviour', ({ due, now, policy, window, grace, expected }) => {
    const plan = planMisfires({ due, now: at(now), policy, catchupWindowSeconds: window, graceSeconds: grace });
    expect(decisions(plan)).toBe(expected);
    expect(plan.folded).toEqual([]);
  });

  it(`run-all catches up at most ${MAX_CATCH_UP_SLOTS} slots, the most recent`, () => {
    const due = Array.from({ length: 150 }, (_, i) => new Date(Date.UTC(2026, 10, 23, 0, i)));
    const plan = planMisfires({ due, now: at('2026-11-23T03:00:00Z'), policy: 'run-all', catchupWindowSeconds: 86400, graceSeconds: 60 });
    expect(plan.slots.filter((p) => p.decision === 'catch-up')).toHaveLength(MAX_CATCH_UP_SLOTS);
    expect(plan.slots[149]?.decision).toBe('catch-up');
    expect(plan.slots[0]?.decision).toBe('missed');
  });

  it(`records the latest ${MAX_MISSED_RECORDED} missed slots one by one and folds the earlier ones into a summary`, () => {
    const due = Array.from({ length: 250 }, (_, i) => new Date(Date.UTC(2026, 10, 23, 0, 0, 2 * i)));
    const plan = planMisfires({ due, now: at('2026-11-23T00:08:20Z'), policy: 'run-once', catchupWindowSeconds: 3600, graceSeconds: 1 });
    expect(plan.slots.filter((p) => p.decision === 'missed')).toHaveLength(249);
    expect(plan.slots[249]?.decision).toBe('catch-up');
    expect(plan.folded).toEqual(due.slice(0, 149));
  });

  it('decides every slot of a backlog chunk as missed and folded, whatever the policy', () => {
    for (const policy of ['run-once', 'run-all', 'skip'] as const) {
      const plan = planMisfires({ due: everyTwoSeconds, backlog: true, now: at('2026-11-23T10:00:21Z'), policy, catchupWindowSeconds: 3600, graceSeconds: 60 });
      expect(decisions(plan)).toBe('mmmmmmmmmm');
      expect(plan.folded).toEqual(everyTwoSeconds);
    }
  });

  it('decides nothing when nothing is due', () => {
    expect(planMisfires({ due: [], now: at('2026-11-23T10:00:00Z'), policy: 'run-once', catchupWindowSeconds: 3600, graceSeconds: 60 })).toEqual({ slots: [], folded: [] });
  });
});

describe('decideOverlap', () => {
  it.each([
    { active: 0, maxConcurrent: 1, policy: 'skip' as const, expected: 'start' },
    { active: 1, maxConcurrent: 1, policy: 'skip' as const, expected: 'skip' },
    { active: 1, maxConcurrent: 1, policy: 'queue' as const, expected: 'queue' },
    { active: 1, maxConcurrent: 2, policy: 'skip' as const, expected: 'start' },
  ])('with $active active of $maxConcurrent under $policy: $expected', ({ expected, ...input }) => {
    expect(decideOverlap(input)).toBe(expected);
  });
});

describe('jitterSeconds', () => {
  it('is the same for the same config and slot, within the bound, and spreads configs', () => {
    const slot = at('2026-11-23T02:00:00Z');
    expect(jitterSeconds('a', slot, 30)).toBe(jitterSeconds('a', slot, 30));
    const values = Array.from({ length: 50 }, (_, i) => jitterSeconds(`config-${i}`, slot, 30));
    expect(values.every((v) => v >= 0 && v <= 30)).toBe(true);
    expect(new Set(values).size).toBeGreaterThan(10);
    expect(jitterSeconds('a', slot, undefined)).toBe(0);
  });
});
