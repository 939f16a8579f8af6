import type { Command } from 'commander';
import { ExecutionStatus } from '../domain/config/index.js';
import { type CliContext, withSystem } from './context.js';
import { UsageError } from './errors.js';
import { executionJson, executionsTable } from './execution-view.js';
import { json } from './output.js';

const STATUSES = Object.values(ExecutionStatus) as string[];

/** `grove-jobs history <config> [--limit N] [--status S]`: the latest executions, newest first. */
export function registerHistory(program: Command, context: CliContext): void {
  program
    .command('history')
    .description(
      "a config's executions, newest first: scheduled, manual, retries, skipped and missed slots; ids are shortened to the fewest hex digits (at least 8) no other execution starts with",
    )
    .argument('<config>', 'config id')
    .option('--limit <n>', 'how many (1-1000)', '20')
    .option('--status <status>', `only this status (${STATUSES.join(', ')})`)
    .option('--json', 'print one JSON document: { items: [execution] }')
    .action((configId: string, options: { limit: string; status?: string; json?: boolean }) =>
      withSystem(context, async (system) => {
        if (!/^\d+$/.test(options.limit) || Number(options.limit) < 1 || Number(options.limit) > 1000) {
          throw new UsageError('--limit', `'${options.limit}' must be a whole number from 1 to 1000`);
        }
        if (options.status !== undefined && !STATUSES.includes(options.status)) {
          throw new UsageError('--status', `'${options.status}' is not one of ${STATUSES.join(', ')}`);
        }
        const executions = await system.executions.list(configId, {
          limit: Number(options.limit),
          ...(options.status ? { status: options.status as ExecutionStatus } : {}),
        });
        if (options.json) return context.io.out(json({ items: executions.map(executionJson) }));
        if (executions.length === 0) return context.io.out(`No executions of ${configId} yet.`);
        // The shortest prefix unique among all executions, not only the printed ones: what is
        // printed here is accepted by logs, retry and cancel.
        context.io.out(executionsTable(executions, await system.executions.uniqueIdLength(executions.map((e) => e.id))));
      }),
    );
}
