import { z } from 'zod';
import { GroveError, GroveErrorCode } from './errors.js';
import { DEFAULT_LIFECYCLE_MODEL, type SignalPeriod, type SignalValues } from './model.js';

// Errors are GroveErrors (errors.ts): Invalid names the failing field as a path such as
// `payload.criteria[0].threshold`; NotFound, Exists and Conflict (a stale rule version) name
// what was missing or stale.

/** A zod issue path as a field path: `payload.criteria[0].threshold`. */
function fieldPath(prefix: string, path: ReadonlyArray<PropertyKey>): string {
  let out = prefix;
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  return out;
}

/** An Invalid GroveError naming `field`. */
export function invalidAdvancementInput(field: string, message: string): GroveError {
  return new GroveError(GroveErrorCode.Invalid, message, field);
}

/** Parses with `schema`, or throws an Invalid GroveError naming the first failing field. */
export function parseAdvancementInput<S extends z.ZodType>(schema: S, input: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw invalidAdvancementInput(prefix || '(input)', 'is invalid');
  if (issue.code === 'unrecognized_keys') {
    throw invalidAdvancementInput(fieldPath(prefix, [...issue.path, issue.keys[0] ?? '']), 'is not a known field');
  }
  throw invalidAdvancementInput(fieldPath(prefix, issue.path) || '(input)', issue.message);
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

/** The signals a rule may test, and the aggregation value each one reads. */
export const RULE_SIGNALS = ['retrievals', 'citations', 'queryDiversity', 'utilityScore'] as const;
export type RuleSignal = (typeof RULE_SIGNALS)[number];

export const RULE_OPERATORS = ['>=', '>', '<=', '<', '=='] as const;
export type RuleOperator = (typeof RULE_OPERATORS)[number];

export const RULE_LOGIC_OPERATORS = ['AND', 'OR'] as const;
export type RuleLogicOperator = (typeof RULE_LOGIC_OPERATORS)[number];

/**
 * A rule's values are computed floats (diversity is a mean of thirds, utility a ratio), so
 * comparisons treat values within this distance as equal: (1 + 1 + 0.4) / 3 satisfies
 * `queryDiversity >= 0.8` although it is 0.7999999999999999 in binary. `>` and `<` are the
 * strict complements of `<=` and `>=`, so every operator agrees on what "equal" means.
 */
export const RULE_COMPARISON_TOLERANCE = 1e-9;

const ruleId = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'must start with a letter or digit and use only letters, digits, . _ : -');
const tierName = z.string().trim().min(1).max(100);
const modelId = z.string().trim().min(1).max(200);

export const ruleCriterion = z.strictObject({
  signal: z.enum(RULE_SIGNALS, { error: `must be one of ${RULE_SIGNALS.join(', ')}` }),
  operator: z.enum(RULE_OPERATORS, { error: `must be one of ${RULE_OPERATORS.join(' ')}` }),
  threshold: z.number({ error: 'must be a finite number' }).refine(Number.isFinite, 'must be a finite number'),
});
export type RuleCriterion = z.output<typeof ruleCriterion>;

/**
 * A rule as written by an operator. Omitted: title → the id, criteria → [] (never advances),
 * logicOperator → AND, isEnabled → true, order → 0, lifecycleModelId → botanical. On update,
 * `meta.version` is required: it is the version the edit was based on.
 */
export const advancementRuleInput = z.strictObject({
  meta: z.strictObject({
    id: ruleId,
    title: z.string().trim().min(1).max(200).optional(),
    // Stored as a PostgreSQL integer: a larger number could never match a stored version.
    version: z.int().min(1).max(2_147_483_647, 'is not a version: versions are at most 2147483647').optional(),
  }),
  payload: z
    .strictObject({
      lifecycleModelId: modelId.default(DEFAULT_LIFECYCLE_MODEL),
      fromTier: tierName,
      toTier: tierName,
      criteria: z.array(ruleCriterion).max(50).default([]),
      logicOperator: z.enum(RULE_LOGIC_OPERATORS, { error: 'must be AND or OR' }).default('AND'),
      isEnabled: z.boolean().default(true),
      order: z.int().min(-1_000_000).max(1_000_000).default(0),
    })
    .superRefine((payload, ctx) => {
      if (payload.fromTier === payload.toTier) {
        ctx.addIssue({ code: 'custom', path: ['toTier'], message: `must differ from fromTier ('${payload.fromTier}')` });
      }
    }),
});
export type AdvancementRuleInput = z.input<typeof advancementRuleInput>;
/** A rule that passed the shape checks but not yet the lifecycle-model check. */
export type AdvancementRuleDraft = z.output<typeof advancementRuleInput>;

