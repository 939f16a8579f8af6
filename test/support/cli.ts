import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { assertPostgresReachable, POSTGRES_URL, uniqueSchema } from './test-store.js';

export const CLI_ENTRY = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
export const JOB_TYPES_FIXTURE = fileURLToPath(new URL('../fixtures/job-types.mjs', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command line in this process with collected output. */
export async function cli(argv: string[], env: Record<string, string | undefined>, stdin = ''): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    io: { out: (text) => out.push(text), err: (text) => err.push(text), readStdin: async () => stdin },
    env,
    stopped: Promise.resolve(),
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** What useCliSchemas gives each test: the CLI's environment on the test's own schema, and the config file. */
export interface CliSchema {
  readonly env: Record<string, string>;
  readonly schema: string;
  readonly configFile: string;
}

/**
 * Each test of the file on a schema of its own on the PostgreSQL server (all dropped after the
 * file), the CLI acting as `cli:test` with the fixture job types; `config` is written once to
 * `configFile`, and with `created` made in each test's schema before the test.
 */
export function useCliSchemas(prefix: string, config: unknown, options: { created?: boolean } = {}): CliSchema {
  const schemas: string[] = [];
  const current = { env: {} as Record<string, string>, schema: '', configFile: '' };
  beforeAll(async () => {
    await assertPostgresReachable();
    current.configFile = join(mkdtempSync(join(tmpdir(), `grove-${prefix}-`)), 'config.json');
    writeFileSync(current.configFile, JSON.stringify(config));
  });
  beforeEach(async () => {
    current.schema = uniqueSchema(prefix);
    schemas.push(current.schema);
    current.env = { DATABASE_URL: POSTGRES_URL, GROVE_JOBS_SCHEMA: current.schema, GROVE_JOBS_JOB_TYPES: JOB_TYPES_FIXTURE, GROVE_JOBS_ACTOR: 'cli:test' };
    if (options.created) expect((await cli(['jobs', 'create', '--file', current.configFile], current.env)).code).toBe(0);
  });
  afterAll(async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    for (const schema of schemas) await client.query(`drop schema if exists "${schema}", "${schema}_grove" cascade`);
    await client.end();
  });
  return current;
}

/** Runs the built CLI as its own process. */
export function cliProcess(argv: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  return runProcess(process.execPath, [CLI_ENTRY, ...argv], { env });
}

/** Runs any program to its end and collects its output (no standard input). */
export function runProcess(command: string, args: string[], options: { cwd?: string; env?: Record<string, string | undefined> }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A long-running CLI process: everything it wrote so far, and its standard output (banner) and standard error (log) apart. */
export interface CliProcess {
  child: ChildProcess;
  output: () => string;
  stdout: () => string;
  stderr: () => string;
}

/** Starts a long-running CLI process and resolves once its output contains `ready`. */
export function startCliProcess(argv: string[], env: Record<string, string | undefined>, ready: string): Promise<CliProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_ENTRY, ...argv], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stdout = '';
    let stderr = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(ready)) resolve({ child, output: () => output, stdout: () => stdout, stderr: () => stderr });
    };
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`exited with ${code} before '${ready}':\n${output}`)));
  });
}

/** Resolves with the exit code (or signal) once the process has ended. */
export function exited(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
}
