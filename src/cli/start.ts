import type { Command } from 'commander';
import { initialiseStore, openGroveJobs } from '../app.js';
import type { CliContext } from './context.js';
import { configsTable, nextRunAt } from './jobs.js';
import { logStoreOpened } from './serve.js';
import { engineLog, JSON_LOG_OPTION, parseWholeNumber, runEngineUntilStopped } from './worker.js';

/**
 * `grove-jobs start`: opens (and migrates) the store, prints the job configs with their next
 * runs, then runs the scheduler and a worker until stopped, keeping an embedded store open
 * for other grove-jobs commands meanwhile.
 */
export function registerStart(program: Command, context: CliContext): void {
  program
    .command('start')
    .description('open and migrate the store, print the job configs with their next runs, then run the scheduler and a worker until Ctrl-C')
    .option('--once', 'print and exit instead of running')
    .option('--no-demo', 'on a new store, install the default configs but load no demo data')
    .option('--concurrency <n>', 'executions the worker runs at once (1-1000)', '4')
    .option(...JSON_LOG_OPTION)
    .action(async (options: { once?: boolean; concurrency: string; demo: boolean; json?: boolean }) => {
      const concurrency = parseWholeNumber('--concurrency', options.concurrency, 1, 1000);
      const { log, onStoreOwner } = engineLog(context, options.json);
      const system = await openGroveJobs({ env: context.env, ensureDefaults: true, log: onStoreOwner });
      try {
        const { location } = system;
        logStoreOpened(log, system);
        const initialised = await initialiseStore(system, { demo: options.demo });
        if (initialised.demo) {
          log.info(
            'store:demo-loaded',
            `Demo data: ${initialised.demo.sprouts} sprouts, ${initialised.demo.events} usage events, ${initialised.demo.rules} advancement rules (grove-jobs sprouts list, grove-jobs rules list)`,
            { ...initialised.demo },
          );
        }
        const configs = await system.configs.list();
        const now = system.clock.now();
        log.info(
          'configs:listed',
          configs.length === 0 ? 'Job configs: none yet (create one with: grove-jobs jobs create --file config.json)' : `Job configs (${configs.length}):\n${configsTable(configs, now)}`,
          {
            configs: configs.map((config) => ({
              id: config.meta.id,
              jobType: config.payload.jobType,
              enabled: config.payload.schedule.isEnabled,
              cronExpression: config.payload.schedule.cronExpression,
              timezone: config.payload.schedule.timezone,
              nextRun: nextRunAt(config, now)?.toISOString() ?? null,
              version: config.meta.version,
            })),
          },
        );
        if (options.once) return;
        if (location.kind === 'embedded' && location.role === 'owner') {
          log.info('store:shared', `Other grove-jobs commands on this folder reach the store through ${location.socket} (this user only).`, { socket: location.socket });
        }
        await runEngineUntilStopped(system, context, { concurrency, graceSeconds: 30, scheduler: true }, log);
      } finally {
        await system.close();
      }
    });
}
