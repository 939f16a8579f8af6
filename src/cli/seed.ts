import type { Command } from 'commander';
import { seedDemoData } from '../first-start.js';
import { GroveError, GroveErrorCode } from '../domain/grove/index.js';
import { type CliContext, withSystem } from './context.js';
import { json } from './output.js';
import { parseWholeNumber } from './worker.js';

/** `grove-jobs seed --sprouts N --events M [--seed S]`: deterministic demo data. */
export function registerSeed(program: Command, context: CliContext): void {
  program
    .command('seed')
    .description('load deterministic demo data: sprouts, usage events over the last 90 days, and advancement rules a first run acts on (once per store)')
    .option('--sprouts <n>', 'how many sprouts (1-1000000)', '150')
    .option('--events <n>', 'how many usage events (0-100000000)', '15000')
    .option('--seed <s>', 'the random seed: the same seed gives the same data', '42')
    .option('--json', 'print what was loaded as JSON')
    .action((options: { sprouts: string; events: string; seed: string; json?: boolean }) => {
      const sprouts = parseWholeNumber('--sprouts', options.sprouts, 1, 1_000_000);
      const events = parseWholeNumber('--events', options.events, 0, 100_000_000);
      const seed = parseWholeNumber('--seed', options.seed, 0, 2 ** 31 - 1);
      return withSystem(context, async (system) => {
        let report;
        try {
          report = await seedDemoData(system, { sprouts, events, seed });
        } catch (error) {
          throw demoDataLoadedAlready(error, context.env);
        }
        context.io.out(options.json ? json(report) : `Loaded ${report.sprouts} sprouts, ${report.events} usage events and ${report.rules} advancement rules (seed ${seed}); signals computed.`);
      });
    });
}

/**
 * The demo sprouts have the same ids (demo-00001 …) whatever the seed, and a sprout import is
 * all or none: on a store that has them (every store `start` or `serve` began with demo
 * data), say so and what to do instead of naming the first duplicate.
 */
function demoDataLoadedAlready(error: unknown, env: Record<string, string | undefined>): unknown {
  const existing = error instanceof GroveError && error.code === GroveErrorCode.Exists ? /sprout '(demo-\d+)' exists already/.exec(error.message)?.[1] : undefined;
  if (!existing) return error;
  const fresh = env['DATABASE_URL']
    ? 'to load it afresh, point GROVE_JOBS_SCHEMA at a new schema'
    : `to load it afresh, use a new folder (GROVE_JOBS_DATA_DIR=<new folder>) or stop grove-jobs and remove ${env['GROVE_JOBS_DATA_DIR'] || '.grove-jobs'}`;
  return new GroveError(
    GroveErrorCode.Exists,
    `this store has the demo data already (sprout '${existing}' exists already); nothing was loaded. Demo sprouts keep their ids whatever --seed says, so seed loads them once per store: ${fresh}`,
  );
}
