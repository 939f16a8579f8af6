import type { Command } from 'commander';
import { initialiseStore } from '../first-start.js';
import type { CliContext } from './context.js';
import { configsTable, nextRunAt } from './jobs.js';
import { addLogOptions, type LogOptions, withCommandLog } from './log.js';
import { addCommandOptions, type CommandOptions, commandPolicyOf, logCommandPolicy, logStoreOpened, openLogged, parseWholeNumber, runEngineUntilStopped } from './worker.js';

/**
 * `grove-jobs start`: opens (and migrates) the store, prints the job configs with their next
 * runs, then runs the scheduler and a worker until stopped, keeping an embedded store open
 * for other grove-jobs commands meanwhile.
 */
export function registerStart(program: Command, context: CliContext): void {
  const command = program
    .command('start')
    .description('open and migrate the store, print the job configs with their next runs, then run the scheduler and a worker until Ctrl-C')
    .option('--once', 'print and exit instead of running')
    .option('--no-demo', 'on a new store, install the default configs but load no demo data')
    .option('--concurrency <n>', 'executions the worker runs at once (1-1000)', '4');
  addCommandOptions(command, context.env);
  addLogOptions(command, context.env).action(async (options: LogOptions & CommandOptions & { once?: boolean; concurrency: string; demo: boolean }) =>
    withCommandLog(context, options, async (out) => {
      const concurrency = parseWholeNumber('--concurrency', options.concurrency, 1, 1000);
      const commands = commandPolicyOf(options);
      const system = await openLogged(context, out, commands);
      try {
        const { location } = system;
        logStoreOpened(out, system);
        logCommandPolicy(out, commands);
        const initialised = await initialiseStore(system, { demo: options.demo });
        if (initialised.demo) {
          out.announce(
            'store:demo-loaded',
            `Demo data: ${initialised.demo.sprouts} sprouts, ${initialised.demo.events} usage events, ${initialised.demo.rules} advancement rules (grove-jobs sprouts list, grove-jobs rules list)`,
            { ...initialised.demo },
          );
        }
        const configs = await system.configs.list();
        const now = system.clock.now();
        const listed = {
          configs: configs.map((config) => ({
            id: config.meta.id,
            jobType: config.payload.jobType,
            enabled: config.payload.schedule.isEnabled,
            cronExpression: config.payload.schedule.cronExpression,
            timezone: config.payload.schedule.timezone,
            nextRun: nextRunAt(config, now)?.toISOString() ?? null,
            version: config.meta.version,
          })),
        };
        out.announce(
          'configs:listed',
          configs.length === 0 ? 'Job configs: none yet (create one with: grove-jobs jobs create --file config.json)' : `Job configs (${configs.length}):\n${configsTable(configs, now)}`,
          listed,
          { msg: `job configs: ${configs.length}`, fields: listed },
        );
        if (options.once) return;
        if (location.kind === 'embedded' && location.role === 'owner') {
          out.announce('store:shared', `Other grove-jobs commands on this folder reach the store through ${location.socket} (this user only).`, { socket: location.socket });
        }
        await runEngineUntilStopped(system, context, { concurrency, graceSeconds: 30, scheduler: true }, out);
      } finally {
        await system.close();
      }
    }),
  );
}
