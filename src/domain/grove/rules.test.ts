import { describe, expect, it } from 'vitest';
import { DEMO_RULES } from './demo-data.js';
import { GroveError, GroveErrorCode } from './errors.js';
import {
  type AdvancementRule,
  checkRuleAgainstModel,
  checkTierOverride,
  decideAdvancement,
  findRuleProblem,
  evaluateRule,
  parseAdvancementInput,
  parseAdvancementRule,
  planAdvancementGroups,
  planRollback,
  planUsableRules,
  type RollbackCandidate,
  rollbackInput,
  type RuleCriterion,
  type RuleSignalValues,
  ruleSignalValues,
} from './rules.js';

const BOTANICAL = { id: 'botanical', tiers: ['seed', 'sprout', 'sapling', 'tree', 'grove'] };

function aRule(id: string, payload: Partial<AdvancementRule['payload']> = {}): AdvancementRule {
  return {
    meta: { id, title: id, version: 1, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' },
    payload: { lifecycleModelId: 'botanical', fromTier: 'seed', toTier: 'sprout', criteria: [], logicOperator: 'AND', isEnabled: true, order: 0, ...payload },
  };
}

const c = (signal: RuleCriterion['signal'], operator: RuleCriterion['operator'], threshold: number): RuleCriterion => ({ signal, operator, threshold });

function refusal(work: () => unknown): GroveError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(GroveError);
    return error as GroveError;
  }
  throw new Error('expected a refusal');
}

describe('rule signals', () => {
  it('reads retrievals, citations and query diversity as they are, and rescales utility from −1…1 to 0…1', () => {
    expect(ruleSignalValues({ retrievalCount: 7, referenceCount: 3, diversityIndex: 0.4, utilityScore: -0.5 })).toEqual({
      retrievals: 7,
      citations: 3,
      queryDiversity: 0.4,
      utilityScore: 0.25,
    });
    expect(ruleSignalValues({ utilityScore: 1 }).utilityScore).toBe(1);
    expect(ruleSignalValues({ utilityScore: 0 }).utilityScore).toBe(0.5);
  });

  it('treats absent and non-finite values as missing', () => {
    expect(ruleSignalValues({ retrievalCount: Number.NaN })).toEqual({ retrievals: null, citations: null, queryDiversity: null, utilityScore: null });
  });
});

describe('evaluating one criterion', () => {
  it.each([
    // operator, value, threshold, met
    ['>=', 5, 5, true],
    ['>=', 5.1, 5, true],
    ['>=', 4.9, 5, false],
    ['>', 5, 5, false],
    ['>', 6, 5, true],
    ['<=', 5, 5, true],
    ['<=', 6, 5, false],
    ['<', 5, 5, false],
    ['<', 4, 5, true],
    ['==', 5, 5, true],
    ['==', 5.5, 5, false],
    // Computed floats within 1e-9 of the threshold count as equal, for every operator alike.
    ['>=', (1 + 1 + 0.4) / 3, 0.8, true],
    ['==', (1 + 1 + 0.4) / 3, 0.8, true],
    ['>', 0.8 + 1e-12, 0.8, false],
    ['<', 0.8 - 1e-12, 0.8, false],
    ['<=', 0.8 + 1e-12, 0.8, true],
  ] as const)('%s with value %s and threshold %s is %s', (operator, value, threshold, met) => {
    const evaluation = evaluateRule(aRule('r', { criteria: [c('queryDiversity', operator, threshold)] }), { queryDiversity: value });
    expect(evaluation.criteria[0]).toEqual({ signal: 'queryDiversity', operator, threshold, value, met });
    expect(evaluation.outcome).toBe(met ? 'matched' : 'not-met');
  });
});

