import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { startHttpReceiver } from '../support/http-receiver.js';
import { assertPostgresReachable, POSTGRES_URL, uniqueSchema } from '../support/test-store.js';

const HEADER = 'hdr-rotate-secret-0123456789';
const LEGACY = 'legacy-plain-secret-abcdef';
const schemas: string[] = [];
const dirs: string[] = [];

function store(extra: Record<string, string> = {}) {
  const schema = uniqueSchema('rotate');
  schemas.push(schema);
  const dir = mkdtempSync(join(tmpdir(), 'grove-rotate-'));
  dirs.push(dir);
  return { schema, dir, env: { DATABASE_URL: POSTGRES_URL, GROVE_JOBS_SCHEMA: schema, GROVE_JOBS_DATA_DIR: dir, GROVE_JOBS_ACTOR: 'cli:rotate', ...extra } };
}

const config = (url: string) =>
  JSON.stringify({
    meta: { id: 'ping' },
    payload: { jobType: 'http-request', schedule: { cronExpression: '0 3 * * *', isEnabled: false }, parameters: { url, secretHeaders: { 'x-token': HEADER } } },
  });

async function dump(schema: string): Promise<string> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    const rows = await client.query<{ row: string }>(
      `select c::text as row from "${schema}".job_configs c union all select v::text from "${schema}".job_config_versions v
       union all select e::text from "${schema}".executions e union all select l::text from "${schema}".execution_logs l`,
    );
    return rows.rows.map((r) => r.row).join('\n');
  } finally {
    await client.end();
  }
}

async function sql(schema: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`set search_path to "${schema}"`);
    await client.query(text);
  } finally {
    await client.end();
  }
}

const keyIds = (text: string) => new Set([...text.matchAll(/grove-sealed:v1:([0-9a-f]{8}):/g)].map((m) => m[1]));

beforeAll(assertPostgresReachable);

afterAll(async () => {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  for (const schema of schemas) await client.query(`drop schema if exists "${schema}", "${schema}_grove" cascade`);
  await client.end();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('grove-jobs secrets rotate-key', () => {
  it('re-encrypts every secret with a new key file, seals plain values stored before, is safe to re-run, and runs keep working', async () => {
    const receiver = await startHttpReceiver();
    const { schema, dir, env } = store();
    expect((await cli(['jobs', 'create', '--file', '-'], env, config(receiver.url))).code).toBe(0);
    const firstKey = readFileSync(join(dir, 'secret-key'), 'utf8');
    expect(statSync(join(dir, 'secret-key')).mode & 0o777).toBe(0o600);
    // A config stored before secrets were sealed keeps working, and gets sealed by the rotation.
    for (const table of ['job_configs', 'job_config_versions']) {
      await sql(schema, `update ${table} set config = jsonb_set(config, '{payload,parameters,secretHeaders,x-legacy}', '"${LEGACY}"')`);
    }
    expect(await dump(schema)).toContain(LEGACY);
    // Run output written before it was masked by value: a summary and a log line holding secrets.
    expect((await cli(['run', 'ping', '--json'], env)).code).toBe(0);
    await sql(schema, `update executions set summary = 'echoed ${HEADER}'`);
    await sql(schema, `update execution_logs set data = '{"body": "{\\"x-legacy\\":\\"${LEGACY}\\"}"}'::jsonb`);
    expect(await dump(schema)).toContain(HEADER);
    const before = keyIds(await dump(schema));
    expect(before.size).toBe(1);

    const rotated = await cli(['secrets', 'rotate-key', '--json'], env);
    expect(rotated).toMatchObject({ code: 0, stderr: '' });
    const report = JSON.parse(rotated.stdout) as { keyId: string; previousKeyId: string; configs: number; versions: number; runOutputs: number };
    expect(report.runOutputs).toBeGreaterThanOrEqual(2);
    expect(report.previousKeyId).toBe([...before][0]);
    expect(report.keyId).not.toBe(report.previousKeyId);
    expect(report.configs).toBe(1);
    expect(readFileSync(join(dir, 'secret-key'), 'utf8')).not.toBe(firstKey);
    const after = await dump(schema);
    expect(keyIds(after)).toEqual(new Set([report.keyId]));
    for (const secret of [HEADER, LEGACY]) expect(after).not.toContain(secret);

    // Again: nothing breaks, everything stays readable.
    const again = await cli(['secrets', 'rotate-key', '--json'], env);
    expect(again.code).toBe(0);
    const ran = await cli(['run', 'ping', '--json'], env);
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.stdout)).toMatchObject({ status: 'success' });
    expect(receiver.requests.at(-1)?.headers).toMatchObject({ 'x-token': HEADER, 'x-legacy': LEGACY });
  });

  it('with the key in GROVE_JOBS_SECRET_KEY, takes the new key from --new-key, and a wrong key fails clearly, changing nothing', async () => {
    const receiver = await startHttpReceiver();
    const oldKey = randomBytes(32).toString('base64');
    const newKey = randomBytes(32).toString('base64');
    const { schema, dir, env } = store({ GROVE_JOBS_SECRET_KEY: oldKey });
    expect((await cli(['jobs', 'create', '--file', '-'], env, config(receiver.url))).code).toBe(0);
    // No key file: the key comes from the environment.
    expect(() => statSync(join(dir, 'secret-key'))).toThrow();

    const withoutNewKey = await cli(['secrets', 'rotate-key'], env);
    expect(withoutNewKey.code).toBe(1);
    expect(withoutNewKey.stderr).toContain('--new-key');

    const stored = await dump(schema);
    const wrong = { ...env, GROVE_JOBS_SECRET_KEY: randomBytes(32).toString('base64') };
    const refused = await cli(['secrets', 'rotate-key', '--new-key', newKey], wrong);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/encrypted with key [0-9a-f]{8}, but the configured key is [0-9a-f]{8}/);
    expect(await dump(schema)).toBe(stored);
    // A run under the wrong key fails with the same clear error, never sends garbage.
    const failed = await cli(['run', 'ping', '--json'], wrong);
    expect(JSON.parse(failed.stdout)).toMatchObject({ status: 'failed', error: { message: expect.stringContaining('encrypted with key') } });
    expect(receiver.requests).toHaveLength(0);

    expect((await cli(['secrets', 'rotate-key', '--new-key', newKey], env)).code).toBe(0);
    const ran = await cli(['run', 'ping', '--json'], { ...env, GROVE_JOBS_SECRET_KEY: newKey });
    expect(JSON.parse(ran.stdout)).toMatchObject({ status: 'success' });
    expect(receiver.requests[0]?.headers['x-token']).toBe(HEADER);
  });
});
