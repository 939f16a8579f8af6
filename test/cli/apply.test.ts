import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIGS } from '../../src/jobs/defaults.js';
import { cli, JOB_TYPES_FIXTURE } from '../support/cli.js';
import { assertPostgresReachable, POSTGRES_URL, uniqueSchema } from '../support/test-store.js';

/**
 * `grove-jobs diff`, `apply` and `export` over config files, against PostgreSQL (a schema per
 * test): field ownership between the files and operators, exit codes, `--json`, bad files, and
 * the export → apply round trip.
 */

const schemas: string[] = [];
let env: Record<string, string>;
let dir: string;
const HOOK_SECRET = 'a-cron-secret-of-thirty-characters';

const nightlyYaml = (cron = '0 3 * * *', extra = '') => `meta:
  id: nightly
  title: Nightly report
payload:
  jobType: report
  schedule:
    cronExpression: "${cron}"
    timezone: America/New_York
  parameters:
    format: pdf
${extra}`;

const hookYaml = `meta: { id: hook }
payload:
  jobType: http-request
  schedule: { cronExpression: "*/15 * * * *" }
  parameters:
    url: https://example.test/hook
    secretHeaders:
      x-cron-secret: { fromEnv: HOOK_SECRET }
`;

const cleanupJson = { meta: { id: 'weekly-cleanup' }, payload: { jobType: 'report', schedule: { cronExpression: '0 5 * * 0' } } };

