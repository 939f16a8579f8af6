import { describe, expect, it } from 'vitest';
import { decideOverlap, jitterSeconds, MAX_CATCH_UP_SLOTS, planMisfires } from './plan-slots.js';

const at = (iso: string) => new Date(iso);
const hourly = ['09:00', '10:00', '11:00', '12:00'].map((t) => at(`2026-11-23T${t}:00Z`));

describe('planMisfires', () => {
  it.each([
    {
      behaviour: 'run-once runs only the latest late slot inside the window',
      policy: 'run-once' as const,
      now: '2026-11-23T12:30:00Z',
      window: 7200,
      expected: ['missed', 'missed', 'missed', 'catch-up'],
    },
    {
      behaviour: 'run-once runs nothing late when a slot is due on time anyway',
      policy: 'run-once' as const,
      now: '2026-11-23T12:00:20Z',
      window: 7200,
      expected: ['missed', 'missed', 'missed', 'run'],
    },
    {
      behaviour: 'run-once misses a late slot outside the window',
      policy: 'run-once' as const,
      now: '2026-11-23T15:00:00Z',
      window: 3600,
      expected: ['missed', 'missed', 'missed', 'missed'],
    },
    {
      behaviour: 'skip runs no late slot',
      policy: 'skip' as const,
      now: '2026-11-23T12:30:00Z',
      window: 86400,
      expected: ['missed', 'missed', 'missed', 'missed'],
    },
    {
      behaviour: 'run-all runs every late slot inside the window',
      policy: 'run-all' as const,
      now: '2026-11-23T12:30:00Z',
      window: 3 * 3600,
      expected: ['missed', 'catch-up', 'catch-up', 'catch-up'],
    },
    {
      behaviour: 'a slot claimed within the tolerance runs on time',
      policy: 'skip' as const,
      now: '2026-11-23T12:00:59Z',
      window: 0,
      expected: ['missed', 'missed', 'missed', 'run'],
    },
  ])('$behaviour', ({ policy, now, window, expected }) => {
    const plan = planMisfires({ due: hourly, now: at(now), policy, catchupWindowSeconds: window });
    expect(plan.map((p) => p.decision)).toEqual(expected);
  });

  it(`run-all catches up at most ${MAX_CATCH_UP_SLOTS} slots, the most recent`, () => {
    const due = Array.from({ length: 150 }, (_, i) => new Date(Date.UTC(2026, 10, 23, 0, i)));
    const plan = planMisfires({ due, now: at('2026-11-23T03:00:00Z'), policy: 'run-all', catchupWindowSeconds: 86400 });
    expect(plan.filter((p) => p.decision === 'catch-up')).toHaveLength(MAX_CATCH_UP_SLOTS);
    expect(plan[149]?.decision).toBe('catch-up');
    expect(plan[0]?.decision).toBe('missed');
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
