import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliProcess, exited, JOB_TYPES_FIXTURE, startCliProcess } from '../support/cli.js';
import { assertPostgresReachable, testDatabase } from '../support/test-store.js';

const READY = 'Press Ctrl-C to stop.';

describe('an embedded store held by one process', () => {
  let dataDir: string;
  let env: Record<string, string | undefined>;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'grove-owner-'));
    env = { DATABASE_URL: undefined, GROVE_JOBS_DATA_DIR: dataDir, GROVE_JOBS_JOB_TYPES: JOB_TYPES_FIXTURE, GROVE_JOBS_ACTOR: 'cli:test' };
  });

  it('serves `jobs create` and `jobs set` from other processes while the first holds it', async () => {
    const owner = await startCliProcess(['start'], env, READY);
    try {
      const lock = JSON.parse(readFileSync(join(dataDir, 'grove-jobs.lock'), 'utf8')) as { pid: number; socketDir: string };
      expect(lock.pid).toBe(owner.child.pid);
      expect(lock.socketDir).toBe(join(dataDir, 'socket'));

      const file = join(dataDir, 'config.json');
      writeFileSync(file, JSON.stringify({ meta: { id: 'shared' }, payload: { jobType: 'report' } }));
      const created = await cliProcess(['jobs', 'create', '--file', file], env);
      expect(created, created.stderr).toMatchObject({ code: 0 });

      // Several writers at once through the owner's socket: each lands as its own version.
      const sets = await Promise.all([
        cliProcess(['jobs', 'set', 'shared', 'payload.schedule.cronExpression=0 3 * * *'], env),
        cliProcess(['jobs', 'set', 'shared', 'payload.limits.batchSize=50'], env),
      ]);
      for (const set of sets) expect(set.code, set.stderr).toBe(0);

      const shown = await cliProcess(['jobs', 'show', 'shared', '--json'], env);
      const config = JSON.parse(shown.stdout) as { meta: { version: number }; payload: { schedule: { cronExpression: string }; limits: { batchSize: number } } };
      expect(config.meta.version).toBe(3);
      expect(config.payload.schedule.cronExpression).toBe('0 3 * * *');
      expect(config.payload.limits.batchSize).toBe(50);
    } finally {
      owner.child.kill('SIGTERM');
    }
    expect(await exited(owner.child)).toBe(0);
    expect(existsSync(join(dataDir, 'grove-jobs.lock'))).toBe(false);
  });

  it('takes over the lock of an owner killed with SIGKILL, keeping its data', async () => {
    const owner = await startCliProcess(['start'], env, READY);
    const file = join(dataDir, 'crash.json');
    writeFileSync(file, JSON.stringify({ meta: { id: 'crash', title: 'Written before the crash' }, payload: { jobType: 'report' } }));
    const created = await cliProcess(['jobs', 'create', '--file', file], env);
    expect(created.code, created.stderr).toBe(0);
    owner.child.kill('SIGKILL');
    await exited(owner.child);
    expect(existsSync(join(dataDir, 'grove-jobs.lock'))).toBe(true);

    const shown = await cliProcess(['jobs', 'show', 'crash', '--json'], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect((JSON.parse(shown.stdout) as { meta: { title: string } }).meta.title).toBe('Written before the crash');
    expect(existsSync(join(dataDir, 'grove-jobs.lock'))).toBe(false);
  });
});

describe('migrate on one PostgreSQL database', () => {
  const database = testDatabase('grove_migrate');

  beforeAll(async () => {
    await assertPostgresReachable();
    await database.create();
  });
  afterAll(() => database.drop());

  it('applies each migration once when two processes migrate at the same moment', async () => {
    const env = { DATABASE_URL: database.url };
    const results = await Promise.all([cliProcess(['migrate', '--json'], env), cliProcess(['migrate', '--json'], env)]);
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    const applied = results.map((r) => (JSON.parse(r.stdout) as { applied: string[] }).applied);
    // The engine's chain (without 0004 and 0005, whose tables the Grove domain's chain makes in its own schema), then the domain's.
    const engine = readdirSync(new URL('../../src/store/migrations/', import.meta.url)).filter((f) => f.endsWith('.sql') && !/^000[45]_/.test(f)).sort();
    const domain = readdirSync(new URL('../../src/store/migrations/grove/', import.meta.url)).filter((f) => f.endsWith('.sql')).sort();
    const migrations = [...engine, ...domain.map((name) => `grove: ${name}`)];
    // One process applied them all, in order; the other waited for its lock and found nothing to do.
    expect(applied.flat()).toEqual(migrations);
    expect(applied.some((list) => list.length === 0)).toBe(true);

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query<{ count: number }>('select (select count(*) from grove_jobs.grove_migrations) + (select count(*) from grove.grove_migrations) as count');
    await client.end();
    expect(Number(rows[0]?.count)).toBe(migrations.length);
  });
});
