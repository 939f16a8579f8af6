import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGroveJobs } from '../../src/open.js';
import { DEFAULT_CONFIGS } from '../../src/jobs/defaults.js';
import { cli } from '../support/cli.js';
import { assertPostgresReachable, POSTGRES_URL, uniqueSchema } from '../support/test-store.js';

const schemas: string[] = [];
const envFor = () => {
  const schema = uniqueSchema('clidefaults');
  schemas.push(schema);
  return { DATABASE_URL: POSTGRES_URL, GROVE_JOBS_SCHEMA: schema, GROVE_JOBS_ACTOR: 'cli:test' };
};

beforeAll(assertPostgresReachable);
afterAll(async () => {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  for (const schema of schemas) await client.query(`drop schema if exists "${schema}", "${schema}_grove" cascade`);
  await client.end();
});

const defaultIds = DEFAULT_CONFIGS.map((c) => c.meta.id).sort();

async function listedIds(env: Record<string, string>): Promise<string[]> {
  const result = await cli(['jobs', 'list', '--json'], env);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { items: Array<{ meta: { id: string } }> }).items.map((c) => c.meta.id).sort();
}

describe('default configs', () => {
  it('are installed by whichever command first opens a new store', async () => {
    expect(await listedIds(envFor())).toEqual(defaultIds);
  });

  it('on a store already migrated are looked for only by the long-running commands, which install them if they never were', async () => {
    const env = envFor();
    // A program without the default job types creates the store: it cannot install them.
    const first = await openGroveJobs({ env, jobTypes: [] });
    expect(first.installedDefaults).toBeUndefined();
    await first.close();

    // A short command on the migrated store does not look again.
    expect(await listedIds(env)).toEqual([]);

    // `start`, `serve` and `worker` open with ensureDefaults, and install them once.
    const long = await openGroveJobs({ env, ensureDefaults: true });
    expect([...(long.installedDefaults ?? [])].sort()).toEqual(defaultIds);
    await long.close();
    const again = await openGroveJobs({ env, ensureDefaults: true });
    expect(again.installedDefaults).toBeUndefined();
    await again.close();
    expect(await listedIds(env)).toEqual(defaultIds);
  });
});
