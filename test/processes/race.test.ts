import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliProcess, exited, startCliProcess } from '../support/cli.js';
import { startReceiver } from '../support/receiver.js';
import { assertPostgresReachable, testDatabase } from '../support/test-store.js';

const READY = 'Press Ctrl-C to stop.';

/** A fresh database on the local server for one test file. */
function useDatabase(name: string) {
  const database = testDatabase(name);
  beforeAll(async () => {
    await assertPostgresReachable();
    await database.create();
  });
  afterAll(() => database.drop());
  return { url: database.url };
}

function configFile(dir: string, id: string, payload: Record<string, unknown>): string {
  const file = join(dir, `${id}.json`);
  writeFileSync(file, JSON.stringify({ meta: { id }, payload: { jobType: 'http-request', ...payload } }));
  return file;
}

describe('three worker processes racing on one PostgreSQL database', () => {
  const db = useDatabase('grove_race');

  it('deliver exactly one request per (config, slot) with no slot missing, for 30 seconds', async () => {
    const receiver = await startReceiver();
    const env = { DATABASE_URL: db.url };
    const dir = mkdtempSync(join(tmpdir(), 'grove-race-'));
    const configs = ['race-a', 'race-b', 'race-c'];
    for (const id of configs) {
      const created = await cliProcess(
        ['jobs', 'create', '--file', configFile(dir, id, { schedule: { cronExpression: '*/2 * * * * *', isEnabled: true }, parameters: { method: 'POST', url: `${receiver.url}/${id}`, body: { id } } })],
        env,
      );
      expect(created.code, created.stderr).toBe(0);
    }
    const workers = await Promise.all([1, 2, 3].map(() => startCliProcess(['worker', '--concurrency', '4'], env, READY)));
    try {
      // 16 slots two seconds apart: 30 seconds from each config's first slot to its last.
      await receiver.until((all) => configs.every((id) => new Set(all.filter((r) => r.url === `/${id}`).map((r) => r.headers['grove-slot'])).size >= 16));
    } finally {
      for (const worker of workers) worker.child.kill('SIGTERM');
    }
    for (const worker of workers) expect(await exited(worker.child)).toBe(0);
    await receiver.close();

    for (const id of configs) {
      const slots = receiver.requests.filter((r) => r.url === `/${id}`).map((r) => String(r.headers['grove-slot']));
      expect(new Set(slots).size, `${id}: a slot delivered twice`).toBe(slots.length);
      const times = slots.map((s) => new Date(s).getTime()).sort((a, b) => a - b);
      expect(times.length).toBeGreaterThanOrEqual(16);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!, `${id}: gap after ${new Date(times[i - 1]!).toISOString()}`).toBe(2000);
    }
    // Which process wins each claim is up to timing (under load one may win them all), so the
    // test asserts only the outcome: exactly one request per slot, none missing.
  }, 120_000);
});

describe('a worker killed with SIGKILL in the middle of an execution', () => {
  const db = useDatabase('grove_kill');

  it('ends it as "worker lost" after the lease, and its retry runs on another worker', async () => {
    // The first attempt's request is held open until its worker dies; later ones are answered.
    const receiver = await startReceiver((request, response) => {
      if (request.headers['grove-attempt'] !== '1') response.end('ok');
    });
    const env = { DATABASE_URL: db.url };
    const dir = mkdtempSync(join(tmpdir(), 'grove-kill-'));
    const file = configFile(dir, 'slow', {
      schedule: { cronExpression: '0 0 1 1 *', isEnabled: false },
      retry: { maxAttempts: 2, backoffStrategy: 'fixed', initialDelaySeconds: 0, maxDelaySeconds: 0 },
      parameters: { method: 'POST', url: `${receiver.url}/slow` },
    });
    expect((await cliProcess(['jobs', 'create', '--file', file], env)).code).toBe(0);

    const doomed = await startCliProcess(['worker', '--lease', '3', '--no-scheduler'], env, READY);
    const queued = await cliProcess(['run', 'slow', '--queue', '--json'], env);
    const { executionId } = JSON.parse(queued.stdout) as { executionId: string };
    await receiver.until((all) => all.length === 1);
    doomed.child.kill('SIGKILL');
    await exited(doomed.child);

    const survivor = await startCliProcess(['worker', '--lease', '3', '--no-scheduler'], env, READY);
    try {
      await receiver.until((all) => all.some((r) => r.headers['grove-attempt'] === '2'));
      await new Promise<void>((resolve) => {
        const check = () => (survivor.output().includes('attempt 2: ') ? resolve() : setImmediate(check));
        survivor.child.stdout?.on('data', check);
        check();
      });
    } finally {
      survivor.child.kill('SIGTERM');
    }
    expect(await exited(survivor.child)).toBe(0);
    await receiver.close();

    const history = await cliProcess(['history', 'slow', '--json'], env);
    const items = (JSON.parse(history.stdout) as { items: Array<{ id: string; attempt: number; status: string; runId: string; retryOf: string | null; error: { code?: string } | null }> }).items;
    expect(items.map((e) => [e.attempt, e.status])).toEqual([
      [2, 'success'],
      [1, 'failed'],
    ]);
    expect(items[1]).toMatchObject({ id: executionId, error: { code: 'WORKER_LOST' } });
    expect(items[0]).toMatchObject({ runId: executionId, retryOf: executionId });
    expect(receiver.requests.map((r) => r.headers['grove-attempt'])).toEqual(['1', '2']);
  }, 120_000);
});
