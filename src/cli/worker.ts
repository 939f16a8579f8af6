import { statSync } from 'node:fs';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { type ProcessLog } from '../app.js';
import { openGroveJobs, type OpenedGroveJobs, type OpenGroveJobsOptions } from '../open.js';
import { type RunningServer, serveMetrics } from '../server.js';
import type { CliContext } from './context.js';
import { UsageError } from './errors.js';
import { executionLine } from './execution-view.js';
import { addLogOptions, type CommandLog, type LogOptions, withCommandLog } from './log.js';

export interface EngineRunOptions {
  concurrency: number;
  leaseSeconds?: number;
  graceSeconds: number;
  scheduler: boolean;
  maxPrefetch?: number;
}

export function parseWholeNumber(field: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(field, `'${text}' must be a whole number from ${min} to ${max}`);
  }
  return Number(text);
}

/** Statuses whose executions the log notes at warn: the run did not do its work. */
const WARN_STATUSES = new Set(['failed', 'timeout']);

/**
 * Logs what this process's engine does: each execution it ends (info; failed and timed out at
 * warn), each outage of the store (see reportEngineErrors) and, at debug, each failed call
 * to the store that the loops retry.
 */
export function logEngine(system: OpenedGroveJobs, log: Logger): () => void {
  const offs = [
    system.events.on('execution:finished', (execution) => {
      const slot = execution.slot ? ` slot ${execution.slot.toISOString()}` : '';
      log[WARN_STATUSES.has(execution.status) ? 'warn' : 'info'](
        {
          event: 'execution:finished',
          executionId: execution.id,
          configId: execution.configId,
          jobType: execution.config.payload.jobType,
          trigger: execution.trigger,
          slot: execution.slot?.toISOString() ?? null,
          attempt: execution.attempt,
          status: execution.status,
          durationMs: execution.durationMs ?? null,
        },
        `${execution.configId}${slot} attempt ${execution.attempt}: ${executionLine(execution)}`,
      );
    }),
    system.events.on('engine:error', (error) => log.debug({ event: 'engine:error', source: error.source, id: error.id, error: error.message }, `store call failed (${error.source} ${error.id}): ${error.message}`)),
    reportEngineErrors(system, log),
  ];
  return () => offs.forEach((off) => off());
}

/**
 * Logs each outage of the store once when it starts (error) and once when it ends (warn, with
 * its length), however many retries the loops make in between (each failed call is an
 * `engine:error` event, logged at debug by logEngine). `at` is when it happened, ISO, UTC.
 */
export function reportEngineErrors(system: Pick<OpenedGroveJobs, 'events'>, log: Pick<ProcessLog, 'error' | 'warn'>): () => void {
  return system.events.on('engine:outage', (outage) => {
    const by = { source: outage.source, id: outage.id, at: outage.at.toISOString() };
    if (outage.state === 'started') {
      log.error(
        { event: 'store:unreachable', ...by, error: outage.message },
        `store out of reach (${outage.source} ${outage.id}: ${outage.message}); trying again every few seconds`,
      );
    } else {
      log.warn(
        { event: 'store:reached', ...by, durationMs: outage.durationMs, since: outage.startedAt.toISOString() },
        `store reached again by ${outage.source} ${outage.id} after ${(outage.durationMs / 1000).toFixed(1)} s (out of reach since ${outage.startedAt.toISOString()})`,
      );
    }
  });
}

export type CommandPolicy = NonNullable<OpenGroveJobsOptions['commands']>;

export interface CommandOptions {
  allowCommands?: string;
  allowCommandEnv?: string;
}

/** `--allow-commands DIR` and `--allow-command-env NAME,NAME`, defaulting to GROVE_JOBS_ALLOW_COMMANDS and GROVE_JOBS_ALLOW_COMMAND_ENV. */
export function addCommandOptions(command: Command, env: Record<string, string | undefined>): Command {
  return command
    .option(
      '--allow-commands <dir>',
      'let command jobs run executables from this folder (default GROVE_JOBS_ALLOW_COMMANDS; without it, command jobs are refused)',
      env['GROVE_JOBS_ALLOW_COMMANDS'] || undefined,
    )
    .option(
      '--allow-command-env <names>',
      'comma-separated variable names command jobs may set, besides PATH, HOME and LANG (default GROVE_JOBS_ALLOW_COMMAND_ENV)',
      env['GROVE_JOBS_ALLOW_COMMAND_ENV'] || undefined,
    );
}

