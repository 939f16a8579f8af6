import type { Command } from 'commander';
import type { AdvancementRule, RollbackItem } from '../domain/grove/index.js';
import { cliActor, type CliContext, withSystem } from './context.js';
import { UsageError } from './errors.js';
import { readJsonFile } from './input.js';
import { json, table } from './output.js';

function criteriaText(rule: AdvancementRule): string {
  const { criteria, logicOperator } = rule.payload;
  return criteria.length === 0 ? '(no criteria: never advances)' : criteria.map((c) => `${c.signal} ${c.operator} ${c.threshold}`).join(` ${logicOperator} `);
}


function itemsTable(items: readonly RollbackItem[]): string {
  return table(
    ['SPROUT', 'ADVANCED', 'AT', 'NOW', 'ACTION'],
    items.map((i) => [i.sproutId, `${i.fromTier} → ${i.toTier}`, i.advancedAt, i.currentTier ?? '(deleted)', i.action]),
  );
}

/** `grove-jobs rules …`, `grove-jobs tier set …` and `grove-jobs rollback …`. */
export function registerAdvancement(program: Command, context: CliContext): void {
  const { io } = context;
  const rules = program.command('rules').description('advancement rules: list, create, update, delete');

  rules
    .command('list')
    .description('every rule, in the order they apply')
    .option('--json', 'print { items: [rule] }')
    .action((options: { json?: boolean }) =>
      withSystem(context, async (system) => {
        const items = await system.grove.advancement.rules();
        const problems = await system.grove.advancement.ruleProblems(items);
        if (options.json) return io.out(json({ items: items.map((r) => (problems.has(r.meta.id) ? { ...r, problem: problems.get(r.meta.id) } : r)) }));
        if (items.length === 0) return io.out('No advancement rules.');
        const lines = [
          table(
            ['ORDER', 'ID', 'MODEL', 'FROM → TO', 'ENABLED', 'CRITERIA'],
            items.map((r) => [
              String(r.payload.order),
              r.meta.id,
              r.payload.lifecycleModelId,
              `${r.payload.fromTier} → ${r.payload.toTier}`,
              problems.has(r.meta.id) ? 'skipped' : r.payload.isEnabled ? 'yes' : 'no',
              criteriaText(r),
            ]),
          ),
        ];
        // Rules stored before a rule had to move a sprout to the next tier: the batch skips them.
        for (const [id, problem] of problems) lines.push(`Rule ${id} is skipped by advancement-batch: ${problem.field}: ${problem.message}. Fix it with rules update, or delete it.`);
        io.out(lines.join('\n'));
      }),
    );

  rules
    .command('create')
    .description('create a rule from { meta: { id, title }, payload: { lifecycleModelId, fromTier, toTier, criteria, logicOperator, isEnabled, order } }; toTier is the tier right after fromTier')
    .requiredOption('--file <path>', "the JSON file, or '-' for standard input")
    .option('--json', 'print the stored rule')
    .action((options: { file: string; json?: boolean }) =>
      withSystem(context, async (system) => {
        const rule = await system.grove.advancement.createRule(await readJsonFile(context, options.file));
        io.out(options.json ? json(rule) : `Created rule ${rule.meta.id} (version ${rule.meta.version}).`);
      }),
    );

  rules
    .command('update')
    .description('replace a rule; meta.version in the file is the version the edit is based on (a stale one exits 3)')
    .requiredOption('--file <path>', "the JSON file, or '-' for standard input")
    .option('--json', 'print the stored rule')
    .action((options: { file: string; json?: boolean }) =>
      withSystem(context, async (system) => {
        const rule = await system.grove.advancement.updateRule(await readJsonFile(context, options.file));
        io.out(options.json ? json(rule) : `Updated rule ${rule.meta.id} (version ${rule.meta.version}).`);
      }),
    );

  rules
    .command('delete')
    .description('delete a rule (its past advancement events keep its id)')
    .argument('<id>', 'rule id')
    .option('--if-version <n>', 'only if the rule is still at this version')
    .option('--json', 'print { deleted }')
    .action((id: string, options: { ifVersion?: string; json?: boolean }) =>
      withSystem(context, async (system) => {
        if (options.ifVersion !== undefined && !/^[1-9]\d*$/.test(options.ifVersion)) throw new UsageError('--if-version', `'${options.ifVersion}' must be a version number`);
        await system.grove.advancement.deleteRule(id, options.ifVersion === undefined ? undefined : Number(options.ifVersion));
        io.out(options.json ? json({ deleted: id }) : `Deleted rule ${id}.`);
      }),
    );

  program
    .command('tier')
    .description("set a sprout's tier by hand")
    .command('set')
    .description('move a sprout to a tier, recorded as a manual-override event with your reason')
    .argument('<sprout>', 'sprout id')
    .argument('<tier>', 'the new tier')
    .requiredOption('--reason <text>', 'why (recorded)')
    .option('--json', 'print the advancement event')
    .action((sproutId: string, toTier: string, options: { reason: string; json?: boolean }) =>
      withSystem(context, async (system) => {
        const event = await system.grove.advancement.overrideTier({ sproutId, toTier, operator: cliActor(context.env), reason: options.reason });
        io.out(options.json ? json(event) : `${sproutId}: ${event.fromTier} → ${event.toTier} (manual override by ${event.operatorId}).`);
      }),
    );

  program
    .command('rollback')
    .description('undo the auto-advancements of a time range (optionally of one rule or run); --preview shows exactly what would change')
    .requiredOption('--since <iso>', 'from this instant (inclusive), ISO 8601 with an offset')
    .requiredOption('--until <iso>', 'to this instant (exclusive)')
    .option('--rule <id>', 'only advancements made by this rule')
    .option('--execution <id>', 'only advancements made by this execution (its id, or a prefix of at least 8 hex digits)')
    .option('--reason <text>', 'why (required unless --preview)')
    .option('--preview', 'show what would change, change nothing')
    .option('--json', 'print the plan or the result as JSON')
    .action((options: { since: string; until: string; rule?: string; execution?: string; reason?: string; preview?: boolean; json?: boolean }) =>
      withSystem(context, async (system) => {
        const filter = {
          since: options.since,
          until: options.until,
          ...(options.rule ? { ruleId: options.rule } : {}),
          // A prefix as history prints it names its whole id, as in logs, retry and cancel.
          ...(options.execution ? { executionId: await system.executions.resolveId(options.execution, '--execution') } : {}),
        };
        const advancement = system.grove.advancement;
        if (options.preview) {
          const plan = await advancement.previewRollback(filter);
          if (options.json) return io.out(json(plan));
          return io.out(
            plan.items.length === 0
              ? 'Nothing to roll back in that range.'
              : `${itemsTable(plan.items)}\n\nWould return ${plan.reverts} advancement(s); ${plan.movedOn} moved on since and ${plan.missing} deleted sprout(s) would be left alone.`,
          );
        }
        if (!options.reason) throw new UsageError('--reason', 'is required: say why (or use --preview)');
        const result = await advancement.applyRollback({ ...filter, operator: cliActor(context.env), reason: options.reason });
        if (options.json) return io.out(json(result));
        const lines = [`Rolled back ${result.reverted.length} advancement(s).`];
        if (result.leftAlone.length > 0) lines.push(`Left alone (moved on since, or deleted):\n${itemsTable(result.leftAlone)}`);
        io.out(lines.join('\n'));
      }),
    );
}
