import type { JobContext, JobOutcome } from '../../domain/config/index.js';
import { applicableRules, planAdvancementGroups, planUsableRules, type SkippedRule } from '../../domain/grove/index.js';
import type { AdvancementCursor, AdvancementRun, AdvancementScope, AdvancementStore } from '../../engine/ports.js';
import type { AdvancementBatchParameters } from './parameters.js';

/** Changes listed in the result (the first ones of the run); the counts cover all of them. */
export const ADVANCEMENT_SAMPLE_SIZE = 20;

export interface AdvancementBatchResult {
  dryRun: boolean;
  signalPeriod: string;
  /** The (model, tier) groups paged through, in order. */
  groups: Array<{ lifecycleModelId: string; tier: string }>;
  /** Sprouts in the groups when the run started. */
  candidates: number;
  /** Sprouts whose signals were tested against the rules. */
  evaluated: number;
  /** Sprouts moved (in a dry run: that would have moved). */
  advanced: number;
  /** Sprouts with no aggregation row for the period: not evaluated, not moved. */
  skippedNoSignals: number;
  /** Sprouts whose tier changed between the read and the write: kept as they were. */
  skippedConcurrentChange: number;
  /** Enabled rules not applied: they do not move a sprout to the next tier of its model. */
  skippedRules: SkippedRule[];
  /** Pages read and (unless dry) committed, each in one transaction. */
  pages: number;
  byRule: Record<string, number>;
  sample: Array<{ sproutId: string; fromTier: string; toTier: string; ruleId: string }>;
}

/**
 * Evaluates every candidate sprout against the enabled rules, one keyset page of
 * `context.batchSize` at a time, and commits each page's tier changes with their events in
 * one transaction. A page is read (its sprout ids), then one statement evaluates the rules on
 * the sprouts' signals in the database, as decideAdvancement does, and writes the moves
 * guarded on the tier each sprout was read at. Rules are read once at the start: an edit
 * during a run applies from the next run. Progress after each page: total = candidates at the start, processed = sprouts
 * read (evaluated + skipped for want of signals), succeeded = sprouts advanced (would advance
 * in a dry run), failed = 0 (a page that cannot be written fails the run, and the pages
 * before it stay committed: a re-run picks up the rest). The abort signal is checked before
 * each page.
 */
export function executeAdvancementBatch(deps: { advancement: AdvancementStore }) {
  return async (context: JobContext<AdvancementBatchParameters>): Promise<JobOutcome> => {
    const store = deps.advancement;
    const { signalPeriod, fromTiers, lifecycleModelId } = context.parameters;
    const dryRun = context.dryRun;

    const [models, enabledRules] = await Promise.all([store.listLifecycleModels(), store.listRules({ enabledOnly: true })]);
    const { usable: allRules, skipped: skippedRules } = planUsableRules(enabledRules, models);
    for (const skipped of skippedRules) {
      context.log('warn', `rule ${skipped.ruleId} skipped: ${skipped.field}: ${skipped.message}; fix or delete the rule`, { ...skipped });
    }
    const groups = planAdvancementGroups({ models, rules: allRules, fromTiers, lifecycleModelId });
    const scope: AdvancementScope = { groups, period: signalPeriod, runExecutionIds: await store.runExecutionIds(context.executionId) };
    // Each group's rules in the order they are tried, resolved once; the store evaluates them
    // in the database as decideAdvancement would, page by page.
    const run: AdvancementRun = {
      scope,
      groupRules: groups.map((g) => applicableRules(allRules, g.lifecycleModelId, g.tier)),
      executionId: context.executionId,
      dryRun,
    };

    const result: AdvancementBatchResult = {
      dryRun,
      signalPeriod,
      groups: groups.map((g) => ({ ...g })),
      candidates: groups.length === 0 ? 0 : await store.countCandidates(scope),
      evaluated: 0,
      advanced: 0,
      skippedNoSignals: 0,
      skippedConcurrentChange: 0,
      skippedRules,
      pages: 0,
      byRule: {},
      sample: [],
    };
    context.log('info', `advancement ${dryRun ? 'dry run ' : ''}over ${result.candidates} sprouts`, {
      signalPeriod,
      groups: result.groups,
      batchSize: context.batchSize,
    });
    context.progress({ total: result.candidates, processed: 0, succeeded: 0, failed: 0 });

    let cursor: AdvancementCursor | null = null;
    while (groups.length > 0) {
      context.signal.throwIfAborted();
      const page = await store.readCandidates(scope, cursor, context.batchSize);
      if (page.size === 0 || !page.last) break;

      // One statement decides the page and (unless dry) writes its moves and their events,
      // timestamped with the engine clock as the page commits.
      const outcome = await store.advancePage(run, page, context.now(), ADVANCEMENT_SAMPLE_SIZE - result.sample.length);
      result.evaluated += outcome.evaluated;
      result.skippedNoSignals += page.size - outcome.evaluated;
      result.skippedConcurrentChange += outcome.matched - outcome.advanced;
      result.advanced += outcome.advanced;
      for (const [ruleId, n] of Object.entries(outcome.byRule)) result.byRule[ruleId] = (result.byRule[ruleId] ?? 0) + n;
      result.sample.push(...outcome.sample);

      result.pages += 1;
      cursor = page.last;
      context.progress({
        total: result.candidates,
        processed: result.evaluated + result.skippedNoSignals,
        succeeded: result.advanced,
        failed: 0,
      });
      if (page.size < context.batchSize) break;
    }

    const summary = describe(result);
    context.log('info', summary, { advanced: result.advanced, byRule: result.byRule });
    return {
      summary,
      result: result as unknown as Record<string, unknown>,
      items: { total: result.candidates, processed: result.evaluated + result.skippedNoSignals, succeeded: result.advanced, failed: 0 },
    };
  };
}

function describe(r: AdvancementBatchResult): string {
  if (r.groups.length === 0) {
    const skipped = r.skippedRules.length > 0 ? ` (${r.skippedRules.length} skipped, not moving to the next tier: ${r.skippedRules.map((s) => s.ruleId).join(', ')})` : '';
    return `No enabled advancement rule applies${skipped}: nothing to evaluate.`;
  }
  const moves = Object.entries(r.byRule)
    .map(([rule, n]) => `${rule}: ${n}`)
    .join(', ');
  const verb = r.dryRun ? 'would advance' : 'advanced';
  const parts = [
    `${r.dryRun ? 'Dry run: ' : ''}evaluated ${r.evaluated} sprouts in ${r.pages} pages`,
    `${r.advanced} ${verb}${moves ? ` (${moves})` : ''}`,
    `${r.skippedNoSignals} skipped without ${r.signalPeriod} signals`,
  ];
  if (r.skippedRules.length > 0) parts.push(`${r.skippedRules.length} rule(s) skipped, not moving to the next tier: ${r.skippedRules.map((s) => s.ruleId).join(', ')}`);
  if (r.skippedConcurrentChange > 0) parts.push(`${r.skippedConcurrentChange} left alone (tier changed meanwhile)`);
  return `${parts.join('; ')}.`;
}