/** The command policy the options state; null (command jobs refused) without --allow-commands. */
export function commandPolicyOf(options: CommandOptions): CommandPolicy | null {
  const names = (options.allowCommandEnv ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  if (options.allowCommands === undefined) {
    if (names.length > 0) throw new UsageError('--allow-command-env', 'has no effect without --allow-commands DIR (command jobs are off without it)');
    return null;
  }
  let folder = false;
  try {
    folder = statSync(options.allowCommands).isDirectory();
  } catch {
    // Reported below.
  }
  if (!folder) throw new UsageError('--allow-commands', `'${options.allowCommands}' is not a folder`);
  for (const name of names) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError('--allow-command-env', `'${name}' is not an environment variable name (letters, digits and _, not starting with a digit)`);
  }
  return { allowDir: options.allowCommands, allowEnv: names };
}

/** Says what command jobs may run in this process, when they may run at all. */
export function logCommandPolicy(out: CommandLog, commands: CommandPolicy | null): void {
  if (!commands) return;
  const variables = ['PATH', 'HOME', 'LANG', ...commands.allowEnv].join(', ');
  out.announce('commands:allowed', `Command jobs: may run executables from ${commands.allowDir} (variables they may set: ${variables}).`, { allowDir: commands.allowDir, allowEnv: [...commands.allowEnv] });
}

/**
 * Opens the store for a long-running command: a followed embedded store's change of owner,
 * notifications and undelivered webhooks go to its log. `commands`: what command jobs may run
 * (null: none).
 */
export function openLogged(context: CliContext, out: CommandLog, commands?: CommandPolicy | null): Promise<OpenedGroveJobs> {
  return openGroveJobs({
    env: context.env,
    ensureDefaults: true,
    log: (line) => out.log.warn({ event: 'store:owner-changed' }, line),
    logger: out.log,
    ...(commands !== undefined ? { commands } : {}),
  });
}

/** The store's lines every long-running command prints first: where it is, its migrations, a new store's defaults. */
export function logStoreOpened(out: CommandLog, system: OpenedGroveJobs): void {
  const { location, migration } = system;
  if (location.kind === 'postgres') {
    out.announce('store:opened', `Store: PostgreSQL at ${location.where}`, { kind: 'postgres', where: location.where });
  } else if (location.role === 'owner') {
    out.announce('store:opened', `Store: embedded PostgreSQL in ${location.where}`, { kind: 'embedded', where: location.where, role: 'owner', socket: location.socket });
  } else {
    out.announce('store:opened', `Store: embedded PostgreSQL in ${location.where}, held by another grove-jobs process (reached through ${location.socket})`, {
      kind: 'embedded',
      where: location.where,
      role: location.role,
      socket: location.socket,
    });
  }
  if (migration) {
    out.announce(
      'store:migrated',
      migration.applied.length > 0 ? `Migrations: applied ${migration.applied.join(', ')}` : `Migrations: up to date (schema version ${migration.current})`,
      { applied: migration.applied, current: migration.current },
    );
  }
  if (system.installedDefaults) out.announce('store:defaults-installed', `New store: installed the default configs ${system.installedDefaults.join(', ')}`, { configs: system.installedDefaults });
}

