import {
  type AdvancementEvent,
  type AdvancementEventFilterInput,
  type AdvancementRule,
  findRuleProblem,
  GroveError,
  GroveErrorCode,
  type RollbackFilterInput,
  type RollbackInput,
  type RollbackPlan,
  type RuleProblem,
} from '../../domain/grove/index.js';
import type { AdvancementStore, Clock, RollbackResult } from '../ports.js';

/** Advancement rules, manual tier overrides, bulk rollback and the audit trail, on the engine's clock. */
export class AdvancementService {
  constructor(
    private readonly store: AdvancementStore,
    private readonly clock: Clock,
  ) {}

  rules(filter: { lifecycleModelId?: string; enabledOnly?: boolean } = {}): Promise<AdvancementRule[]> {
    return this.store.listRules(filter);
  }

  async rule(id: string): Promise<AdvancementRule> {
    const rule = await this.store.getRule(id);
    if (!rule) throw new GroveError(GroveErrorCode.NotFound, `no advancement rule '${id}'`, 'ruleId');
    return rule;
  }

  /**
   * What is wrong with each of these stored rules that the batch would skip (see
   * findRuleProblem), by rule id: rules stored before they had to move a sprout to the next
   * tier of their model. Rules without a problem are not in the map.
   */
  async ruleProblems(rules: readonly AdvancementRule[]): Promise<Map<string, RuleProblem>> {
    const models = await this.store.listLifecycleModels();
    const problems = new Map<string, RuleProblem>();
    for (const rule of rules) {
      const problem = findRuleProblem(rule, models.find((m) => m.id === rule.payload.lifecycleModelId));
      if (problem) problems.set(rule.meta.id, problem);
    }
    return problems;
  }

  createRule(input: unknown): Promise<AdvancementRule> {
    return this.store.createRule(input, this.clock.now());
  }

  /** `meta.version` in the input is the version the edit is based on: a stale one is a conflict. */
  updateRule(input: unknown): Promise<AdvancementRule> {
    return this.store.updateRule(input, this.clock.now());
  }

  deleteRule(id: string, expectedVersion?: number): Promise<void> {
    return this.store.deleteRule(id, expectedVersion);
  }

  overrideTier(input: { sproutId: string; toTier: string; operator: string; reason: string }): Promise<AdvancementEvent> {
    return this.store.overrideTier(input, this.clock.now());
  }

  previewRollback(filter: RollbackFilterInput): Promise<RollbackPlan> {
    return this.store.previewRollback(filter);
  }

  applyRollback(input: RollbackInput): Promise<RollbackResult> {
    return this.store.applyRollback(input, this.clock.now());
  }

  events(filter: AdvancementEventFilterInput): Promise<AdvancementEvent[]> {
    return this.store.listEvents(filter);
  }
}
