// The log of the long-running commands: pino's JSON lines on standard error (time, numeric
// level, msg), an access entry per request in `serve`, levels, redaction. Needs the build (dist/).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCommandLog, parseLogLevel } from '../../src/cli/log.js';
import { SseReader } from '../api/sse-reader.js';
import { cli, exited, startCliProcess } from '../support/cli.js';

const READY = 'Press Ctrl-C to stop.';
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A new embedded store, and no environment that would change the log. */
function freshEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'grove-log-'));
  dirs.push(dir);
  return { DATABASE_URL: undefined, GROVE_JOBS_DATA_DIR: dir, GROVE_JOBS_ADMIN_TOKEN: undefined, GROVE_JOBS_PORT: undefined, GROVE_JOBS_LOG_LEVEL: undefined, LOG_LEVEL: undefined, ...extra };
}

interface Entry {
  level: number;
  time: number;
  pid: number;
  hostname: string;
  msg: string;
  event: string;
  [field: string]: unknown;
}

/** Every line of a log, parsed; fails on a line that is not JSON of pino's shape. */
function entries(log: string): Entry[] {
  return log
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const entry = JSON.parse(line) as Entry;
      expect(entry, line).toMatchObject({ level: expect.any(Number), time: expect.any(Number), pid: expect.any(Number), hostname: expect.any(String), msg: expect.any(String) });
      expect(Math.abs(entry.time - Date.now()), line).toBeLessThan(10 * 60_000);
      return entry;
    });
}

/** Starts serve on a fresh store; its console address and admin token come from the banner (stdout). */
async function startServe(args: string[], env: Record<string, string | undefined>) {
  const server = await startCliProcess(['serve', '--port', '0', '--no-demo', '--no-worker', ...args], env, READY);
  const found = /Console: (http:\/\/127\.0\.0\.1:\d+)\/#token=(\S+)/.exec(server.stdout());
  if (!found?.[1] || !found[2]) throw new Error(`no console address in:\n${server.output()}`);
  return { server, base: found[1], token: found[2] };
}

async function stop(server: Awaited<ReturnType<typeof startServe>>['server']): Promise<void> {
  server.child.kill('SIGTERM');
  expect(await exited(server.child)).toBe(0);
}