/** Runs the scheduler and a worker until the process is asked to stop; logs each finished execution. */
export async function runEngineUntilStopped(system: OpenedGroveJobs, context: CliContext, options: EngineRunOptions, out: CommandLog): Promise<void> {
  if (options.scheduler) await system.startScheduler();
  const worker = await system.startWorker({
    concurrency: options.concurrency,
    ...(options.leaseSeconds ? { leaseSeconds: options.leaseSeconds } : {}),
    ...(options.maxPrefetch !== undefined ? { maxPrefetch: options.maxPrefetch } : {}),
  });
  const offEngine = logEngine(system, out.log);
  out.announce(
    'engine:started',
    `${options.scheduler ? 'Scheduler and worker' : 'Worker'} ${worker.id} running (concurrency ${options.concurrency}). Press Ctrl-C to stop.`,
    { workerId: worker.id, scheduler: options.scheduler, concurrency: options.concurrency },
  );
  await context.stopped;
  out.announce('engine:stopping', `Stopping: ${worker.activeCount} running execution(s) get up to ${options.graceSeconds} s to finish, then go back to the queue.`, {
    running: worker.activeCount,
    graceSeconds: options.graceSeconds,
  });
  // Executions that end during the grace period are still logged.
  await system.close({ graceMs: options.graceSeconds * 1000 });
  offEngine();
  out.log.info({ event: 'engine:stopped' }, 'stopped');
}

/** Listens for `--metrics-port`, saying which port is taken (or not allowed) instead of a raw EADDRINUSE. */
async function listenForMetrics(system: OpenedGroveJobs, host: string, port: number): Promise<RunningServer> {
  try {
    return await serveMetrics(system, { host, port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    if (code === 'EADDRINUSE') throw new UsageError('--metrics-port', `${where} is in use already; choose another port with --metrics-port (0: any free one)`);
    if (code === 'EACCES') throw new UsageError('--metrics-port', `${where} may not be listened on by this user (ports below 1024 need privileges); choose another with --metrics-port`);
    if (code === 'EADDRNOTAVAIL') throw new UsageError('--metrics-host', `${host} is not an address of this machine; choose another with --metrics-host`);
    throw error;
  }
}

/** `grove-jobs worker [--concurrency N] [--metrics-port N]`: scheduler and worker, no API. */
export function registerWorker(program: Command, context: CliContext): void {
  const command = program
    .command('worker')
    .description('run the scheduler and a worker in this process until Ctrl-C (any number may share one PostgreSQL)')
    .option('--concurrency <n>', 'executions this worker runs at once (1-1000)', '4')
    .option('--grace <seconds>', 'on shutdown, how long running executions may finish before they are handed back', '30')
    .option('--lease <seconds>', "how long an execution stays this worker's without a heartbeat (3-3600)", '30')
    .option('--max-prefetch <n>', 'most executions claimed ahead of free places while executions are short (0-5000; 0: none)', '500')
    .option('--no-scheduler', 'only run executions; leave slot claiming to other processes')
    .option('--metrics-port <port>', "serve this process's Prometheus metrics at /metrics on this port (0: any free port; default: no metrics)")
    .option('--metrics-host <host>', 'address the metrics listen on', '127.0.0.1');
  addCommandOptions(command, context.env);
  addLogOptions(command, context.env).action(
    async (options: LogOptions & CommandOptions & { concurrency: string; grace: string; lease: string; maxPrefetch: string; scheduler: boolean; metricsPort?: string; metricsHost: string }) =>
      withCommandLog(context, options, async (out) => {
        const concurrency = parseWholeNumber('--concurrency', options.concurrency, 1, 1000);
        const graceSeconds = parseWholeNumber('--grace', options.grace, 0, 86_400);
        const leaseSeconds = parseWholeNumber('--lease', options.lease, 3, 3600);
        const maxPrefetch = parseWholeNumber('--max-prefetch', options.maxPrefetch, 0, 5000);
        const metricsPort = options.metricsPort === undefined ? undefined : parseWholeNumber('--metrics-port', options.metricsPort, 0, 65_535);
        const commands = commandPolicyOf(options);
        const system = await openLogged(context, out, commands);
        let metrics: RunningServer | undefined;
        try {
          logStoreOpened(out, system);
          logCommandPolicy(out, commands);
          if (metricsPort !== undefined) {
            metrics = await listenForMetrics(system, options.metricsHost, metricsPort);
            out.announce('metrics:listening', `Metrics: ${metrics.url}/metrics`, { url: `${metrics.url}/metrics`, port: metrics.port });
          }
          await runEngineUntilStopped(system, context, { concurrency, graceSeconds, leaseSeconds, maxPrefetch, scheduler: options.scheduler }, out);
        } finally {
          await metrics?.close();
          await system.close({ graceMs: 0 });
        }
      }),
  );
}
