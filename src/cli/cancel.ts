import type { Command } from 'commander';
import { cliActor, type CliContext, withSystem } from './context.js';
import { executionJson, executionLine } from './execution-view.js';
import { json } from './output.js';

/** `grove-jobs cancel <execution>`: ends a queued execution, asks a running one to stop. */
export function registerCancel(program: Command, context: CliContext): void {
  program
    .command('cancel')
    .description('cancel a queued execution, or ask a running one to stop')
    .argument('<execution>', 'execution id, or a prefix of at least 8 hex digits no other execution starts with (as history prints them)')
    .option('--json', 'print the execution')
    .action((executionId: string, options: { json?: boolean }) =>
      withSystem(context, async (system) => {
        const execution = await system.executions.cancel(executionId, cliActor(context.env));
        if (options.json) return context.io.out(json(executionJson(execution)));
        context.io.out(execution.status === 'running' ? `${execution.id} asked to stop; its worker cancels it at its next heartbeat.` : executionLine(execution));
      }),
    );
}