export interface AdvancementRulePayload {
  lifecycleModelId: string;
  fromTier: string;
  toTier: string;
  criteria: RuleCriterion[];
  logicOperator: RuleLogicOperator;
  isEnabled: boolean;
  order: number;
}

/** A stored rule. */
export interface AdvancementRule {
  meta: { id: string; title: string; version: number; createdAt: string; updatedAt: string };
  payload: AdvancementRulePayload;
}

/** What rules need of a lifecycle model: its id and tiers, lowest first. */
export interface TieredModel {
  id: string;
  tiers: readonly string[];
}

/** Parses a rule's shape; throws an Invalid AdvancementError naming the failing field. */
export function parseAdvancementRule(input: unknown): AdvancementRuleDraft {
  return parseAdvancementInput(advancementRuleInput, input);
}

/** The tier after `tier` in `model` (undefined: `tier` is the last one or not a tier of it). */
export function nextTier(model: TieredModel, tier: string): string | undefined {
  const at = model.tiers.indexOf(tier);
  return at < 0 ? undefined : model.tiers[at + 1];
}

/** Why a rule cannot be applied in its lifecycle model, naming the field; undefined when it can. */
export interface RuleProblem {
  field: string;
  message: string;
}

/**
 * What is wrong with a rule against its lifecycle model (undefined: the model does not
 * exist), or undefined when nothing is: both tiers must be tiers of the model, and `toTier`
 * the tier right after `fromTier`. A rule moves a sprout one tier up, never several and never
 * down (a manual override does the rest), so a run's advancements are one step each and a
 * rollback undoes exactly one step.
 *
 * @example
 * findRuleProblem({ payload: { lifecycleModelId: 'botanical', fromTier: 'seed', toTier: 'tree' } }, BOTANICAL)
 * // → { field: 'payload.toTier', message: "'tree' is not the tier after 'seed' in botanical: a rule moves a sprout to 'sprout' only" }
 */
export function findRuleProblem(
  rule: { payload: Pick<AdvancementRulePayload, 'lifecycleModelId' | 'fromTier' | 'toTier'> },
  model: TieredModel | undefined,
): RuleProblem | undefined {
  const { lifecycleModelId, fromTier, toTier } = rule.payload;
  if (!model) return { field: 'payload.lifecycleModelId', message: `'${lifecycleModelId}' is not a lifecycle model` };
  for (const field of ['fromTier', 'toTier'] as const) {
    if (!model.tiers.includes(rule.payload[field])) {
      return { field: `payload.${field}`, message: `'${rule.payload[field]}' is not a tier of ${model.id} (${model.tiers.join(', ')})` };
    }
  }
  const next = nextTier(model, fromTier);
  if (next === undefined) return { field: 'payload.fromTier', message: `'${fromTier}' is the last tier of ${model.id}: there is no tier to advance to` };
  if (toTier !== next) return { field: 'payload.toTier', message: `'${toTier}' is not the tier after '${fromTier}' in ${model.id}: a rule moves a sprout to '${next}' only` };
  return undefined;
}

/** Checks a parsed rule against its lifecycle model (see findRuleProblem); throws an Invalid GroveError naming the field. */
export function checkRuleAgainstModel(rule: AdvancementRuleDraft, model: TieredModel | undefined): void {
  const problem = findRuleProblem(rule, model);
  if (problem) throw invalidAdvancementInput(problem.field, problem.message);
}

// ---------------------------------------------------------------------------------------------
// The evaluator
// ---------------------------------------------------------------------------------------------

/** The values rules test; a missing (undefined or null) value skips the criteria on it. */
export type RuleSignalValues = Partial<Record<RuleSignal, number | null>>;

/**
 * A sprout's rule signals from its aggregated signals: retrievals = retrievalCount,
 * citations = referenceCount, queryDiversity = diversityIndex, and utilityScore rescaled
 * from −1…1 to 0…1 as (utilityScore + 1) / 2.
 */
