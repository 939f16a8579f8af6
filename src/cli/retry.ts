import type { Command } from 'commander';
import { cliActor, type CliContext, withSystem } from './context.js';
import { executionJson } from './execution-view.js';
import { json } from './output.js';

/** `grove-jobs retry <execution>`: runs a finished execution's config again as a new run. */
export function registerRetry(program: Command, context: CliContext): void {
  program
    .command('retry')
    .description("run a finished execution's config again, as a new run linked to it (queued for the workers)")
    .argument('<execution>', 'execution id, or a prefix of at least 8 hex digits no other execution starts with (as history prints them)')
    .option('--json', 'print the new execution')
    .action((executionId: string, options: { json?: boolean }) =>
      withSystem(context, async (system) => {
        const execution = await system.executions.retry(executionId, cliActor(context.env));
        context.io.out(options.json ? json(executionJson(execution)) : `Queued ${execution.id} (retry of ${execution.retryOf ?? executionId}).`);
      }),
    );
}