describe('the log of serve', () => {
  it('is JSON lines with time, level and msg; one access entry per request with its id, status and duration; never a token', async () => {
    const { server, base, token } = await startServe([], freshEnv());
    const auth = { authorization: `Bearer ${token}` };
    // The event stream takes its token from the query string (EventSource sends no headers).
    const stream = new SseReader(await fetch(`${base}/api/events?token=${token}`));
    await stream.next((event) => event.event === 'ready');
    await stream.close();
    expect((await fetch(`${base}/api/jobs`, { headers: { ...auth, 'x-request-id': 'log-test-jobs' } })).status).toBe(200);
    const missing = await fetch(`${base}/api/jobs/no-such-job?token=${token}`, { headers: auth });
    expect(missing.status).toBe(404);
    expect((await fetch(`${base}/api/jobs`, { headers: { authorization: 'Bearer gj_not-a-token-at-all' } })).status).toBe(401);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await stop(server);

    const log = entries(server.stderr());
    expect(log.map((entry) => entry.event)).toEqual(expect.arrayContaining(['store:opened', 'token:created', 'server:listening', 'server:stopping', 'server:stopped']));
    expect(log.filter((entry) => entry.level >= 40)).toEqual([]);
    const requests = log.filter((entry) => entry.event === 'request');
    expect(requests.find((entry) => entry.requestId === 'log-test-jobs')).toMatchObject({ level: 30, method: 'GET', path: '/api/jobs', status: 200, durationMs: expect.any(Number) });
    expect(requests.find((entry) => entry.path === '/api/events')).toMatchObject({ status: 200, requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(requests.find((entry) => entry.status === 404)).toMatchObject({ path: '/api/jobs/no-such-job', requestId: missing.headers.get('x-request-id') });
    expect(requests.find((entry) => entry.status === 401)).toMatchObject({ path: '/api/jobs' });
    // Probes are at debug: not in an info log.
    expect(requests.some((entry) => entry.path === '/healthz')).toBe(false);
    expect(requests).toHaveLength(4);
    // The token is in the banner, never in the log (neither from the query string nor a header).
    expect(server.stdout()).toContain(token);
    expect(server.stderr()).not.toContain(token);
    expect(server.stderr()).not.toContain('gj_not-a-token-at-all');
    expect(server.stderr()).not.toContain('token=');
  }, 120_000);

  it('--log-level warn leaves info entries out; GROVE_JOBS_LOG_LEVEL=debug adds the probes', async () => {
    const quiet = await startServe(['--log-level', 'warn'], freshEnv({ GROVE_JOBS_LOG_LEVEL: 'debug' }));
    expect((await fetch(`${quiet.base}/api/jobs`, { headers: { authorization: `Bearer ${quiet.token}` } })).status).toBe(200);
    await stop(quiet.server);
    expect(quiet.server.stderr()).toBe('');
    expect(quiet.server.stdout()).toContain(READY);

    const verbose = await startServe([], freshEnv({ GROVE_JOBS_LOG_LEVEL: 'debug', LOG_LEVEL: 'error' }));
    expect((await fetch(`${verbose.base}/healthz`)).status).toBe(200);
    await stop(verbose.server);
    expect(entries(verbose.server.stderr()).find((entry) => entry.event === 'request' && entry.path === '/healthz')).toMatchObject({ level: 20, status: 200 });
  }, 120_000);

  it('takes LOG_LEVEL when GROVE_JOBS_LOG_LEVEL is not set, in any case and with common aliases (warning), and refuses a level it does not know', async () => {
    const env = freshEnv({ LOG_LEVEL: 'loud' });
    const refused = await cli(['serve', '--port', '0'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("grove-jobs: --log-level: 'loud' must be one of trace, debug, info, warn, error, fatal, silent");
    expect(refused.stdout).toBe('');
    expect(parseLogLevel('WARNING')).toBe('warn');
    expect(parseLogLevel(' Debug ')).toBe('debug');
    const flag = await cli(['worker', '--log-level', 'verbose'], freshEnv());
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("--log-level: 'verbose' must be one of");
  });
});

describe('the log', () => {
  it('redacts authorization headers, tokens and secrets whoever logs them', async () => {
    const err: string[] = [];
    const context = { io: { out: () => undefined, err: (text: string) => err.push(text), readStdin: async () => '' }, env: {}, stopped: Promise.resolve() };
    const { log } = await openCommandLog(context, { logLevel: 'info', logPretty: false });
    log.info(
      {
        event: 'test',
        authorization: 'Bearer gj_header',
        headers: { authorization: 'Bearer gj_nested', cookie: 'session=abc' },
        token: 'gj_field',
        config: { secret: 's3cret', webhookSecret: 'whsec', password: 'pw', secretHeaders: { 'x-key': 'k' } },
        kept: 'visible',
      },
      'redaction',
    );
    const [entry] = entries(err.join('\n'));
    expect(entry).toMatchObject({
      authorization: '[redacted]',
      headers: { authorization: '[redacted]', cookie: '[redacted]' },
      token: '[redacted]',
      config: { secret: '[redacted]', webhookSecret: '[redacted]', password: '[redacted]', secretHeaders: '[redacted]' },
      kept: 'visible',
    });
    expect(err.join('\n')).not.toMatch(/gj_header|gj_nested|session=abc|gj_field|s3cret|whsec/);
  });

  it('is pretty with --log-pretty: one readable line per entry, the level in words', async () => {
    const err: string[] = [];
    const context = { io: { out: () => undefined, err: (text: string) => err.push(text), readStdin: async () => '' }, env: { NO_COLOR: '1' }, stopped: Promise.resolve() };
    const { log, pretty } = await openCommandLog(context, { logLevel: 'info', logPretty: true });
    expect(pretty).toBe(true);
    log.warn({ event: 'store:reached', durationMs: 1200 }, 'store reached again');
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: store reached again \{.*"durationMs":1200/);
  });
});
