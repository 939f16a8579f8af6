import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportError } from '../../src/cli/errors.js';
import { LOCK_FILE, openDataDir, StoreOwnerGoneError } from '../../src/store/data-dir.js';
import { cliProcess, exited, startCliProcess } from '../support/cli.js';
import { startReceiver } from '../support/receiver.js';

const READY = 'Press Ctrl-C to stop.';
const TOKEN = 'gj_embedded-takeover-test-token';
/**
 * How soon a client must serve again after its owner is killed: 2.5-4 s on a quiet machine,
 * most of it opening PGlite; the bound leaves room for a loaded one.
 */
const TAKEOVER_BOUND_MS = 10_000;

const readLock = (dir: string) => JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number; socketDir: string };

function apiBase(output: string): string {
  const match = /API: (http:\/\/\S+)\/api /.exec(output);
  if (!match?.[1]) throw new Error(`no API address in:\n${output}`);
  return match[1];
}

/** Rejects with `what` unless `promise` settles within `ms`. */
async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`not within ${ms} ms: ${what}`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Asks `/readyz` again as soon as each answer (or failure) is in, until it answers 200; resolves with the time that took. */
async function readyAgain(base: string, boundMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < boundMs) {
    const status = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(boundMs) }).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return Date.now() - started;
    // The next probe waits for the last one's answer; a refused probe returns at once, so pace it.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${base}/readyz did not answer 200 within ${boundMs} ms`);
}

