import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInJobTypes, silentNotifier } from '../../src/app.js';
import { openGroveJobs, type OpenedGroveJobs } from '../../src/open.js';
import { quoteIdentifier } from '../../src/store/sql.js';
import { assertPostgresReachable, POSTGRES_URL, uniqueSchema } from '../support/test-store.js';

const actor = { actor: 'test' };

function sqlConfig(id: string, parameters: Record<string, unknown>, timeoutSeconds = 60) {
  return { meta: { id }, payload: { jobType: 'sql', schedule: { cronExpression: '0 4 * * *' }, limits: { timeoutSeconds }, retry: { maxAttempts: 1 }, parameters } };
}

async function runNow(system: OpenedGroveJobs, configId: string) {
  const { execution } = await system.executions.trigger(configId, { requestedBy: 'test', handOver: false });
  const finished = await system.runHere(execution.id);
  if (!finished) throw new Error('not claimed');
  return { finished, logs: await system.executions.logs(execution.id) };
}

/** Alive: signal 0 reaches it and it is not a zombie (PID 1 here may not reap orphans). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('the built-in job types', () => {
  it('include sql and command besides http-request, none with a default schedule', () => {
    expect(builtInJobTypes.map((type) => type.name)).toEqual(['http-request', 'sql', 'command']);
    for (const type of builtInJobTypes) expect(type.defaults?.schedule?.cronExpression).toBeUndefined();
  });
});

describe('sql and command jobs in a system opened on the embedded store', () => {
  let root: string;
  let allowed: string;
  let system: OpenedGroveJobs;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'grove-builtin-'));
    allowed = join(root, 'bin');
    mkdirSync(allowed);
    const spawner = join(allowed, 'spawner.sh');
    writeFileSync(spawner, '#!/bin/sh\nsleep 60 &\necho "$$ $!" > "$1"\nsleep 60\n');
    chmodSync(spawner, 0o755);
    system = await openGroveJobs({ env: { GROVE_JOBS_DATA_DIR: join(root, 'data'), GROVE_JOBS_ALLOW_COMMANDS: allowed, GROVE_JOBS_ALLOW_COMMAND_ENV: 'REPORT_DATE' }, domain: false, followOwner: false, notifier: silentNotifier });
  }, 60_000);

  afterAll(async () => {
    await system?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("runs a statement on the store's own database through its socket, never with the engine's tables in reach unqualified", async () => {
    await system.configs.create(sqlConfig('answer', { statement: 'select 41 + 1 as answer, current_setting($$search_path$$) as path' }), actor);
    const { finished, logs } = await runNow(system, 'answer');
    expect(finished).toMatchObject({ status: 'success', summary: 'SELECT 1 row', result: { columns: ['answer', 'path'], rows: [[42, 'public']] } });
    expect(logs.map((l) => l.message)).toContainEqual(expect.stringMatching(/^SELECT 1 row in/));

    await system.configs.create(sqlConfig('engine-tables', { statement: 'select count(*) from job_configs' }), actor);
    expect((await runNow(system, 'engine-tables')).finished).toMatchObject({ status: 'failed', error: { message: expect.stringMatching(/relation "job_configs" does not exist/) } });
  });

  it('stops a command at its timeout: the execution ends as timeout and its process group is gone', async () => {
    const pids = join(root, 'pids');
    await system.configs.create({ meta: { id: 'spawner' }, payload: { jobType: 'command', schedule: { cronExpression: '0 4 * * *' }, limits: { timeoutSeconds: 1 }, retry: { maxAttempts: 1 }, parameters: { executable: 'spawner.sh', args: [pids] } } }, actor);

    const { finished } = await runNow(system, 'spawner');

    expect(finished).toMatchObject({ status: 'timeout', error: { message: 'timed out after 1 s' } });
    const [script, grandchild] = readFileSync(pids, 'utf8').trim().split(' ').map(Number) as [number, number];
    // The worker does not wait for a handler past its timeout; the group is stopped meanwhile (SIGTERM, then SIGKILL after 5 s).
    const until = Date.now() + 8_000;
    while ((alive(script) || alive(grandchild)) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(alive(script)).toBe(false);
    expect(alive(grandchild)).toBe(false);
  }, 20_000);

  it('refuses a command config an operator writes without --allow-commands, naming the flag', async () => {
    const off = await openGroveJobs({ env: { GROVE_JOBS_DATA_DIR: join(root, 'data'), GROVE_JOBS_ALLOW_COMMANDS: allowed }, domain: false, followOwner: false, commands: null, migrate: false, notifier: silentNotifier });
    try {
      const input = { meta: { id: 'refused' }, payload: { jobType: 'command', schedule: { cronExpression: '0 4 * * *' }, parameters: { executable: 'spawner.sh' } } };
      await expect(off.configs.create(input, actor)).rejects.toThrow(/--allow-commands DIR/);
      // The config another process wrote stays readable, with its type known.
      expect((await off.configs.get('spawner')).payload.jobType).toBe('command');
      expect(off.jobTypes.get('command')?.description).toContain('--allow-commands');
    } finally {
      await off.close();
    }
  }, 30_000);
});

describe('sql jobs in a system on PostgreSQL', () => {
  const schema = uniqueSchema('sqlsys');
  let system: OpenedGroveJobs;

  beforeAll(async () => {
    await assertPostgresReachable();
    system = await openGroveJobs({ env: { DATABASE_URL: POSTGRES_URL, GROVE_JOBS_SCHEMA: schema, GROVE_JOBS_DATA_DIR: mkdtempSync(join(tmpdir(), 'grove-sqlsys-')) }, domain: false, followOwner: false, notifier: silentNotifier });
  }, 60_000);

  afterAll(async () => {
    await system?.close();
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`drop schema if exists ${quoteIdentifier(schema)} cascade`);
    await admin.end();
  });

  it('cancels a statement at the timeout: the execution ends as timeout and the server runs it no more', async () => {
    const marker = uniqueSchema('slow');
    await system.configs.create(sqlConfig('slow', { statement: `select pg_sleep(30), '${marker}'` }, 1), actor);

    const { finished } = await runNow(system, 'slow');

    expect(finished).toMatchObject({ status: 'timeout' });
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    try {
      const until = Date.now() + 5_000;
      let active = 1;
      while (active > 0 && Date.now() < until) {
        active = (await admin.query({ text: "select count(*)::int as n from pg_stat_activity where query like $1 and state = 'active' and pid <> pg_backend_pid()", values: [`%${marker}%`] })).rows[0].n as number;
        if (active > 0) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(active).toBe(0);
    } finally {
      await admin.end();
    }
  }, 30_000);

  it('keeps a secret database connection string out of the execution, its logs and the config as shown', async () => {
    const password = 'pw-71c2e9b04fd3';
    await system.configs.create(sqlConfig('elsewhere', { statement: 'select 1 as one', database: `postgres://postgres:${password}@127.0.0.1:5432/postgres` }), actor);

    const { finished, logs } = await runNow(system, 'elsewhere');

    expect(finished).toMatchObject({ status: 'success', result: { rows: [[1]] } });
    expect(JSON.stringify({ finished, logs })).not.toContain(password);
  }, 30_000);
});
