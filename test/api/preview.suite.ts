import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { aJobConfig } from '../support/builders.js';
import type { SqlFactory } from '../support/test-store.js';
import { type ApiHarness, makeHarness } from './support.js';

interface Run {
  at: string;
  wallBefore: string;
  wallAfter: string;
}

interface Preview {
  before: { timezone: string; state: string; note?: string };
  after: { timezone: string; state: string; note?: string };
  runs: { before: Run[]; after: Run[] };
  moved: Array<{ from: Run; to: Run }>;
  vanished: Run[];
  added: Run[];
  dstDates: Array<{ date: string; wallClock: string; rule: string; instants: string[] }>;
  firstRunUnderNewRule: Run | null;
  changes: Array<{ path: string; from?: unknown; to?: unknown }>;
  error?: { code: string; field?: string };
}

/** `POST /api/jobs/{id}/preview`, run unchanged on every driver. The harness clock reads 2026-11-23T10:00:00Z. */
export function runPreviewRoutesSuite(factory: SqlFactory): void {
  describe(`the what-if preview of a job change on ${factory.name}`, () => {
    let h: ApiHarness;
    beforeEach(async () => {
      h = await makeHarness(await factory.make());
      const created = await h.call('POST', '/api/jobs', { body: aJobConfig({ schedule: { cronExpression: '0 9 * * *', timezone: 'America/New_York' } }) });
      expect(created.status).toBe(201);
    });
    afterAll(() => factory.dispose());

    const preview = async (body: unknown, options: { as?: 'operator' | 'viewer' | 'none'; headers?: Record<string, string>; id?: string } = {}) => {
      const response = await h.call('POST', `/api/jobs/${options.id ?? 'nightly-test'}/preview`, { body, as: options.as ?? 'viewer', ...(options.headers ? { headers: options.headers } : {}) });
      return { status: response.status, body: (await response.json()) as Preview };
    };

    it('shows a zone change from New York to London moving every run, and stores nothing', async () => {
      const before = await h.snapshot();
      const { status, body } = await preview({ payload: { schedule: { timezone: 'Europe/London' } } });
      expect(status).toBe(200);
      expect(body.runs.before[0]).toEqual({ at: '2026-11-23T14:00:00.000Z', wallBefore: '2026-11-23T09:00:00-05:00', wallAfter: '2026-11-23T14:00:00+00:00' });
      expect(body.runs.after[0]).toEqual({ at: '2026-11-24T09:00:00.000Z', wallBefore: '2026-11-24T04:00:00-05:00', wallAfter: '2026-11-24T09:00:00+00:00' });
      expect(body.runs.before).toHaveLength(10);
      expect(body.moved).toHaveLength(10);
      expect(body.moved[0]).toMatchObject({ from: { at: '2026-11-23T14:00:00.000Z' }, to: { at: '2026-11-24T09:00:00.000Z' } });
      expect(body.firstRunUnderNewRule?.at).toBe('2026-11-24T09:00:00.000Z');
      expect(body.changes).toEqual([{ path: 'payload.schedule.timezone', from: 'America/New_York', to: 'Europe/London' }]);
      expect(body.dstDates).toEqual([]);
      expect(await h.snapshot()).toBe(before);
    });

    it('lists the daylight-saving dates of a time in the doubled hour and the spring-forward gap', async () => {
      const { body } = await preview({ payload: { schedule: { cronExpression: '30 1,2 * * *' } } });
      expect(body.dstDates.map((d) => [d.date, d.wallClock, d.rule, d.instants])).toEqual([
        ['2027-03-14', '02:30:00', 'gap-runs-after', ['2027-03-14T07:00:00.000Z']],
        ['2027-11-07', '01:30:00', 'doubled-runs-once', ['2027-11-07T05:30:00.000Z']],
      ]);
    });

    it('says a switch-off leaves no runs', async () => {
      const { status, body } = await preview({ payload: { schedule: { isEnabled: false } } });
      expect(status).toBe(200);
      expect(body.after).toMatchObject({ state: 'off', note: 'switched off: no runs' });
      expect(body.runs.after).toEqual([]);
      expect(body.vanished).toHaveLength(10);
      expect(body.firstRunUnderNewRule).toBeNull();
    });

    it('answers an unchanged schedule with no changes and nothing moved', async () => {
      const { body } = await preview({ meta: { title: 'Renamed' } });
      expect(body.moved).toEqual([]);
      expect(body.firstRunUnderNewRule).toBeNull();
      expect(body.changes.map((c) => c.path)).toEqual(['meta.title']);
    });

    it('refuses an invalid change with the same field-named 400 as PATCH, changing nothing', async () => {
      const before = await h.snapshot();
      const cron = await preview({ payload: { schedule: { cronExpression: '61 * * * *' } } });
      expect(cron.status).toBe(400);
      const patched = await h.call('PATCH', '/api/jobs/nightly-test', { body: { payload: { schedule: { cronExpression: '61 * * * *' } } } });
      expect(cron.body.error).toEqual(((await patched.json()) as Preview).error);
      expect(cron.body.error).toMatchObject({ field: 'payload.schedule.cronExpression' });
      const zone = await preview({ payload: { schedule: { timezone: 'Mars/Olympus' } } });
      expect(zone).toMatchObject({ status: 400, body: { error: { field: 'payload.schedule.timezone' } } });
      const extra = await preview({ meta: {}, colour: 'red' });
      expect(extra).toMatchObject({ status: 400, body: { error: { field: 'colour' } } });
      expect(await h.snapshot()).toBe(before);
    });

    it('is open to viewers but not to anonymous callers, answers 404 for a missing job and 409 for a stale If-Match', async () => {
      expect((await preview({ meta: { title: 'x' } }, { as: 'none' })).status).toBe(401);
      expect((await preview({ meta: { title: 'x' } }, { id: 'ghost' })).status).toBe(404);
      expect((await preview({ meta: { title: 'x' } }, { headers: { 'if-match': '"1"' } })).status).toBe(200);
      const stale = await preview({ meta: { title: 'x' } }, { headers: { 'if-match': '"7"' } });
      expect(stale).toMatchObject({ status: 409, body: { error: { code: 'CONFIG_VERSION_CONFLICT' } } });
      expect((await preview({ meta: { title: 'x' } }, { headers: { 'if-match': 'soon' } })).status).toBe(400);
    });
  });
}