describe('evaluating a rule', () => {
  const both = [c('retrievals', '>=', 10), c('citations', '>=', 2)];
  it.each<[string, AdvancementRule['payload']['logicOperator'], RuleCriterion[], RuleSignalValues, string]>([
    ['AND: every criterion met', 'AND', both, { retrievals: 10, citations: 2 }, 'matched'],
    ['AND: one criterion not met', 'AND', both, { retrievals: 10, citations: 1 }, 'not-met'],
    ['AND: none met', 'AND', both, { retrievals: 0, citations: 0 }, 'not-met'],
    ['OR: one criterion met', 'OR', both, { retrievals: 0, citations: 2 }, 'matched'],
    ['OR: every criterion met', 'OR', both, { retrievals: 11, citations: 3 }, 'matched'],
    ['OR: none met', 'OR', both, { retrievals: 9, citations: 1 }, 'not-met'],
    ['AND: no criteria never advances', 'AND', [], { retrievals: 100, citations: 100 }, 'no-criteria'],
    ['OR: no criteria never advances', 'OR', [], { retrievals: 100, citations: 100 }, 'no-criteria'],
    ['AND: a missing signal is skipped, the met rest decides', 'AND', both, { retrievals: 10 }, 'matched'],
    ['AND: a missing signal is skipped, the unmet rest decides', 'AND', both, { retrievals: 9, citations: null }, 'not-met'],
    ['OR: a missing signal is skipped, a met one advances', 'OR', both, { citations: 2 }, 'matched'],
    ['OR: a missing signal is skipped, an unmet one does not', 'OR', both, { retrievals: null, citations: 1 }, 'not-met'],
    ['AND: every signal missing never advances', 'AND', both, {}, 'all-signals-missing'],
    ['OR: every signal missing never advances', 'OR', both, { retrievals: null, citations: null }, 'all-signals-missing'],
    ['utilityScore reads the rescaled value', 'AND', [c('utilityScore', '>=', 0.75)], ruleSignalValues({ utilityScore: 0.5 }), 'matched'],
    ['utilityScore below the threshold', 'AND', [c('utilityScore', '>=', 0.75)], ruleSignalValues({ utilityScore: 0.4 }), 'not-met'],
  ])('%s', (_case, logicOperator, criteria, signals, outcome) => {
    expect(evaluateRule(aRule('r', { logicOperator, criteria }), signals).outcome).toBe(outcome);
  });

  it('records each criterion with its value, and null for a skipped one', () => {
    const evaluation = evaluateRule(aRule('r', { criteria: [c('retrievals', '>=', 10), c('citations', '>', 0)] }), { retrievals: 12 });
    expect(evaluation.criteria).toEqual([
      { signal: 'retrievals', operator: '>=', threshold: 10, value: 12, met: true },
      { signal: 'citations', operator: '>', threshold: 0, value: null, met: null },
    ]);
  });
});

describe('deciding a sprout', () => {
  const seed = { lifecycleModelId: 'botanical', tier: 'seed' };
  const signals = { retrievals: 20, citations: 5 };
  it.each<[string, AdvancementRule[], string | undefined]>([
    ['the first matching rule in order wins', [aRule('late', { order: 2, toTier: 'tree', criteria: [c('retrievals', '>=', 1)] }), aRule('early', { order: 1, criteria: [c('retrievals', '>=', 1)] })], 'early'],
    ['a rule that does not match passes to the next', [aRule('a', { order: 1, criteria: [c('retrievals', '>=', 99)] }), aRule('b', { order: 2, toTier: 'sapling', criteria: [c('citations', '>=', 5)] })], 'b'],
    ['equal order is tried by rule id', [aRule('zeta', { criteria: [c('retrievals', '>=', 1)] }), aRule('alpha', { criteria: [c('retrievals', '>=', 1)] })], 'alpha'],
    ['a disabled rule is ignored', [aRule('off', { isEnabled: false, criteria: [c('retrievals', '>=', 1)] })], undefined],
    ['a rule of another tier is ignored', [aRule('other', { fromTier: 'sprout', toTier: 'sapling', criteria: [c('retrievals', '>=', 1)] })], undefined],
    ['a rule of another model is ignored', [aRule('other', { lifecycleModelId: 'kitchen', criteria: [c('retrievals', '>=', 1)] })], undefined],
    ['a rule with no criteria never advances, the next one may', [aRule('empty', { order: 0 }), aRule('next', { order: 1, criteria: [c('citations', '==', 5)] })], 'next'],
    ['no rules, no advancement', [], undefined],
  ])('%s', (_case, rules, ruleId) => {
    const decision = decideAdvancement(seed, rules, signals);
    if (ruleId === undefined) {
      expect(decision.advance).toBe(false);
    } else {
      expect(decision).toMatchObject({ advance: true, ruleId, fromTier: 'seed' });
      expect(decision.advance && decision.toTier).toBe(rules.find((r) => r.meta.id === ruleId)?.payload.toTier);
    }
  });
});

