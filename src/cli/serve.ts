import type { Command } from 'commander';
import { ensureAdminToken, initialiseStore, openGroveJobs, serve, TrustedProxies } from '../app.js';
import type { CliContext } from './context.js';
import { UsageError } from './errors.js';
import { parseWholeNumber, reportEngineErrors } from './worker.js';

/** Seconds running executions get to finish on shutdown before they go back to the queue. */
const GRACE_SECONDS = 30;

/**
 * `grove-jobs serve`: the HTTP API and console, the scheduler and a worker in one process
 * (`--no-worker`: the API only). Any number may share one PostgreSQL.
 */
export function registerServe(program: Command, context: CliContext): void {
  program
    .command('serve')
    .description('serve the HTTP API and console, and run the scheduler and a worker, until Ctrl-C')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port; default GROVE_JOBS_PORT or 8080)', context.env['GROVE_JOBS_PORT'] || '8080')
    .option('--no-worker', 'serve only: run neither the scheduler nor a worker in this process')
    .option('--no-demo', 'on a new store, install the default configs but load no demo data')
    .option('--concurrency <n>', 'executions the worker runs at once (1-1000)', '4')
    .option(
      '--trust-proxy <list>',
      'reverse proxies whose X-Forwarded-For names the client (for the failed-login limiter): comma-separated addresses and CIDR ranges, or "loopback", e.g. loopback or 10.0.0.0/8,192.0.2.7 (default GROVE_JOBS_TRUST_PROXY; none: the connecting address is the client)',
      context.env['GROVE_JOBS_TRUST_PROXY'] || undefined,
    )
    .option('--max-streams-per-token <n>', 'event streams one API token may hold open at once (1-10000)', '20')
    .option('--max-streams <n>', 'event streams this process holds open at once (1-100000)', '1000')
    .action(async (options: { host: string; port: string; worker: boolean; demo: boolean; concurrency: string; trustProxy?: string; maxStreamsPerToken: string; maxStreams: string }) => {
      const port = parseWholeNumber('--port', options.port, 0, 65_535);
      const concurrency = parseWholeNumber('--concurrency', options.concurrency, 1, 1000);
      const maxStreamsPerToken = parseWholeNumber('--max-streams-per-token', options.maxStreamsPerToken, 1, 10_000);
      const maxStreams = parseWholeNumber('--max-streams', options.maxStreams, 1, 100_000);
      let trustProxy: TrustedProxies | undefined;
      try {
        trustProxy = options.trustProxy === undefined ? undefined : TrustedProxies.parse(options.trustProxy);
      } catch (error) {
        throw new UsageError('--trust-proxy', (error as Error).message);
      }
      const { io } = context;
      const system = await openGroveJobs({ env: context.env, ensureDefaults: true });
      try {
        const { location } = system;
        io.out(location.kind === 'postgres' ? `Store: PostgreSQL at ${location.where}` : `Store: embedded PostgreSQL in ${location.where}`);
        const { migration } = system;
        if (migration) io.out(migration.applied.length > 0 ? `Migrations: applied ${migration.applied.join(', ')}` : `Migrations: up to date (schema version ${migration.current})`);
        if (system.installedDefaults) io.out(`New store: installed the default configs ${system.installedDefaults.join(', ')}`);
        const initialised = await initialiseStore(system, { demo: options.demo });
        if (initialised.demo) io.out(`Demo data: ${initialised.demo.sprouts} sprouts, ${initialised.demo.events} usage events, ${initialised.demo.rules} advancement rules`);
        const admin = await ensureAdminToken(system, context.env);
        const server = await serve(system, { host: options.host, port, env: context.env, maxStreams, maxStreamsPerToken, ...(trustProxy ? { trustProxy } : {}) });
        if (options.worker) {
          reportEngineErrors(system, io);
          await system.startScheduler();
          await system.startWorker({ concurrency });
        }
        const shown = server.url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//127.0.0.1:');
        if (admin.created) {
          io.out(admin.file ? `Created an admin API token, saved in ${admin.file} (mode 0600).` : 'Created an admin API token; it is shown only this once:');
        }
        io.out(`Console: ${shown}/${admin.token ? `#token=${admin.token}` : ''}`);
        io.out(`API: ${shown}/api (documentation: ${shown}/api/docs)`);
        if (trustProxy) io.out(`Trusted proxies: ${trustProxy.text} (their X-Forwarded-For names the client)`);
        io.out(options.worker ? `Scheduler and worker running (concurrency ${concurrency}).` : 'Serving only (--no-worker): no scheduler or worker in this process.');
        io.out('Press Ctrl-C to stop.');
        await context.stopped;
        io.out(`Stopping: running executions get up to ${GRACE_SECONDS} s to finish, then go back to the queue.`);
        await server.close();
        await system.close({ graceMs: GRACE_SECONDS * 1000 });
      } finally {
        await system.close({ graceMs: 0 });
      }
    });
}
