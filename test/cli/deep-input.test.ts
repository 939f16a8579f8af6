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
  await client.query(`drop schema if exists "${schema}", "${schema}_grove" cascade`);
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

describe('grove-jobs commands reading files with a NUL or deep nesting', () => {
  it('jobs create refuses a NUL in a title or a parameter as bad input naming the field', async () => {
    const withNul = `{"meta":{"id":"nul-title","title":"a\\u0000b"},"payload":{"jobType":"http-request","schedule":{"cronExpression":"0 3 * * *","timezone":"UTC"},"parameters":{"url":"http://127.0.0.1:9/hook"}}}`;
    const result = await cli(['jobs', 'create', '--file', '-'], env, withNul);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/meta\.title must not contain the NUL character/);
    const inBody = await cli(['jobs', 'create', '--file', '-'], env, httpConfig('nul-body', '{"k":"x\\u0000"}'));
    expect(inBody.code).toBe(2);
    expect(inBody.stderr).toMatch(/payload\.parameters\.body\.k must not contain the NUL character/);
    expect((await cli(['jobs', 'show', 'nul-title'], env)).code).toBe(2);
  });

  it('events import refuses metadata 20,000 levels deep, and sprouts import a NUL title, changing nothing', async () => {
    const event = (metadata: string) =>
      `{"eventType":"viewed","sproutId":"s-1","sessionId":"x","metadata":${metadata},"createdAt":"2026-01-01T00:00:00Z"}`;
    const deepEvents = await cli(['events', 'import', '--file', '-'], env, `${event('{"a":1}')}\n${event(deep(20_000))}\n`);
    expect(deepEvents.code).toBe(2);
    expect(deepEvents.stderr).toMatch(/line 2: metadata(\.a)+ nests deeper than 64 levels/);
    expect(deepEvents.stderr).not.toMatch(/RangeError|call stack/i);
    const nulSprout = await cli(['sprouts', 'import', '--file', '-'], env, '[{"title":"ok","tier":"seed"},{"title":"a\\u0000","tier":"seed"}]');
    expect(nulSprout.code).toBe(2);
    expect(nulSprout.stderr).toMatch(/\[1\]\.title must not contain the NUL character/);
    const listed = await cli(['sprouts', 'list', '--json'], env);
    expect(JSON.parse(listed.stdout)).toMatchObject({ items: [] });
  });
});
