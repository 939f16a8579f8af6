import type { Command } from 'commander';
import { type CliContext, withSystem } from './context.js';
import { UsageError } from './errors.js';
import { logLine } from './execution-view.js';
import { json } from './output.js';

/** `grove-jobs logs <execution> [--after N]`: an execution's log lines. */
export function registerLogs(program: Command, context: CliContext): void {
  program
    .command('logs')
    .description("an execution's log lines, oldest first")
    .argument('<execution>', 'execution id, or a prefix of at least 8 hex digits no other execution starts with (as history prints them)')
    .option('--after <id>', 'only lines after this line id (for following)', '0')
    .option('--json', 'print one JSON document: { items: [{ id, at, level, message, data }] }')
    .action((executionId: string, options: { after: string; json?: boolean }) =>
      withSystem(context, async (system) => {
        if (!/^\d+$/.test(options.after)) throw new UsageError('--after', `'${options.after}' must be a line id (a whole number)`);
        const lines = await system.executions.logs(executionId, { after: Number(options.after) });
        if (options.json) {
          return context.io.out(json({ items: lines.map((l) => ({ id: l.id, at: l.at.toISOString(), level: l.level, message: l.message, data: l.data ?? null })) }));
        }
        context.io.out(lines.length === 0 ? 'No log lines.' : lines.map(logLine).join('\n'));
      }),
    );
}
