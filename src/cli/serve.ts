import type { Command } from 'commander';
import { TrustedProxies } from '../app.js';
import { type OpenedGroveJobs } from '../open.js';
import { ensureAdminToken, initialiseStore } from '../first-start.js';
import { serve, type ServeOptions } from '../server.js';
import type { CliContext } from './context.js';
import { UsageError } from './errors.js';
import { addLogOptions, type LogOptions, withCommandLog } from './log.js';
import { addCommandOptions, type CommandOptions, commandPolicyOf, logCommandPolicy, logEngine, logStoreOpened, openLogged, parseWholeNumber } from './worker.js';

/** Seconds running executions get to finish on shutdown before they go back to the queue. */
const GRACE_SECONDS = 30;

/**
 * `grove-jobs serve`: the HTTP API and console, the scheduler and a worker in one process
 * (`--no-worker`: the API only). Any number may share one PostgreSQL.
 */
export function registerServe(program: Command, context: CliContext): void {
  const command = program
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
    .option('--max-streams <n>', 'event streams this process holds open at once (1-100000)', '1000');
  addCommandOptions(command, context.env);
  type ServeCommandOptions = LogOptions & CommandOptions & { host: string; port: string; worker: boolean; demo: boolean; concurrency: string; trustProxy?: string; maxStreamsPerToken: string; maxStreams: string };
  addLogOptions(command, context.env).action(async (options: ServeCommandOptions) =>
    withCommandLog(context, options, async (out) => {
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
      const commands = commandPolicyOf(options);
      const system = await openLogged(context, out, commands);
      try {
        logStoreOpened(out, system);
        logCommandPolicy(out, commands);
        const initialised = await initialiseStore(system, { demo: options.demo });
        if (initialised.demo) {
          out.announce('store:demo-loaded', `Demo data: ${initialised.demo.sprouts} sprouts, ${initialised.demo.events} usage events, ${initialised.demo.rules} advancement rules`, { ...initialised.demo });
        }
        // Listen before a first start's admin token is made: a token made for a server that
        // could not listen would never be shown.
        const server = await listen(system, {
          host: options.host,
          port,
          env: context.env,
          maxStreams,
          maxStreamsPerToken,
          log: out.log,
          ...(trustProxy ? { trustProxy } : {}),
        });
        const admin = await ensureAdminToken(system, context.env);
        const offEngine = options.worker ? logEngine(system, out.log) : () => undefined;
        if (options.worker) {
          await system.startScheduler();
          await system.startWorker({ concurrency });
        }
        const shown = server.url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//127.0.0.1:');
        if (admin.created) {
          out.announce(
            'token:created',
            admin.file ? `Created an admin API token, saved in ${admin.file} (mode 0600).` : 'Created an admin API token; it is shown only this once:',
            admin.file ? { file: admin.file } : {},
          );
        }
        // The banner shows the console's address with the token; the log, only where it is.
        const consoleUrl = `${shown}/${admin.token ? `#token=${admin.token}` : ''}`;
        const where = { url: shown, api: `${shown}/api`, docs: `${shown}/api/docs`, metrics: `${shown}/metrics`, port: server.port };
        out.announce('server:listening', `Console: ${consoleUrl}`, { console: consoleUrl, api: `${shown}/api`, port: server.port }, { msg: `listening on ${shown}`, fields: where });
        out.announce('server:api', `API: ${shown}/api (documentation: ${shown}/api/docs)`, { api: `${shown}/api`, docs: `${shown}/api/docs` }, false);
        if (trustProxy) out.announce('server:trusted-proxies', `Trusted proxies: ${trustProxy.text} (their X-Forwarded-For names the client)`, { trustProxy: trustProxy.text });
        out.announce(
          'engine:started',
          options.worker ? `Scheduler and worker running (concurrency ${concurrency}).` : 'Serving only (--no-worker): no scheduler or worker in this process.',
          { scheduler: options.worker, worker: options.worker, concurrency: options.worker ? concurrency : 0 },
        );
        out.announce('server:ready', 'Press Ctrl-C to stop.', {}, false);
        await context.stopped;
        out.announce('server:stopping', `Stopping: running executions get up to ${GRACE_SECONDS} s to finish, then go back to the queue.`, { graceSeconds: GRACE_SECONDS });
        await server.close();
        await system.close({ graceMs: GRACE_SECONDS * 1000 });
        offEngine();
        out.log.info({ event: 'server:stopped' }, 'stopped');
      } finally {
        await system.close({ graceMs: 0 });
      }
    }),
  );
}

/** Listens, saying which port is taken (or not allowed) and what to do, instead of a raw EADDRINUSE. */
async function listen(system: OpenedGroveJobs, options: ServeOptions): ReturnType<typeof serve> {
  try {
    return await serve(system, options);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const where = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
    if (code === 'EADDRINUSE') {
      throw new UsageError(
        '--port',
        `${where} is in use already (another grove-jobs serve?); choose another port with --port (e.g. --port ${options.port === 65_535 ? 8081 : options.port + 1}, or --port 0 for any free one) or GROVE_JOBS_PORT`,
      );
    }
    if (code === 'EACCES') throw new UsageError('--port', `${where} may not be listened on by this user (ports below 1024 need privileges); choose another with --port`);
    if (code === 'EADDRNOTAVAIL') throw new UsageError('--host', `${options.host} is not an address of this machine; choose another with --host`);
    throw error;
  }
}
