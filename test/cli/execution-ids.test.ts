import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cli, JOB_TYPES_FIXTURE } from '../support/cli.js';
import { assertPostgresReachable, POSTGRES_URL, uniqueSchema } from '../support/test-store.js';

const schemas: string[] = [];
let env: Record<string, string>;
let schema: string;

// Two runs made in the same minute share their first 8 hex digits (UUID version 7 ids begin
// with the milliseconds); the third was made in another minute.
const EARLIER = '01a24e2b-1c3d-7a00-8000-00000000000a';
const LATER = '01a24e2b-9f00-7b00-8000-00000000000b';
const ELSEWHEN = '01a24f00-0000-7c00-8000-00000000000c';
// The newest id of the store; queued first here so that history lists it last.
const NEWEST = '01a25000-0000-7d00-8000-00000000000d';

/** Records a finished execution of nightly-report under a chosen id, queued at `at` (history's order), with one log line. */
async function finishedExecution(id: string, at: string, message: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`set search_path to "${schema}"`);
    await client.query(
      `insert into executions (id, run_id, config_id, config_version, config, status, trigger, queued_at, run_after, started_at, finished_at, duration_ms)
       select $1::uuid, $1::uuid, id, version, config, 'success', 'manual', $2::timestamptz, $2::timestamptz, $2::timestamptz, $2::timestamptz, 0
         from job_configs where id = 'nightly-report'`,
      [id, at],
    );
    await client.query(`insert into execution_logs (execution_id, logged_at, level, message) values ($1, $2, 'info', $3)`, [id, at, message]);
  } finally {
    await client.end();
  }
}

beforeAll(assertPostgresReachable);
beforeEach(async () => {
  schema = uniqueSchema('cliids');
  schemas.push(schema);
  env = { DATABASE_URL: POSTGRES_URL, GROVE_JOBS_SCHEMA: schema, GROVE_JOBS_JOB_TYPES: JOB_TYPES_FIXTURE, GROVE_JOBS_ACTOR: 'cli:test' };
  const stdin = JSON.stringify({ meta: { id: 'nightly-report' }, payload: { jobType: 'report', schedule: { isEnabled: false }, retry: { maxAttempts: 1 } } });
  expect((await cli(['jobs', 'create', '--file', '-'], env, stdin)).code).toBe(0);
  await finishedExecution(EARLIER, '2026-11-23T10:00:00Z', 'the earlier run');
  await finishedExecution(LATER, '2026-11-23T10:00:01Z', 'the later run');
  await finishedExecution(ELSEWHEN, '2026-11-23T10:02:00Z', 'the run of another minute');
  await finishedExecution(NEWEST, '2026-11-23T09:59:00Z', 'the newest run');
});
afterAll(async () => {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  for (const s of schemas) await client.query(`drop schema if exists "${s}", "${s}_grove" cascade`);
  await client.end();
});

/** The ID column of a history table. */
const idColumn = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(/\s+/)[0]);

