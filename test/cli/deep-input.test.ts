import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { assertPostgresReachable, POSTGRES_URL, uniqueSchema } from '../support/test-store.js';

const schema = uniqueSchema('cli_deep');
const env = { DATABASE_URL: POSTGRES_URL, GROVE_JOBS_SCHEMA: schema, GROVE_JOBS_ACTOR: 'cli:test' };
const deep = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const httpConfig = (id: string, body: string) =>
  `{"meta":{"id":"${id}"},"payload":{"jobType":"http-request","schedule":{"cronExpression":"0 3 * * *","timezone":"UTC"},"parameters":{"url":"http://127.0.0.1:9/hook","body":${body}}}}`;

beforeAll(assertPostgresReachable);
afterAll(async () => {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
});

describe('grove-jobs jobs with input nested 20,000 levels deep', () => {
  it('create from a file refuses it as bad input naming the field, not with a stack overflow', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'grove-deep-')), 'deep.json');
    writeFileSync(file, httpConfig('deep-file', deep(20_000)));
    const result = await cli(['jobs', 'create', '--file', file], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/payload\.parameters\.body(\.a)+.*nests deeper than 64 levels/);
    expect(result.stderr).not.toMatch(/RangeError|call stack/i);
  });

  it('create from standard input, and set with a deep value, do the same', async () => {
    const piped = await cli(['jobs', 'create', '--file', '-'], env, httpConfig('deep-stdin', deep(20_000)));
    expect(piped.code).toBe(2);
    expect(piped.stderr).toMatch(/nests deeper than 64 levels/);

    expect((await cli(['jobs', 'create', '--file', '-'], env, httpConfig('shallow', '{"a":1}'))).code).toBe(0);
    const set = await cli(['jobs', 'set', 'shallow', `payload.parameters.body=${deep(20_000)}`], env);
    expect(set.code).toBe(2);
    expect(set.stderr).toMatch(/payload\.parameters\.body(\.a)+.*nests deeper than 64 levels/);
    expect(set.stderr).not.toMatch(/RangeError|call stack/i);
  });
});
