import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobConfig, JobContext, LogLevel } from '../../src/domain/config/index.js';
import { JobTypeRegistry, validateJobConfig } from '../../src/domain/config/index.js';
import { createPgSqlRunner, executeSql, socketConnection, sqlJobType, sqlParameters, type SqlJobDeps, type SqlParameters, type SqlRunner } from '../../src/jobs/sql/index.js';
import { openDataDir } from '../../src/store/data-dir.js';
import { migrate } from '../../src/store/migrate.js';
import type { Sql } from '../../src/store/sql.js';
import { assertPostgresReachable, POSTGRES_URL, postgresFactory, uniqueSchema } from '../support/test-store.js';

interface LogLine {
  level: LogLevel;
  message: string;
  data?: Record<string, unknown>;
}

/** A JobContext for one sql execution; parameters go through the type's schema, as the engine's do. */
function aContext(parameters: Record<string, unknown>, options: { timeoutSeconds?: number; dryRun?: boolean } = {}) {
  const logs: LogLine[] = [];
  const controller = new AbortController();
  const context: JobContext<SqlParameters> = {
    executionId: 'exec-7',
    config: { meta: { id: 'nightly-sql' }, payload: { limits: { timeoutSeconds: options.timeoutSeconds ?? 60 } } } as unknown as JobConfig,
    parameters: sqlParameters.parse(parameters),
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

describe('the sql job type', () => {
  it('is named sql, keeps the database write-only, changes data and leaves the schedule to the operator', () => {
    const type = sqlJobType();
    expect(type.name).toBe('sql');
    expect(type.secretParameters).toEqual(['database']);
    expect(type.changesData).toBe(true);
    expect(type.defaults?.schedule?.cronExpression).toBeUndefined();
    const registry = new JobTypeRegistry([type]);
    const managed = { version: 1, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', createdBy: 't', updatedBy: 't' };
    const config = validateJobConfig(
      { meta: { id: 'vacuum-stats' }, payload: { jobType: 'sql', schedule: { cronExpression: '0 4 * * *' }, parameters: { statement: 'delete from sessions where expires_at < now()' } } },
      registry,
      managed,
    );
    expect(config.payload.parameters).toEqual({ statement: 'delete from sessions where expires_at < now()' });
  });

  it.each([
    ['an empty statement', { statement: '' }, 'statement'],
    ['a statement of only comments', { statement: '-- nothing\n/* at all */  ' }, 'statement'],
    ['a statement too long', { statement: `select '${'x'.repeat(100_000)}'` }, 'statement'],
    ['a transaction statement', { statement: '  commit' }, 'statement'],
    ['a session setting', { statement: '/* c */ SET search_path = grove_jobs' }, 'statement'],
    ['a database that is not a postgres URL', { statement: 'select 1', database: 'mysql://db.example.test/x' }, 'database'],
    ['a database that is no URL', { statement: 'select 1', database: 'host=db user=x' }, 'database'],
    ['an unknown parameter', { statement: 'select 1', timeoutSeconds: 5 }, ''],
  ])('refuses %s', (_case, parameters, path) => {
    const result = sqlParameters.safeParse(parameters);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContainEqual(expect.stringContaining(path));
  });

  it('accepts a DO block and a statement after a comment', () => {
    expect(sqlParameters.safeParse({ statement: "do $$ begin perform 1; end $$" }).success).toBe(true);
    expect(sqlParameters.safeParse({ statement: '-- nightly\nupdate t set a = 1' }).success).toBe(true);
  });

  it("fails with a clear message when the process has no connection to the store's database and the config names none", async () => {
    const { context } = aContext({ statement: 'select 1' });
    await expect(executeSql({}, context)).rejects.toThrow(/no connection to the store's database.*set the config's `database`/);
  });
});

interface Store {
  /** The runner openGroveJobs would give the sql type for this store. */
  runner: SqlRunner;
  /** Runs setup statements as the test (qualified names). */
  admin(text: string): Promise<Array<Record<string, unknown>>>;
  /** Whether the server stops a running statement itself (statement_timeout, pg_cancel_backend). */
  interruptible: boolean;
  close(): Promise<void>;
}

async function embeddedStore(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'grove-sql-'));
  const opened = await openDataDir(dir, { schema: 'grove_jobs', domainSchema: null });
  await migrate(opened.sql);
  const sql: Sql = opened.sql;
  return {
    runner: createPgSqlRunner({ connection: socketConnection(opened.socket), searchPath: 'public', interrupt: 'wait' }),
    admin: async (text) => sql.query({ name: '', text }),
    interruptible: false,
    close: async () => {
      await sql.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function serverStore(): Promise<Store> {
  await assertPostgresReachable();
  const factory = postgresFactory();
  // The store's own schema, migrated: its tables must stay out of the statement's reach.
  await factory.make(uniqueSchema('sqljob'));
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  return {
    runner: createPgSqlRunner({ connection: { connectionString: POSTGRES_URL }, searchPath: 'public', interrupt: 'cancel' }),
    admin: async (text) => (await admin.query(text)).rows as Array<Record<string, unknown>>,
    interruptible: true,
    close: async () => {
      await admin.end();
      await factory.dispose();
    },
  };
}

describe.each([
  ['PGlite (the embedded store, through its socket)', embeddedStore],
  ['PostgreSQL', serverStore],
])('the sql handler on %s', (_name, makeStore) => {
  let store: Store;
  let deps: SqlJobDeps;
  const table = `public.${uniqueSchema('sql_items')}`;

  beforeAll(async () => {
    store = await makeStore();
    deps = { store: store.runner };
    await store.admin(`create table ${table} (id int primary key, name text, note text)`);
    await store.admin(`insert into ${table} select i, 'item ' || i, repeat('n', 500) from generate_series(1, 30) i`);
  }, 60_000);

  afterAll(async () => {
    await store?.admin(`drop table if exists ${table}`).catch(() => undefined);
    await store?.close();
  });

  it('records the row count and the first 20 rows of a select, values cut, in the result and the log', async () => {
    const { context, logs } = aContext({ statement: `select id, name, note from ${table} order by id` });

    const outcome = await executeSql(deps, context);

    expect(outcome.summary).toBe('SELECT 30 rows');
    expect(outcome.items).toEqual({ total: 30, processed: 30, succeeded: 30, failed: 0 });
    const result = outcome.result as { columns: string[]; rows: unknown[][]; rowsOmitted: number; valuesCut: boolean; rowCount: number };
    expect(result).toMatchObject({ command: 'SELECT', rowCount: 30, columns: ['id', 'name', 'note'], rowsOmitted: 10, valuesCut: true });
    expect(result.rows).toHaveLength(20);
    expect(result.rows[0]).toEqual([1, 'item 1', `${'n'.repeat(200)}…`]);
    expect(logs).toContainEqual(expect.objectContaining({ level: 'info', message: expect.stringMatching(/^SELECT 30 rows in \d+\.\d\d s$/) }));
    expect(logs).toContainEqual({ level: 'info', message: 'first 20 row(s), 10 more not kept', data: { columns: result.columns, rows: result.rows, rowsOmitted: 10, valuesCut: true } });
  });

  it('records how many rows an update changed, and commits it', async () => {
    const { context } = aContext({ statement: `update ${table} set name = 'renamed' where id <= 3` });

    const outcome = await executeSql(deps, context);

    expect(outcome).toMatchObject({ summary: 'UPDATE 3 rows affected', result: { command: 'UPDATE', rowCount: 3, columns: [], rows: [] } });
    expect(await store.admin(`select count(*)::int as n from ${table} where name = 'renamed'`)).toEqual([{ n: 3 }]);
  });

  it('runs a dry run and rolls it back, saying so in the log and the summary', async () => {
    const { context, logs } = aContext({ statement: `delete from ${table} where id = 30` }, { dryRun: true });

    const outcome = await executeSql(deps, context);

    expect(outcome.summary).toBe('dry run (rolled back): DELETE 1 row affected');
    expect(outcome.result).toMatchObject({ dryRun: true, rolledBack: true, rowCount: 1 });
    expect(outcome.items).toMatchObject({ processed: 1, succeeded: 0 });
    expect(logs[0]?.message).toMatch(/^dry run: running in a transaction that is rolled back/);
    expect(await store.admin(`select count(*)::int as n from ${table} where id = 30`)).toEqual([{ n: 1 }]);
  });

  it("runs with search_path public: the engine's tables are not reached by an unqualified name", async () => {
    const { context } = aContext({ statement: 'select count(*) from executions' });
    await expect(executeSql(deps, context)).rejects.toThrow(/relation "executions" does not exist/);
    const shown = await executeSql(deps, aContext({ statement: 'show search_path' }).context);
    expect(shown.result).toMatchObject({ rows: [['public']] });
  });

  it("fails a syntax error with the database's message", async () => {
    const { context } = aContext({ statement: `selec id from ${table}` });
    await expect(executeSql(deps, context)).rejects.toThrow(/^the store's database: syntax error at or near "selec" at character 1 \(SQLSTATE 42601\)$/);
  });

  it('refuses two statements in one (the server does)', async () => {
    const { context } = aContext({ statement: `update ${table} set note = 'x' where id = 1; delete from ${table}` });
    await expect(executeSql(deps, context)).rejects.toThrow(/cannot insert multiple commands into a prepared statement/);
    expect(await store.admin(`select count(*)::int as n from ${table}`)).toEqual([{ n: 30 }]);
  });

  it('runs a DO block', async () => {
    const { context } = aContext({ statement: `do $$ begin update ${table} set note = 'done' where id = 2; end $$` });
    expect((await executeSql(deps, context)).summary).toBe('DO');
    expect(await store.admin(`select note from ${table} where id = 2`)).toEqual([{ note: 'done' }]);
  });

  it('stops a statement that runs past limits.timeoutSeconds, rolls it back and fails saying so', async () => {
    // The embedded store cannot stop it: a short sleep, rolled back once it ends.
    const sleep = store.interruptible ? 30 : 1.5;
    const { context } = aContext({ statement: `do $$ begin update ${table} set name = 'slow' where id = 5; perform pg_sleep(${sleep}); end $$` }, { timeoutSeconds: 1 });
    const started = Date.now();

    await expect(executeSql(deps, context)).rejects.toThrow(/past the timeout of 1 s \(limits\.timeoutSeconds\)/);

    if (store.interruptible) expect(Date.now() - started).toBeLessThan(10_000);
    expect(await store.admin(`select name from ${table} where id = 5`)).toEqual([{ name: 'item 5' }]);
  }, 20_000);

  it('keeps a secret database connection string out of logs, results and errors', async () => {
    // The password is the string to look for: a server that trusts local connections ignores it.
    const password = 'pw-0f3c9a7e5d1b';
    const secretUrl = (port: number) => `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
    const { context, logs } = aContext({ statement: `select current_database(), 'x' as y`, database: secretUrl(5432) });
    const outcome = await executeSql({}, context);
    expect(outcome.summary).toBe('SELECT 1 row');
    expect(JSON.stringify({ outcome, logs })).not.toContain(password);
    expect(logs[0]?.message).toContain('database postgres on 127.0.0.1:5432');

    const refused = aContext({ statement: 'select 1', database: secretUrl(1) });
    const error = await executeSql({}, refused.context).then(
      () => new Error('resolved'),
      (e: unknown) => e as Error,
    );
    expect(error.message).toMatch(/^database postgres on 127\.0\.0\.1:1: .*ECONNREFUSED/);
    expect(JSON.stringify({ message: error.message, logs: refused.logs })).not.toContain(password);
  });
});

describe('cancelling a sql execution on PostgreSQL', () => {
  it('cancels the running statement on the server and rejects with the abort reason', async () => {
    await assertPostgresReachable();
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    const marker = uniqueSchema('cancel_me');
    try {
      const runner = createPgSqlRunner({ connection: { connectionString: POSTGRES_URL }, searchPath: 'public', interrupt: 'cancel' });
      const { context, controller } = aContext({ statement: `select pg_sleep(60), '${marker}'` }, { timeoutSeconds: 120 });
      const running = executeSql({ store: runner }, context);
      const active = async () =>
        (await admin.query({ text: "select count(*)::int as n from pg_stat_activity where query like $1 and state = 'active' and pid <> pg_backend_pid()", values: [`%${marker}%`] })).rows[0]?.n as number;
      while ((await active()) === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      const reason = new Error('cancelled');
      const started = Date.now();

      controller.abort(reason);

      await expect(running).rejects.toBe(reason);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await active()).toBe(0);
    } finally {
      await admin.end();
    }
  }, 30_000);
});