describe('execution ids printed by history and accepted by the commands taking one', () => {
  it('history prints the newest execution of the store with its whole instant (12 hex digits), so later runs do not share it', async () => {
    const history = await cli(['history', 'nightly-report'], env);
    expect(history.code, history.stderr).toBe(0);
    // Latest queued first; one length for the column.
    expect(idColumn(history.stdout)).toEqual(['01a24f00-0000', '01a24e2b-9f00', '01a24e2b-1c3d', '01a25000-0000']);
  });

  it('history prints each id as the shortest prefix no other execution starts with, at least 8 hex digits', async () => {
    const alone = await cli(['history', 'nightly-report', '--limit', '1'], env);
    expect(alone.code, alone.stderr).toBe(0);
    expect(idColumn(alone.stdout)).toEqual(['01a24f00']);
    // Two rows of three: 8 digits tell the printed ones apart, but the earlier run (not printed)
    // starts with LATER's first 8 digits too.
    const two = await cli(['history', 'nightly-report', '--limit', '2'], env);
    expect(idColumn(two.stdout)).toEqual(['01a24f00-0', '01a24e2b-9']);
  });

  it('every id history prints is accepted by logs, and names its own execution', async () => {
    const ids = idColumn((await cli(['history', 'nightly-report'], env)).stdout);
    const messages: string[] = [];
    for (const id of ids) {
      const logs = await cli(['logs', id ?? ''], env);
      expect(logs.code, logs.stderr).toBe(0);
      messages.push(logs.stdout.trim().replace(/^.*INFO\s+/, ''));
    }
    expect(messages).toEqual(['the run of another minute', 'the later run', 'the earlier run', 'the newest run']);
  });

  it('accepts a prefix in upper case, without hyphens, or the whole id', async () => {
    for (const id of ['01A24E2B1C', '01a24e2b-1c3d-7a', EARLIER, EARLIER.replaceAll('-', '')]) {
      const logs = await cli(['logs', id], env);
      expect(logs.code, `${id}: ${logs.stderr}`).toBe(0);
      expect(logs.stdout).toContain('the earlier run');
    }
  });

  it('an ambiguous prefix exits 2 listing the candidates, in logs, retry and cancel alike', async () => {
    for (const command of ['logs', 'retry', 'cancel']) {
      const result = await cli([command, '01a24e2b'], env);
      expect(result.code, command).toBe(2);
      expect(result.stderr).toContain("execution id '01a24e2b' is ambiguous");
      expect(result.stderr).toContain(EARLIER);
      expect(result.stderr).toContain(LATER);
      expect(result.stderr).not.toContain(ELSEWHEN);
      const json = await cli([command, '01a24e2b', '--json'], env);
      expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'EXECUTION_ID_AMBIGUOUS', candidates: [EARLIER, LATER] } });
    }
    // Nothing was retried.
    expect(idColumn((await cli(['history', 'nightly-report'], env)).stdout)).toHaveLength(4);
  });

  it('retry and cancel act on the execution a unique prefix names', async () => {
    const retried = await cli(['retry', '01a24e2b-9', '--json'], env);
    expect(retried.code, retried.stderr).toBe(0);
    expect(JSON.parse(retried.stdout)).toMatchObject({ retryOf: LATER, status: 'queued' });
    const queued = (JSON.parse(retried.stdout) as { id: string }).id;
    const cancel = await cli(['cancel', queued.slice(0, 13)], env);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toContain(`${queued} cancelled`);
    const done = await cli(['cancel', '01a24e2b1', '--json'], env);
    expect(done.code).toBe(2);
    expect(JSON.parse(done.stdout)).toMatchObject({ error: { code: 'EXECUTION_ALREADY_FINISHED' } });
  });

  it('rollback --execution takes a prefix too', async () => {
    const range = ['rollback', '--since', '2026-11-23T00:00:00Z', '--until', '2026-11-24T00:00:00Z', '--preview'];
    const ambiguous = await cli([...range, '--execution', '01a24e2b', '--json'], env);
    expect(ambiguous.code).toBe(2);
    expect(JSON.parse(ambiguous.stdout)).toMatchObject({ error: { code: 'EXECUTION_ID_AMBIGUOUS', field: '--execution', candidates: [EARLIER, LATER] } });
    const unique = await cli([...range, '--execution', '01a24e2b-9'], env);
    expect(unique.code, unique.stderr).toBe(0);
    expect(unique.stdout).toContain('Nothing to roll back');
  });

  it('a prefix no execution starts with is not found; a malformed one is bad input naming the field', async () => {
    const missing = await cli(['logs', '01a24e2c', '--json'], env);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: 'EXECUTION_NOT_FOUND' } });
    for (const bad of ['01a24e2', 'zzzzzzzz', '01a2-4e2b', '01a24e2%']) {
      const result = await cli(['logs', bad, '--json'], env);
      expect(result.code, bad).toBe(2);
      expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'EXECUTION_ID_INVALID', field: 'executionId' } });
    }
  });
});
