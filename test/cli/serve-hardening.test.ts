// `grove-jobs serve` under hostile or careless clients: requests sent slowly are cut by the
// server's header and body timeouts while event streams stay open, and a start (with event
// streams open) writes nothing to stderr but its log: no warning. Needs the build (dist/) for the process tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type OpenedGroveJobs, openGroveJobs } from '../../src/open.js';
import { type RunningServer, serve } from '../../src/server.js';
import { SseReader } from '../api/sse-reader.js';
import { cli, CLI_ENTRY, exited } from '../support/cli.js';
import { assertPostgresReachable, POSTGRES_URL, testDatabase, uniqueSchema } from '../support/test-store.js';

const READY = 'Press Ctrl-C to stop.';
const ADMIN = 'gj_serve-hardening-test-admin-token';
/** The timeout the in-process server runs with (the default is 30 s). */
const REQUEST_TIMEOUT_MS = 1_000;

/** Sends `text` on a raw connection and never finishes the request; resolves with what the server wrote once it closes the connection. */
function sendAndWaitForClose(port: number, text: string): Promise<{ answer: string; afterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    socket.on('connect', () => socket.write(text));
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve({ answer, afterMs: Date.now() - started }));
  });
}

describe('serve: request timeouts', () => {
  const schema = uniqueSchema('serve_timeouts');
  let system: OpenedGroveJobs;
  let server: RunningServer;

  beforeAll(async () => {
    await assertPostgresReachable();
    system = await openGroveJobs({ env: { DATABASE_URL: POSTGRES_URL, GROVE_JOBS_SCHEMA: schema }, ensureDefaults: true });
    server = await serve(system, { host: '127.0.0.1', port: 0, env: { GROVE_JOBS_ADMIN_TOKEN: ADMIN }, requestTimeoutMs: REQUEST_TIMEOUT_MS });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await system?.close();
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`drop schema if exists ${schema}, ${schema}_grove cascade`);
    await admin.end();
  });

  it('answers 408 and closes a connection whose body or headers arrive too slowly, while an event stream stays open', async () => {
    const headers = { authorization: `Bearer ${ADMIN}` };
    const stream = new SseReader(await fetch(`${server.url}/api/events`, { headers }));
    // A body cut off by the timeout is the client's doing: nothing is logged as an unexpected error.
    const stderr = vi.spyOn(process.stderr, 'write');
    try {
      await stream.next((event) => event.event === 'ready');
      const body = JSON.stringify({ meta: { id: 'slow' } });
      const [slowBody, slowHeaders] = await Promise.all([
        sendAndWaitForClose(
          server.port,
          `POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ADMIN}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n${body}`,
        ),
        sendAndWaitForClose(server.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '),
      ]);
      for (const cut of [slowBody, slowHeaders]) {
        expect(cut.answer).toMatch(/^HTTP\/1\.1 408 /);
        expect(cut.afterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
        // Node looks for overdue requests every quarter of the timeout; a loaded machine may be late.
        expect(cut.afterMs).toBeLessThan(REQUEST_TIMEOUT_MS + 10_000);
      }
      // The stream, open for longer than the timeout, still carries events.
      const run = await fetch(`${server.url}/api/jobs/health-check/run`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{}' });
      expect(run.status).toBe(202);
      const { executionId } = (await run.json()) as { executionId: string };
      await stream.next((event) => event.event === 'execution' && (event.data as { id: string }).id === executionId);
      // The slow body changed nothing.
      expect((await fetch(`${server.url}/api/jobs/slow`, { headers })).status).toBe(404);
      expect(stderr.mock.calls.map(([text]) => String(text)).filter((text) => text.includes('grove-jobs'))).toEqual([]);
    } finally {
      stderr.mockRestore();
      await stream.close();
    }
  }, 30_000);
});

describe('serve: options', () => {
  it('refuses a --trust-proxy it cannot read, before opening any store', async () => {
    const refused = await cli(['serve', '--trust-proxy', 'proxy.example.com'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--trust-proxy');
    expect(refused.stderr).toContain('proxy.example.com');
    expect((await cli(['serve', '--max-streams-per-token', '0'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' })).code).toBe(2);
  });
});

/** Lines of standard error that are not log entries below warn (pino's level 40): stray output, warnings, errors. */
function strayLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line !== '')
    .filter((line) => {
      try {
        const { level } = JSON.parse(line) as { level?: unknown };
        return !(typeof level === 'number' && level < 40);
      } catch {
        return true;
      }
    });
}

/** Starts `serve`, opens more event streams than Node's listener warning allows (10), stops it; its stdout and stderr apart. */
async function serveAndStop(env: Record<string, string | undefined>): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI_ENTRY, 'serve', '--port', '0', '--no-demo', '--trust-proxy', 'loopback'], {
    env: { ...process.env, GROVE_JOBS_ADMIN_TOKEN: ADMIN, GROVE_JOBS_PORT: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (stdout.includes(READY)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${stdout}\n${stderr}`)));
  });
  const base = /API: (http:\/\/127\.0\.0\.1:\d+)\/api/.exec(stdout)?.[1];
  if (!base) throw new Error(`no API address in:\n${stdout}`);
  const streams = await Promise.all(Array.from({ length: 12 }, async () => new SseReader(await fetch(`${base}/api/events`, { headers: { authorization: `Bearer ${ADMIN}` } }))));
  await Promise.all(streams.map((stream) => stream.next((event) => event.event === 'ready')));
  expect((await fetch(`${base}/api/jobs`, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(200);
  child.kill('SIGTERM');
  const code = await exited(child);
  await Promise.all(streams.map((stream) => stream.close()));
  return { code, stdout, stderr };
}

describe('serve: a clean start', () => {
  const database = testDatabase('grove_serve_clean');

  beforeAll(async () => {
    await assertPostgresReachable();
    await database.create();
  });
  afterAll(() => database.drop());

  it('writes nothing to stderr but info log entries on the embedded store, with a dozen event streams open', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'grove-serve-clean-'));
    try {
      const { code, stdout, stderr } = await serveAndStop({ DATABASE_URL: undefined, GROVE_JOBS_DATA_DIR: dataDir });
      expect(strayLines(stderr)).toEqual([]);
      expect(code).toBe(0);
      expect(stdout).toContain('Trusted proxies: loopback');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('writes nothing to stderr but info log entries on PostgreSQL, with a dozen event streams open', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'grove-serve-clean-'));
    try {
      const { code, stderr } = await serveAndStop({ DATABASE_URL: database.url, GROVE_JOBS_DATA_DIR: dataDir });
      expect(strayLines(stderr)).toEqual([]);
      expect(code).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
