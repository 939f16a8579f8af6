import type { Command } from 'commander';
import { initialiseStore, openGroveJobs } from '../app.js';
import type { CliContext } from './context.js';
import { configsTable } from './jobs.js';
import { parseWholeNumber, runEngineUntilStopped } from './worker.js';

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
    .action(async (options: { once?: boolean; concurrency: string; demo: boolean }) => {
      const concurrency = parseWholeNumber('--concurrency', options.concurrency, 1, 1000);
      const { io } = context;
      const system = await openGroveJobs({ env: context.env, ensureDefaults: true });
      try {
        const { location, migration } = system;
        if (location.kind === 'postgres') {
          io.out(`Store: PostgreSQL at ${location.where}`);
        } else if (location.role === 'owner') {
          io.out(`Store: embedded PostgreSQL in ${location.where}`);
        } else {
          io.out(`Store: embedded PostgreSQL in ${location.where}, held by another grove-jobs process (reached through ${location.socket})`);
        }
        if (migration) {
          io.out(migration.applied.length > 0 ? `Migrations: applied ${migration.applied.join(', ')}` : `Migrations: up to date (schema version ${migration.current})`);
        }
        if (system.installedDefaults) io.out(`New store: installed the default configs ${system.installedDefaults.join(', ')}`);
        const initialised = await initialiseStore(system, { demo: options.demo });
        if (initialised.demo) {
          io.out(`Demo data: ${initialised.demo.sprouts} sprouts, ${initialised.demo.events} usage events, ${initialised.demo.rules} advancement rules (grove-jobs sprouts list, grove-jobs rules list)`);
        }
        const configs = await system.configs.list();
        const now = system.clock.now();
        io.out(configs.length === 0 ? 'Job configs: none yet (create one with: grove-jobs jobs create --file config.json)' : `Job configs (${configs.length}):\n${configsTable(configs, now)}`);
        if (options.once) return;
        if (location.kind === 'embedded' && location.role === 'owner') {
          io.out(`Other grove-jobs commands on this folder reach the store through ${location.socket} (this user only).`);
        }
        await runEngineUntilStopped(system, context, { concurrency, graceSeconds: 30, scheduler: true });
      } finally {
        await system.close();
      }
    });
}
