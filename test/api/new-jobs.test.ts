// Creating jobs from every job type through the API: what the type has no default for is all a
// new config needs, it is created switched off whatever the type's defaults, a refusal names its
// field once, and job types say what their runs change and what they call their counters.
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApi } from '../../src/api/app.js';
import { issueToken } from '../../src/api/auth.js';
import { builtInJobTypes, createGroveJobs, createGroveStores, groveJobTypes } from '../../src/app.js';
import { defineJobType, JobTypeRegistry, type JobTypeDefaults } from '../../src/domain/config/index.js';
import type { AnyNotification, Notifier } from '../../src/engine/ports.js';
import { createSqlStore } from '../../src/store/sql-store.js';
import { createTokenStore } from '../../src/store/tokens.js';
import { testJobType } from '../support/builders.js';
import { FakeClock } from '../support/fake-clock.js';
import { pgliteFactory } from '../support/test-store.js';

interface JobTypeItem {
  name: string;
  defaults: { schedule?: { cronExpression?: string; isEnabled?: boolean } };
  parameters: { required?: string[] };
  changesData: boolean;
  usesBatchSize: boolean;
  counterLabels: { processed: string; succeeded: string; failed: string };
}

interface Job {
  payload: { schedule: { isEnabled: boolean; cronExpression: string } };
  nextRuns: string[];
  status: string;
  lastExecution: { dryRun: boolean; status: string } | null;
}

/** What the console's new-job form sends: a title, and only what the type has no default for. */
function minimalInput(type: JobTypeItem) {
  const payload: Record<string, unknown> = { jobType: type.name, displayName: `New ${type.name}` };
  if (!type.defaults.schedule?.cronExpression) payload['schedule'] = { cronExpression: '0 4 * * *' };
  if (type.parameters.required?.includes('url')) payload['parameters'] = { url: 'https://example.com/hook' };
  if (type.parameters.required?.includes('statement')) payload['parameters'] = { statement: 'select 1' };
  return { meta: { id: `new-${type.name}`, title: `New ${type.name}` }, payload };
}

const factory = pgliteFactory();
afterAll(() => factory.dispose());
const silent: Notifier<AnyNotification> = { notify: () => undefined, flush: async () => undefined };

interface Harness {
  /** `body` is sent as JSON, unless it is a string (sent as it is, with `headers`). */
  call(method: string, path: string, options?: { as?: 'viewer' | 'operator'; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
}

/** The API over a fresh schema with every job type the server registers (and the tests' own). */
async function makeHarness(): Promise<Harness> {
  const sql = await factory.make();
  const clock = new FakeClock('2026-11-23T10:00:00Z');
  const grove = createGroveStores(sql);
  const system = createGroveJobs({ clock, store: createSqlStore(sql), grove, jobTypes: [testJobType, ...builtInJobTypes, ...groveJobTypes(grove, silent)] });
  const tokens = createTokenStore(sql);
  const issued = {
    viewer: (await issueToken(tokens, { role: 'viewer', name: 'test-viewer', now: clock.now() })).token,
    operator: (await issueToken(tokens, { role: 'operator', name: 'test-operator', now: clock.now() })).token,
  };
  let requests = 0;
  const app = createApi({ system, tokens, auth: { clientAddress: () => `test-${requests++}` } });
  return {
    call: async (method, path, options = {}) => {
      const headers: Record<string, string> = { authorization: `Bearer ${issued[options.as ?? 'operator']}` };
      const raw = typeof options.body === 'string';
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      Object.assign(headers, options.headers);
      const body = options.body === undefined ? undefined : raw ? (options.body as string) : JSON.stringify(options.body);
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      return app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) });
    },
  };
}

