import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { assertPostgresReachable, POSTGRES_URL, uniqueSchema } from '../support/test-store.js';

/**
 * `grove-jobs import crontab` and `import github-actions`: the plan, `--out` files that
 * `grove-jobs apply` takes, and `--apply`, against PostgreSQL (a schema per test).
 */

const WORKFLOWS = fileURLToPath(new URL('../fixtures/workflows/', import.meta.url));
const TOKEN = 'ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z';
const API_KEY = 'k3Yx9QpL2mZ7vT4wR8sN1bH6cJ5dF0gA';
const schemas: string[] = [];
let env: Record<string, string>;
let dir: string;

interface Report {
  entries: Array<{ key: string; outcome: string; of?: string; config: string }>;
  skipped: Array<{ key: string; reason: string }>;
  configs: Array<{ id: string; jobType: string; cronExpression: string; timezone: string; enabled: boolean; entries: string[]; notes: string[]; problem?: string; config: { payload: { parameters: Record<string, unknown> } } }>;
  unschedule: string[];
  applied: boolean;
  files: string[];
  variables: string[];
}

beforeAll(assertPostgresReachable);
beforeEach(() => {
  const schema = uniqueSchema('importfiles');
  schemas.push(schema);
  env = { DATABASE_URL: POSTGRES_URL, GROVE_JOBS_SCHEMA: schema, GROVE_JOBS_ACTOR: 'cli:test' };
  dir = mkdtempSync(join(tmpdir(), 'grove-import-'));
});
afterAll(async () => {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  for (const schema of schemas) await client.query(`drop schema if exists "${schema}", "${schema}_grove" cascade`);
  await client.end();
});

const crontab = `# m h dom mon dow command
MAILTO=ops@example.com
0 7 * * * curl -fsS -X POST -H "X-Api-Key: ${API_KEY}" -d '{"window":"night"}' https://api.example.com/jobs/nightly
0 8 * * * curl -fsS -X POST -H "X-Api-Key: ${API_KEY}" -d '{"window":"night"}' https://api.example.com/jobs/nightly
*/20 * * * * curl -fsS https://api.example.com/health
*/5 * * * * curl -fsS https://api.example.com/health
@daily /usr/local/bin/backup --full
@reboot /usr/local/bin/warm-cache
`;

describe('grove-jobs import crontab', () => {
  it('plans twins and overlaps away, keeps secrets out of what it prints, and writes files that apply takes', async () => {
    const file = join(dir, 'crontab');
    writeFileSync(file, crontab);
    const planned = await cli(['import', 'crontab', file, '--zone', 'Europe/London', '--json'], env);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).not.toContain(API_KEY);
    const report = JSON.parse(planned.stdout) as Report;
    expect(report.configs.map((c) => [c.id, c.jobType, c.cronExpression, c.timezone, c.entries])).toEqual([
      // 07:00 UTC is 08:00 in London in summer time, 08:00 UTC the same in winter.
      ['nightly', 'http-request', '0 8 * * *', 'Europe/London', ['crontab:3', 'crontab:4']],
      ['health', 'http-request', '*/5 * * * *', 'UTC', ['crontab:6', 'crontab:5']],
      ['backup', 'command', '0 0 * * *', 'UTC', ['crontab:7']],
    ]);
    expect(report.entries.find((e) => e.key === 'crontab:5')).toMatchObject({ outcome: 'subsumed', of: 'crontab:6' });
    expect(report.skipped).toEqual([expect.objectContaining({ key: 'crontab:8' })]);
    expect(report.configs[0]?.config.payload.parameters).toMatchObject({
      method: 'POST',
      url: 'https://api.example.com/jobs/nightly',
      secretHeaders: { 'X-Api-Key': { fromEnv: 'NIGHTLY_SECRET_HEADERS_X_API_KEY' } },
      body: { window: 'night' },
    });
    // Commands need a process started with --allow-commands: the plan says so, --apply refuses.
    expect(report.configs[2]?.problem).toMatch(/--allow-commands/);
    const refused = await cli(['import', 'crontab', file, '--apply'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^grove-jobs: backup: payload\.parameters\.executable: .*--allow-commands/);

    // Without the command line, the files apply.
    writeFileSync(file, crontab.replace(/^@daily.*$/m, ''));
    const out = join(dir, 'jobs');
    const written = await cli(['import', 'crontab', file, '--zone', 'Europe/London', '--out', out], env);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toContain('Secrets stay out of the files: set NIGHTLY_SECRET_HEADERS_X_API_KEY when applying them.');
    expect(readdirSync(out).sort()).toEqual(['health.yaml', 'nightly.yaml']);
    expect(readFileSync(join(out, 'nightly.yaml'), 'utf8')).not.toContain(API_KEY);
    const secrets = { NIGHTLY_SECRET_HEADERS_X_API_KEY: API_KEY };
    expect((await cli(['diff', out, '--manager', 'import'], { ...env, ...secrets })).code).toBe(4);
    const applied = await cli(['apply', out, '--manager', 'import'], { ...env, ...secrets });
    expect(applied.code, applied.stderr).toBe(0);
    const nightly = JSON.parse((await cli(['jobs', 'show', 'nightly', '--json'], env)).stdout) as { payload: { schedule: { isEnabled: boolean; timezone: string } } };
    expect(nightly.payload.schedule).toMatchObject({ isEnabled: false, timezone: 'Europe/London' });
  });
});

