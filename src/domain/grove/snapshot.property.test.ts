import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BOTANICAL_TIERS, SIGNAL_PERIODS } from './model.js';
import {
  type AdvancementRule,
  decideAdvancement,
  type PeriodSignals,
  readSignalSnapshot,
  reproduceCriterion,
  RULE_OPERATORS,
  RULE_SIGNALS,
  ruleSignalValues,
  type SignalSnapshot,
  takeSignalSnapshot,
} from './rules.js';
import { deriveSignals } from './signals.js';

/**
 * The audit snapshot against the criteria it explains: for generated sprouts (their period's
 * signals) and rules, every criterion result the batch's decision records is reproduced by
 * its criterion applied to the recorded snapshot alone, after a round trip through JSON (as
 * the snapshot is stored, in jsonb). Runs with fast-check's random seed; a failure prints
 * the seed and path to replay it.
 */

const count = fc.integer({ min: 0, max: 400 });
const instant = fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2026-12-31T00:00:00Z') }).map((ms) => new Date(ms).toISOString());

/** A period's signals as signal-aggregation computes them: counts, then the derived scores. */
const periodSignals: fc.Arbitrary<PeriodSignals> = fc
  .record({
    period: fc.constantFrom(...SIGNAL_PERIODS),
    computedAt: instant,
    viewCount: count,
    retrievalCount: count,
    referenceCount: count,
    searchCount: count,
    upvotes: fc.integer({ min: 0, max: 60 }),
    downvotes: fc.integer({ min: 0, max: 60 }),
    exportCount: count,
    promotionCount: count,
    refinementCount: count,
    uniqueSessions: fc.integer({ min: 0, max: 20 }),
    uniqueUsers: fc.integer({ min: 0, max: 20 }),
    uniqueLenses: fc.integer({ min: 0, max: 8 }),
    uniqueHubs: fc.integer({ min: 0, max: 8 }),
    first: instant,
    spanDays: fc.integer({ min: 0, max: 90 }),
  })
  .map(({ period, computedAt, first, spanDays, ...counts }) => ({
    period,
    computedAt,
    ...deriveSignals({ ...counts, firstEventAt: first, lastEventAt: new Date(Date.parse(first) + spanDays * 86_400_000).toISOString() }),
  }));

/** Thresholds near the values the signals take (counts, 0…1 scores), so rules match about as often as not. */
const criterion = fc.record({
  signal: fc.constantFrom(...RULE_SIGNALS),
  operator: fc.constantFrom(...RULE_OPERATORS),
  threshold: fc.oneof(fc.integer({ min: 0, max: 400 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 0.5, 1, 0.8615)),
});

const rule = (fromTier: string) =>
  fc.record({
    id: fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/),
    criteria: fc.array(criterion, { maxLength: 5 }),
    logicOperator: fc.constantFrom('AND' as const, 'OR' as const),
    order: fc.integer({ min: 0, max: 5 }),
  }).map(
    ({ id, criteria, logicOperator, order }): AdvancementRule => ({
      meta: { id, title: id, version: 1, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' },
      payload: { lifecycleModelId: 'botanical', fromTier, toTier: BOTANICAL_TIERS[BOTANICAL_TIERS.indexOf(fromTier as never) + 1] as string, criteria, logicOperator, isEnabled: true, order },
    }),
  );

const sproutAndRules = fc.constantFrom('seed', 'sprout', 'sapling', 'tree').chain((tier) =>
  fc.record({ tier: fc.constant(tier), signals: periodSignals, rules: fc.array(rule(tier), { minLength: 1, maxLength: 4 }) }),
);

/** As stored and read back: jsonb keeps what JSON keeps. */
const stored = (snapshot: SignalSnapshot): SignalSnapshot | null => readSignalSnapshot(JSON.parse(JSON.stringify(snapshot)));

describe('the signal snapshot of an auto-advancement', () => {
  it('reproduces every recorded criterion result from the snapshot alone', () => {
    fc.assert(
      fc.property(sproutAndRules, ({ tier, signals, rules }) => {
        // What the batch does per sprout: snapshot the period's signals, decide on the snapshot.
        const snapshot = takeSignalSnapshot(signals);
        const decision = decideAdvancement({ lifecycleModelId: 'botanical', tier }, rules, snapshot.ruleSignals);
        const recorded = stored(snapshot);
        if (recorded === null) throw new Error('the snapshot did not survive storing');
        const results = decision.advance ? decision.criteriaMet : decision.evaluations.flatMap((e) => e.criteria);
        for (const result of results) {
          const { signal, operator, threshold } = result;
          expect(reproduceCriterion({ signal, operator, threshold }, recorded)).toEqual(result);
          expect(recorded.ruleSignals[signal]).toBe(result.value);
        }
        // The snapshot is also the period's full row, as read.
        const { period, computedAt, ...values } = signals;
        expect(recorded).toMatchObject({ period, computedAt, aggregation: values });
      }),
      { numRuns: 300 },
    );
  });

  it('names the utility a rule tested apart from the aggregation\'s: 0.8615 for a row holding 0.723', () => {
    const snapshot = takeSignalSnapshot({ period: 'all_time', computedAt: '2026-03-01T00:00:00.000Z', ...deriveSignals({ viewCount: 1, retrievalCount: 0, referenceCount: 0, searchCount: 0, upvotes: 0, downvotes: 0, exportCount: 0, promotionCount: 0, refinementCount: 0, uniqueSessions: 0, uniqueUsers: 0, uniqueLenses: 0, uniqueHubs: 0, firstEventAt: null, lastEventAt: null }), utilityScore: 0.723 });
    expect(snapshot.aggregation.utilityScore).toBe(0.723);
    expect(snapshot.ruleSignals.utilityScore).toBe((0.723 + 1) / 2);
    expect(snapshot.ruleSignals.utilityScore).toBeCloseTo(0.8615, 12);
    expect(reproduceCriterion({ signal: 'utilityScore', operator: '>=', threshold: 0.75 }, snapshot)).toMatchObject({ value: snapshot.ruleSignals.utilityScore, met: true });
  });

  it('reads a snapshot stored as the flat aggregation row as the rule signals the batch derived from it', () => {
    fc.assert(
      fc.property(periodSignals, (signals) => {
        const legacy = JSON.parse(JSON.stringify(signals)) as unknown;
        const read = readSignalSnapshot(legacy);
        const rule = ruleSignalValues(signals);
        expect(read?.ruleSignals).toEqual(rule);
        expect(read).toEqual(takeSignalSnapshot(signals));
      }),
      { numRuns: 200 },
    );
    expect(readSignalSnapshot(null)).toBeNull();
  });
});
