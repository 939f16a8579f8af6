import type { Command } from 'commander';
import { openGroveJobs, type OpenedGroveJobs } from '../app.js';
import type { CliContext } from './context.js';
import { UsageError } from './errors.js';
import { executionLine } from './execution-view.js';
import { type CommandLog, commandLog } from './output.js';

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

/** Runs the scheduler and a worker until the process is asked to stop; prints each finished execution. */
export async function runEngineUntilStopped(system: OpenedGroveJobs, context: CliContext, options: EngineRunOptions, log = commandLog(context.io, { json: false })): Promise<void> {
  if (options.scheduler) await system.startScheduler();
  const worker = await system.startWorker({
    concurrency: options.concurrency,
    ...(options.leaseSeconds ? { leaseSeconds: options.leaseSeconds } : {}),
    ...(options.maxPrefetch !== undefined ? { maxPrefetch: options.maxPrefetch } : {}),
  });
  const offFinished = system.events.on('execution:finished', (execution) => {
    const slot = execution.slot ? ` slot ${execution.slot.toISOString()}` : '';
    log.write(
      'info',
      'execution:finished',
      `${execution.configId}${slot} attempt ${execution.attempt}: ${executionLine(execution)}`,
      {
        executionId: execution.id,
        configId: execution.configId,
        slot: execution.slot?.toISOString() ?? null,
        attempt: execution.attempt,
        status: execution.status,
        durationMs: execution.durationMs ?? null,
      },
      system.clock.now(),
    );
  });
  const offErrors = reportEngineErrors(system, context.io, log);
  log.info(
    'engine:started',
    `${options.scheduler ? 'Scheduler and worker' : 'Worker'} ${worker.id} running (concurrency ${options.concurrency}). Press Ctrl-C to stop.`,
    { workerId: worker.id, scheduler: options.scheduler, concurrency: options.concurrency },
  );
  await context.stopped;
  log.info('engine:stopping', `Stopping: ${worker.activeCount} running execution(s) get up to ${options.graceSeconds} s to finish, then go back to the queue.`, {
    running: worker.activeCount,
    graceSeconds: options.graceSeconds,
  });
  offFinished();
  offErrors();
  await system.close({ graceMs: options.graceSeconds * 1000 });
}

/**
 * Prints each outage of the store (to stderr, or as a JSON log line) once when it starts and
 * once when it ends, with its length, however many retries the loops make in between (each
 * failed call is an `engine:error` event, not a line).
 */
export function reportEngineErrors(system: OpenedGroveJobs, io: CliContext['io'], log = commandLog(io, { json: false })): () => void {
  return system.events.on('engine:outage', (outage) => {
    const by = { source: outage.source, id: outage.id };
    if (outage.state === 'started') {
      log.write('error', 'store:unreachable', `store out of reach (${outage.source} ${outage.id}: ${outage.message}); trying again every few seconds`, { ...by, error: outage.message }, outage.at);
    } else {
      log.write(
        'warn',
        'store:reached',
        `store reached again by ${outage.source} ${outage.id} after ${(outage.durationMs / 1000).toFixed(1)} s (out of reach since ${outage.startedAt.toISOString()})`,
        { ...by, durationMs: outage.durationMs, since: outage.startedAt.toISOString() },
        outage.at,
      );
    }
  });
}

/** The `--json` option of the long-running commands. */
export const JSON_LOG_OPTION = ['--json', 'print one JSON object per line: { time, level, event, message, fields }'] as const;

/** The log of a long-running command; a followed embedded store's change of owner goes to it too. */
export function engineLog(context: CliContext, json: boolean | undefined): { log: CommandLog; onStoreOwner: (line: string) => void } {
  const log = commandLog(context.io, { json: json === true });
  return { log, onStoreOwner: (line) => log.write('warn', 'store:owner-changed', line) };
}

/** `grove-jobs worker [--concurrency N]`: scheduler and worker, no HTTP. */
export function registerWorker(program: Command, context: CliContext): void {
  program
    .command('worker')
    .description('run the scheduler and a worker in this process until Ctrl-C (any number may share one PostgreSQL)')
    .option('--concurrency <n>', 'executions this worker runs at once (1-1000)', '4')
    .option('--grace <seconds>', 'on shutdown, how long running executions may finish before they are handed back', '30')
    .option('--lease <seconds>', "how long an execution stays this worker's without a heartbeat (3-3600)", '30')
    .option('--max-prefetch <n>', 'most executions claimed ahead of free places while executions are short (0-5000; 0: none)', '500')
    .option('--no-scheduler', 'only run executions; leave slot claiming to other processes')
    .option(...JSON_LOG_OPTION)
    .action(async (options: { concurrency: string; grace: string; lease: string; maxPrefetch: string; scheduler: boolean; json?: boolean }) => {
      const concurrency = parseWholeNumber('--concurrency', options.concurrency, 1, 1000);
      const graceSeconds = parseWholeNumber('--grace', options.grace, 0, 86_400);
      const leaseSeconds = parseWholeNumber('--lease', options.lease, 3, 3600);
      const maxPrefetch = parseWholeNumber('--max-prefetch', options.maxPrefetch, 0, 5000);
      const { log, onStoreOwner } = engineLog(context, options.json);
      const system = await openGroveJobs({ env: context.env, ensureDefaults: true, log: onStoreOwner });
      try {
        await runEngineUntilStopped(system, context, { concurrency, graceSeconds, leaseSeconds, maxPrefetch, scheduler: options.scheduler }, log);
      } finally {
        await system.close({ graceMs: 0 });
      }
    });
}
