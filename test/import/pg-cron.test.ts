import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { clusterToolsAvailable, createTestCluster, PG_VERSION, type TestCluster } from '../support/pg-cluster.js';
import { assertPostgresReachable, POSTGRES_URL, uniqueSchema } from '../support/test-store.js';

/**
 * `grove-jobs import pg-cron` against a real pg_cron: a cluster of this file's own with the
 * extension preloaded, seed 004's nine entries scheduled in it (pg_net need not be installed:
 * cron.schedule stores the command text), the plan read back, then applied to the store.
 */

const PG_CRON = `/usr/lib/postgresql/${PG_VERSION}/lib/pg_cron.so`;
const hasPgCron = (await clusterToolsAvailable('The pg_cron import test')) && existsSync(PG_CRON);
if (!hasPgCron && process.env['CI'] === 'true') throw new Error(`The pg_cron import test needs Debian's postgresql-${PG_VERSION}-cron (${PG_CRON}); .ci/run installs it.`);

const SECRET = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const FUNCTIONS = 'https://abcdefgh.supabase.co/functions/v1';

/** Two ways of writing one call, as such a setup accumulates them. */
const trigger = (style: 'literal' | 'built') =>
  style === 'literal'
    ? `select net.http_post(
        url := '${FUNCTIONS}/daily-batch-trigger',
        headers := '{"Content-Type": "application/json", "x-cron-secret": "${SECRET}"}'::jsonb,
        body := '{}'::jsonb
      ) as request_id;`
    : `SELECT net.http_post(url:='${FUNCTIONS}/daily-batch-trigger', headers:=jsonb_build_object('Content-Type', 'application/json', 'x-cron-secret', '${SECRET}'), body:=jsonb_build_object())`;
const reconciler = `select net.http_post(url := '${FUNCTIONS}/batch-reconciler', headers := '{"Content-Type": "application/json", "x-cron-secret": "${SECRET}"}'::jsonb, body := '{"source": "cron"}'::jsonb) as request_id;`;

/** Seed 004 section 2.1, in its order. */
const SEED_004: Array<[string, string, string]> = [
  ['daily-batch-trigger-resilient', '*/15 * * * *', trigger('literal')],
  ['daily-batch-trigger-every-5min', '*/5 * * * *', trigger('built')],
  ['batch-reconciler-cleanup', '*/30 * * * *', reconciler],
  ['batch-reconciler-every-10min', '*/10 * * * *', reconciler],
  ['daily-batch-midnight-edt', '0 5 * * *', trigger('literal')],
  ['daily-batch-midnight-est', '0 4 * * *', trigger('literal')],
  ['daily-batch-trigger-12am-est', '0 5 * * *', trigger('built')],
  ['daily-scheduler-3am-edt', '0 7 * * *', trigger('literal')],
  ['daily-scheduler-3am-est', '0 8 * * *', trigger('literal')],
];

interface Report {
  entries: Array<{ key: string; outcome: string; of?: string; config: string; detail: string }>;
  configs: Array<{ id: string; jobType: string; cronExpression: string; timezone: string; enabled: boolean; entries: string[]; nextRuns: string[]; config: { payload: { parameters: Record<string, unknown> } } }>;
  unschedule: string[];
  applied: boolean;
}

