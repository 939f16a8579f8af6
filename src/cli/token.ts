import type { Command } from 'commander';
import { createApiToken } from '../first-start.js';
import { type CliContext, withSystem } from './context.js';
import { UsageError } from './errors.js';
import { json } from './output.js';

const ROLES = ['viewer', 'operator', 'admin'];

/** `grove-jobs token create --role <role> [--name N]`: prints the new token and nothing else. */
export function registerToken(program: Command, context: CliContext): void {
  const token = program.command('token').description('API tokens (stored hashed: a token is shown once, when created)');
  token
    .command('create')
    .description('create an API token with a role and print it (viewer reads; operator edits, runs, cancels, retries; admin also deletes and manages tokens)')
    .requiredOption('--role <role>', 'viewer, operator or admin')
    .option('--name <name>', 'who or what the token is for (recorded as the actor of its changes)')
    .option('--json', 'print { token, name, role }')
    .action(async (options: { role: string; name?: string; json?: boolean }) => {
      if (!ROLES.includes(options.role)) throw new UsageError('--role', `'${options.role}' must be viewer, operator or admin`);
      const created = await withSystem(context, (system) => createApiToken(system, options.name === undefined ? { role: options.role } : { role: options.role, name: options.name }));
      context.io.out(options.json ? json(created) : created.token);
    });
}
