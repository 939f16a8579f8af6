import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';

describe('--allow-commands and --allow-command-env', () => {
  let root: string;
  let allowed: string;
  let env: Record<string, string>;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'grove-command-cli-'));
    allowed = join(root, 'bin');
    mkdirSync(allowed);
    writeFileSync(join(allowed, 'report.sh'), '#!/bin/sh\necho "report for $REPORT_DATE"\n');
    chmodSync(join(allowed, 'report.sh'), 0o755);
    writeFileSync(
      join(root, 'report.json'),
      JSON.stringify({ meta: { id: 'report' }, payload: { jobType: 'command', schedule: { cronExpression: '0 5 * * *' }, parameters: { executable: 'report.sh', env: { REPORT_DATE: 'today' } } } }),
    );
    env = { GROVE_JOBS_DATA_DIR: join(root, 'data'), GROVE_JOBS_LOG_LEVEL: 'error' };
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each(['start', 'worker', 'serve'])('%s refuses a folder that does not exist with exit 2, naming the flag', async (command) => {
    const result = await cli([command, '--allow-commands', join(root, 'missing')], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--allow-commands');
    expect(result.stderr).toContain('is not a folder');
  });

  it('refuses --allow-command-env without --allow-commands, and a malformed name', async () => {
    const alone = await cli(['worker', '--allow-command-env', 'REPORT_DATE'], env);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--allow-command-env');
    const malformed = await cli(['worker', '--allow-commands', allowed, '--allow-command-env', 'REPORT DATE'], env);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain("'REPORT DATE' is not an environment variable name");
  });

  it('says at start what command jobs may run', async () => {
    const result = await cli(['start', '--once', '--no-demo', '--allow-commands', allowed, '--allow-command-env', 'REPORT_DATE'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Command jobs: may run executables from ${allowed} (variables they may set: PATH, HOME, LANG, REPORT_DATE).`);
  }, 60_000);

  it('refuses a command config without GROVE_JOBS_ALLOW_COMMANDS, naming the flag, and takes it and runs it with them', async () => {
    const refused = await cli(['jobs', 'create', '--file', join(root, 'report.json')], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('command jobs are off in this process: start it with --allow-commands DIR (or set GROVE_JOBS_ALLOW_COMMANDS=DIR)');

    const allowing = { ...env, GROVE_JOBS_ALLOW_COMMANDS: allowed, GROVE_JOBS_ALLOW_COMMAND_ENV: 'REPORT_DATE' };
    expect((await cli(['jobs', 'create', '--file', join(root, 'report.json')], allowing)).code).toBe(0);
    const run = await cli(['run', 'report'], allowing);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('report for today');

    const notAllowed = await cli(['run', 'report'], env);
    expect(notAllowed.code).toBe(1);
    expect(notAllowed.stdout).toContain('command jobs are off in this process');
  }, 60_000);

  it('shows a sql config without its database connection string', async () => {
    const password = 'pw-3e8a1f6c90bd';
    const file = join(root, 'sql.json');
    writeFileSync(
      file,
      JSON.stringify({ meta: { id: 'purge' }, payload: { jobType: 'sql', schedule: { cronExpression: '0 3 * * *' }, parameters: { statement: 'select 1', database: `postgres://app:${password}@db.example.test:5432/app` } } }),
    );
    expect((await cli(['jobs', 'create', '--file', file], env)).code).toBe(0);
    const shown = await cli(['jobs', 'show', 'purge', '--json'], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('select 1');
    expect(shown.stdout).not.toContain(password);
    expect(shown.stdout).not.toContain('db.example.test');
  }, 60_000);
});
