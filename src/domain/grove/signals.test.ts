import { describe, expect, it } from 'vitest';
import {
  activeSpanDays,
  advancementEligible,
  computeSignals,
  deriveSignals,
  diversityIndex,
  fullIsCheaper,
  incrementalWork,
  periodWindow,
  planSignalRefresh,
  qualityScore,
  utilityScore,
  zeroSignals,
  type SignalEvent,
} from './signals.js';

const at = (iso: string) => new Date(iso);

describe('utilityScore', () => {
  it.each([
    ['3 up, 1 down', 3, 1, 0.5],
    ['unrated', 0, 0, 0],
    ['only downvotes', 0, 4, -1],
    ['only upvotes', 7, 0, 1],
    ['a tie', 2, 2, 0],
    ['1 up, 2 down', 1, 2, -1 / 3],
  ])('is (up − down)/(up + down) for %s', (_case, up, down, expected) => {
    expect(utilityScore(up, down)).toBeCloseTo(expected, 12);
  });
});

describe('diversityIndex', () => {
  it.each([
    ['5 sessions, 1 lens, 1 hub', 5, 1, 1, (0.5 + 0.2 + 0.2) / 3],
    ['nothing', 0, 0, 0, 0],
    ['every term saturated', 20, 10, 5, 1],
    ['10 sessions and 5 lenses, no hub', 10, 5, 0, 2 / 3],
    ['3 sessions, 4 lenses, 2 hubs', 3, 4, 2, (0.3 + 0.8 + 0.4) / 3],
  ])('averages the capped terms for %s', (_case, sessions, lenses, hubs, expected) => {
    expect(diversityIndex(sessions, lenses, hubs)).toBeCloseTo(expected, 12);
  });
});

describe('activeSpanDays', () => {
  it.each([
    ['one second short of two days', '2026-01-01T12:00:00Z', '2026-01-03T11:59:59Z', 1],
    ['exactly two days', '2026-01-01T12:00:00Z', '2026-01-03T12:00:00Z', 2],
    ['one event', '2026-01-01T12:00:00Z', '2026-01-01T12:00:00Z', 0],
    ['23 hours', '2026-03-28T01:00:00Z', '2026-03-29T00:00:00Z', 0],
    ['no events', null, null, 0],
  ])('is the whole days between first and last for %s', (_case, first, last, expected) => {
    expect(activeSpanDays(first, last)).toBe(expected);
  });
});

describe('qualityScore and advancementEligible', () => {
  it.each([
    // 0.3·25/50 + 0.3·(0.5+1)/2 + 0.2·0.3 + 0.2·15/30 = 0.15 + 0.225 + 0.06 + 0.1
    ['a rated, half-way sprout', { viewCount: 25, upvotes: 3, downvotes: 1, diversityIndex: 0.3, activeSpanDays: 15 }, 0.535],
    // 0.3·1 + 0.3·0.5 (unrated) + 0.2·1 + 0.2·1
    ['an unrated sprout with every other term saturated', { viewCount: 50, upvotes: 0, downvotes: 0, diversityIndex: 1, activeSpanDays: 30 }, 0.85],
    ['a sprout without events (only the unrated utility term)', { viewCount: 0, upvotes: 0, downvotes: 0, diversityIndex: 0, activeSpanDays: 0 }, 0.15],
    // views and span past their caps count as the caps; all downvotes: utility term 0
    ['capped views and span, only downvotes', { viewCount: 500, upvotes: 0, downvotes: 9, diversityIndex: 0.5, activeSpanDays: 90 }, 0.6],
  ])('weighs views, utility, diversity and span for %s', (_case, input, expected) => {
    expect(qualityScore(input)).toBeCloseTo(expected, 12);
  });

  it.each([
    [0.6, 10, true],
    [0.85, 50, true],
    [0.5999, 100, false],
    [0.9, 9, false],
  ])('quality %d with %d views is eligible: %s', (quality, views, expected) => {
    expect(advancementEligible(quality, views)).toBe(expected);
  });

  it('gives a sprout without events zero counts, no first or last event, and the formulas’ values for zero', () => {
    expect(zeroSignals()).toEqual({
      viewCount: 0,
      retrievalCount: 0,
      referenceCount: 0,
      searchCount: 0,
      upvotes: 0,
      downvotes: 0,
      exportCount: 0,
      promotionCount: 0,
      refinementCount: 0,
      uniqueSessions: 0,
      uniqueUsers: 0,
      uniqueLenses: 0,
      uniqueHubs: 0,
      firstEventAt: null,
      lastEventAt: null,
      activeSpanDays: 0,
      utilityScore: 0,
      diversityIndex: 0,
      qualityScore: 0.3 * 0.5,
      advancementEligible: false,
    });
  });
});

describe('periodWindow', () => {
  it.each([
    ['last_7d', '2026-03-03T00:00:00.000Z'],
    ['last_30d', '2026-02-08T00:00:00.000Z'],
    ['all_time', null],
  ] as const)('reaches back from the clock time for %s', (period, start) => {
    const window = periodWindow(period, at('2026-03-10T00:00:00Z'));
    expect(window.start?.toISOString() ?? null).toBe(start);
    expect(window.end.toISOString()).toBe('2026-03-10T00:00:00.000Z');
  });

  it('counts 24-hour days across a DST change, not calendar days', () => {
    // Europe's spring-forward is 2026-03-29; the window is still 7 × 24 h of UTC time.
    expect(periodWindow('last_7d', at('2026-04-02T12:00:00Z')).start?.toISOString()).toBe('2026-03-26T12:00:00.000Z');
  });
});