describe('rule validation', () => {
  const valid = {
    meta: { id: 'seed-to-sprout', title: 'Seed → Sprout' },
    payload: { fromTier: 'seed', toTier: 'sprout', criteria: [{ signal: 'retrievals', operator: '>=', threshold: 3 }] },
  };
  const withPayload = (payload: Record<string, unknown>) => ({ ...valid, payload: { ...valid.payload, ...payload } });

  it('fills the defaults: botanical, AND, enabled, order 0, title = id', () => {
    expect(parseAdvancementRule({ meta: { id: 'r1' }, payload: { fromTier: 'seed', toTier: 'sprout' } })).toEqual({
      meta: { id: 'r1' },
      payload: { lifecycleModelId: 'botanical', fromTier: 'seed', toTier: 'sprout', criteria: [], logicOperator: 'AND', isEnabled: true, order: 0 },
    });
  });

  it.each<[string, unknown, string]>([
    ['an unknown signal', withPayload({ criteria: [{ signal: 'views', operator: '>=', threshold: 1 }] }), 'payload.criteria[0].signal'],
    ['an unknown operator', withPayload({ criteria: [{ signal: 'retrievals', operator: '=>', threshold: 1 }] }), 'payload.criteria[0].operator'],
    ['an infinite threshold', withPayload({ criteria: [{ signal: 'retrievals', operator: '>=', threshold: Infinity }] }), 'payload.criteria[0].threshold'],
    ['a NaN threshold', withPayload({ criteria: [{ signal: 'retrievals', operator: '>=', threshold: Number.NaN }] }), 'payload.criteria[0].threshold'],
    ['a threshold given as text', withPayload({ criteria: [{ signal: 'retrievals', operator: '>=', threshold: '3' }] }), 'payload.criteria[0].threshold'],
    ['a logic operator other than AND/OR', withPayload({ logicOperator: 'XOR' }), 'payload.logicOperator'],
    ['toTier equal to fromTier', withPayload({ toTier: 'seed' }), 'payload.toTier'],
    ['a missing fromTier', { ...valid, payload: { toTier: 'sprout' } }, 'payload.fromTier'],
    ['a fractional order', withPayload({ order: 1.5 }), 'payload.order'],
    ['an unknown payload field', withPayload({ priority: 1 }), 'payload.priority'],
    ['an id with spaces', { ...valid, meta: { id: 'seed to sprout' } }, 'meta.id'],
    ['a missing id', { meta: {}, payload: valid.payload }, 'meta.id'],
  ])('refuses %s, naming the field', (_case, input, field) => {
    const error = refusal(() => parseAdvancementRule(input));
    expect(error.code).toBe(GroveErrorCode.Invalid);
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
  });

  it.each([
    ['fromTier', withPayload({ fromTier: 'acorn' }), 'payload.fromTier'],
    ['toTier', withPayload({ toTier: 'forest' }), 'payload.toTier'],
  ])('refuses a %s that is not a tier of the model', (_case, input, field) => {
    const error = refusal(() => checkRuleAgainstModel(parseAdvancementRule(input), BOTANICAL));
    expect(error.field).toBe(field);
    expect(error.message).toMatch(/is not a tier of botanical/);
  });

  it('refuses a lifecycle model that does not exist', () => {
    expect(refusal(() => checkRuleAgainstModel(parseAdvancementRule(withPayload({ lifecycleModelId: 'kitchen' })), undefined)).field).toBe(
      'payload.lifecycleModelId',
    );
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['skips a tier', { fromTier: 'seed', toTier: 'tree' }, 'payload.toTier', /'tree' is not the tier after 'seed' in botanical: a rule moves a sprout to 'sprout' only/],
    ['moves a sprout down', { fromTier: 'tree', toTier: 'seed' }, 'payload.toTier', /'seed' is not the tier after 'tree' in botanical: a rule moves a sprout to 'grove' only/],
    ['moves a sprout one tier down', { fromTier: 'tree', toTier: 'sapling' }, 'payload.toTier', /a rule moves a sprout to 'grove' only/],
    ['starts at the last tier', { fromTier: 'grove', toTier: 'tree' }, 'payload.fromTier', /'grove' is the last tier of botanical/],
  ])('refuses a rule that %s, naming the field', (_case, payload, field, message) => {
    const error = refusal(() => checkRuleAgainstModel(parseAdvancementRule(withPayload(payload)), BOTANICAL));
    expect(error).toMatchObject({ code: GroveErrorCode.Invalid, field });
    expect(error.message).toMatch(message);
  });

  it('accepts every move to the next tier, and the demo data\'s rules', () => {
    for (const [from, to] of [['seed', 'sprout'], ['sprout', 'sapling'], ['sapling', 'tree'], ['tree', 'grove']]) {
      expect(findRuleProblem({ payload: { lifecycleModelId: 'botanical', fromTier: from as string, toTier: to as string } }, BOTANICAL)).toBeUndefined();
    }
    for (const rule of DEMO_RULES) expect(() => checkRuleAgainstModel(parseAdvancementRule(rule), BOTANICAL)).not.toThrow();
  });

  it('leaves stored rules that do not move to the next tier out of a batch, saying why', () => {
    const plan = planUsableRules([aRule('ok'), aRule('jump', { toTier: 'tree' }), aRule('down', { fromTier: 'tree', toTier: 'seed' }), aRule('gone', { lifecycleModelId: 'kitchen' })], [BOTANICAL]);
    expect(plan.usable.map((r) => r.meta.id)).toEqual(['ok']);
    expect(plan.skipped.map((s) => [s.ruleId, s.field])).toEqual([
      ['jump', 'payload.toTier'],
      ['down', 'payload.toTier'],
      ['gone', 'payload.lifecycleModelId'],
    ]);
  });
});