describe('clients of an embedded store whose owner is killed', () => {
  it('a serve and a worker attached as clients carry on: one takes the store over, the other reaches it, and slots are claimed again', async () => {
    const receiver = await startReceiver();
    const dataDir = mkdtempSync(join(tmpdir(), 'grove-takeover-'));
    const env = { DATABASE_URL: undefined, GROVE_JOBS_DATA_DIR: dataDir, GROVE_JOBS_ADMIN_TOKEN: TOKEN };
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const owner = await startCliProcess(['serve', '--port', '0', '--no-demo', '--no-worker'], env, READY);
    const api = await startCliProcess(['serve', '--port', '0', '--no-demo', '--no-worker'], env, READY);
    let worker: Awaited<ReturnType<typeof startCliProcess>> | undefined;
    try {
      expect(readLock(dataDir).pid).toBe(owner.child.pid);
      const base = apiBase(api.output());
      const created = await fetch(`${base}/api/jobs`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          meta: { id: 'every-second' },
          payload: { jobType: 'http-request', schedule: { cronExpression: '* * * * * *', isEnabled: true }, parameters: { method: 'POST', url: `${receiver.url}/tick` } },
        }),
      });
      expect(created.status, await created.clone().text()).toBe(201);
      // The only scheduler and worker (started after the config exists: a client of an embedded
      // store hears no NOTIFY): slots delivered after the kill were claimed through the new owner.
      worker = await startCliProcess(['worker', '--concurrency', '2'], env, READY);
      await within(20_000, receiver.until((all) => all.length > 0), 'a first delivery');

      owner.child.kill('SIGKILL');
      await exited(owner.child);
      const killedAt = Date.now();
      const takeoverMs = await readyAgain(base, TAKEOVER_BOUND_MS);
      expect(takeoverMs).toBeLessThan(TAKEOVER_BOUND_MS);

      // Exactly one of the clients owns the store now; the other reaches it.
      const lock = readLock(dataDir);
      expect([api.child.pid, worker.child.pid]).toContain(lock.pid);

      // Reads and writes through the client serve.
      const renamed = await fetch(`${base}/api/jobs/every-second`, { method: 'PATCH', headers, body: JSON.stringify({ meta: { title: 'After the takeover' } }) });
      expect(renamed.status, await renamed.clone().text()).toBe(200);
      const shown = (await (await fetch(`${base}/api/jobs/every-second`, { headers })).json()) as { meta: { title: string } };
      expect(shown.meta.title).toBe('After the takeover');

      // The scheduler claims slots again: deliveries for slots after the kill.
      await within(
        15_000,
        receiver.until((all) => all.some((r) => new Date(String(r.headers['grove-slot'])).getTime() > killedAt + 1000)),
        'a delivery for a slot after the takeover',
      );
      // One took the store over, the other followed it.
      const both = api.output() + worker.output();
      expect(both.match(/went away; this process owns it now/g), both).toHaveLength(1);
      expect(both.match(/went away; reaching its new owner \(pid \d+\)/g), both).toHaveLength(1);
    } finally {
      owner.child.kill('SIGKILL');
      api.child.kill('SIGTERM');
      worker?.child.kill('SIGTERM');
    }
    expect(await exited(api.child)).toBe(0);
    expect(await exited(worker.child)).toBe(0);
    // The new owner removed its lock on the way out.
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
    expect(api.output() + worker.output()).toMatch(/the embedded store's owner \(pid \d+\) went away; this process owns it now/);
    expect(api.output() + worker.output()).not.toMatch(/Unhandled|ECONNRESET/);
    await receiver.close();
  }, 120_000);

  it("fails a short command's queries under way with one line naming the owner that went away, a transaction idle between two queries too", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'grove-takeover-'));
    const env = { DATABASE_URL: undefined, GROVE_JOBS_DATA_DIR: dataDir, GROVE_JOBS_ADMIN_TOKEN: TOKEN };
    const owner = await startCliProcess(['serve', '--port', '0', '--no-demo', '--no-worker'], env, READY);
    const ownerPid = owner.child.pid!;
    const client = await openDataDir(dataDir, { follow: false });
    try {
      expect(client.role).toBe('client');
      let killed!: () => void;
      const ownerKilled = new Promise<void>((resolve) => (killed = resolve));
      let begun!: () => void;
      const transactionBegun = new Promise<void>((resolve) => (begun = resolve));
      // Its pooled connection sits idle inside the transaction when the owner dies: the
      // connection's error must not be an unhandled 'error' event, and its next query fails.
      const idle = client.sql.transaction(async (tx) => {
        await tx.query({ name: 'first', text: 'select 1' });
        begun();
        await ownerKilled;
        return tx.query({ name: 'second', text: 'select 2' });
      });
      await transactionBegun;
      // The open transaction holds the store's one session: these wait for it.
      const query = client.sql.query({ name: 'waiting', text: 'select 3' });
      const transaction = client.sql.transaction(async (tx) => tx.query({ name: 'waiting_in_transaction', text: 'select 4' }));
      const failures = Promise.allSettled([idle, query, transaction]);
      owner.child.kill('SIGKILL');
      await exited(owner.child);
      killed();
      for (const outcome of await failures) {
        expect(outcome.status).toBe('rejected');
        const error = (outcome as PromiseRejectedResult).reason as Error;
        expect(error).toBeInstanceOf(StoreOwnerGoneError);
        expect(error.message).toBe(`the embedded store's owner (pid ${ownerPid}) went away; run the command again`);
        expect(reportError(error).message).toBe(error.message);
      }
      // A query after the owner's death says the same, at once.
      await expect(client.sql.query({ name: 'after', text: 'select 5' })).rejects.toBeInstanceOf(StoreOwnerGoneError);
    } finally {
      owner.child.kill('SIGKILL');
      await client.sql.close();
    }
  }, 60_000);

  it('lets `jobs set` commands started around the kill succeed or end with one line, never an unhandled error', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'grove-takeover-'));
    const env = { DATABASE_URL: undefined, GROVE_JOBS_DATA_DIR: dataDir, GROVE_JOBS_ADMIN_TOKEN: TOKEN };
    const owner = await startCliProcess(['serve', '--port', '0', '--no-demo', '--no-worker'], env, READY);
    try {
      const file = join(dataDir, 'config.json');
      writeFileSync(file, JSON.stringify({ meta: { id: 'shared' }, payload: { jobType: 'http-request', schedule: { cronExpression: '0 3 * * *' }, parameters: { url: 'http://127.0.0.1:9/' } } }));
      const created = await cliProcess(['jobs', 'create', '--file', file], env);
      expect(created.code, created.stderr).toBe(0);
      const sets: Array<ReturnType<typeof cliProcess>> = [];
      // Each command after the kill opens the store itself, one at a time: a few are enough.
      for (let i = 0; i < 4; i++) {
        sets.push(cliProcess(['jobs', 'set', 'shared', `meta.title=Set ${i}`], env));
        if (i === 1) owner.child.kill('SIGKILL');
      }
      for (const set of await Promise.all(sets)) {
        if (set.code === 0) continue;
        expect(set.stderr.trim().split('\n'), set.stderr).toHaveLength(1);
        expect(set.stderr).toMatch(/^grove-jobs: the embedded store's owner \(pid \d+\) went away; run the command again/);
      }
      const shown = await cliProcess(['jobs', 'show', 'shared', '--json'], env);
      expect(shown.code, shown.stderr).toBe(0);
    } finally {
      owner.child.kill('SIGKILL');
    }
  }, 120_000);
});