describe('grove-jobs import github-actions', () => {
  it('turns each scheduled workflow into a workflow_dispatch call, the token read from the environment and never shown', async () => {
    const argv = ['import', 'github-actions', WORKFLOWS, '--repo', 'acme/shop', '--ref', 'release'];
    const planned = await cli([...argv, '--json'], env);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stderr).toBe('GITHUB_TOKEN is not set: the plan shows where it goes; set it before --apply.');
    const report = JSON.parse(planned.stdout) as Report;
    expect(report.configs.map((c) => [c.cronExpression, c.enabled])).toEqual([
      ['0 */6 * * *', false],
      ['30 23 * * SUN', false],
      ['0 6 * * MON', false],
      ['30 2 * * *', false],
      ['15 1 * * *', false],
    ]);
    const e2e = report.configs.find((c) => c.entries.includes('nightly-e2e.yml#1'));
    expect(e2e?.config.payload.parameters).toMatchObject({
      method: 'POST',
      url: 'https://api.github.com/repos/acme/shop/actions/workflows/nightly-e2e.yml/dispatches',
      body: { ref: 'release' },
      secretHeaders: { authorization: { fromEnv: expect.stringMatching(/_SECRET_HEADERS_AUTHORIZATION$/) } },
    });
    expect(report.configs.find((c) => c.entries.includes('dependency-audit.yml#1'))?.notes.join('\n')).toContain('workflow_dispatch:');
    expect(report.skipped).toEqual([expect.objectContaining({ key: 'stale.yml#commented-1', reason: expect.stringMatching(/^commented out/) })]);

    const withCommented = JSON.parse((await cli([...argv, '--include-commented', '--json'], env)).stdout) as Report;
    expect(withCommented.configs.find((c) => c.entries.includes('stale.yml#commented-1'))).toMatchObject({ cronExpression: '45 13 * * 1-5', enabled: false });

    expect((await cli([...argv, '--apply'], env)).code).toBe(2);
    const applied = await cli([...argv, '--apply', '--enable'], { ...env, GITHUB_TOKEN: TOKEN });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout + applied.stderr).not.toContain(TOKEN);
    const listed = JSON.parse((await cli(['jobs', 'list', '--json'], env)).stdout) as { items: Array<{ meta: { id: string }; payload: { jobType: string; schedule: { isEnabled: boolean }; parameters: Record<string, unknown> } }> };
    const dispatches = listed.items.filter((c) => c.payload.jobType === 'http-request');
    expect(dispatches).toHaveLength(5);
    expect(dispatches.every((c) => c.payload.schedule.isEnabled && (c.payload.parameters['secretHeaders'] as Record<string, string>)['authorization'] === '[secret]')).toBe(true);
  });
});
