import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import type { CliContext } from './context.js';
import { CommandExit, ExitCode, reportError } from './errors.js';
import { registerJobs } from './jobs.js';
import { registerMigrate } from './migrate.js';
import { registerNext } from './next.js';
import { json } from './output.js';
import { registerStart } from './start.js';
import { registerWorker } from './worker.js';
import { registerRun } from './run.js';
import { registerHistory } from './history.js';
import { registerLogs } from './logs.js';
import { registerCancel } from './cancel.js';
import { registerRetry } from './retry.js';
import { registerSprouts } from './sprouts.js';
import { registerSeed } from './seed.js';
import { registerAdvancement } from './advancement.js';
import { registerServe } from './serve.js';
import { registerToken } from './token.js';
import { registerSecrets } from './secrets.js';
import { registerApply } from './apply.js';
import { registerExport } from './export.js';
import { registerImport } from './import.js';
import { registerPause } from './pause.js';
import { registerExplain } from './explain.js';

/** The package's version, read once from package.json (two levels up from src/cli and dist/cli). */
function packageVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

/**
 * Commands that write a log as they run (log.ts): their failures are the log's last entry, and
 * `--json` shapes their banner, so no `{ error }` document goes to standard output.
 */
const LOGGING_COMMANDS = new Set(['serve', 'worker', 'start']);

export function createProgram(context: CliContext): Command {
  const program = new Command('grove-jobs')
    .description('Declarative job scheduling on PostgreSQL: operators change schedules, batch sizes and retries without a deploy.')
    .version(packageVersion(), '-V, --version', 'print the version of grove-jobs')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.io.out(text.trimEnd()),
      writeErr: (text) => context.io.err(text.trimEnd()),
    });
  registerStart(program, context);
  registerMigrate(program, context);
  registerJobs(program, context);
  registerNext(program, context);
  registerWorker(program, context);
  registerRun(program, context);
  registerHistory(program, context);
  registerLogs(program, context);
  registerCancel(program, context);
  registerRetry(program, context);
  registerSprouts(program, context);
  registerSeed(program, context);
  registerAdvancement(program, context);
  registerServe(program, context);
  registerToken(program, context);
  registerSecrets(program, context);
  registerApply(program, context);
  registerExport(program, context);
  registerImport(program, context);
  registerPause(program, context);
  registerExplain(program, context);
  return program;
}

/** Runs one command line and returns its exit code; never exits the process itself. */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  const program = createProgram(context);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; commander has already printed its one-line error.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help'
        ? ExitCode.Ok
        : ExitCode.BadInput;
    }
    if (error instanceof CommandExit) return error.exitCode;
    const reported = reportError(error);
    context.io.err(`grove-jobs: ${reported.message}`);
    if (argv.includes('--json') && !LOGGING_COMMANDS.has(argv[0] ?? '')) {
      const { exitCode: _exit, ...body } = reported;
      context.io.out(json({ error: body }));
    }
    return reported.exitCode;
  }
}