function write(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

async function run(argv: string[], extraEnv: Record<string, string> = {}) {
  return cli(argv, { ...env, HOOK_SECRET, ...extraEnv });
}

async function versions(id: string): Promise<Array<{ version: number; changedBy: string; message?: string }>> {
  const result = await run(['jobs', 'versions', id, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { items: Array<{ version: number; changedBy: string; message?: string }> }).items;
}

async function show(id: string) {
  const result = await run(['jobs', 'show', id, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as { meta: { version: number }; payload: { schedule: { cronExpression: string; timezone: string }; limits: { batchSize: number }; parameters: Record<string, unknown> } };
}

beforeAll(assertPostgresReachable);

beforeEach(() => {
  const schema = uniqueSchema('cliapply');
  schemas.push(schema);
  env = { DATABASE_URL: POSTGRES_URL, GROVE_JOBS_SCHEMA: schema, GROVE_JOBS_JOB_TYPES: JOB_TYPES_FIXTURE, GROVE_JOBS_ACTOR: 'cli:alice' };
  dir = mkdtempSync(join(tmpdir(), 'grove-apply-'));
});

afterAll(async () => {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  for (const schema of schemas) await client.query(`drop schema if exists "${schema}", "${schema}_grove" cascade`);
  await client.end();
});

describe('grove-jobs apply and diff', () => {
  it('applies a folder of YAML and JSON files, keeps an operator’s edit of another field, and applying again stores nothing', async () => {
    write('jobs/a.yaml', `${nightlyYaml()}---\n${hookYaml}`);
    write('jobs/more/cleanup.json', JSON.stringify([cleanupJson]));
    write('jobs/README.md', 'not a config');
    const preview = await run(['diff', join(dir, 'jobs')]);
    expect(preview.code, preview.stderr).toBe(4);
    expect(preview.stdout).toContain('+ create    nightly  (');
    expect(preview.stdout).toContain('jobs/a.yaml, document 1)');
    expect(preview.stdout).toContain('    payload.schedule.cronExpression: "0 3 * * *"');
    expect(preview.stdout).toContain('    payload.parameters.secretHeaders.x-cron-secret: "[secret]"');
    expect(preview.stdout).not.toContain(HOOK_SECRET);
    expect(preview.stdout).toMatch(/3 to create, 0 to update, 0 to delete, 0 unchanged, 0 conflicts\. Nothing applied \(a preview\)\.$/);

    const planned = await run(['diff', join(dir, 'jobs'), '--json']);
    expect(planned.code).toBe(4);
    expect(JSON.parse(planned.stdout)).toMatchObject({
      applied: false,
      dryRun: true,
      manager: 'apply:files',
      conflicts: 0,
      changes: 3,
      results: [
        { id: 'nightly', outcome: 'created', nextRuns: { timezone: 'America/New_York', after: [] } },
        { id: 'hook', outcome: 'created' },
        { id: 'weekly-cleanup', outcome: 'created', source: expect.stringMatching(/jobs\/more\/cleanup\.json, item 1$/) },
      ],
    });
    const applied = await run(['apply', join(dir, 'jobs'), '--message', 'from the repository']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/3 created, 0 updated, 0 deleted, 0 unchanged, 0 conflicts\.$/);
    expect(await versions('nightly')).toEqual([expect.objectContaining({ version: 1, changedBy: 'apply:files', message: 'from the repository' })]);
    // Created switched off, as every new config is, unless a file says otherwise.
    expect((await show('hook')).payload).toMatchObject({ schedule: { cronExpression: '*/15 * * * *' }, parameters: { secretHeaders: { 'x-cron-secret': '[secret]' } } });

    // An operator changes a field the files do not state.
    // Not a field the files state: no warning.
    expect(await run(['jobs', 'set', 'nightly', 'payload.limits.batchSize=7'])).toMatchObject({ code: 0, stderr: '' });
    const again = await run(['apply', join(dir, 'jobs')]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/0 created, 0 updated, 0 deleted, 3 unchanged, 0 conflicts\.$/);
    expect((await show('nightly')).payload.limits.batchSize).toBe(7);
    expect(await versions('nightly')).toHaveLength(2);
    expect((await run(['diff', join(dir, 'jobs')])).code).toBe(0);
  });

  it('stops on an operator’s edit of a field the files state (exit 3, nothing applied), and --force takes it back', async () => {
    const nightly = write('jobs/nightly.yaml', nightlyYaml());
    write('jobs/cleanup.json', JSON.stringify(cleanupJson));
    expect((await run(['apply', join(dir, 'jobs')])).code).toBe(0);
    const edit = await run(['jobs', 'set', 'nightly', 'payload.schedule.cronExpression=30 3 * * *']);
    expect(edit.code).toBe(0);
    expect(edit.stderr).toBe(
      'payload.schedule.cronExpression came from config files (apply:files): the next grove-jobs apply of them stops on this field (exit 3). Change the files too, or apply them with --force to take it back.',
    );
    // The files change another config too: nothing of it goes in while there is a conflict.
    write('jobs/cleanup.json', JSON.stringify({ ...cleanupJson, payload: { ...cleanupJson.payload, schedule: { cronExpression: '0 6 * * 0' } } }));

    const diff = await run(['diff', join(dir, 'jobs')]);
    expect(diff.code).toBe(3);
    expect(diff.stdout).toMatch(/^! conflict {2}nightly {2}\(.*nightly\.yaml\)$/m);
    expect(diff.stdout).toMatch(/^ {4}payload\.schedule\.cronExpression: file "0 3 \* \* \*", live "30 3 \* \* \*" \(set by cli:alice at \d{4}-\d\d-\d\d \d\d:\d\d UTC, version 2\)$/m);

    const stopped = await run(['apply', join(dir, 'jobs'), '--json']);
    expect(stopped.code).toBe(3);
    const report = JSON.parse(stopped.stdout) as { applied: boolean; conflicts: number; results: Array<{ id: string; outcome: string; conflicts: Array<{ path: string; owner: { manager: string; by: string; version: number } }> }> };
    expect(report).toMatchObject({ applied: false, conflicts: 1 });
    expect(report.results.find((r) => r.id === 'nightly')?.conflicts).toEqual([
      expect.objectContaining({ path: 'payload.schedule.cronExpression', declared: '0 3 * * *', live: '30 3 * * *', owner: expect.objectContaining({ manager: 'cli', by: 'cli:alice', version: 2 }) }),
    ]);
    expect((await show('weekly-cleanup')).payload.schedule.cronExpression).toBe('0 5 * * 0');
    expect((await show('nightly')).payload.schedule.cronExpression).toBe('30 3 * * *');

    const forced = await run(['apply', join(dir, 'jobs'), '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('payload.schedule.cronExpression: "30 3 * * *" → "0 3 * * *" (was set by cli:alice at');
    expect((await show('nightly')).payload.schedule.cronExpression).toBe('0 3 * * *');
    expect((await show('weekly-cleanup')).payload.schedule.cronExpression).toBe('0 6 * * 0');
    expect((await versions('nightly'))[0]).toMatchObject({ changedBy: 'apply:files', message: 'taken back by force: payload.schedule.cronExpression (from cli:alice)' });
    expect((await run(['jobs', 'versions', 'nightly'])).stdout).toMatch(
      /^3 +\S+ +apply:files +payload\.schedule\.cronExpression "30 3 \* \* \*" → "0 3 \* \* \*" \(taken back by force: payload\.schedule\.cronExpression \(from cli:alice\)\)$/m,
    );

    // A field the files stop stating goes back to its default; the schedule preview shows the runs before and after.
    writeFileSync(nightly, nightlyYaml('0 3 * * *').replace('    timezone: America/New_York\n', ''));
    const reverted = await run(['apply', join(dir, 'jobs'), '--json']);
    expect(reverted.code, reverted.stderr).toBe(0);
    const result = (JSON.parse(reverted.stdout) as { results: Array<{ id: string; reverted: string[]; nextRuns?: { timezone: string; before: string[]; after: string[] } }> }).results.find((r) => r.id === 'nightly');
    expect(result?.reverted).toEqual(['payload.schedule.timezone']);
    expect((await show('nightly')).payload.schedule.timezone).toBe('UTC');
    expect(result?.nextRuns).toMatchObject({ timezone: 'UTC', before: [], after: [] });
  });

  it('prunes the configs these files wholly own that no file names any more', async () => {
    write('jobs/nightly.yaml', nightlyYaml());
    const cleanup = write('jobs/cleanup.json', JSON.stringify(cleanupJson));
    expect((await run(['apply', join(dir, 'jobs')])).code).toBe(0);
    rmSync(cleanup);
    const withoutPrune = await run(['apply', join(dir, 'jobs')]);
    expect(withoutPrune.stdout).toMatch(/0 deleted, 1 unchanged/);
    const pruned = await run(['apply', join(dir, 'jobs'), '--prune']);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toContain('- delete    weekly-cleanup');
    expect((await run(['jobs', 'show', 'weekly-cleanup'])).code).toBe(2);
    // The default configs (the system's) are never pruned.
    const ids = (JSON.parse((await run(['jobs', 'list', '--json'])).stdout) as { items: Array<{ meta: { id: string } }> }).items.map((c) => c.meta.id);
    expect(ids).toEqual([...DEFAULT_CONFIGS.map((c) => c.meta.id), 'nightly'].sort());
  });

  it.each([
    ['a YAML syntax error', 'bad.yaml', 'meta: { id: nightly\n', /^grove-jobs: .*bad\.yaml: is not YAML: /m],
    ['an unknown field', 'many.yaml', `${nightlyYaml().replace('id: nightly', 'id: first')}---\nmeta: { id: other }\npayload: { jobType: report, paylod: 1 }\n`, /many\.yaml, document 2: payload\.paylod: /],
    ['a bad cron', 'bad-cron.json', JSON.stringify({ meta: { id: 'x' }, payload: { jobType: 'report', schedule: { cronExpression: '61 * * * *' } } }), /bad-cron\.json: payload\.schedule\.cronExpression: /],
    ['a missing environment variable', 'hook.yaml', hookYaml.replace('HOOK_SECRET', 'NOT_SET_ANYWHERE'), /hook\.yaml: payload\.parameters\.secretHeaders\.x-cron-secret: environment variable NOT_SET_ANYWHERE is not set/],
    ['a document nested 20,000 levels', 'deep.yaml', `meta: { id: deep }\npayload: { jobType: report, parameters: ${'['.repeat(20_000)}${']'.repeat(20_000)} }\n`, /deep\.yaml: nests deeper than 64 levels at line 2/],
    ['a NUL in a JSON file', 'nul.json', '{"meta":{"id":"nul\\u0000"},"payload":{"jobType":"report"}}', /nul\.json: meta\.id/],
    ['a secret written in a file', 'leak.yaml', hookYaml.replace('{ fromEnv: HOOK_SECRET }', HOOK_SECRET), /leak\.yaml: payload\.parameters\.secretHeaders\.x-cron-secret: is a secret, and secrets never sit in files/],
  ])('refuses %s naming the file, the document and the field, and changes nothing (exit 2)', async (_name, file, text, message) => {
    write('jobs/0-good.yaml', nightlyYaml());
    write(`jobs/${file}`, text);
    const before = (await run(['jobs', 'list', '--json'])).stdout;
    for (const command of ['diff', 'apply']) {
      const result = await run([command, join(dir, 'jobs')]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toContain(HOOK_SECRET);
    }
    expect((await run(['jobs', 'list', '--json'])).stdout).toBe(before);
    expect((await run(['apply', join(dir, 'jobs'), '--json'])).stdout).toMatch(/"code": "CONFIG_INVALID"/);
  });

  it('refuses a path that holds no config file, and a bad manager name', async () => {
    mkdirSync(join(dir, 'empty'));
    expect((await run(['apply', join(dir, 'empty')])).stderr).toMatch(/empty: holds no \.yaml, \.yml or \.json file/);
    expect((await run(['apply', join(dir, 'missing')])).stderr).toMatch(/missing: cannot read it: no such file or folder/);
    expect((await run(['apply', dir, '--manager', 'no spaces'])).stderr).toMatch(/--manager: 'no spaces' must be/);
  });
});

describe('grove-jobs export', () => {
  it('writes the default configs and a config of every job type as files that apply takes back with no new version', async () => {
    // A config of every job type (the default configs cover the Grove types), one with secrets;
    // command configs need a process that may run commands from a folder.
    const commands = mkdtempSync(join(tmpdir(), 'grove-commands-'));
    writeFileSync(join(commands, 'report.sh'), '#!/bin/sh\necho report\n', { mode: 0o755 });
    env['GROVE_JOBS_ALLOW_COMMANDS'] = commands;
    for (const [id, jobType, parameters] of [
      ['call', 'http-request', { url: 'https://example.test/hook', secretHeaders: { authorization: `Bearer ${HOOK_SECRET}` } }],
      ['aggregate', 'signal-aggregation', {}],
      ['report-pdf', 'report', { format: 'pdf' }],
      ['tidy-up', 'sql', { statement: 'delete from sessions where ended_at < now() - interval \'30 days\'' }],
      ['run-report', 'command', { executable: 'report.sh', args: ['--all'] }],
    ] as const) {
      const file = write(`${id}.json`, JSON.stringify({ meta: { id }, payload: { jobType, schedule: { cronExpression: '0 4 * * *' }, parameters } }));
      const created = await run(['jobs', 'create', '--file', file]);
      expect(created.code, created.stderr).toBe(0);
    }
    expect((await run(['jobs', 'set', 'call', 'payload.notifications.webhookUrl=https://hooks.example.test/x', `payload.notifications.webhookSecret=whsec_${HOOK_SECRET}`])).code).toBe(0);
    const list = JSON.parse((await run(['jobs', 'list', '--json'])).stdout) as { items: Array<{ meta: { id: string; version: number }; payload: { jobType: string } }> };
    const types = new Set(list.items.map((c) => c.payload.jobType));
    expect([...types].sort()).toEqual(['advancement-batch', 'command', 'health-check', 'http-request', 'notification-digest', 'orphan-cleanup', 'report', 'signal-aggregation', 'sql']);

    const exported = await run(['export', '--dir', join(dir, 'out'), '--json']);
    expect(exported.code, exported.stderr).toBe(0);
    const report = JSON.parse(exported.stdout) as { configs: Array<{ id: string; variables: string[] }>; files: string[] };
    expect(report.configs.find((c) => c.id === 'call')?.variables).toEqual(['CALL_SECRET_HEADERS_AUTHORIZATION', 'CALL_WEBHOOK_SECRET']);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(list.items.map((c) => `${c.meta.id}.yaml`).sort());
    const files = report.files.map((file) => readdirSync(join(dir, 'out')).includes(file.split('/').at(-1) as string));
    expect(files.every(Boolean)).toBe(true);
    expect(JSON.stringify(report)).not.toContain(HOOK_SECRET);

    const secrets = { CALL_SECRET_HEADERS_AUTHORIZATION: `Bearer ${HOOK_SECRET}`, CALL_WEBHOOK_SECRET: `whsec_${HOOK_SECRET}` };
    const diff = await run(['diff', join(dir, 'out')], secrets);
    expect(diff.code, diff.stdout + diff.stderr).toBe(0);
    const applied = await run(['apply', join(dir, 'out')], secrets);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(new RegExp(`0 created, 0 updated, 0 deleted, ${list.items.length} unchanged, 0 conflicts\\.$`));
    const after = JSON.parse((await run(['jobs', 'list', '--json'])).stdout) as typeof list;
    expect(after.items.map((c) => [c.meta.id, c.meta.version])).toEqual(list.items.map((c) => [c.meta.id, c.meta.version]));

    // JSON too, to standard output: one list that apply reads back.
    const asJson = await run(['export', 'report-pdf', 'call', '--format', 'json']);
    const documents = JSON.parse(asJson.stdout) as Array<{ meta: { id: string } }>;
    expect(documents.map((d) => d.meta.id)).toEqual(['report-pdf', 'call']);
    expect(asJson.stderr).toBe('Set CALL_SECRET_HEADERS_AUTHORIZATION, CALL_WEBHOOK_SECRET in the environment of grove-jobs apply (secrets are never written to files).');
    write('both.json', asJson.stdout);
    expect((await run(['diff', join(dir, 'both.json')], secrets)).code).toBe(0);
  });
});
