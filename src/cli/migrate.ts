import type { Command } from 'commander';
import { migrateStore } from '../open.js';
import type { CliContext } from './context.js';
import { json } from './output.js';

/** `grove-jobs migrate`: applies pending migrations under an advisory lock. */
export function registerMigrate(program: Command, context: CliContext): void {
  program
    .command('migrate')
    .description('apply pending database migrations (safe to run from several processes at once)')
    .option('--json', 'print one JSON document: { applied, current, moved? }')
    .action(async (options: { json?: boolean }) => {
      const report = await migrateStore(context.env);
      if (options.json) {
        context.io.out(json({ applied: report.applied, current: report.current, ...(report.moved ? { moved: report.moved } : {}) }));
        return;
      }
      const where = report.location.kind === 'postgres' ? `PostgreSQL at ${report.location.where}` : `embedded store in ${report.location.where}`;
      for (const move of report.moved ?? []) context.io.out(`Moved ${move} (a store made by an earlier release; every row kept).`);
      context.io.out(
        report.applied.length > 0
          ? `Applied ${report.applied.join(', ')} to the ${where}; schema version ${report.current}.`
          : `The ${where} is up to date at schema version ${report.current}.`,
      );
    });
}