describe('creating jobs of every type', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await makeHarness();
  });

  const jobTypes = async () => ((await (await h.call('GET', '/api/job-types', { as: 'viewer' })).json()) as { items: JobTypeItem[] }).items;

  it('creates every type switched off, with no next runs, from a title and what the type has no default for', async () => {
    const types = await jobTypes();
    expect(types.map((t) => t.name)).toEqual(expect.arrayContaining(['advancement-batch', 'health-check', 'http-request', 'notification-digest', 'orphan-cleanup', 'signal-aggregation']));
    for (const type of types) {
      expect(type.defaults.schedule?.isEnabled, type.name).toBeUndefined();
      const response = await h.call('POST', '/api/jobs', { body: minimalInput(type) });
      if (type.name === 'command') {
        // A server started without --allow-commands refuses every command config, naming the flag.
        expect(response.status).toBe(400);
        expect(await response.text()).toContain('--allow-commands DIR');
        continue;
      }
      expect(response.status, `${type.name}: ${await response.clone().text()}`).toBe(201);
      const job = (await response.json()) as Job;
      expect(job.payload.schedule.isEnabled, type.name).toBe(false);
      expect(job.nextRuns, type.name).toEqual([]);
      expect(job.status, type.name).toBe('disabled');
    }
  });

  it('names the one missing field once: a type without a default cron needs a cron expression', async () => {
    const response = await h.call('POST', '/api/jobs', { body: { meta: { id: 'sums', title: 'Sums' }, payload: { jobType: 'signal-aggregation' } } });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; message: string; field: string } };
    expect(error.field).toBe('payload.schedule.cronExpression');
    expect(error.message.split('payload.schedule.cronExpression')).toHaveLength(2);
    expect(error.message).toBe('payload.schedule.cronExpression: is required');
  });

  it('says which types change data, which work in batches, and what each calls its counters', async () => {
    const byName = new Map((await jobTypes()).map((t) => [t.name, t]));
    expect(byName.get('advancement-batch')).toMatchObject({ changesData: true, usesBatchSize: true, counterLabels: { processed: 'Evaluated', succeeded: 'Advanced', failed: 'Failed' } });
    expect(byName.get('orphan-cleanup')).toMatchObject({ changesData: true, usesBatchSize: true, counterLabels: { succeeded: 'Archived' } });
    expect(byName.get('http-request')).toMatchObject({ changesData: false, usesBatchSize: false });
    expect(byName.get('test-job')).toMatchObject({ changesData: false, usesBatchSize: false, counterLabels: { processed: 'Processed', succeeded: 'Succeeded', failed: 'Failed' } });
  });

  it("marks a dry run as the job's last execution", async () => {
    const [type] = (await jobTypes()).filter((t) => t.name === 'advancement-batch');
    expect((await h.call('POST', '/api/jobs', { body: minimalInput(type as JobTypeItem) })).status).toBe(201);
    expect((await h.call('POST', '/api/jobs/new-advancement-batch/run', { body: { dryRun: true, batchSize: 5 } })).status).toBe(202);
    const job = (await (await h.call('GET', '/api/jobs/new-advancement-batch', { as: 'viewer' })).json()) as Job;
    expect(job.lastExecution).toMatchObject({ status: 'queued', dryRun: true });
    const list = (await (await h.call('GET', '/api/jobs', { as: 'viewer' })).json()) as { items: Array<Job & { meta: { id: string } }> };
    expect(list.items.find((j) => j.meta.id === 'new-advancement-batch')?.lastExecution?.dryRun).toBe(true);
  });

  it("marks a run of a config whose own dryRun parameter is on as a dry run, as the worker runs it", async () => {
    const [type] = (await jobTypes()).filter((t) => t.name === 'advancement-batch');
    const input = minimalInput(type as JobTypeItem);
    expect((await h.call('POST', '/api/jobs', { body: { ...input, payload: { ...input.payload, parameters: { dryRun: true } } } })).status).toBe(201);
    const queued = (await (await h.call('POST', '/api/jobs/new-advancement-batch/run', { body: {} })).json()) as { executionId: string };
    const job = (await (await h.call('GET', '/api/jobs/new-advancement-batch', { as: 'viewer' })).json()) as Job;
    expect(job.lastExecution).toMatchObject({ dryRun: true });
    const execution = (await (await h.call('GET', `/api/executions/${queued.executionId}`, { as: 'viewer' })).json()) as { dryRun: boolean };
    expect(execution.dryRun).toBe(true);
    // Switched off again, the next run is a real one; the earlier run stays a dry run.
    expect((await h.call('PATCH', '/api/jobs/new-advancement-batch', { body: { payload: { parameters: { dryRun: false } } } })).status).toBe(200);
    const again = (await (await h.call('POST', '/api/jobs/new-advancement-batch/run', { body: {} })).json()) as { executionId: string };
    const runs = (await (await h.call('GET', '/api/jobs/new-advancement-batch/executions', { as: 'viewer' })).json()) as { items: Array<{ id: string; dryRun: boolean }> };
    const dry = new Map(runs.items.map((run) => [run.id, run.dryRun]));
    expect(dry.get(queued.executionId)).toBe(true);
    expect(dry.get(again.executionId)).toBe(false);
  });
});

describe('refusals', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await makeHarness();
  });

  it('start with the field they refuse, naming it once', async () => {
    await h.call('POST', '/api/jobs', { body: { meta: { id: 'hook', title: 'Hook' }, payload: { jobType: 'http-request', schedule: { cronExpression: '0 4 * * *' }, parameters: { url: 'https://example.com' } } } });
    const refusals = [
      await h.call('POST', '/api/jobs', { body: { meta: { id: 'sums', title: 'Sums' }, payload: { jobType: 'signal-aggregation' } } }),
      await h.call('POST', '/api/jobs', { body: { meta: { id: 'hook-2', title: 'Hook' }, payload: { jobType: 'http-request', schedule: { cronExpression: '0 4 * * *' }, parameters: { url: 'ftp://x' } } } }),
      await h.call('POST', '/api/jobs/hook/run', { body: { batchSize: 0 } }),
      await h.call('GET', '/api/jobs/hook/executions?limit=5000', { as: 'viewer' }),
      await h.call('PATCH', '/api/jobs/hook', { body: '{}', headers: { 'if-match': 'soon' } }),
      await h.call('POST', '/api/jobs', { body: '{"meta":' }),
      await h.call('POST', '/api/jobs', { body: 'meta', headers: { 'content-type': 'text/plain' } }),
    ];
    for (const response of refusals) {
      const { error } = (await response.json()) as { error: { code: string; message: string; field: string } };
      expect(error.field, error.message).toBeTruthy();
      expect(error.message.startsWith(`${error.field}: `), `${error.code}: ${error.message}`).toBe(true);
      expect(error.message.split(error.field), error.message).toHaveLength(2);
    }
  });
});

describe('job type defaults', () => {
  const declare = (defaults: JobTypeDefaults) => defineJobType({ name: 'eager', description: 'x', parameters: z.strictObject({}), defaults, execute: async () => undefined });

  it('may not switch new configs on', () => {
    expect(() => declare({ schedule: { isEnabled: true } as JobTypeDefaults['schedule'] })).toThrow(/must not default schedule.isEnabled/);
    const loose = { ...declare({ schedule: { cronExpression: '0 1 * * *' } }), defaults: { schedule: { isEnabled: true } } } as unknown as ReturnType<typeof declare>;
    expect(() => new JobTypeRegistry([loose])).toThrow(/created switched off/);
  });
});
