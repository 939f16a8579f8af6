// Grove Jobs embedded in an application the way the README's "Use it as a library" shows:
// its own schema on a PostgreSQL database that already has an `executions` table of the app's,
// configs declared in code applied idempotently across restarts, a job run by the in-process
// worker, and the API mounted in a Hono app and in an Express app, with the app's own auth.
import express from 'express';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJobType, type JobConfigInputFor, startGroveJobs } from '../../src/index.js';
import { finishedCount } from '../support/engine.js';
import { assertPostgresReachable, testDatabase } from '../support/test-store.js';

const sendReport = defineJobType({
  name: 'send-report',
  description: 'Sends the daily report',
  parameters: z.strictObject({ recipients: z.array(z.string()).default([]), format: z.enum(['pdf', 'html']).default('pdf') }),
  execute: async ({ parameters, log }) => {
    log('info', `sending a ${parameters.format} report to ${parameters.recipients.length} recipients`);
    return { summary: 'sent', items: { processed: parameters.recipients.length, succeeded: parameters.recipients.length } };
  },
});

const configs = [
  { meta: { id: 'daily-report', title: 'Daily report' }, payload: { jobType: 'send-report', schedule: { cronExpression: '0 7 * * *', timezone: 'Europe/Berlin' }, parameters: { recipients: ['ops@example.test'] } } },
  { meta: { id: 'weekly-report' }, payload: { jobType: 'send-report', schedule: { cronExpression: '0 7 * * MON' }, parameters: { format: 'html' } } },
] satisfies Array<JobConfigInputFor<typeof sendReport>>;

// Typed per job type: a misspelled field or a wrong value does not compile.
export const typos: Array<JobConfigInputFor<typeof sendReport>> = [
  // @ts-expect-error `cronExpresion` is not a schedule field
  { meta: { id: 'a' }, payload: { jobType: 'send-report', schedule: { cronExpresion: '0 7 * * *' } } },
  // @ts-expect-error batchSize is a number
  { meta: { id: 'b' }, payload: { jobType: 'send-report', limits: { batchSize: 'fifty' } } },
  // @ts-expect-error `formatt` is not a parameter of send-report
  { meta: { id: 'c' }, payload: { jobType: 'send-report', parameters: { formatt: 'pdf' } } },
  // @ts-expect-error no job type of that name was given
  { meta: { id: 'd' }, payload: { jobType: 'send-reports' } },
];

