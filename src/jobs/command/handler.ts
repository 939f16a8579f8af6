import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import type { JobContext, JobOutcome } from '../../domain/config/job-type.js';
import { SecretMasker } from '../../domain/config/index.js';
import { OutputLines } from './output.js';
import type { CommandParameters } from './parameters.js';
import { ALWAYS_PASSED_ENV, allowedEnvText, COMMANDS_OFF_MESSAGE, refusedEnvNames, resolveExecutable, resolveWorkingDir, type CheckedCommandPolicy } from './policy.js';

/** How often a stopping run looks whether its process group is gone. */
const GROUP_POLL_MS = 50;
/** How long a run waits for its output pipes to close once its processes are gone (a pipe handed to a process outside the group). */
const PIPE_CLOSE_MS = 2_000;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Whether any process of group `pgid` is alive (ESRCH: none left; EPERM: some, not ours to signal). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: gone already.
  }
}

/**
 * Process groups of the commands running in this process. A worker stops waiting for a handler
 * when its execution times out or is cancelled, and a process may exit before a grace period
 * ends: at exit, every group still running is killed, so no command outlives the process.
 */
const liveGroups = new Set<number>();
let exitHookSet = false;

function track(pgid: number): void {
  liveGroups.add(pgid);
  if (exitHookSet) return;
  exitHookSet = true;
  process.once('exit', () => {
    for (const group of liveGroups) signalGroup(group, 'SIGKILL');
  });
}

/**
 * SIGTERM to the whole group (the command and whatever it started), SIGKILL to what is left
 * after the grace; resolves once the group is gone (or, for a group whose last members are
 * zombies no one reaps, once the SIGKILL has had a moment).
 */
export async function stopGroup(pgid: number, graceMs: number): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  const killAt = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < killAt) await delay(GROUP_POLL_MS);
  if (!groupAlive(pgid)) return;
  signalGroup(pgid, 'SIGKILL');
  const giveUpAt = Date.now() + 1_000;
  while (groupAlive(pgid) && Date.now() < giveUpAt) await delay(GROUP_POLL_MS);
}

/** The child's whole environment: PATH, HOME and LANG from this process's, then the config's variables. Nothing else is inherited. */
export function commandEnv(parameters: Pick<CommandParameters, 'env' | 'secretEnv'>, inherited: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ALWAYS_PASSED_ENV) {
    const value = inherited[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...parameters.env, ...parameters.secretEnv };
}

/** Checks the parameters against this worker's policy and files as they are now (a config may have been written elsewhere, or long ago). */
function prepare(policy: CheckedCommandPolicy | undefined, parameters: CommandParameters): { executable: string; cwd: string } {
  if (!policy) throw new Error(COMMANDS_OFF_MESSAGE);
  const executable = resolveExecutable(policy, parameters.executable);
  if ('refusal' in executable) throw new Error(`executable: ${executable.refusal}`);
  const cwd = resolveWorkingDir(policy, parameters.cwd);
  if ('refusal' in cwd) throw new Error(`cwd: ${cwd.refusal}`);
  const refused = refusedEnvNames(policy, [...Object.keys(parameters.env), ...Object.keys(parameters.secretEnv)]);
  if (refused.length > 0) throw new Error(`env: ${refused.join(', ')} may not be set by commands on this worker (${allowedEnvText(policy)})`);
  return { executable: executable.path, cwd: cwd.path };
}

export async function executeCommand(policy: CheckedCommandPolicy | undefined, context: JobContext<CommandParameters>): Promise<JobOutcome> {
  const { parameters, signal } = context;
  const { executable, cwd } = prepare(policy, parameters);
  const graceMs = policy?.killGraceMs ?? 0;
  const args = parameters.args;
  const name = basename(executable);
  const variables = [...Object.keys(parameters.env), ...Object.keys(parameters.secretEnv)];
  const described = { executable, args, cwd, env: variables };
  // The engine masks secretEnv's values too; this covers a run outside it (tests, embedders).
  const masker = new SecretMasker(Object.values(parameters.secretEnv));

  if (context.dryRun) {
    context.log('info', `dry run: would run ${executable} with ${args.length} argument(s) in ${cwd}, no shell`, described);
    return { summary: `dry run: ${name} not run`, result: { dryRun: true, ...described }, items: { total: 1, processed: 0, succeeded: 0, failed: 0 } };
  }
  signal.throwIfAborted();

  context.log('info', `running ${executable} with ${args.length} argument(s) in ${cwd}`, described);
  const output = new OutputLines((stream, line) => context.log(stream === 'stdout' ? 'info' : 'warn', masker.text(line)));
  const started = performance.now();
  // No shell: arguments reach the program as they are. Its own process group (detached), so
  // that a stop reaches whatever it started too.
  const child = spawn(executable, args, { cwd, env: commandEnv(parameters), shell: false, detached: true, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  const pipesClosed = Promise.all(
    (['stdout', 'stderr'] as const).map(
      (stream) =>
        new Promise<void>((resolve) => {
          const pipe = child[stream];
          pipe.on('data', (chunk: Buffer) => output.write(stream, chunk));
          pipe.once('close', () => {
            output.end(stream);
            resolve();
          });
        }),
    ),
  );
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null } | { error: Error }>((resolve) => {
    child.once('exit', (code, exitSignal) => resolve({ code, signal: exitSignal }));
    child.once('error', (error) => resolve({ error }));
  });
  const pgid = child.pid;
  if (pgid !== undefined) track(pgid);

  let stopping: Promise<void> | undefined;
  const onAbort = () => {
    if (pgid !== undefined) stopping ??= stopGroup(pgid, graceMs);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  let exit: Awaited<typeof ended>;
  try {
    exit = await ended;
    if (pgid !== undefined && !stopping && groupAlive(pgid)) {
      // The command ended and left processes behind (something started in the background):
      // nothing a run starts outlives it.
      context.log('warn', `${name} ended and left processes running in its process group; stopping them`);
      stopping = stopGroup(pgid, graceMs);
    }
    await stopping;
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (pgid !== undefined && !groupAlive(pgid)) liveGroups.delete(pgid);
  }
  // A pipe handed to a process outside the group (a daemon that made its own) would keep it open.
  await Promise.race([pipesClosed, delay(PIPE_CLOSE_MS)]);
  child.stdout.destroy();
  child.stderr.destroy();

  const totals = output.totals();
  if (totals.droppedLines > 0) {
    context.log('warn', `output past ${totals.lines} lines dropped: ${totals.droppedLines} more line(s), ${totals.droppedBytes} bytes`, { droppedLines: totals.droppedLines, droppedBytes: totals.droppedBytes });
  }
  if (signal.aborted) throw signal.reason;
  const durationMs = Math.round(performance.now() - started);
  if ('error' in exit) throw new Error(`${executable} could not be started: ${exit.error.message}`);
  const result = { ...described, exitCode: exit.code, signal: exit.signal, durationMs, outputLines: totals.lines, droppedLines: totals.droppedLines };
  if (exit.code !== 0) {
    const how = exit.signal ? `was ended by signal ${exit.signal}` : `exited with code ${exit.code}`;
    const last = output.lastError === undefined ? '' : `: ${masker.text(output.lastError.slice(0, 500))}`;
    throw new Error(`${name} ${how}${last}`);
  }
  return { summary: `${name} exited with code 0`, result, items: { total: 1, processed: 1, succeeded: 1, failed: 0 } };
}