export function ruleSignalValues(signals: Partial<SignalValues>): RuleSignalValues {
  const value = (n: number | null | undefined) => (typeof n === 'number' && Number.isFinite(n) ? n : null);
  const utility = value(signals.utilityScore);
  return {
    retrievals: value(signals.retrievalCount),
    citations: value(signals.referenceCount),
    queryDiversity: value(signals.diversityIndex),
    utilityScore: utility === null ? null : (utility + 1) / 2,
  };
}

/** One criterion's outcome: `met` is null when its signal was missing and it was skipped. */
export interface CriterionResult {
  signal: RuleSignal;
  operator: RuleOperator;
  threshold: number;
  value: number | null;
  met: boolean | null;
}

export function compareRuleValue(value: number, operator: RuleOperator, threshold: number): boolean {
  const equal = Math.abs(value - threshold) <= RULE_COMPARISON_TOLERANCE;
  switch (operator) {
    case '==':
      return equal;
    case '>=':
      return equal || value > threshold;
    case '<=':
      return equal || value < threshold;
    case '>':
      return !equal && value > threshold;
    case '<':
      return !equal && value < threshold;
  }
}

/** One criterion against the rule signals: the value it read and whether it held (null: skipped, the signal is missing). */
export function evaluateCriterion(criterion: RuleCriterion, signals: RuleSignalValues): CriterionResult {
  const raw = signals[criterion.signal];
  const value = typeof raw === 'number' && Number.isFinite(raw) ? raw : null;
  return { signal: criterion.signal, operator: criterion.operator, threshold: criterion.threshold, value, met: value === null ? null : compareRuleValue(value, criterion.operator, criterion.threshold) };
}

/** Why a rule did or did not match. */
export type RuleOutcome = 'matched' | 'not-met' | 'no-criteria' | 'all-signals-missing';

export interface RuleEvaluation {
  ruleId: string;
  outcome: RuleOutcome;
  criteria: CriterionResult[];
}

/**
 * Evaluates one rule. Criteria whose signal is missing are skipped; the others decide: AND
 * needs every one of them met, OR at least one. A rule with no criteria never matches, and
 * neither does one whose every criterion was skipped (AND and OR alike): advancing a sprout
 * on no evidence at all would be the seeds' "missing means pass" bug.
 */
export function evaluateRule(rule: Pick<AdvancementRule, 'meta' | 'payload'>, signals: RuleSignalValues): RuleEvaluation {
  const criteria = rule.payload.criteria.map((criterion) => evaluateCriterion(criterion, signals));
  const decided = criteria.filter((c) => c.met !== null);
  let outcome: RuleOutcome;
  if (criteria.length === 0) outcome = 'no-criteria';
  else if (decided.length === 0) outcome = 'all-signals-missing';
  else if (rule.payload.logicOperator === 'AND') outcome = decided.every((c) => c.met) ? 'matched' : 'not-met';
  else outcome = decided.some((c) => c.met) ? 'matched' : 'not-met';
  return { ruleId: rule.meta.id, outcome, criteria };
}

/** The rules that apply to a sprout of `tier` in `lifecycleModelId`, in the order they are tried. */
export function applicableRules<R extends Pick<AdvancementRule, 'meta' | 'payload'>>(rules: readonly R[], lifecycleModelId: string, tier: string): R[] {
  return rules
    .filter((r) => r.payload.isEnabled && r.payload.lifecycleModelId === lifecycleModelId && r.payload.fromTier === tier)
    .sort((a, b) => a.payload.order - b.payload.order || (a.meta.id < b.meta.id ? -1 : a.meta.id > b.meta.id ? 1 : 0));
}

export type AdvancementDecision =
  | { advance: true; ruleId: string; fromTier: string; toTier: string; criteriaMet: CriterionResult[] }
  | { advance: false; evaluations: RuleEvaluation[] };

/**
 * Decides one sprout: the enabled rules of its model and tier are tried in `order` (ties by
 * rule id) and the first that matches moves it to its `toTier`.
 *
 * @example
 * decideAdvancement({ lifecycleModelId: 'botanical', tier: 'seed' }, rules, { retrievals: 12 })
 * // → { advance: true, ruleId: 'seed-to-sprout', fromTier: 'seed', toTier: 'sprout', criteriaMet: [...] }
 */
