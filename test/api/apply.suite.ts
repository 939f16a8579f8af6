import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { SqlFactory } from '../support/test-store.js';
import { type ApiHarness, makeHarness } from './support.js';

const nightly = { meta: { id: 'nightly', title: 'Nightly' }, payload: { jobType: 'test-job', schedule: { cronExpression: '0 3 * * *', timezone: 'Europe/Berlin' } } };
const call = {
  meta: { id: 'call' },
  payload: { jobType: 'http-request', schedule: { cronExpression: '*/5 * * * *' }, parameters: { url: 'https://example.test/hook', secretHeaders: { authorization: 'Bearer a-secret-of-some-length' } } },
};

interface Report {
  applied: boolean;
  dryRun: boolean;
  conflicts: number;
  changes: number;
  results: Array<{ id: string; outcome: string; conflicts: Array<{ path: string; declared: unknown; live: unknown; owner?: { manager: string; by: string } }>; nextRuns?: { after: string[] } }>;
  error?: { code: string; message: string };
}

/** `POST /api/apply` and a config's field owners, run unchanged on every driver. */
export function runApplyRoutesSuite(factory: SqlFactory): void {
  describe(`apply through the API on ${factory.name}`, () => {
    let h: ApiHarness;
    beforeEach(async () => {
      h = await makeHarness(await factory.make());
    });
    afterAll(() => factory.dispose());

    const apply = async (body: unknown, as: 'operator' | 'viewer' = 'operator') => {
      const response = await h.call('POST', '/api/apply', { body, as });
      return { status: response.status, body: (await response.json()) as Report };
    };

    it('previews, applies once, and stores nothing when the same documents come again', async () => {
      const preview = await apply({ documents: [nightly, call], dryRun: true });
      expect(preview).toMatchObject({ status: 200, body: { applied: false, dryRun: true, changes: 2 } });
      expect((await h.call('GET', '/api/jobs/nightly')).status).toBe(404);

      const first = await apply({ documents: [nightly, call], message: 'release 7' });
      expect(first).toMatchObject({ status: 200, body: { applied: true, conflicts: 0, changes: 2 } });
      expect(JSON.stringify(first.body)).not.toContain('a-secret-of-some-length');
      const again = await apply({ documents: [nightly, call] });
      expect(again.body.results.map((r) => r.outcome)).toEqual(['unchanged', 'unchanged']);
      const versions = (await (await h.call('GET', '/api/jobs/nightly/versions')).json()) as { items: Array<{ changedBy: string; message: string | null }> };
      expect(versions.items).toEqual([expect.objectContaining({ changedBy: 'apply:files', message: 'release 7' })]);
    });

    it('answers 409 with the conflicts when an operator changed a stated field, changing nothing; force takes it back', async () => {
      await apply({ documents: [nightly] });
      const edit = await h.call('PATCH', '/api/jobs/nightly', { body: { payload: { schedule: { cronExpression: '30 3 * * *' } } }, headers: { 'x-grove-client': 'console' } });
      expect(edit.status).toBe(200);
      const owners = (await (await h.call('GET', '/api/jobs/nightly/owners', { as: 'viewer' })).json()) as { owners: Record<string, { manager: string; by: string }> };
      expect(owners.owners['payload.schedule.cronExpression']).toMatchObject({ manager: 'console', by: 'console:test-operator' });
      expect(owners.owners['payload.schedule.timezone']).toMatchObject({ manager: 'apply:files' });

      const before = await h.snapshot();
      const stopped = await apply({ documents: [{ ...nightly, meta: { ...nightly.meta, title: 'Renamed' } }] });
      expect(stopped.status).toBe(409);
      expect(stopped.body).toMatchObject({ applied: false, conflicts: 1, error: { code: 'CONFIG_APPLY_CONFLICT' } });
      expect(stopped.body.results[0]?.conflicts).toEqual([
        expect.objectContaining({ path: 'payload.schedule.cronExpression', declared: '0 3 * * *', live: '30 3 * * *', owner: expect.objectContaining({ manager: 'console' }) }),
      ]);
      expect(await h.snapshot()).toBe(before);

      const forced = await apply({ documents: [nightly], force: true });
      expect(forced).toMatchObject({ status: 200, body: { applied: true } });
      const job = (await (await h.call('GET', '/api/jobs/nightly')).json()) as { payload: { schedule: { cronExpression: string } } };
      expect(job.payload.schedule.cronExpression).toBe('0 3 * * *');
    });

    it('refuses bad input naming the document and field, fromEnv references, and viewers', async () => {
      const before = await h.snapshot();
      const bad = await apply({ documents: [nightly, { meta: { id: 'x' }, payload: { jobType: 'test-job', schedule: { cronExpression: 'nope' } } }] });
      expect(bad.status).toBe(400);
      expect((bad.body as unknown as { error: { message: string } }).error.message).toMatch(/^documents\[1\]: payload\.schedule\.cronExpression: /);
      const env = await apply({ documents: [{ ...call, payload: { ...call.payload, parameters: { ...call.payload.parameters, secretHeaders: { authorization: { fromEnv: 'DATABASE_URL' } } } } }] });
      expect(env.status).toBe(400);
      expect((env.body as unknown as { error: { message: string } }).error.message).toMatch(/documents\[0\]\.payload\.parameters\.secretHeaders\.authorization: \{ fromEnv \} is resolved by grove-jobs apply/);
      expect((await apply({ documents: [nightly] }, 'viewer')).status).toBe(403);
      expect((await apply({ documents: [nightly], manager: 'has space' })).status).toBe(400);
      expect(await h.snapshot()).toBe(before);
    });
  });
}
