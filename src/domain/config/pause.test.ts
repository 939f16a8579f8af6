import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { MAX_PAUSE_REASON_LENGTH, planPause } from './pause.js';

const now = new Date('2026-03-01T05:00:00Z');

describe('planPause', () => {
  it.each([
    { input: { reason: ' upgrade ' }, reason: 'upgrade', until: null },
    { input: { reason: 'upgrade', until: '2026-03-01T06:00:00Z' }, reason: 'upgrade', until: '2026-03-01T06:00:00.000Z' },
    { input: { reason: 'upgrade', until: '2026-03-01T07:30+01:00' }, reason: 'upgrade', until: '2026-03-01T06:30:00.000Z' },
    { input: { reason: 'upgrade', until: null }, reason: 'upgrade', until: null },
  ])('accepts $input', ({ input, reason, until }) => {
    const plan = planPause(input, now);
    expect(plan.reason).toBe(reason);
    expect(plan.until?.toISOString() ?? null).toBe(until);
  });

  it.each([
    { input: {}, field: 'reason' },
    { input: { reason: '   ' }, field: 'reason' },
    { input: { reason: 'x'.repeat(MAX_PAUSE_REASON_LENGTH + 1) }, field: 'reason' },
    { input: { reason: 'upgrade', until: 'tomorrow' }, field: 'until' },
    { input: { reason: 'upgrade', until: '2026-03-01T06:00:00' }, field: 'until' },
    { input: { reason: 'upgrade', until: '2026-02-30T06:00:00Z' }, field: 'until' },
    { input: { reason: 'upgrade', until: '2026-03-01T05:00:00Z' }, field: 'until' },
    { input: { reason: 'upgrade', until: '2026-03-01T04:00:00Z' }, field: 'until' },
  ])('refuses $input naming $field', ({ input, field }) => {
    const error = (() => {
      try {
        planPause(input, now);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe(field);
  });
});
