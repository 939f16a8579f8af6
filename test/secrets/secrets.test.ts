import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGroveJobs, type OpenedGroveJobs } from '../../src/open.js';
import { createApiToken } from '../../src/first-start.js';
import { type RunningServer, serve } from '../../src/server.js';
import { verifySignature } from '../../src/notify/index.js';
import { cli } from '../support/cli.js';
import { type Received, startHttpReceiver } from '../support/http-receiver.js';
import { assertPostgresReachable, POSTGRES_URL, uniqueSchema } from '../support/test-store.js';

/**
 * Configs hold distinctive secret values (with `"` and `\`, short ones, a bearer token); the
 * suite drives every output the system has and searches each for every value, raw,
 * JSON-escaped and as its first 8 characters.
 */
const SIGNING = 'sig-"quote\\back-0123456789';
const HEADERS = {
  'x-long': 'hdr-long-secret-ABCDEFGHIJKL',
  'x-quoted': 'q"uo\\te-hdr-secret',
  'x-short': 'k7Q!z',
  Authorization: 'Bearer tok-abcdefghijklmnop',
};
const WEBHOOK = 'whk-secret-0123456789abcdef';
const SECRETS = [SIGNING, WEBHOOK, ...Object.values(HEADERS)];

/** What must appear nowhere: each value, JSON-escaped (twice, as in a JSON string inside JSON), and its 8-character prefix. */
const NEEDLES = [
  ...new Set(
    SECRETS.flatMap((secret) => {
      const escaped = JSON.stringify(secret).slice(1, -1);
      return [secret, escaped, JSON.stringify(escaped).slice(1, -1), secret.slice(0, 8)];
    }),
  ),
];

function leaks(text: string): string[] {
  return NEEDLES.filter((needle) => text.includes(needle));
}

const schema = uniqueSchema('secrets');
const dataDir = mkdtempSync(join(tmpdir(), 'grove-secrets-'));
const env = { DATABASE_URL: POSTGRES_URL, GROVE_JOBS_SCHEMA: schema, GROVE_JOBS_DATA_DIR: dataDir, GROVE_JOBS_ACTOR: 'cli:secrets' };

let system: OpenedGroveJobs;
let server: RunningServer;
let tokens: Record<'viewer' | 'operator' | 'admin', string>;
/** Everything any output said, by where it came from. */
const outputs: Array<{ where: string; text: string }> = [];
/** Everything the process wrote to stdout and stderr meanwhile. */
let serverOutput = '';
const restoreWrites: Array<() => void> = [];

function capture(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream);
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    serverOutput += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof stream.write;
  restoreWrites.push(() => (stream.write = write));
}

