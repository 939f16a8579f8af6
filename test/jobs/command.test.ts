import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobConfig, JobContext, LogLevel } from '../../src/domain/config/index.js';
import { JobTypeRegistry, validateJobConfig } from '../../src/domain/config/index.js';
import {
  checkCommandPolicy,
  commandEnv,
  commandJobType,
  commandParameters,
  executeCommand,
  OUTPUT_MAX_LINES,
  type CheckedCommandPolicy,
  type CommandParameters,
} from '../../src/jobs/command/index.js';

interface LogLine {
  level: LogLevel;
  message: string;
  data?: Record<string, unknown>;
}

const managed = { version: 1, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', createdBy: 't', updatedBy: 't' };

let root: string;
let allowed: string;
let policy: CheckedCommandPolicy;

function script(name: string, body: string, mode = 0o755): string {
  const path = join(allowed, name);
  writeFileSync(path, body);
  chmodSync(path, mode);
  return path;
}

/** Alive: signal 0 reaches it and it is not a zombie (PID 1 here may not reap orphans). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitFor<T>(read: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('waited too long');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A JobContext for one command execution; parameters go through the type's schema, as the engine's do. */
function aContext(parameters: Record<string, unknown>, options: { dryRun?: boolean; checked?: CheckedCommandPolicy } = {}) {
  const logs: LogLine[] = [];
  const controller = new AbortController();
  const context: JobContext<CommandParameters> = {
    executionId: 'exec-3',
    config: { meta: { id: 'nightly-report' }, payload: { limits: { timeoutSeconds: 60 } } } as unknown as JobConfig,
    parameters: commandParameters(options.checked ?? policy).parse(parameters),
    slot: undefined,
    attempt: 1,
    batchSize: 100,
    dryRun: options.dryRun ?? false,
    signal: controller.signal,
    now: () => new Date('2026-01-01T00:00:00Z'),
    log: (level, message, data) => void logs.push({ level, message, ...(data ? { data } : {}) }),
    progress: () => undefined,
  };
  return { context, logs, controller };
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'grove-command-'));
  allowed = join(root, 'allowed');
  mkdirSync(join(allowed, 'work'), { recursive: true });
  policy = checkCommandPolicy({ allowDir: allowed, allowEnv: ['REPORT_DATE', 'API_TOKEN'], killGraceMs: 300 });
  script('hello.sh', '#!/bin/sh\necho "hello $1"\necho "from $(pwd)"\necho "a warning" >&2\n');
  script('fail.sh', '#!/bin/sh\necho "about to fail"\necho "disk full" >&2\nexit 3\n');
  script('args.sh', '#!/bin/sh\nfor a in "$@"; do echo "arg:$a"; done\n');
  script('env.sh', '#!/bin/sh\necho "token=$API_TOKEN date=$REPORT_DATE"\n');
  script('env-names.mjs', `#!${process.execPath}\nconsole.log(Object.keys(process.env).sort().join(','));\n`);
  script('many-lines.sh', `#!/bin/sh\nseq 1 ${OUTPUT_MAX_LINES + 500}\n`);
  // Starts a grandchild in the background, says where both are, then waits.
  script('spawner.sh', '#!/bin/sh\nsleep 60 &\necho "$$ $!" > "$1"\nsleep 60\n');
  // Ignores SIGTERM (and so does its sleep, which inherits the ignored signal): only SIGKILL ends it.
  script('stubborn.sh', "#!/bin/sh\ntrap '' TERM\necho \"$$\" > \"$1\"\nsleep 60\necho survived\n");
  script('leaves-child.sh', '#!/bin/sh\nsleep 60 > /dev/null 2>&1 &\necho "$!" > "$1"\n');
  script('not-executable.sh', '#!/bin/sh\necho no\n', 0o644);
  const outside = join(root, 'outside.sh');
  writeFileSync(outside, '#!/bin/sh\necho outside\n');
  chmodSync(outside, 0o755);
  symlinkSync(outside, join(allowed, 'link-out.sh'));
  symlinkSync('/bin/echo', join(allowed, 'echo'));
  symlinkSync(join(allowed, 'hello.sh'), join(allowed, 'link-in.sh'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the command job type', () => {
  it('is named command, keeps secretEnv write-only, changes data and leaves the schedule to the operator', () => {
    const type = commandJobType({ allowDir: allowed, allowEnv: [] });
    expect(type.name).toBe('command');
    expect(type.secretParameters).toEqual(['secretEnv']);
    expect(type.changesData).toBe(true);
    expect(type.defaults?.schedule?.cronExpression).toBeUndefined();
  });

  it('refuses every config, naming --allow-commands, in a process started without it', async () => {
    const registry = new JobTypeRegistry([commandJobType()]);
    const input = { meta: { id: 'report' }, payload: { jobType: 'command', schedule: { cronExpression: '0 5 * * *' }, parameters: { executable: 'hello.sh' } } };
    expect(() => validateJobConfig(input, registry, managed)).toThrow(/payload\.parameters\.executable.*command jobs are off in this process: start it with --allow-commands DIR \(or set GROVE_JOBS_ALLOW_COMMANDS=DIR\)/s);

    // A config written by a process that allowed it, run by one that does not.
    const { context } = aContext({ executable: 'hello.sh' });
    await expect(executeCommand(undefined, context)).rejects.toThrow(/command jobs are off in this process: start it with --allow-commands DIR/);
  });

  it('accepts a config whose executable is in the allowed folder, by relative or absolute path, or a link inside it', () => {
    const registry = new JobTypeRegistry([commandJobType({ allowDir: allowed, allowEnv: ['REPORT_DATE'] })]);
    for (const executable of ['hello.sh', join(allowed, 'hello.sh'), 'link-in.sh', 'work/../hello.sh']) {
      const input = { meta: { id: 'report' }, payload: { jobType: 'command', schedule: { cronExpression: '0 5 * * *' }, parameters: { executable, env: { REPORT_DATE: 'today' }, cwd: 'work' } } };
      expect(validateJobConfig(input, registry, managed).payload.parameters, executable).toMatchObject({ executable, args: [], env: { REPORT_DATE: 'today' }, cwd: 'work' });
    }
  });

  it.each([
    ['an absolute path outside the folder', { executable: '/bin/echo' }, 'executable', /outside the allowed folder/],
    ['a path out through ..', { executable: '../outside.sh' }, 'executable', /outside the allowed folder/],
    ['a symbolic link to a file outside', { executable: 'link-out.sh' }, 'executable', /resolves to .*outside\.sh, outside the allowed folder/],
    ['a symbolic link to a system program', { executable: 'echo' }, 'executable', /outside the allowed folder/],
    ['a file that does not exist', { executable: 'missing.sh' }, 'executable', /does not exist/],
    ['a file that is not executable', { executable: 'not-executable.sh' }, 'executable', /not executable/],
    ['a folder', { executable: 'work' }, 'executable', /not a regular file/],
    ['a working folder outside', { executable: 'hello.sh', cwd: '..' }, 'cwd', /outside the allowed folder/],
    ['a variable the server does not allow', { executable: 'hello.sh', env: { LD_PRELOAD: '/tmp/x.so' } }, 'env.LD_PRELOAD', /not an environment variable this server lets commands set \(allowed: PATH, HOME, LANG, REPORT_DATE, API_TOKEN/],
    ['a secret variable the server does not allow', { executable: 'hello.sh', secretEnv: { AWS_SECRET: 'xxxxxxxx' } }, 'secretEnv.AWS_SECRET', /not an environment variable/],
    ['a variable name that is not one', { executable: 'hello.sh', env: { 'BAD-NAME': 'x' } }, 'env.BAD-NAME', /Invalid key/],
    ['a NUL in an argument', { executable: 'hello.sh', args: ['a\0b'] }, 'args.0', /NUL/],
  ])('refuses %s', (_case, parameters, path, message) => {
    const result = commandParameters(policy).safeParse(parameters);
    expect(result.success).toBe(false);
    const issue = result.error?.issues.find((i) => i.path.join('.').startsWith(path));
    expect(issue?.message, JSON.stringify(result.error?.issues)).toMatch(message);
  });

  it('refuses a start-up policy whose folder does not exist or whose variable names are malformed', () => {
    expect(() => checkCommandPolicy({ allowDir: join(root, 'nope'), allowEnv: [] })).toThrow("--allow-commands: '");
    expect(() => checkCommandPolicy({ allowDir: allowed, allowEnv: ['OK', 'NOT OK'] })).toThrow("--allow-command-env: 'NOT OK' is not an environment variable name");
  });
});

describe('the command handler', () => {
  it('runs the program and streams its output to the log, standard output at info and standard error at warn', async () => {
    const { context, logs } = aContext({ executable: 'hello.sh', args: ['world'], cwd: 'work' });

    const outcome = await executeCommand(policy, context);

    expect(outcome).toMatchObject({ summary: 'hello.sh exited with code 0', result: { exitCode: 0, args: ['world'], outputLines: 3 }, items: { succeeded: 1 } });
    expect(logs).toContainEqual({ level: 'info', message: 'hello world' });
    expect(logs).toContainEqual({ level: 'info', message: `from ${join(policy.allowDir, 'work')}` });
    expect(logs).toContainEqual({ level: 'warn', message: 'a warning' });
  });

  it('fails on a non-zero exit, naming the code and the last line of standard error', async () => {
    const { context, logs } = aContext({ executable: 'fail.sh' });
    await expect(executeCommand(policy, context)).rejects.toThrow('fail.sh exited with code 3: disk full');
    expect(logs).toContainEqual({ level: 'info', message: 'about to fail' });
  });

  it('uses no shell: an argument like $(touch …) reaches the program as it is written', async () => {
    const marker = join(root, 'shell-ran');
    const { context, logs } = aContext({ executable: 'args.sh', args: [`$(touch ${marker})`, '*', '; echo hi', "'quoted'"] });

    await executeCommand(policy, context);

    expect(logs.filter((l) => l.message.startsWith('arg:')).map((l) => l.message)).toEqual([`arg:$(touch ${marker})`, 'arg:*', 'arg:; echo hi', "arg:'quoted'"]);
    expect(existsSync(marker)).toBe(false);
  });

  it('gives the program only PATH, HOME, LANG and the variables of the config, masking secret values in its output', async () => {
    const names = aContext({ executable: 'env-names.mjs', env: { REPORT_DATE: '2026-01-01' }, secretEnv: { API_TOKEN: 'tok-9d8c7b6a' } });
    await executeCommand(policy, names.context);
    const listed = names.logs.find((l) => l.level === 'info' && /^[A-Z_,]+$/.test(l.message))?.message.split(',') ?? [];
    const expected = ['API_TOKEN', 'REPORT_DATE', ...['PATH', 'HOME', 'LANG'].filter((name) => process.env[name] !== undefined)];
    expect(listed.filter((name) => name !== 'PWD' && name !== 'SHLVL' && name !== '_').sort()).toEqual(expected.sort());

    const values = aContext({ executable: 'env.sh', env: { REPORT_DATE: '2026-01-01' }, secretEnv: { API_TOKEN: 'tok-9d8c7b6a' } });
    await executeCommand(policy, values.context);
    expect(values.logs).toContainEqual({ level: 'info', message: 'token=[secret] date=2026-01-01' });
    expect(JSON.stringify(values.logs)).not.toContain('tok-9d8c7b6a');
    expect(commandEnv({ env: {}, secretEnv: {} }, { PATH: '/bin', HOME: '/root', LANG: 'C', AWS_SECRET_ACCESS_KEY: 'x', NODE_OPTIONS: '--inspect' })).toEqual({ PATH: '/bin', HOME: '/root', LANG: 'C' });
  });

  it('keeps the first 1000 lines and says how many more were dropped', async () => {
    const { context, logs } = aContext({ executable: 'many-lines.sh' });

    const outcome = await executeCommand(policy, context);

    const output = logs.filter((l) => /^\d+$/.test(l.message));
    expect(output).toHaveLength(OUTPUT_MAX_LINES);
    expect(output.at(-1)?.message).toBe(String(OUTPUT_MAX_LINES));
    expect(logs.at(-1)).toMatchObject({ level: 'warn', message: `output past 1000 lines dropped: 500 more line(s), ${500 * 5} bytes` });
    expect(outcome.result).toMatchObject({ outputLines: 1000, droppedLines: 500 });
  });

  it('does not run the program in a dry run, and logs what would run', async () => {
    const marker = join(root, 'dry-ran');
    const { context, logs } = aContext({ executable: 'args.sh', args: [marker] }, { dryRun: true });

    const outcome = await executeCommand(policy, context);

    expect(outcome.summary).toBe('dry run: args.sh not run');
    expect(logs).toEqual([{ level: 'info', message: `dry run: would run ${join(policy.allowDir, 'args.sh')} with 1 argument(s) in ${policy.allowDir}, no shell`, data: expect.objectContaining({ args: [marker] }) }]);
    expect(logs.some((l) => l.message.startsWith('arg:'))).toBe(false);
  });

  it('refuses at run time what the worker does not allow, even if the config was accepted elsewhere', async () => {
    const { context } = aContext({ executable: 'hello.sh', env: { REPORT_DATE: 'x' } });
    const stricter = checkCommandPolicy({ allowDir: allowed, allowEnv: [] });
    await expect(executeCommand(stricter, context)).rejects.toThrow(/^env: REPORT_DATE may not be set by commands on this worker/);
    const elsewhere = checkCommandPolicy({ allowDir: join(allowed, 'work'), allowEnv: ['REPORT_DATE'] });
    await expect(executeCommand(elsewhere, context)).rejects.toThrow(/^executable: 'hello.sh' does not exist/);
  });

  it('on timeout or cancel stops the whole process group: neither the program nor what it started is left', async () => {
    const pids = join(root, 'spawner.pids');
    const { context, controller } = aContext({ executable: 'spawner.sh', args: [pids] });
    const running = executeCommand(policy, context);
    const [script, grandchild] = await waitFor(() => {
      const text = existsSync(pids) ? readFileSync(pids, 'utf8').trim() : '';
      return text.includes(' ') ? text.split(' ').map(Number) : undefined;
    });
    expect(alive(script as number) && alive(grandchild as number)).toBe(true);
    const reason = new Error('timed out after 1 s');

    controller.abort(reason);

    await expect(running).rejects.toBe(reason);
    expect(alive(script as number)).toBe(false);
    expect(alive(grandchild as number)).toBe(false);
  }, 20_000);

  it('sends SIGKILL after the grace to a program that ignores SIGTERM', async () => {
    const pidFile = join(root, 'stubborn.pid');
    const { context, controller, logs } = aContext({ executable: 'stubborn.sh', args: [pidFile] });
    const running = executeCommand(policy, context);
    const pid = await waitFor(() => (existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() ? Number(readFileSync(pidFile, 'utf8')) : undefined));
    const started = Date.now();

    controller.abort(new Error('cancelled'));

    await expect(running).rejects.toThrow('cancelled');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(alive(pid)).toBe(false);
    expect(logs.some((l) => l.message === 'survived')).toBe(false);
  }, 20_000);

  it('stops what a program left running in the background when it exits', async () => {
    const pidFile = join(root, 'left.pid');
    const { context, logs } = aContext({ executable: 'leaves-child.sh', args: [pidFile] });

    await executeCommand(policy, context);

    expect(alive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
    expect(logs).toContainEqual({ level: 'warn', message: 'leaves-child.sh ended and left processes running in its process group; stopping them' });
  }, 20_000);
});