describe('the groups a batch pages through', () => {
  const kitchen = { id: 'kitchen', tiers: ['raw', 'cooked'] };
  const rules = [
    aRule('a', { fromTier: 'sprout', toTier: 'sapling' }),
    aRule('b', { fromTier: 'seed', toTier: 'sprout' }),
    aRule('off', { fromTier: 'tree', toTier: 'grove', isEnabled: false }),
    aRule('k', { lifecycleModelId: 'kitchen', fromTier: 'raw', toTier: 'cooked' }),
  ];
  it.each<[string, { fromTiers?: string[]; lifecycleModelId?: string }, string[]]>([
    ['every tier with an enabled rule, in model then tier order', {}, ['botanical/seed', 'botanical/sprout', 'kitchen/raw']],
    ['one model', { lifecycleModelId: 'kitchen' }, ['kitchen/raw']],
    ['the tiers asked for, with or without a rule', { fromTiers: ['tree', 'seed'] }, ['botanical/seed', 'botanical/tree']],
    ['tiers asked for within one model', { fromTiers: ['raw'], lifecycleModelId: 'kitchen' }, ['kitchen/raw']],
  ])('%s', (_case, options, expected) => {
    expect(planAdvancementGroups({ models: [BOTANICAL, kitchen], rules, ...options }).map((g) => `${g.lifecycleModelId}/${g.tier}`)).toEqual(expected);
  });

  it.each<[string, { fromTiers?: string[]; lifecycleModelId?: string }, string]>([
    ['an unknown model', { lifecycleModelId: 'garden' }, 'lifecycleModelId'],
    ['an unknown tier', { fromTiers: ['seed', 'acorn'] }, 'fromTiers[1]'],
    ['a tier of another model', { fromTiers: ['raw'], lifecycleModelId: 'botanical' }, 'fromTiers[0]'],
  ])('refuses %s', (_case, options, field) => {
    expect(refusal(() => planAdvancementGroups({ models: [BOTANICAL, kitchen], rules, ...options })).field).toBe(field);
  });
});

