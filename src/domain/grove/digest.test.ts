import { describe, expect, it } from 'vitest';
import { buildDigest, describeDigest, isDigestEmpty, planDigestWindow } from './digest.js';

describe('planDigestWindow', () => {
  it.each([
    ['the first digest reaches lookbackHours back', undefined, '2026-01-02T08:00:00Z', 24, '2026-01-01T08:00:00Z', '2026-01-02T08:00:00Z', true],
    ['a later digest starts where the previous stopped', '2026-01-01T08:00:00Z', '2026-01-02T08:00:00Z', 24, '2026-01-01T08:00:00Z', '2026-01-02T08:00:00Z', false],
    ['a late run covers the whole gap, not just the lookback', '2025-12-20T08:00:00Z', '2026-01-02T08:00:00Z', 24, '2025-12-20T08:00:00Z', '2026-01-02T08:00:00Z', false],
    ['a clock that went backwards gives an empty window, never a repeat', '2026-01-02T08:00:00Z', '2026-01-02T07:00:00Z', 24, '2026-01-02T08:00:00Z', '2026-01-02T08:00:00Z', false],
  ])('%s', (_case, coveredUntil, now, lookbackHours, since, until, first) => {
    const plan = planDigestWindow({ coveredUntil: coveredUntil === undefined ? undefined : new Date(coveredUntil), now: new Date(now), lookbackHours });
    expect(plan).toEqual({ since: new Date(since), until: new Date(until), first });
  });
});

describe('a digest', () => {
  const window = { since: new Date('2026-01-01T08:00:00Z'), until: new Date('2026-01-02T08:00:00Z') };

  it('describes its sections in the order asked, with counts', () => {
    const digest = buildDigest(window, ['ops'], ['rollbacks', 'failures'], {
      failures: { total: 2, items: [], truncated: true, byConfig: [] },
      rollbacks: { total: 1, items: [], truncated: true, byOperator: [] },
    });
    expect(digest).toMatchObject({ since: '2026-01-01T08:00:00.000Z', until: '2026-01-02T08:00:00.000Z', recipientIds: ['ops'] });
    expect(describeDigest(digest)).toBe('1 rollback, 2 failures');
    expect(isDigestEmpty(digest)).toBe(false);
  });

  it('is empty when every section it has is empty', () => {
    expect(isDigestEmpty({ advancements: { total: 0, items: [], truncated: false, byTransition: [] } })).toBe(true);
    expect(isDigestEmpty({})).toBe(true);
  });
});