describe.skipIf(!hasPgCron)('grove-jobs import pg-cron', () => {
  let cluster: TestCluster | undefined;
  const schemas: string[] = [];

  beforeAll(async () => {
    await assertPostgresReachable();
    cluster = await createTestCluster('grove_pgcron', { shared_preload_libraries: 'pg_cron', 'cron.database_name': 'postgres' });
    const client = new pg.Client({ connectionString: cluster.url });
    await client.connect();
    try {
      await client.query('create extension pg_cron');
      for (const [name, schedule, command] of SEED_004) await client.query('select cron.schedule($1, $2, $3)', [name, schedule, command]);
    } finally {
      await client.end();
    }
  }, 120_000);

  afterAll(async () => {
    await cluster?.drop();
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    for (const schema of schemas) await client.query(`drop schema if exists "${schema}", "${schema}_grove" cascade`);
    await client.end();
  }, 60_000);

  const storeEnv = () => {
    const schema = uniqueSchema('import');
    schemas.push(schema);
    return { DATABASE_URL: POSTGRES_URL, GROVE_JOBS_SCHEMA: schema, GROVE_JOBS_ACTOR: 'cli:test' };
  };

  it("plans seed 004's nine entries into one config per task, every entry accounted for, secrets only in secretHeaders, all switched off, with the unschedule SQL; then applies them", async () => {
    const env = storeEnv();
    const argv = ['import', 'pg-cron', '--database-url', cluster?.url ?? '', '--zone', 'America/New_York'];
    const planned = await cli([...argv, '--json'], env);
    expect(planned.code, planned.stderr).toBe(0);
    const report = JSON.parse(planned.stdout) as Report;
    expect(report.configs.map((c) => [c.id, c.jobType, c.cronExpression, c.timezone, c.enabled, c.entries.length])).toEqual([
      ['daily-batch-trigger-every-5min', 'http-request', '*/5 * * * *', 'UTC', false, 7],
      ['batch-reconciler-every-10min', 'http-request', '*/10 * * * *', 'UTC', false, 2],
    ]);
    expect(Object.fromEntries(report.entries.map((e) => [e.key, [e.outcome, e.of ?? null, e.config]]))).toEqual({
      'daily-batch-trigger-resilient': ['subsumed', 'daily-batch-trigger-every-5min', 'daily-batch-trigger-every-5min'],
      'daily-batch-trigger-every-5min': ['config', null, 'daily-batch-trigger-every-5min'],
      'batch-reconciler-cleanup': ['subsumed', 'batch-reconciler-every-10min', 'batch-reconciler-every-10min'],
      'batch-reconciler-every-10min': ['config', null, 'batch-reconciler-every-10min'],
      'daily-batch-midnight-edt': ['subsumed', 'daily-batch-trigger-every-5min', 'daily-batch-trigger-every-5min'],
      'daily-batch-midnight-est': ['twin', 'daily-batch-midnight-edt', 'daily-batch-trigger-every-5min'],
      'daily-batch-trigger-12am-est': ['duplicate', 'daily-batch-midnight-edt', 'daily-batch-trigger-every-5min'],
      'daily-scheduler-3am-edt': ['subsumed', 'daily-batch-trigger-every-5min', 'daily-batch-trigger-every-5min'],
      'daily-scheduler-3am-est': ['twin', 'daily-scheduler-3am-edt', 'daily-batch-trigger-every-5min'],
    });
    const [triggerConfig] = report.configs;
    expect(triggerConfig?.config.payload.parameters).toEqual({
      method: 'POST',
      url: `${FUNCTIONS}/daily-batch-trigger`,
      // Content-Type: application/json is what the http-request type sends for a JSON body anyway.
      secretHeaders: { 'x-cron-secret': { fromEnv: 'DAILY_BATCH_TRIGGER_EVERY_5MIN_SECRET_HEADERS_X_CRON_SECRET' } },
      body: {},
    });
    // The secret is never printed, in the plan or in JSON.
    expect(planned.stdout).not.toContain(SECRET);
    const text = await cli(argv, env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).not.toContain(SECRET);
    expect(text.stdout).toContain('· daily-scheduler-3am-est  0 8 * * *\n    twin of daily-scheduler-3am-edt: ');
    expect(report.unschedule).toEqual(SEED_004.map(([name]) => `select cron.unschedule('${name}');`));
    const runs = triggerConfig?.nextRuns.map((run) => Date.parse(run)) ?? [];
    expect(runs).toHaveLength(5);
    expect(runs.every((run, i) => run % 300_000 === 0 && (i === 0 || run - (runs[i - 1] as number) === 300_000))).toBe(true);

    const applied = await cli([...argv, '--apply', '--json'], env);
    expect(applied.code, applied.stderr).toBe(0);
    expect((JSON.parse(applied.stdout) as Report).applied).toBe(true);
    const listed = JSON.parse((await cli(['jobs', 'list', '--json'], env)).stdout) as { items: Array<{ meta: { id: string }; payload: { schedule: { isEnabled: boolean }; parameters: Record<string, unknown> } }> };
    const imported = listed.items.filter((c) => report.configs.some((r) => r.id === c.meta.id));
    expect(imported).toHaveLength(2);
    expect(imported.every((c) => !c.payload.schedule.isEnabled)).toBe(true);
    expect(imported.find((c) => c.meta.id === 'daily-batch-trigger-every-5min')?.payload.parameters['secretHeaders']).toEqual({ 'x-cron-secret': '[secret]' });
    const shown = await cli(['jobs', 'show', 'daily-batch-trigger-every-5min'], env);
    expect(shown.stdout).toMatch(/every 5 minutes/i);
    // Importing again picks new ids: it never merges into the configs made the first time.
    const again = JSON.parse((await cli([...argv, '--json'], env)).stdout) as Report;
    expect(again.configs.map((c) => c.id)).toEqual(['daily-batch-trigger-every-5min-2', 'batch-reconciler-every-10min-2']);
  }, 120_000);
});
