import type { Command } from 'commander';
import { seedDemoData } from '../app.js';
import { type CliContext, withSystem } from './context.js';
import { json } from './output.js';
import { parseWholeNumber } from './worker.js';

/** `grove-jobs seed --sprouts N --events M [--seed S]`: deterministic demo data. */
export function registerSeed(program: Command, context: CliContext): void {
  program
    .command('seed')
    .description('load deterministic demo data: sprouts, usage events over the last 90 days, and advancement rules a first run acts on')
    .option('--sprouts <n>', 'how many sprouts (1-1000000)', '150')
    .option('--events <n>', 'how many usage events (0-100000000)', '15000')
    .option('--seed <s>', 'the random seed: the same seed gives the same data', '42')
    .option('--json', 'print what was loaded as JSON')
    .action((options: { sprouts: string; events: string; seed: string; json?: boolean }) => {
      const sprouts = parseWholeNumber('--sprouts', options.sprouts, 1, 1_000_000);
      const events = parseWholeNumber('--events', options.events, 0, 100_000_000);
      const seed = parseWholeNumber('--seed', options.seed, 0, 2 ** 31 - 1);
      return withSystem(context, async (system) => {
        const report = await seedDemoData(system, { sprouts, events, seed });
        context.io.out(options.json ? json(report) : `Loaded ${report.sprouts} sprouts, ${report.events} usage events and ${report.rules} advancement rules (seed ${seed}); signals computed.`);
      });
    });
}
