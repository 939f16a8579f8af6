import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { abbreviateExecutionId } from '../../src/domain/execution/index.js';
import { executionIdsInRange } from '../../src/store/queries/execution-ids.js';
import { aJobConfig } from '../support/builders.js';
import type { SqlFactory } from '../support/test-store.js';
import { type ApiHarness, makeHarness } from './support.js';

// Two runs made in the same minute share their first 8 hex digits (UUID version 7 ids begin
// with the milliseconds); the third was made in another minute.
const EARLIER = '01a24e2b-1c3d-7a00-8000-00000000000a';
const LATER = '01a24e2b-9f00-7b00-8000-00000000000b';
const ELSEWHEN = '01a24f00-0000-7c00-8000-00000000000c';

interface ErrorJson {
  error: { code: string; message: string; field?: string; candidates?: string[] };
}

/** The id routes taking an execution id, each as an operator would call it. */
const ROUTES = [
  ['GET', (id: string) => `/api/executions/${id}`],
  ['GET', (id: string) => `/api/executions/${id}/logs`],
  ['POST', (id: string) => `/api/executions/${id}/retry`],
  ['POST', (id: string) => `/api/executions/${id}/cancel`],
] as const;

/** Execution ids given by a prefix on the API's execution routes, run unchanged on every driver. */
export function runExecutionIdSuite(factory: SqlFactory): void {
  describe(`execution id prefixes on ${factory.name}`, () => {
    let h: ApiHarness;

    /** Records a finished execution of nightly-test under a chosen id, with one log line. */
    const finished = async (id: string, message = 'a line') => {
      await h.sql.query({
        name: 'test-insert-execution',
        text: `insert into executions (id, run_id, config_id, config_version, config, status, trigger, queued_at, run_after, started_at, finished_at, duration_ms)
               select $1::uuid, $1::uuid, id, version, config, 'success', 'manual', $2::timestamptz, $2::timestamptz, $2::timestamptz, $2::timestamptz, 0
                 from job_configs where id = 'nightly-test'`,
        values: [id, '2026-11-23T09:00:00Z'],
      });
      await h.sql.query({
        name: 'test-insert-log',
        text: `insert into execution_logs (execution_id, logged_at, level, message) values ($1::uuid, $2::timestamptz, 'info', $3)`,
        values: [id, '2026-11-23T09:00:00Z', message],
      });
    };

    beforeEach(async () => {
      h = await makeHarness(await factory.make());
      expect((await h.call('POST', '/api/jobs', { body: aJobConfig({ schedule: { isEnabled: false } }) })).status).toBe(201);
      await finished(EARLIER, 'the earlier run');
      await finished(LATER, 'the later run');
      await finished(ELSEWHEN, 'the run of another minute');
    });
    afterAll(() => factory.dispose());

    it('a unique prefix names its execution on every route, with or without hyphens, in either case', async () => {
      for (const prefix of ['01a24e2b-1', '01A24E2B1C3D', '01a24e2b-1c3d-7a00-8']) {
        const execution = await h.call('GET', `/api/executions/${prefix}`, { as: 'viewer' });
        expect(execution.status, prefix).toBe(200);
        expect(await execution.json()).toMatchObject({ id: EARLIER });
        const logs = (await (await h.call('GET', `/api/executions/${prefix}/logs?after=0`, { as: 'viewer' })).json()) as { items: { message: string }[] };
        expect(logs.items.map((l) => l.message)).toEqual(['the earlier run']);
      }
      const retry = await h.call('POST', '/api/executions/01a24e2b-9/retry');
      expect(retry.status).toBe(202);
      const { executionId } = (await retry.json()) as { executionId: string };
      expect(await (await h.call('GET', `/api/executions/${executionId}`, { as: 'viewer' })).json()).toMatchObject({ retryOf: LATER, status: 'queued' });
    });

    it('shows each execution with the prefix that names it (shortId), which every route takes', async () => {
      const list = (await (await h.call('GET', '/api/jobs/nightly-test/executions', { as: 'viewer' })).json()) as { items: { id: string; shortId: string }[] };
      const shortIds = Object.fromEntries(list.items.map((e) => [e.id, e.shortId]));
      // The newest shows its whole instant (12 hex digits): runs made after it never share it.
      expect(shortIds).toEqual({ [EARLIER]: '01a24e2b-1', [LATER]: '01a24e2b-9', [ELSEWHEN]: '01a24f00-0000' });
      for (const [id, shortId] of Object.entries(shortIds)) {
        const one = (await (await h.call('GET', `/api/executions/${shortId}`, { as: 'viewer' })).json()) as { id: string; shortId: string };
        expect(one).toMatchObject({ id, shortId });
      }
    });

    it('cancel takes a prefix long enough to pass a run made in the same millisecond', async () => {
      const run = await h.call('POST', '/api/jobs/nightly-test/run', { body: {} });
      const { executionId } = (await run.json()) as { executionId: string };
      // A finished run whose id shares the queued one's milliseconds and version digit.
      const hex = executionId.replaceAll('-', '');
      const twinHex = `${hex.slice(0, 13)}${hex[13] === '0' ? '1' : '0'}8000000000000000000`.slice(0, 32);
      await finished(abbreviateExecutionId(twinHex, 32));
      const ambiguous = await h.call('POST', `/api/executions/${abbreviateExecutionId(executionId, 13)}/cancel`);
      expect(ambiguous.status).toBe(400);
      expect(((await ambiguous.json()) as ErrorJson).error.candidates).toHaveLength(2);
      const cancelled = await h.call('POST', `/api/executions/${abbreviateExecutionId(executionId, 14)}/cancel`);
      expect(cancelled.status).toBe(200);
      expect(await cancelled.json()).toMatchObject({ id: executionId, status: 'cancelled' });
    });

    it('an ambiguous prefix is 400 EXECUTION_ID_AMBIGUOUS listing the candidates on every route, changing nothing', async () => {
      const before = await h.snapshot();
      for (const [method, path] of ROUTES) {
        const response = await h.call(method, path('01a24e2b'));
        expect(response.status, path('01a24e2b')).toBe(400);
        const body = (await response.json()) as ErrorJson;
        expect(body.error).toMatchObject({ code: 'EXECUTION_ID_AMBIGUOUS', field: 'id', candidates: [EARLIER, LATER] });
        expect(body.error.message).toContain(EARLIER);
      }
      expect(await h.snapshot()).toBe(before);
    });

    it('lists at most 10 candidates and says there are more', async () => {
      for (let i = 0; i < 12; i++) await finished(`01a24e2b-5555-7000-8000-${String(i).padStart(12, '0')}`);
      const body = (await (await h.call('GET', '/api/executions/01a24e2b-5', { as: 'viewer' })).json()) as ErrorJson;
      expect(body.error.code).toBe('EXECUTION_ID_AMBIGUOUS');
      expect(body.error.candidates).toHaveLength(10);
      expect(body.error.candidates?.[0]).toBe('01a24e2b-5555-7000-8000-000000000000');
      expect(body.error.message).toContain('more than 10 executions');
    });

    it('a prefix no execution starts with is 404, a malformed one 400 EXECUTION_ID_INVALID naming the field', async () => {
      for (const [method, path] of ROUTES) {
        const missing = await h.call(method, path('01a24e2c'));
        expect(missing.status).toBe(404);
        expect(((await missing.json()) as ErrorJson).error.code).toBe('EXECUTION_NOT_FOUND');
        for (const bad of ['nope', '01a24e2', '01a24e2g', '01a2-4e2b', '01a24e2b%25', `${EARLIER}0`]) {
          const response = await h.call(method, path(bad));
          expect(response.status, `${method} ${path(bad)}`).toBe(400);
          expect(((await response.json()) as ErrorJson).error).toMatchObject({ code: 'EXECUTION_ID_INVALID', field: 'id' });
        }
      }
    });

    it('finds a prefix by a range scan of the primary key', async () => {
      const plan = await h.sql.transaction(async (tx) => {
        // The tables are tiny, so a sequential scan would be cheapest: forbid it to see which index the query can use.
        await tx.query({ name: 'test-no-seqscan', text: 'set local enable_seqscan = off' });
        const query = executionIdsInRange('01a24e2b-0000-0000-0000-000000000000', '01a24e2b-ffff-ffff-ffff-ffffffffffff', 11);
        return tx.query<{ 'QUERY PLAN': string }>({ ...query, name: 'test-explain-prefix', text: `explain ${query.text}` });
      });
      const text = plan.map((row) => row['QUERY PLAN']).join('\n');
      expect(text).toMatch(/Index (Only )?Scan using executions_pkey/);
      expect(text).toContain('Index Cond');
    });
  });
}
