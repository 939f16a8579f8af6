import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { isFinal } from '../domain/execution/index.js';
import type { ExecutionRecord } from '../app.js';
import { cliActor, type CliContext, withSystem } from './context.js';
import { CommandExit, ExitCode } from './errors.js';
import { executionJson, executionLine, logLine } from './execution-view.js';
import { json } from './output.js';
import { parseWholeNumber } from './worker.js';

/** How often `run` looks at an execution another worker holds (it cannot receive its events). */
const WATCH_INTERVAL_MS = 250;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `grove-jobs run <config>`: records a manual execution of the config as it is now and runs
 * it in this process (or, with --queue, leaves it to the workers). Exit 0 only for success.
 */
export function registerRun(program: Command, context: CliContext): void {
  program
    .command('run')
    .description('run a job config now, in this process (works for disabled configs too)')
    .argument('<config>', 'config id')
    .option('--dry-run', 'this run only: report what would change, change nothing')
    .option('--batch-size <n>', 'this run only: the batch size (1-1000000)')
    .option('--idempotency-key <key>', 'a repeated key returns the execution it started instead of starting another')
    .option('--queue', 'hand the execution to the workers and print its id instead of running it here')
    .option('--json', 'print the finished execution (with --queue: { executionId, created })')
    .action((configId: string, options: { dryRun?: boolean; batchSize?: string; idempotencyKey?: string; queue?: boolean; json?: boolean }) =>
      withSystem(context, async (system) => {
        const { io } = context;
        const batchSize = options.batchSize === undefined ? undefined : parseWholeNumber('--batch-size', options.batchSize, 1, 1_000_000);
        const { execution, created } = await system.executions.trigger(configId, {
          requestedBy: cliActor(context.env),
          ...(options.dryRun ? { dryRun: true } : {}),
          ...(batchSize !== undefined ? { batchSize } : {}),
          ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
          // Run here: not handed to an idle worker elsewhere.
          ...(options.queue ? {} : { handOver: false }),
        });
        if (options.queue) {
          io.out(options.json ? json({ executionId: execution.id, created }) : `${created ? 'Queued' : 'Already started as'} ${execution.id}.`);
          return;
        }
        if (!options.json) io.out(`${created ? 'Running' : 'Following'} ${execution.id} (${configId}${options.dryRun ? ', dry run' : ''})…`);

        const bar = !options.json && process.stderr.isTTY ? new cliProgress.SingleBar({ stream: process.stderr, format: ' {bar} {value}/{total} items | {status}', hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
        const offProgress = system.events.on('execution:progress', ({ executionId, items }) => {
          if (executionId !== execution.id || !bar) return;
          if (items.total !== null) bar.setTotal(items.total);
          if (!bar.isActive) bar.start(items.total ?? items.processed, items.processed, { status: 'running' });
          bar.update(items.processed, { status: items.failed ? `${items.failed} failed` : 'running' });
        });
        const offLogs = system.events.on('execution:log', ({ executionId, level, message }) => {
          if (executionId === execution.id && !options.json && !bar?.isActive) io.out(logLine({ at: system.clock.now(), level: level as 'info', message }));
        });
        let finished: ExecutionRecord | undefined;
        try {
          finished = created && !isFinal(execution.status) ? await system.runHere(execution.id) : undefined;
          // Another worker holds it (or its config is at maxConcurrent): follow it until it ends.
          while (!finished || !isFinal(finished.status)) {
            finished = await system.executions.get(execution.id);
            if (isFinal(finished.status)) break;
            finished = (await system.runHere(execution.id)) ?? finished;
            if (!isFinal(finished.status)) await Promise.race([delay(WATCH_INTERVAL_MS), context.stopped]);
          }
        } finally {
          bar?.stop();
          offProgress();
          offLogs();
        }
        io.out(options.json ? json(executionJson(finished)) : executionLine(finished));
        if (finished.status !== 'success') throw new CommandExit(ExitCode.Failure);
      }),
    );
}
