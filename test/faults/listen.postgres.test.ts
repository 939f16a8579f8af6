import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresSql } from '../../src/store/drivers/postgres.js';
import type { Sql } from '../../src/store/sql.js';
import { assertPostgresReachable, POSTGRES_URL } from '../support/test-store.js';

/** Resolves once `predicate` holds, checking on each call of the returned `check` (and once now). */
function whenTrue(predicate: () => boolean): { promise: Promise<void>; check: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  const check = () => {
    if (predicate()) resolve();
  };
  check();
  return { promise, check };
}

/** Polls `read` until it says true, at most `deadlineMs` (a process gone from pg_stat_activity, say). */
async function eventually(read: () => Promise<boolean>, deadlineMs = 5000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!(await read())) {
    if (Date.now() > until) throw new Error(`not true within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the PostgreSQL driver after a lost connection', () => {
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  const opened: Sql[] = [];
  const open = () => {
    const sql = createPostgresSql({ connectionString: POSTGRES_URL, maxConnections: 2 });
    opened.push(sql);
    return sql;
  };
  const gone = (pid: number) => async () => (await admin.query('select 1 from pg_stat_activity where pid = $1', [pid])).rowCount === 0;

  beforeAll(async () => {
    await assertPostgresReachable();
    await admin.connect();
  });
  afterAll(async () => {
    for (const sql of opened) await sql.close().catch(() => undefined);
    await admin.end();
  });

  it('listens again on a new connection, with every LISTEN, tells each listener to read again, and reports the new listening pid', async () => {
    const sql = open();
    const channel = (name: string) => `grove_fault_${name}_${randomBytes(4).toString('hex')}`;
    const [a, b] = [channel('a'), channel('b')];
    const heardA: Array<string | undefined> = [];
    const heardB: Array<string | undefined> = [];
    const toldBoth = whenTrue(() => heardA.includes(undefined) && heardB.includes(undefined));
    const helloA = whenTrue(() => heardA.includes('hello'));
    const helloB = whenTrue(() => heardB.includes('again'));
    await sql.listen(a, (payload) => {
      heardA.push(payload);
      toldBoth.check();
      helloA.check();
    });
    await sql.listen(b, (payload) => {
      heardB.push(payload);
      toldBoth.check();
      helloB.check();
    });
    const before = await sql.listenerPid();
    expect(before).toBeGreaterThan(0);
    // The server ends the listening connection (as a restart would).
    await admin.query('select pg_terminate_backend($1)', [before]);
    await toldBoth.promise;
    const after = await sql.listenerPid();
    expect(after).toBeGreaterThan(0);
    expect(after).not.toBe(before);
    await admin.query('select pg_notify($1, $2), pg_notify($3, $4)', [a, 'hello', b, 'again']);
    await Promise.all([helloA.promise, helloB.promise]);
    expect(heardA).toEqual([undefined, 'hello']);
    expect(heardB).toEqual([undefined, 'again']);
  });

  it('tells each listener to read again when the new connection is made by someone asking for its pid before the retry', async () => {
    const sql = open();
    const channel = `grove_fault_pid_${randomBytes(4).toString('hex')}`;
    const heard: Array<string | undefined> = [];
    const told = whenTrue(() => heard.includes(undefined));
    await sql.listen(channel, (payload) => {
      heard.push(payload);
      told.check();
    });
    const before = await sql.listenerPid();
    await admin.query('select pg_terminate_backend($1)', [before]);
    await eventually(gone(before as number));
    // At once, as a worker offering its places would: the pid of a new connection.
    let after: number | undefined;
    await eventually(async () => {
      after = await sql.listenerPid().catch(() => undefined);
      return after !== undefined && after !== before;
    });
    await told.promise;
    expect(heard).toEqual([undefined]);
  });

  it('survives a pooled connection ended in the middle of a transaction: that transaction fails, the next query runs', async () => {
    const sql = open();
    let victim = 0;
    const failed = sql.transaction(async (tx) => {
      victim = (await tx.query<{ pid: number }>({ name: 'fault-pid', text: 'select pg_backend_pid() as pid' }))[0]?.pid ?? 0;
      // Ended between two of its queries: the client is idle in the pool's hands (no query to fail).
      await admin.query('select pg_terminate_backend($1)', [victim]);
      await eventually(gone(victim));
      await tx.query({ name: 'fault-one', text: 'select 1 as one' });
    });
    await expect(failed).rejects.toThrow();
    expect((await sql.query<{ one: number }>({ name: 'fault-one', text: 'select 1 as one' }))[0]?.one).toBe(1);
  });
});
