import { mkdtempSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SseReader } from '../api/sse-reader.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliProcess, exited, startCliProcess } from '../support/cli.js';
import { assertPostgresReachable, POSTGRES_URL, uniqueSchema } from '../support/test-store.js';

const READY = 'Press Ctrl-C to stop.';

function consoleAddress(output: string): { base: string; token: string | undefined } {
  const match = /Console: (http:\/\/127\.0\.0\.1:\d+)\/(?:#token=(\S+))?/.exec(output);
  if (!match?.[1]) throw new Error(`no console address in:\n${output}`);
  return { base: match[1], token: match[2] };
}

describe('grove-jobs serve on a fresh data folder', () => {
  it('creates an admin token, prints the console address carrying it, and serves the API with it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'grove-serve-'));
    const env = { DATABASE_URL: undefined, GROVE_JOBS_DATA_DIR: dataDir, GROVE_JOBS_ADMIN_TOKEN: undefined };
    const server = await startCliProcess(['serve', '--port', '0', '--no-demo'], env, READY);
    try {
      const { base, token } = consoleAddress(server.output());
      expect(token).toMatch(/^gj_[A-Za-z0-9_-]{43}$/);
      const file = join(dataDir, 'admin-token');
      expect(readFileSync(file, 'utf8').trim()).toBe(token);
      expect(statSync(file).mode & 0o777).toBe(0o600);

      const jobs = await fetch(`${base}/api/jobs`, { headers: { authorization: `Bearer ${token}` } });
      expect(jobs.status).toBe(200);
      const ids = ((await jobs.json()) as { items: Array<{ meta: { id: string } }> }).items.map((j) => j.meta.id);
      expect(ids).toContain('advancement-batch');
      expect((await fetch(`${base}/api/jobs`)).status).toBe(401);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);

      // `token create` prints the token and nothing else, through the serving process's store.
      const created = await cliProcess(['token', 'create', '--role', 'viewer', '--name', 'dashboards'], env);
      expect(created.code, created.stderr).toBe(0);
      expect(created.stdout).toMatch(/^gj_[A-Za-z0-9_-]{43}\n$/);
      const viewer = created.stdout.trim();
      expect((await fetch(`${base}/api/jobs/advancement-batch`, { headers: { authorization: `Bearer ${viewer}` } })).status).toBe(200);
      const denied = await fetch(`${base}/api/jobs/advancement-batch/run`, { method: 'POST', headers: { authorization: `Bearer ${viewer}` } });
      expect(denied.status).toBe(403);
      const json = await cliProcess(['token', 'create', '--role', 'operator', '--json'], env);
      expect(JSON.parse(json.stdout)).toMatchObject({ token: expect.stringMatching(/^gj_/), role: 'operator', name: expect.any(String) });
      expect((await cliProcess(['token', 'create', '--role', 'root'], env)).code).toBe(2);
      expect(server.output()).not.toContain(viewer);
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await exited(server.child)).toBe(0);
  }, 120_000);
});

describe('two serve processes on one PostgreSQL', () => {
  const database = `grove_serve_${uniqueSchema('').slice(1)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  let url: string;

  beforeAll(async () => {
    await assertPostgresReachable();
    await admin.connect();
    await admin.query(`create database ${database}`);
    const parsed = new URL(POSTGRES_URL);
    parsed.pathname = `/${database}`;
    url = parsed.toString();
  });
  afterAll(async () => {
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
  });

  it("sees a config changed through one in the other's scheduler at once, and its event stream shows the other's executions", async () => {
    const token = 'gj_two-process-test-admin-token';
    const env = { DATABASE_URL: url, GROVE_JOBS_ADMIN_TOKEN: token, GROVE_JOBS_DATA_DIR: undefined };
    const first = await startCliProcess(['serve', '--port', '0', '--no-demo', '--no-worker'], env, READY);
    const second = await startCliProcess(['serve', '--port', '0', '--no-demo'], env, READY);
    try {
      expect(first.output()).not.toContain('#token=');
      const one = consoleAddress(first.output()).base;
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      // A schedule due every second, created through the process that runs no scheduler:
      // the other process's scheduler claims it and its worker runs it.
      const created = await fetch(`${one}/api/jobs`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          meta: { id: 'every-second' },
          payload: { jobType: 'http-request', schedule: { cronExpression: '* * * * * *', isEnabled: false }, parameters: { url: 'http://127.0.0.1:9/unreachable' }, retry: { maxAttempts: 1 } },
        }),
      });
      expect(created.status, await created.clone().text()).toBe(201);
      // The serving-only process streams what the other process runs.
      const stream = new SseReader(await fetch(`${one}/api/events`, { headers: { authorization: `Bearer ${token}` } }));
      await stream.next((e) => e.event === 'ready');
      const enabled = await fetch(`${one}/api/jobs/every-second`, { method: 'PATCH', headers, body: JSON.stringify({ payload: { schedule: { isEnabled: true } } }) });
      expect(enabled.status).toBe(200);
      // Each poll waits for the previous answer; bounded so a broken scheduler fails the test.
      let polls = 0;
      const ran = await new Promise<string>((resolve, reject) => {
        const poll = async (): Promise<void> => {
          if (++polls > 5000) return reject(new Error('no scheduled execution finished'));
          const list = (await (await fetch(`${one}/api/jobs/every-second/executions?limit=1`, { headers })).json()) as { items: Array<{ trigger: string; status: string }> };
          const done = list.items.find((e) => e.trigger === 'schedule' && e.status !== 'queued' && e.status !== 'running');
          if (done) resolve(done.status);
          else await fetch(`${one}/healthz`).then(poll);
        };
        poll().catch(reject);
      });
      expect(ran).toBe('failed');
      const streamed = await stream.next((e) => {
        const data = e.data as { configId?: string; status?: string };
        return e.event === 'execution' && data.configId === 'every-second' && data.status === 'failed';
      });
      expect(streamed.data).toMatchObject({ configId: 'every-second', status: 'failed' });
      await stream.close();
    } finally {
      first.child.kill('SIGTERM');
      second.child.kill('SIGTERM');
    }
    expect(await exited(first.child)).toBe(0);
    expect(await exited(second.child)).toBe(0);
  }, 120_000);
});