describe('manual overrides', () => {
  const sprout = { id: 's1', tier: 'seed', lifecycleModelId: 'botanical' };
  it.each([
    ['a tier outside the model', 'forest', /not a tier of botanical/],
    ['the tier it is at', 'seed', /already at tier 'seed'/],
  ])('refuses %s', (_case, toTier, message) => {
    const error = refusal(() => checkTierOverride(sprout, BOTANICAL, toTier));
    expect(error.field).toBe('toTier');
    expect(error.message).toMatch(message);
  });
});

describe('rollback input', () => {
  const base = { since: '2026-01-01T00:00:00Z', until: '2026-01-02T00:00:00Z', operator: 'ana', reason: 'bad rule' };
  it.each<[string, Record<string, unknown>, string]>([
    ['a missing reason', { reason: undefined }, 'reason'],
    ['a blank reason', { reason: '  ' }, 'reason'],
    ['a missing operator', { operator: undefined }, 'operator'],
    ['until not after since', { until: '2026-01-01T00:00:00Z' }, 'until'],
    ['a since that is not a date-time', { since: 'yesterday' }, 'since'],
    ['an execution id that is not a UUID', { executionId: 'run-1' }, 'executionId'],
  ])('refuses %s', (_case, patch, field) => {
    expect(refusal(() => parseAdvancementInput(rollbackInput, { ...base, ...patch })).field).toBe(field);
  });
});

describe('planning a rollback', () => {
  let n = 0;
  const event = (sproutId: string, fromTier: string, toTier: string, at: string, currentTier: string | null): RollbackCandidate => ({
    eventId: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    sproutId,
    ruleId: 'r',
    executionId: null,
    fromTier,
    toTier,
    advancedAt: at,
    currentTier,
  });
  const T1 = '2026-01-01T02:00:00.000Z';
  const T2 = '2026-01-02T02:00:00.000Z';

  it.each<[string, RollbackCandidate[], string[], Array<[string, string, string]>]>([
    ['a sprout still at the advanced tier goes back', [event('a', 'seed', 'sprout', T1, 'sprout')], ['revert'], [['a', 'sprout', 'seed']]],
    ['a sprout that moved on is left alone', [event('a', 'seed', 'sprout', T1, 'sapling')], ['moved-on'], []],
    ['a deleted sprout is reported', [event('a', 'seed', 'sprout', T1, null)], ['sprout-missing'], []],
    [
      'two advancements in the range are undone newest first, back to the first tier',
      [event('a', 'seed', 'sprout', T1, 'sapling'), event('a', 'sprout', 'sapling', T2, 'sapling')],
      ['revert', 'revert'],
      [['a', 'sapling', 'seed']],
    ],
    [
      'once a newer advancement has moved on, older ones are left alone too',
      [event('a', 'seed', 'sprout', T1, 'tree'), event('a', 'sprout', 'sapling', T2, 'tree')],
      ['moved-on', 'moved-on'],
      [],
    ],
    [
      'moves that cancel out are undone without a tier change',
      [event('a', 'seed', 'sprout', T1, 'seed'), event('a', 'sprout', 'seed', T2, 'seed')],
      ['revert', 'revert'],
      [['a', 'seed', 'seed']],
    ],
  ])('%s', (_case, candidates, actions, changes) => {
    const plan = planRollback(candidates);
    expect(plan.items.map((i) => i.action).sort()).toEqual([...actions].sort());
    expect(plan.items.every((i) => i.stillAtAdvancedTier === (i.action === 'revert'))).toBe(true);
    expect(plan.sproutChanges.map((s) => [s.sproutId, s.fromTier, s.toTier])).toEqual(changes);
    expect(plan.reverts + plan.movedOn + plan.missing).toBe(candidates.length);
  });
});