export function decideAdvancement(
  sprout: { lifecycleModelId: string; tier: string },
  rules: ReadonlyArray<Pick<AdvancementRule, 'meta' | 'payload'>>,
  signals: RuleSignalValues,
): AdvancementDecision {
  const evaluations: RuleEvaluation[] = [];
  for (const rule of applicableRules(rules, sprout.lifecycleModelId, sprout.tier)) {
    const evaluation = evaluateRule(rule, signals);
    if (evaluation.outcome === 'matched') {
      return { advance: true, ruleId: rule.meta.id, fromTier: sprout.tier, toTier: rule.payload.toTier, criteriaMet: evaluation.criteria };
    }
    evaluations.push(evaluation);
  }
  return { advance: false, evaluations };
}

/** A stored rule the batch leaves out, and why. */
export interface SkippedRule {
  ruleId: string;
  field: string;
  message: string;
}

/**
 * Splits stored rules into those the batch applies and those it skips: a rule stored before
 * rules had to move a sprout to the next tier of its model (or whose model lost a tier) is
 * never applied, so a run does not jump or demote sprouts; the operator fixes or deletes it.
 */
export function planUsableRules<R extends Pick<AdvancementRule, 'meta' | 'payload'>>(
  rules: readonly R[],
  models: readonly TieredModel[],
): { usable: R[]; skipped: SkippedRule[] } {
  const usable: R[] = [];
  const skipped: SkippedRule[] = [];
  for (const rule of rules) {
    const problem = findRuleProblem(rule, models.find((m) => m.id === rule.payload.lifecycleModelId));
    if (problem) skipped.push({ ruleId: rule.meta.id, ...problem });
    else usable.push(rule);
  }
  return { usable, skipped };
}

// ---------------------------------------------------------------------------------------------
// The batch's scope
// ---------------------------------------------------------------------------------------------

/** One (lifecycle model, tier) group the batch pages through, in this order. */
export interface AdvancementGroup {
  lifecycleModelId: string;
  tier: string;
}

/**
 * The groups a batch run covers: the tiers in `fromTiers` (of the given model, or of every
 * model that has them), else every (model, tier) with an enabled rule. Groups come in model
 * order, then tier order within the model. Refuses a model or tier that does not exist.
 */
export function planAdvancementGroups(input: {
  models: readonly TieredModel[];
  rules: ReadonlyArray<Pick<AdvancementRule, 'payload'>>;
  fromTiers?: readonly string[] | undefined;
  lifecycleModelId?: string | undefined;
}): AdvancementGroup[] {
  const { rules, fromTiers, lifecycleModelId } = input;
  const models = lifecycleModelId === undefined ? input.models : input.models.filter((m) => m.id === lifecycleModelId);
  if (lifecycleModelId !== undefined && models.length === 0) {
    throw invalidAdvancementInput('lifecycleModelId', `'${lifecycleModelId}' is not a lifecycle model`);
  }
  if (fromTiers) {
    fromTiers.forEach((tier, index) => {
      if (!models.some((m) => m.tiers.includes(tier))) {
        throw invalidAdvancementInput(`fromTiers[${index}]`, `'${tier}' is not a tier of ${models.map((m) => m.id).join(', ')}`);
      }
    });
  }
  return models.flatMap((model) =>
    model.tiers
      .filter((tier) =>
        fromTiers
          ? fromTiers.includes(tier)
          : rules.some((r) => r.payload.isEnabled && r.payload.lifecycleModelId === model.id && r.payload.fromTier === tier),
      )
      .map((tier) => ({ lifecycleModelId: model.id, tier })),
  );
}

// ---------------------------------------------------------------------------------------------
// Advancement events, overrides and rollback
// ---------------------------------------------------------------------------------------------

/** One period's aggregation row of a sprout as read, with when it was computed. */
export interface PeriodSignals extends SignalValues {
  period: SignalPeriod;
  computedAt: string;
}

/**
 * The signal snapshot recorded on an auto-advancement. `ruleSignals` are exactly the values
 * the rules were evaluated on, under the rules' signal names and in their units (utilityScore
 * in 0…1): each recorded criterion result is its criterion applied to one of them
 * (`reproduceCriterion`). `aggregation` is the period's whole row as read, in its own units
 * (there utilityScore is −1…1, so the two utilityScores differ by design).
 */