describe('Grove Jobs embedded in an application on PostgreSQL', () => {
  const database = testDatabase('grove_embed');
  let url: string;

  beforeAll(async () => {
    await assertPostgresReachable();
    await database.create();
    url = database.url;
    // The application's own table, named as one of Grove Jobs' tables is.
    const app = new pg.Client({ connectionString: url });
    await app.connect();
    await app.query('create table executions (id serial primary key, what text not null)');
    await app.query(`insert into executions (what) values ('the app''s own row')`);
    await app.end();
  });
  afterAll(() => database.drop());

  it('applies the declared configs once across restarts, in its own schema, and runs them', async () => {
    for (let start = 1; start <= 3; start++) {
      const jobs = await startGroveJobs({ connectionString: url, jobTypes: [sendReport], configs, maxConnections: 4, onConflict: () => undefined });
      try {
        expect(jobs.applied.map((r) => [r.id, r.outcome, r.version])).toEqual(
          start === 1
            ? [['daily-report', 'created', 1], ['weekly-report', 'created', 1]]
            : [['daily-report', 'unchanged', 1], ['weekly-report', 'unchanged', 1]],
        );
        if (start === 3) {
          const done = finishedCount(jobs, 1);
          const { execution } = await jobs.executions.trigger('daily-report', { requestedBy: 'test' });
          const [finished] = await done;
          expect(finished).toMatchObject({ id: execution.id, status: 'success', summary: 'sent' });
        }
      } finally {
        await jobs.close();
      }
    }
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const own = await client.query('select what from public.executions');
      expect(own.rows).toEqual([{ what: 'the app\'s own row' }]);
      const versions = await client.query('select count(*)::int as n from grove_jobs.job_config_versions');
      expect(versions.rows[0]).toEqual({ n: 2 });
      // Engine only: no Grove-domain tables anywhere.
      const domain = await client.query(`select table_schema, table_name from information_schema.tables where table_name in ('sprouts', 'advancement_rules')`);
      expect(domain.rows).toEqual([]);
      const schemas = await client.query(`select distinct table_schema from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema') order by 1`);
      expect(schemas.rows.map((row: { table_schema: string }) => row.table_schema)).toEqual(['grove_jobs', 'public']);
    } finally {
      await client.end();
    }
  }, 120_000);

  it('connects with the settings of the app’s pg pool, never changing the app’s own connections', async () => {
    const appPool = new pg.Pool({ connectionString: url, max: 2 });
    const jobs = await startGroveJobs({ pool: appPool, jobTypes: [sendReport], configs, scheduler: false, worker: false, maxConnections: 2 });
    try {
      expect(jobs.applied.map((r) => r.outcome)).toEqual(['unchanged', 'unchanged']);
      expect(jobs.location.where).not.toContain('postgres@');
      const { rows } = await appPool.query<{ search_path: string }>('show search_path');
      expect(rows[0]?.search_path).toBe('"$user", public');
      const own = await appPool.query('select count(*)::int as n from executions');
      expect(own.rows[0]).toEqual({ n: 1 });
    } finally {
      await jobs.close();
      await appPool.end();
    }
  }, 120_000);

  it('mounts its API in a Hono app and an Express app, with the app’s own authentication', async () => {
    const jobs = await startGroveJobs({ connectionString: url, jobTypes: [sendReport], configs, scheduler: false, worker: false });
    const http = jobs.http({
      // The app's session, reduced to a header for the test: its users are operators.
      caller: (request) => (request.headers.get('x-app-user') ? { role: 'operator', name: `app:${request.headers.get('x-app-user')}` } : undefined),
    });
    const servers: Array<{ close: () => void }> = [];
    try {
      const hono = new Hono();
      hono.get('/', (c) => c.text('the app'));
      hono.mount('/jobs', http.fetch);
      const viaHono = await hono.request('/jobs/api/jobs/daily-report', { headers: { 'x-app-user': 'ana' } });
      expect(viaHono.status).toBe(200);
      expect(((await viaHono.json()) as { meta: { id: string } }).meta.id).toBe('daily-report');
      expect((await hono.request('/jobs/api/jobs')).status).toBe(401);
      expect(await (await hono.request('/')).text()).toBe('the app');

      const app = express();
      app.use('/jobs', http.listener);
      const server = app.listen(0, '127.0.0.1');
      servers.push(server);
      await new Promise((resolve) => server.once('listening', resolve));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jobs`;
      const patched = await fetch(`${base}/api/jobs/weekly-report`, {
        method: 'PATCH',
        headers: { 'x-app-user': 'ben', 'content-type': 'application/json' },
        body: JSON.stringify({ payload: { limits: { batchSize: 50 } } }),
      });
      expect(patched.status).toBe(200);
      expect(((await patched.json()) as { meta: { updatedBy: string } }).meta.updatedBy).toBe('api:app:ben');
      const document = (await (await fetch(`${base}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
      expect(Object.keys(document.paths)).toContain('/api/jobs');
      // Engine only: the Grove domain's routes are not there.
      expect(Object.keys(document.paths).some((path) => path.includes('sprouts'))).toBe(false);
    } finally {
      for (const server of servers) server.close();
      await jobs.close();
    }
  }, 120_000);

  it('installs the Grove domain in its own schema only when asked, with its job types and routes', async () => {
    const jobs = await startGroveJobs({ connectionString: url, jobTypes: [sendReport], grove: true, scheduler: false, worker: false });
    try {
      expect(jobs.jobTypes.names()).toContain('advancement-batch');
      expect(await jobs.grove.sprouts.count()).toBe(0);
      const document = (await (await jobs.http().fetch(new Request('http://app/api/openapi.json'))).json()) as { paths: Record<string, unknown> };
      expect(Object.keys(document.paths).some((path) => path.includes('sprouts'))).toBe(true);
    } finally {
      await jobs.close();
    }
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const found = await client.query(`select table_schema from information_schema.tables where table_name = 'sprouts'`);
      expect(found.rows).toEqual([{ table_schema: 'grove' }]);
    } finally {
      await client.end();
    }
  }, 120_000);

  it('applies documents as grove-jobs apply does: created switched off, and nothing applied over an operator’s edit unless forced', async () => {
    const jobs = await startGroveJobs({ connectionString: url, schema: 'grove_jobs_documents', jobTypes: [sendReport], scheduler: false, worker: false });
    try {
      const adHoc = { meta: { id: 'ad-hoc' }, payload: { jobType: 'send-report', schedule: { cronExpression: '0 9 * * *' } } };
      expect((await jobs.apply([adHoc])).map((r) => r.outcome)).toEqual(['created']);
      expect((await jobs.configs.get('ad-hoc')).payload.schedule.isEnabled).toBe(false);
      await jobs.configs.patch('ad-hoc', { payload: { schedule: { cronExpression: '0 10 * * *' } } }, { actor: 'console:ops' });
      const renamed = { ...adHoc, meta: { id: 'ad-hoc', title: 'Ad hoc report' } };
      const [stopped] = await jobs.apply([renamed]);
      expect(stopped?.conflicts).toEqual([expect.objectContaining({ path: 'payload.schedule.cronExpression', live: '0 10 * * *', owner: expect.objectContaining({ manager: 'console', by: 'console:ops' }) })]);
      expect((await jobs.configs.get('ad-hoc')).meta.title).toBe('ad-hoc');
      const [forced] = await jobs.apply([renamed], { force: true });
      expect(forced).toMatchObject({ outcome: 'updated', conflicts: [] });
      expect((await jobs.configs.get('ad-hoc')).payload.schedule.cronExpression).toBe('0 9 * * *');
    } finally {
      await jobs.close();
    }
  }, 120_000);
});
