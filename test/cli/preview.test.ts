import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cli, JOB_TYPES_FIXTURE } from '../support/cli.js';
import { assertPostgresReachable, POSTGRES_URL, uniqueSchema } from '../support/test-store.js';

const schemas: string[] = [];
let env: Record<string, string>;

beforeAll(assertPostgresReachable);

beforeEach(async () => {
  const schema = uniqueSchema('cli');
  schemas.push(schema);
  env = { DATABASE_URL: POSTGRES_URL, GROVE_JOBS_SCHEMA: schema, GROVE_JOBS_JOB_TYPES: JOB_TYPES_FIXTURE, GROVE_JOBS_ACTOR: 'cli:test' };
  const config = { meta: { id: 'nightly', title: 'Nightly' }, payload: { jobType: 'report', schedule: { cronExpression: '0 9 * * *', timezone: 'UTC', isEnabled: true } } };
  expect((await cli(['jobs', 'create', '--file', '-'], env, JSON.stringify(config))).code).toBe(0);
});

afterAll(async () => {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  for (const schema of schemas) await client.query(`drop schema if exists "${schema}", "${schema}_grove" cascade`);
  await client.end();
});

interface Run {
  at: string;
}

interface Preview {
  runs: { before: Run[]; after: Run[] };
  moved: Array<{ from: Run; to: Run }>;
  vanished: Run[];
  dstDates: Array<{ wallClock: string; rule: string; instants: string[] }>;
  firstRunUnderNewRule: Run | null;
  changes: Array<{ path: string; from?: unknown; to?: unknown }>;
  after: { state: string; note?: string };
}

const version = async () => (JSON.parse((await cli(['jobs', 'show', 'nightly', '--json'], env)).stdout) as { meta: { version: number }; payload: { schedule: { timezone: string } } });

describe('grove-jobs jobs set --preview', () => {
  it('prints a zone change side by side with every run moved, and stores nothing', async () => {
    const result = await cli(['jobs', 'set', 'nightly', 'payload.schedule.timezone=Asia/Kolkata', '--preview'], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^Preview of a change to nightly: nothing is stored\./);
    expect(result.stdout).toContain('Changes: payload.schedule.timezone "UTC" → "Asia/Kolkata"');
    expect(result.stdout).toMatch(/NEXT RUNS BEFORE \(UTC\) +NEXT RUNS AFTER \(Asia\/Kolkata\)/);
    expect(result.stdout).toMatch(/^\d{4}-\d\d-\d\d 09:00 UTC \* +\d{4}-\d\d-\d\d 09:00 GMT\+5:30 \*$/m);
    expect(result.stdout).toMatch(/^ {2}\d{4}-\d\d-\d\d 09:00 UTC → \d{4}-\d\d-\d\d 09:00 GMT\+5:30 {2}\(\S+T09:00:00Z → \S+T03:30:00Z\)$/m);
    expect(result.stdout).toMatch(/^Daylight-saving dates in the next 12 months \(Asia\/Kolkata\): none$/m);
    expect(result.stdout).toMatch(/^First run under the new rule: \d{4}-\d\d-\d\d 09:00 GMT\+5:30 \(\S+T03:30:00Z\)$/m);
    const stored = await version();
    expect(stored.meta.version).toBe(1);
    expect(stored.payload.schedule.timezone).toBe('UTC');
  });

  it('gives the API shape with --json', async () => {
    const result = await cli(['jobs', 'set', 'nightly', 'payload.schedule.timezone=Asia/Kolkata', '--preview', '--json'], env);
    expect(result.code).toBe(0);
    const preview = JSON.parse(result.stdout) as Preview;
    expect(preview.runs.before).toHaveLength(10);
    expect(preview.moved).toHaveLength(10);
    expect(preview.moved.every((m) => m.from.at.endsWith('T09:00:00.000Z') && m.to.at.endsWith('T03:30:00.000Z'))).toBe(true);
    expect(preview.changes).toEqual([{ path: 'payload.schedule.timezone', from: 'UTC', to: 'Asia/Kolkata' }]);
    expect(preview.firstRunUnderNewRule?.at).toBe(preview.runs.after[0]?.at);
  });

  it('lists the daylight-saving dates of New York for a time in the spring-forward gap and one in the doubled hour', async () => {
    const result = await cli(['jobs', 'set', 'nightly', 'payload.schedule.timezone=America/New_York', 'payload.schedule.cronExpression=30 1,2 * * *', '--preview', '--json'], env);
    expect(result.code).toBe(0);
    const preview = JSON.parse(result.stdout) as Preview;
    expect(preview.dstDates.map((d) => [d.wallClock, d.rule]).sort()).toEqual([
      ['01:30:00', 'doubled-runs-once'],
      ['02:30:00', 'gap-runs-after'],
    ]);
    const gap = preview.dstDates.find((d) => d.rule === 'gap-runs-after');
    expect(gap?.instants[0]).toMatch(/T07:00:00\.000Z$/);
    const text = await cli(['jobs', 'set', 'nightly', 'payload.schedule.timezone=America/New_York', 'payload.schedule.cronExpression=30 1,2 * * *', '--preview'], env);
    expect(text.stdout).toMatch(/^ {2}\d{4}-03-\d\d 02:30:00 → \S+T07:00:00Z \(gap-runs-after\): 02:30 does not exist that day/m);
  });

  it('says a switch-off leaves no runs', async () => {
    const result = await cli(['jobs', 'set', 'nightly', 'payload.schedule.isEnabled=false', '--preview'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^After: switched off: no runs\.$/m);
    expect(result.stdout).not.toContain('First run under the new rule');
    expect((await version()).meta.version).toBe(1);
  });

  it('refuses an invalid value as the change itself would (same exit code and message naming the field), storing nothing', async () => {
    const result = await cli(['jobs', 'set', 'nightly', 'payload.schedule.cronExpression=61 * * * *', '--preview'], env);
    const real = await cli(['jobs', 'set', 'nightly', 'payload.schedule.cronExpression=61 * * * *'], env);
    expect(result.code).toBe(real.code);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toBe(real.stderr);
    expect(result.stderr).toContain('payload.schedule.cronExpression');
    expect((await version()).meta.version).toBe(1);
  });
});