export interface SignalSnapshot {
  period: SignalPeriod;
  computedAt: string;
  ruleSignals: Record<RuleSignal, number | null>;
  aggregation: SignalValues;
}

/** The snapshot of one period's signals; the batch evaluates the rules on its `ruleSignals`. */
export function takeSignalSnapshot(signals: PeriodSignals): SignalSnapshot {
  const { period, computedAt, ...aggregation } = signals;
  const rule = ruleSignalValues(aggregation);
  return {
    period,
    computedAt,
    ruleSignals: { retrievals: rule.retrievals ?? null, citations: rule.citations ?? null, queryDiversity: rule.queryDiversity ?? null, utilityScore: rule.utilityScore ?? null },
    aggregation,
  };
}

/**
 * A snapshot as stored: events written before snapshots carried `ruleSignals` hold the flat
 * aggregation row with period and computedAt, from which the batch derived the rule signals
 * with `ruleSignalValues`; they are read as the snapshot it would record now (the same
 * values, so their criteria stay reproducible). Anything else is returned as it is.
 */
export function readSignalSnapshot(stored: unknown): SignalSnapshot | null {
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) return null;
  if ('ruleSignals' in stored) return stored as SignalSnapshot;
  return takeSignalSnapshot(stored as PeriodSignals);
}

/** A recorded criterion evaluated again from a snapshot alone. */
export function reproduceCriterion(criterion: RuleCriterion, snapshot: SignalSnapshot): CriterionResult {
  return evaluateCriterion(criterion, snapshot.ruleSignals);
}

/** One row of the audit trail, camelCase. */
export interface AdvancementEvent {
  id: string;
  sproutId: string;
  ruleId: string | null;
  fromTier: string;
  toTier: string;
  eventType: 'auto-advancement' | 'manual-override' | 'bulk-rollback';
  executionId: string | null;
  criteriaMet: CriterionResult[] | null;
  /** Auto-advancements only; null on manual overrides and rollbacks (no rule was evaluated). */
  signalValues: SignalSnapshot | null;
  operatorId: string | null;
  reason: string | null;
  rolledBack: boolean;
  /** On a rolled-back event: the bulk-rollback event that undid it. */
  rolledBackBy: string | null;
  /** On a bulk-rollback event: the event it undid. */
  rollbackOf: string | null;
  /** When the change was made, ISO 8601. */
  timestamp: string;
}

const operatorId = z.string({ error: 'is required' }).trim().min(1, 'is required').max(200);
const reason = z.string({ error: 'is required' }).trim().min(1, 'is required: say why').max(2000);
const instant = z.union([z.date(), z.iso.datetime({ offset: true }).transform((v) => new Date(v))], {
  error: 'must be an ISO 8601 date-time with an offset',
});

export const tierOverrideInput = z.strictObject({
  sproutId: z.string().trim().min(1, 'is required'),
  toTier: tierName,
  operator: operatorId,
  reason,
});
export type TierOverrideInput = z.input<typeof tierOverrideInput>;

/** Checks a manual override against the sprout as it stands; throws naming `toTier`. */
export function checkTierOverride(sprout: { id: string; tier: string; lifecycleModelId: string }, model: TieredModel, toTier: string): void {
  if (!model.tiers.includes(toTier)) {
    throw invalidAdvancementInput('toTier', `'${toTier}' is not a tier of ${model.id} (${model.tiers.join(', ')})`);
  }
  if (sprout.tier === toTier) {
    throw invalidAdvancementInput('toTier', `sprout ${sprout.id} is already at tier '${toTier}'`);
  }
}

/**
 * Which auto-advancements a rollback covers: those made at or after `since` and before
 * `until` (half-open, so consecutive ranges never overlap), optionally of one rule or one
 * execution, not rolled back yet.
 */
export const rollbackFilterInput = z
  .strictObject({
    since: instant,
    until: instant,
    ruleId: z.string().trim().min(1).optional(),
    executionId: z.guid({ error: 'must be an execution id (a UUID)' }).optional(),
  })
  .superRefine((f, ctx) => {
    if (f.since.getTime() >= f.until.getTime()) ctx.addIssue({ code: 'custom', path: ['until'], message: 'must be after since' });
  });
