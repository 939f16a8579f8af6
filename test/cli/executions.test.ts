import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cli, JOB_TYPES_FIXTURE } from '../support/cli.js';
import { assertPostgresReachable, POSTGRES_URL, uniqueSchema } from '../support/test-store.js';

const schemas: string[] = [];
let env: Record<string, string>;

beforeAll(assertPostgresReachable);
beforeEach(async () => {
  const schema = uniqueSchema('cliexec');
  schemas.push(schema);
  env = { DATABASE_URL: POSTGRES_URL, GROVE_JOBS_SCHEMA: schema, GROVE_JOBS_JOB_TYPES: JOB_TYPES_FIXTURE, GROVE_JOBS_ACTOR: 'cli:test' };
  const stdin = JSON.stringify({ meta: { id: 'nightly-report' }, payload: { jobType: 'report', schedule: { isEnabled: false }, retry: { maxAttempts: 1 } } });
  expect((await cli(['jobs', 'create', '--file', '-'], env, stdin)).code).toBe(0);
});
afterAll(async () => {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  for (const schema of schemas) await client.query(`drop schema if exists "${schema}", "${schema}_grove" cascade`);
  await client.end();
});

interface ExecutionJson {
  id: string;
  configId: string;
  configVersion: number;
  trigger: string;
  slot: string | null;
  attempt: number;
  status: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: { message: string } | null;
  batchSize: number | null;
  dryRun: boolean;
  result: { batchSize: number; dryRun: boolean } | null;
}

describe('grove-jobs run', () => {
  it('runs a disabled config here and prints the finished execution, exit 0 for success', async () => {
    const result = await cli(['run', 'nightly-report', '--dry-run', '--batch-size', '25', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const execution = JSON.parse(result.stdout) as ExecutionJson;
    expect(execution).toMatchObject({ configId: 'nightly-report', configVersion: 1, trigger: 'manual', slot: null, attempt: 1, status: 'success', error: null, dryRun: true, batchSize: 25 });
    expect(execution.result).toEqual({ batchSize: 25, dryRun: true });
    expect(new Date(execution.finishedAt ?? '').getTime()).toBeGreaterThanOrEqual(new Date(execution.startedAt ?? '').getTime());

    const logs = await cli(['logs', execution.id], env);
    expect(logs.stdout).toContain('INFO  building a csv report in batches of 25 (dry run)');
  });

  it('exits 1 when the execution fails, with the error in history', async () => {
    await cli(['jobs', 'set', 'nightly-report', 'payload.parameters.fail=true'], env);
    const result = await cli(['run', 'nightly-report'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('failed');
    expect(result.stdout).toContain('the report source is unavailable');
    const history = JSON.parse((await cli(['history', 'nightly-report', '--json'], env)).stdout) as { items: ExecutionJson[] };
    expect(history.items[0]).toMatchObject({ status: 'failed', configVersion: 2, error: { message: 'the report source is unavailable' } });
  });

  it('returns the same execution for a repeated idempotency key', async () => {
    const first = JSON.parse((await cli(['run', 'nightly-report', '--queue', '--idempotency-key', 'nightly-2026-11-23', '--json'], env)).stdout) as {
      executionId: string;
      created: boolean;
    };
    const second = JSON.parse((await cli(['run', 'nightly-report', '--queue', '--idempotency-key', 'nightly-2026-11-23', '--json'], env)).stdout) as {
      executionId: string;
      created: boolean;
    };
    expect(first.created).toBe(true);
    expect(second).toEqual({ executionId: first.executionId, created: false });
    const history = JSON.parse((await cli(['history', 'nightly-report', '--json'], env)).stdout) as { items: ExecutionJson[] };
    expect(history.items).toHaveLength(1);
  });

  it('cancels a queued execution and retries a finished one as a new run', async () => {
    const { executionId } = JSON.parse((await cli(['run', 'nightly-report', '--queue', '--json'], env)).stdout) as { executionId: string };
    const cancelled = JSON.parse((await cli(['cancel', executionId, '--json'], env)).stdout) as ExecutionJson;
    expect(cancelled.status).toBe('cancelled');
    expect((await cli(['cancel', executionId], env)).code).toBe(2);

    const retried = JSON.parse((await cli(['retry', executionId, '--json'], env)).stdout) as ExecutionJson & { retryOf: string; runId: string };
    expect(retried).toMatchObject({ status: 'queued', trigger: 'retry', attempt: 1, retryOf: executionId });
    expect(retried.runId).toBe(retried.id);
  });

  it('refuses bad input with exit 2 naming the field', async () => {
    for (const [argv, field] of [
      [['run', 'nightly-report', '--batch-size', '0'], '--batch-size'],
      [['run', 'ghost'], "'ghost'"],
      [['history', 'nightly-report', '--limit', 'many'], '--limit'],
      [['history', 'nightly-report', '--status', 'sleeping'], '--status'],
      [['logs', 'not-an-id'], "'not-an-id'"],
      [['worker', '--concurrency', '0'], '--concurrency'],
      [['worker', '--max-prefetch', 'lots'], '--max-prefetch'],
    ] as const) {
      const result = await cli([...argv], env);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toContain(field);
    }
  });
});