async function api(method: string, path: string, as: keyof typeof tokens, body?: unknown): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { authorization: `Bearer ${tokens[as]}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${server.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  outputs.push({ where: `${as} ${method} ${path} → ${response.status}`, text });
  return { status: response.status, text };
}

async function run(argv: string[], stdin = ''): Promise<string> {
  return (await runFull(argv, stdin)).stdout;
}

async function runFull(argv: string[], stdin = ''): Promise<{ stdout: string; stderr: string }> {
  const result = await cli(argv, env, stdin);
  outputs.push({ where: `grove-jobs ${argv.join(' ')}`, text: `${result.stdout}\n${result.stderr}` });
  return result;
}

/** Executions seen finished, and those waited for (a run may finish before its request answers). */
const finished = new Set<string>();
const waiting = new Map<string, () => void>();

function waitForFinished(executionId: string): Promise<void> {
  if (finished.has(executionId)) return Promise.resolve();
  return new Promise((resolve) => waiting.set(executionId, resolve));
}

beforeAll(async () => {
  await assertPostgresReachable();
  capture(process.stdout);
  capture(process.stderr);
  system = await openGroveJobs({ env });
  system.events.on('execution:finished', ({ id }) => {
    finished.add(id);
    waiting.get(id)?.();
  });
  server = await serve(system, { host: '127.0.0.1', port: 0 });
  tokens = {
    viewer: (await createApiToken(system, { role: 'viewer' })).token,
    operator: (await createApiToken(system, { role: 'operator' })).token,
    admin: (await createApiToken(system, { role: 'admin' })).token,
  };
});

afterAll(async () => {
  for (const restore of restoreWrites.splice(0)) restore();
  await server?.close();
  await system?.close();
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`drop schema if exists "${schema}", "${schema}_grove" cascade`);
  await admin.end();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('secrets', () => {
  it('are found in no output, not in plain text in the database, and not sent to a new host', { timeout: 120_000 }, async () => {
    // The receiver echoes every header back in a body over 4 KB whose 4,096-byte cut falls
    // inside the long secret header, 10 characters into it.
    const receiver = await startHttpReceiver((request: Received, response) => {
      const echoed = JSON.stringify(request.headers);
      const cutAt = 4096 - 10;
      const before = `${echoed}${'.'.repeat(Math.max(0, cutAt - echoed.length))}`;
      response.writeHead(200, { 'content-type': 'application/json' }).end(`${before}${String(request.headers['x-long'])}${'.'.repeat(2000)}`);
    });
    const webhook = await startHttpReceiver();
    const elsewhere = await startHttpReceiver();

    // An SSE client watching everything that follows.
    const stream = new AbortController();
    let streamed = '';
    const events = fetch(`${server.url}/api/events`, { headers: { authorization: `Bearer ${tokens.viewer}` }, signal: stream.signal }).then(async (response) => {
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        streamed += decoder.decode(value, { stream: true });
      }
    // Ends when the test aborts it (or the server closes).
    }).catch(() => undefined);

    const config = (id: string, url: string) => ({
      meta: { id, title: id },
      payload: {
        jobType: 'http-request',
        schedule: { cronExpression: '0 3 * * *', isEnabled: false },
        parameters: { url, secret: SIGNING, secretHeaders: HEADERS },
        notifications: { onSuccess: true, channels: ['webhook'], webhookUrl: webhook.url, webhookSecret: WEBHOOK },
      },
    });
    // Writes as an operator: create, replace and patch keeping the secrets, duplicate, restore.
    expect((await api('POST', '/api/jobs', 'operator', config('echo', `${receiver.url}/echo`))).status).toBe(201);
    const shown = JSON.parse((await api('GET', '/api/jobs/echo', 'operator')).text) as { meta: Record<string, unknown>; payload: Record<string, unknown> };
    expect((await api('PUT', '/api/jobs/echo', 'operator', { meta: shown.meta, payload: { ...shown.payload, displayName: 'Echo' } })).status).toBe(200);
    expect((await api('PATCH', '/api/jobs/echo', 'operator', { meta: { description: 'echoes its headers' } })).status).toBe(200);
    expect((await api('POST', '/api/jobs/echo/duplicate', 'operator', { id: 'echo-copy' })).status).toBe(201);
    expect((await api('POST', '/api/jobs/echo/versions/1/restore', 'operator')).status).toBe(200);
    // A config whose job type an operator changes: its old secrets stay in its history.
    expect((await api('POST', '/api/jobs', 'operator', config('retyped', `${receiver.url}/retyped`))).status).toBe(201);
    expect((await api('PUT', '/api/jobs/retyped', 'operator', { meta: { id: 'retyped', title: 'retyped' }, payload: { jobType: 'orphan-cleanup' } })).status).toBe(200);
    // A config moved to another host without setting its secrets again drops them, and says so.
    expect((await api('POST', '/api/jobs', 'operator', config('moved', `${receiver.url}/moved`))).status).toBe(201);
    const moved = await api('PATCH', '/api/jobs/moved', 'operator', { payload: { parameters: { url: `${elsewhere.url}/stolen` } } });
    expect(moved.status).toBe(200);
    expect(JSON.parse(moved.text).droppedSecrets.paths).toEqual(
      expect.arrayContaining(['payload.parameters.secret', ...Object.keys(HEADERS).map((name) => `payload.parameters.secretHeaders.${name}`)]),
    );

    // Runs, on a worker in this process.
    await system.startWorker({ concurrency: 2 });
    const executionIds: string[] = [];
    for (const id of ['echo', 'moved']) {
      const queued = JSON.parse((await api('POST', `/api/jobs/${id}/run`, 'operator', {})).text) as { executionId: string };
      await waitForFinished(queued.executionId);
      executionIds.push(queued.executionId);
    }
    await webhook.received(1);
    await system.notifier.flush();
    expect(receiver.requests.length).toBeGreaterThanOrEqual(1);
    expect(receiver.requests[0]?.headers['x-long']).toBe(HEADERS['x-long']);
    // The webhook was signed with the stored secret, decrypted for the notifier only.
    const [notification] = webhook.requests as [Received];
    expect(verifySignature(notification.body, WEBHOOK, notification.headers['x-grove-signature'])).toBe(true);
    // Nothing of the moved config's secrets reached the new host.
    expect(elsewhere.requests).toHaveLength(1);
    expect(leaks(JSON.stringify(elsewhere.requests.map((r) => ({ headers: r.headers, body: r.body.toString('utf8') }))))).toEqual([]);

    // Every GET route of the API as viewer and operator, with every id the routes take.
    const document = JSON.parse((await api('GET', '/api/openapi.json', 'viewer')).text) as { paths: Record<string, Record<string, unknown>> };
    const configIds = ['echo', 'echo-copy', 'retyped', 'moved'];
    const getPaths = Object.entries(document.paths)
      // The event stream never ends: it is read by the SSE client above.
      .filter(([path, operations]) => 'get' in operations && path !== '/api/events' && path !== '/events')
      .flatMap(([path]) => {
        const full = path.startsWith('/api') ? path : `/api${path}`;
        if (!full.includes('{')) return [full];
        if (full.startsWith('/api/jobs/{id}')) return configIds.map((id) => full.replace('{id}', id));
        if (full.startsWith('/api/executions/{id}')) return executionIds.map((id) => full.replace('{id}', id));
        return [full.replace(/\{[^}]+\}/g, 'x')];
      });
    expect(getPaths).toEqual(expect.arrayContaining(['/api/jobs/retyped/versions', `/api/executions/${executionIds[0]}/logs`]));
    for (const as of ['viewer', 'operator', 'admin'] as const) {
      for (const path of [...getPaths, '/', '/healthz', '/readyz', '/metrics', '/api/docs', '/api/jobs?limit=1000']) await api('GET', path, as);
    }

    // Every CLI command with --json over these configs and executions (each opens the store itself).
    await run(['jobs', 'list', '--json']);
    for (const id of configIds) {
      await run(['jobs', 'show', id, '--json']);
      await run(['jobs', 'show', id]);
      await run(['jobs', 'versions', id, '--json']);
      await run(['jobs', 'versions', id]);
      await run(['history', id, '--json']);
    }
    await run(['jobs', 'create', '--file', '-', '--json'], JSON.stringify(config('cli-made', `${receiver.url}/cli`)));
    await run(['jobs', 'set', 'echo', 'meta.description=set from the CLI', '--json']);
    await run(['jobs', 'disable', 'echo-copy', '--json']);
    await run(['jobs', 'enable', 'echo-copy', '--json']);
    await run(['jobs', 'restore', 'echo', '1', '--json']);
    const movedByCli = await runFull(['jobs', 'set', 'echo-copy', `payload.parameters.url=${elsewhere.url}/cli`, '--json']);
    expect(movedByCli.stderr).toContain('Dropped payload.parameters.secret, payload.parameters.secretHeaders.x-long');
    expect(JSON.parse(movedByCli.stdout)).toMatchObject({ payload: { parameters: { secretHeaders: {} } } });
    for (const id of executionIds) {
      await run(['logs', id, '--json']);
      await run(['logs', id]);
      await run(['retry', id, '--json']);
      await run(['cancel', id, '--json']);
    }
    const ranHere = await run(['run', 'echo', '--json']);
    expect(ranHere).toContain('"status"');

    stream.abort();
    await events;
    outputs.push({ where: 'GET /api/events (viewer)', text: streamed });
    expect(streamed).toContain('event: execution');

    // The database: every table's rows as text.
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      // The engine's schema and the Grove domain's.
      const tables = await client.query<{ table_schema: string; table_name: string }>(
        `select table_schema, table_name from information_schema.tables where table_schema = any($1::text[]) and table_type = 'BASE TABLE'`,
        [[schema, `${schema}_grove`]],
      );
      expect(tables.rows.length).toBeGreaterThan(10);
      for (const { table_schema: where, table_name: table } of tables.rows) {
        const rows = await client.query<{ row: string }>(`select t::text as row from "${where}"."${table}" t`);
        outputs.push({ where: `table ${table}`, text: rows.rows.map((r) => r.row).join('\n') });
      }
    } finally {
      await client.end();
    }
    outputs.push({ where: 'stdout and stderr', text: serverOutput });

    const found = outputs.flatMap(({ where, text }) => leaks(text).map((needle) => `${where}: ${JSON.stringify(needle)}`));
    expect(found).toEqual([]);
    // The key file was created on first use, readable by its owner only.
    expect(statSync(join(dataDir, 'secret-key')).mode & 0o777).toBe(0o600);
  });
});