export type RollbackFilterInput = z.input<typeof rollbackFilterInput>;
export type RollbackFilter = z.output<typeof rollbackFilterInput>;

export const rollbackInput = z
  .strictObject({
    since: instant,
    until: instant,
    ruleId: z.string().trim().min(1).optional(),
    executionId: z.guid({ error: 'must be an execution id (a UUID)' }).optional(),
    operator: operatorId,
    reason,
  })
  .superRefine((f, ctx) => {
    if (f.since.getTime() >= f.until.getTime()) ctx.addIssue({ code: 'custom', path: ['until'], message: 'must be after since' });
  });
export type RollbackInput = z.input<typeof rollbackInput>;

export const advancementEventFilterInput = z.strictObject({
  since: instant.optional(),
  until: instant.optional(),
  ruleId: z.string().trim().min(1).optional(),
  executionId: z.guid({ error: 'must be an execution id (a UUID)' }).optional(),
  sproutId: z.string().trim().min(1).optional(),
  limit: z.int().min(1).max(10_000).default(100),
});
export type AdvancementEventFilterInput = z.input<typeof advancementEventFilterInput>;
export type AdvancementEventFilter = z.output<typeof advancementEventFilterInput>;

/** An auto-advancement a rollback might undo, with where its sprout stands now (null: deleted). */
export interface RollbackCandidate {
  eventId: string;
  sproutId: string;
  ruleId: string | null;
  executionId: string | null;
  fromTier: string;
  toTier: string;
  advancedAt: string;
  currentTier: string | null;
}

export type RollbackAction = 'revert' | 'moved-on' | 'sprout-missing';

export interface RollbackItem extends RollbackCandidate {
  action: RollbackAction;
  /** True exactly when the rollback returns the sprout to `fromTier` (action `revert`). */
  stillAtAdvancedTier: boolean;
}

export interface RollbackPlan {
  /** Every candidate, newest first within a sprout, sprouts by id. */
  items: RollbackItem[];
  /**
   * Per sprout with an advancement undone: where it stands and where the rollback puts it
   * (the same tier when the undone moves cancel out, e.g. seed→sprout then sprout→seed).
   */
  sproutChanges: Array<{ sproutId: string; fromTier: string; toTier: string }>;
  reverts: number;
  movedOn: number;
  missing: number;
}

/**
 * Decides a rollback. Per sprout, the selected advancements are walked newest first: one is
 * undone when the sprout stands at its `toTier` (counting the undoing of the newer ones, so
 * seed→sprout→sapling in one range returns a sapling to seed); from the first that does not
 * hold on, that one and every older one are left alone as `moved-on`: the sprout changed
 * since, and the operator decides. Same input, same plan: the preview and the apply both
 * call this, the apply on rows it has locked.
 */
export function planRollback(candidates: readonly RollbackCandidate[]): RollbackPlan {
  const bySprout = new Map<string, RollbackCandidate[]>();
  for (const candidate of candidates) {
    const list = bySprout.get(candidate.sproutId) ?? [];
    list.push(candidate);
    bySprout.set(candidate.sproutId, list);
  }
  const items: RollbackItem[] = [];
  const sproutChanges: RollbackPlan['sproutChanges'] = [];
  for (const sproutId of [...bySprout.keys()].sort()) {
    const events = (bySprout.get(sproutId) ?? []).sort((a, b) =>
      a.advancedAt !== b.advancedAt ? Date.parse(b.advancedAt) - Date.parse(a.advancedAt) : a.eventId < b.eventId ? 1 : -1,
    );
    const current = events[0]?.currentTier ?? null;
    let tier = current;
    let holding = tier !== null;
    let reverted = false;
    for (const event of events) {
      let action: RollbackAction;
      if (current === null) action = 'sprout-missing';
      else if (holding && tier === event.toTier) {
        action = 'revert';
        reverted = true;
        tier = event.fromTier;
      } else {
        holding = false;
        action = 'moved-on';
      }
      items.push({ ...event, action, stillAtAdvancedTier: action === 'revert' });
    }
    if (reverted && current !== null && tier !== null) sproutChanges.push({ sproutId, fromTier: current, toTier: tier });
  }
  const count = (action: RollbackAction) => items.filter((i) => i.action === action).length;
  return { items, sproutChanges, reverts: count('revert'), movedOn: count('moved-on'), missing: count('sprout-missing') };
}