describe('computeSignals', () => {
  const now = at('2026-03-10T00:00:00Z');
  const event = (eventType: SignalEvent['eventType'], createdAt: string, extra: Partial<SignalEvent> = {}): SignalEvent => ({
    eventType,
    sessionId: 'sess-1',
    createdAt: at(createdAt),
    ...extra,
  });
  const events: SignalEvent[] = [
    event('viewed', '2026-03-09T00:00:00Z', { sessionId: 'a', userId: 'u1', lensId: 'l1', hubId: 'h1' }),
    event('viewed', '2026-03-08T00:00:00Z', { sessionId: 'b', userId: 'u1', lensId: 'l2' }),
    event('rated_up', '2026-03-05T00:00:00Z', { sessionId: 'a', userId: 'u2' }),
    event('retrieved', '2026-03-03T00:00:00Z', { sessionId: 'c' }), // exactly 7 days old: outside last_7d
    event('referenced', '2026-02-20T06:00:00Z', { sessionId: 'd', hubId: 'h2' }),
    event('rated_down', '2026-01-01T00:00:00Z', { sessionId: 'e' }),
    event('exported', '2026-03-10T00:00:00Z', { sessionId: 'f' }), // exactly now: inside
    event('promoted', '2026-03-10T00:00:00.001Z', { sessionId: 'g' }), // after now: not yet
  ];

  it('counts the last 7 days: the start is exclusive, the clock time inclusive, later events not yet', () => {
    const signals = computeSignals(events, 'last_7d', now);
    expect(signals).toMatchObject({
      viewCount: 2,
      upvotes: 1,
      retrievalCount: 0,
      exportCount: 1,
      promotionCount: 0,
      uniqueSessions: 3, // a, b, f
      uniqueUsers: 2,
      uniqueLenses: 2,
      uniqueHubs: 1,
      firstEventAt: '2026-03-05T00:00:00.000Z',
      lastEventAt: '2026-03-10T00:00:00.000Z',
      activeSpanDays: 5,
      utilityScore: 1,
    });
    // 0.3·2/50 + 0.3·1 + 0.2·(0.3 + 0.4 + 0.2)/3 + 0.2·5/30
    expect(signals.qualityScore).toBeCloseTo(0.012 + 0.3 + 0.06 + 1 / 30, 12);
    expect(signals.advancementEligible).toBe(false);
  });

  it('counts every event up to the clock time for all_time', () => {
    const signals = computeSignals(events, 'all_time', now);
    expect(signals).toMatchObject({ viewCount: 2, retrievalCount: 1, referenceCount: 1, upvotes: 1, downvotes: 1, uniqueSessions: 6, activeSpanDays: 68, utilityScore: 0 });
    expect(signals).toEqual(deriveSignals({ ...signals }));
  });

  it('gives zeros when no event is left in the window', () => {
    expect(computeSignals(events, 'last_7d', at('2026-04-01T00:00:00Z'))).toEqual(zeroSignals());
  });
});

describe('planSignalRefresh', () => {
  const state = { lastEventId: 42, computedAt: at('2026-03-01T00:00:00Z') };

  it.each([
    ['the first refresh', undefined, false],
    ['a period never computed', { lastEventId: 0, computedAt: null }, false],
    ['full: true', state, true],
  ])('recomputes everything on %s', (_case, given, full) => {
    expect(planSignalRefresh('last_7d', given, at('2026-03-02T00:00:00Z'), full)).toMatchObject({ mode: 'full', edges: [] });
  });

  it('looks at new events and at both ranges the window edges swept since the last refresh', () => {
    const plan = planSignalRefresh('last_7d', state, at('2026-03-02T06:00:00Z'), false);
    expect(plan.mode).toBe('incremental');
    expect(plan.afterEventId).toBe(42);
    expect(plan.edges.map((e) => [e.lower.toISOString(), e.upper.toISOString()])).toEqual([
      ['2026-03-01T00:00:00.000Z', '2026-03-02T06:00:00.000Z'],
      ['2026-02-22T00:00:00.000Z', '2026-02-23T06:00:00.000Z'],
    ]);
  });

  it('has only the end edge for all_time, and none when the clock has not moved', () => {
    expect(planSignalRefresh('all_time', state, at('2026-03-02T00:00:00Z'), false).edges).toHaveLength(1);
    expect(planSignalRefresh('last_30d', state, state.computedAt, false).edges).toEqual([]);
  });

  it('sweeps the same ranges when the clock was set back', () => {
    const plan = planSignalRefresh('last_7d', state, at('2026-02-28T00:00:00Z'), false);
    expect(plan.edges.map((e) => [e.lower.toISOString(), e.upper.toISOString()])).toEqual([
      ['2026-02-28T00:00:00.000Z', '2026-03-01T00:00:00.000Z'],
      ['2026-02-21T00:00:00.000Z', '2026-02-22T00:00:00.000Z'],
    ]);
  });
});

describe('fullIsCheaper', () => {
  it('keeps a refresh incremental while its weighed work is at most the events in the window', () => {
    expect(incrementalWork({ changedEvents: 10_000 })).toBe(80_000);
    expect(fullIsCheaper({ changedEvents: 10_000, windowEvents: 2_000_000 })).toBeNull();
    expect(fullIsCheaper({ changedEvents: 10_000, windowEvents: 80_000 })).toBeNull();
  });

  it('recomputes whole when the events to take in weigh more, saying why', () => {
    expect(fullIsCheaper({ changedEvents: 240_000, windowEvents: 910_000 })).toBe(
      '240,000 events to take in weigh more than grouping the 910,000 in the window',
    );
  });
});
