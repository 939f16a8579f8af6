import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { BackfillView, SlotExplanationView, SlotLedgerView } from '../../src/api/routes/slots.js';
import { aJobConfig } from '../support/builders.js';
import type { SqlFactory } from '../support/test-store.js';
import { type ApiHarness, makeHarness } from './support.js';

type ErrorBody = { error?: { code: string; field?: string; message: string } };
const fates = (ledger: SlotLedgerView) => ledger.slots.map((s) => `${s.at.slice(11, 16)} ${s.fate}`);

/**
 * `GET /api/jobs/{id}/slots`, `GET …/explain` and `POST …/backfill`, on every driver. The job
 * runs hourly from 10:00; no scheduler ran until 14:30, when one first saw it: 11:00 to 14:00
 * passed unclaimed.
 */
export function runSlotRoutesSuite(factory: SqlFactory): void {
  describe(`slot ledger, explain and backfill through the API on ${factory.name}`, () => {
    let h: ApiHarness;
    beforeEach(async () => {
      h = await makeHarness(await factory.make());
      const created = await h.call('POST', '/api/jobs', { body: aJobConfig({ schedule: { cronExpression: '0 * * * *', timezone: 'UTC', isEnabled: true } }) });
      expect(created.status).toBe(201);
      await h.clock.advanceTo('2026-11-23T14:30:00Z');
      // A scheduler's first sight of the job: its schedule starts here.
      await h.system.store.ensureScheduleState('nightly-test', h.clock.now());
    });
    afterAll(() => factory.dispose());

    const get = async <T>(path: string, as: 'operator' | 'viewer' = 'viewer') => {
      const response = await h.call('GET', path, { as });
      return { status: response.status, body: (await response.json()) as T & ErrorBody };
    };
    const backfill = async (body: unknown, as: 'operator' | 'viewer' = 'operator') => {
      const response = await h.call('POST', '/api/jobs/nightly-test/backfill', { as, body });
      return { status: response.status, body: (await response.json()) as BackfillView & ErrorBody };
    };
    const RANGE = { from: '2026-11-23T09:00:00Z', until: '2026-11-23T14:00:00Z' };

    it('lists every slot of a range with its fate, for a viewer', async () => {
      const { status, body } = await get<SlotLedgerView>('/api/jobs/nightly-test/slots?from=2026-11-23T09:00:00Z&until=2026-11-23T16:00:00Z');
      expect(status).toBe(200);
      expect(fates(body)).toEqual([
        '09:00 before-created',
        '10:00 before-created',
        '11:00 unclaimed',
        '12:00 unclaimed',
        '13:00 unclaimed',
        '14:00 unclaimed',
        '15:00 upcoming',
        '16:00 upcoming',
      ]);
      expect(body.slots[2]).toMatchObject({ at: '2026-11-23T11:00:00.000Z', wallClock: '2026-11-23T11:00:00+00:00', timezone: 'UTC', version: 1 });
      expect(body).toMatchObject({ truncated: false, manual: [], dst: [] });
    });

    it('backfills the open slots once: a dry run changes nothing, a second backfill adds nothing', async () => {
      const before = await h.snapshot();
      const dry = await backfill({ ...RANGE, dryRun: true });
      expect(dry.status).toBe(200);
      expect(dry.body.slots.map((s) => `${s.at.slice(11, 16)} ${s.fate} ${s.outcome}`)).toEqual([
        '11:00 unclaimed would-queue',
        '12:00 unclaimed would-queue',
        '13:00 unclaimed would-queue',
        '14:00 unclaimed would-queue',
      ]);
      expect(dry.body.passed).toEqual({ 'before-created': 2 });
      expect(await h.snapshot()).toBe(before);

      const done = await backfill(RANGE);
      expect(done.status).toBe(200);
      expect(done.body.slots.map((s) => s.outcome)).toEqual(['queued', 'queued', 'queued', 'queued']);
      const history = await h.system.executions.list('nightly-test', { limit: 10 });
      expect(history.map((e) => `${e.slot?.toISOString().slice(11, 16)} ${e.trigger} ${e.status} ${e.requestedBy}`).sort()).toEqual([
        '11:00 backfill queued api:test-operator',
        '12:00 backfill queued api:test-operator',
        '13:00 backfill queued api:test-operator',
        '14:00 backfill queued api:test-operator',
      ]);

      const again = await backfill(RANGE);
      expect(again.body.slots).toEqual([]);
      expect(again.body.passed).toEqual({ 'before-created': 2, backfilled: 4 });
      expect(await h.system.executions.list('nightly-test', { limit: 10 })).toHaveLength(4);

      const ledger = await get<SlotLedgerView>('/api/jobs/nightly-test/slots?from=2026-11-23T11:00:00Z&until=2026-11-23T14:00:00Z');
      expect(fates(ledger.body)).toEqual(['11:00 backfilled', '12:00 backfilled', '13:00 backfilled', '14:00 backfilled']);
      expect(ledger.body.slots[0]?.execution).toMatchObject({ trigger: 'backfill', status: 'queued', requestedBy: 'api:test-operator' });
    });

    it('with overlap skip, queues only what the job has room for and leaves the rest open', async () => {
      const done = await backfill({ ...RANGE, overlap: 'skip' });
      expect(done.body.slots.map((s) => s.outcome)).toEqual(['queued', 'no-room', 'no-room', 'no-room']);
      const ledger = await get<SlotLedgerView>('/api/jobs/nightly-test/slots?from=2026-11-23T11:00:00Z&until=2026-11-23T14:00:00Z');
      expect(fates(ledger.body)).toEqual(['11:00 backfilled', '12:00 unclaimed', '13:00 unclaimed', '14:00 unclaimed']);
    });

    it('explains an instant in words', async () => {
      await backfill({ ...RANGE, from: '2026-11-23T12:00:00Z', until: '2026-11-23T12:00:00Z' });
      const slot = await get<SlotExplanationView>('/api/jobs/nightly-test/explain?at=2026-11-23T12:00:00Z');
      expect(slot.status).toBe(200);
      expect(slot.body.sentence).toMatch(/^At 2026-11-23 12:00 UTC there was a slot: it was run by a backfill of api:test-operator as execution [0-9a-f]{8}… \(queued\)\.$/);
      const between = await get<SlotExplanationView>('/api/jobs/nightly-test/explain?at=2026-11-23T12:30');
      expect(between.body.sentence).toContain('there was no slot; the nearest slots: the slot at 2026-11-23 12:00 UTC was run by a backfill');
      expect(between.body.sentence).toContain('the slot at 2026-11-23 13:00 UTC passed with no scheduler deciding it');
    });

    it.each([
      { body: { until: '2026-11-23T12:00:00Z' }, field: 'from' },
      { body: { from: '2026-11-23T12:00:00Z' }, field: 'until' },
      { body: { from: 'yesterday', until: '2026-11-23T12:00:00Z' }, field: 'from' },
      { body: { from: '2026-11-23T12:00:00Z', until: '2026-11-23T11:00:00Z' }, field: 'until' },
      { body: { from: '2026-11-23T12:00:00Z', until: '2026-11-24T12:00:00Z' }, field: 'until' },
      { body: { ...RANGE, overlap: 'sometimes' }, field: 'overlap' },
      { body: { ...RANGE, extra: 1 }, field: 'extra' },
    ])('refuses backfill $body with 400 naming $field, changing nothing', async ({ body, field }) => {
      const before = await h.snapshot();
      const refused = await backfill(body);
      expect(refused.status).toBe(400);
      expect(refused.body.error?.field).toBe(field);
      expect(await h.snapshot()).toBe(before);
    });

    it('refuses a bad range or instant with 400 naming the field, a viewer\'s backfill with 403, an unknown job with 404', async () => {
      expect((await get('/api/jobs/nightly-test/slots?from=soon')).body.error?.field).toBe('from');
      expect((await get('/api/jobs/nightly-test/slots?from=2026-11-23T12:00:00Z&until=2026-11-23T11:00:00Z')).body.error?.field).toBe('until');
      expect((await get('/api/jobs/nightly-test/slots?limit=0')).body.error?.field).toBe('limit');
      expect((await get('/api/jobs/nightly-test/explain?at=2026-02-30T10:00')).body.error?.field).toBe('at');
      expect((await get('/api/jobs/nightly-test/explain')).body.error?.field).toBe('at');
      expect((await backfill(RANGE, 'viewer')).status).toBe(403);
      expect((await get('/api/jobs/nowhere/slots')).status).toBe(404);
      expect((await get('/api/jobs/nowhere/explain?at=2026-11-23T12:00:00Z')).status).toBe(404);
      const response = await h.call('POST', '/api/jobs/nowhere/backfill', { as: 'operator', body: RANGE });
      expect(response.status).toBe(404);
    });
  });
}
