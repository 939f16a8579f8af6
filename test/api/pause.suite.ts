import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { aJobConfig } from '../support/builders.js';
import type { SqlFactory } from '../support/test-store.js';
import { type ApiHarness, makeHarness } from './support.js';

interface Job {
  paused: { at: string; reason: string | null; until: string | null; by: string | null } | null;
  nextRuns: string[];
  payload: { schedule: { isEnabled: boolean } };
  error?: { code: string; field?: string; message: string };
}

/** `POST /api/jobs/{id}/pause` and `/resume`, on every driver. The harness clock reads 2026-11-23T10:00:00Z. */
export function runPauseRoutesSuite(factory: SqlFactory): void {
  describe(`pause and resume of a job through the API on ${factory.name}`, () => {
    let h: ApiHarness;
    beforeEach(async () => {
      h = await makeHarness(await factory.make());
      const created = await h.call('POST', '/api/jobs', { body: aJobConfig({ schedule: { cronExpression: '0 * * * *', timezone: 'UTC', isEnabled: true } }) });
      expect(created.status).toBe(201);
    });
    afterAll(() => factory.dispose());

    const post = async (path: string, body?: unknown, as: 'operator' | 'viewer' = 'operator') => {
      const response = await h.call('POST', path, { as, ...(body === undefined ? {} : { body }) });
      return { status: response.status, body: (await response.json()) as Job };
    };

    it('pauses with a reason and an end, shows who paused it and no runs before the end, and resumes', async () => {
      const paused = await post('/api/jobs/nightly-test/pause', { reason: 'supplier maintenance', until: '2026-11-23T12:30:00Z' });
      expect(paused.status).toBe(200);
      expect(paused.body.paused).toEqual({ at: '2026-11-23T10:00:00.000Z', reason: 'supplier maintenance', until: '2026-11-23T12:30:00.000Z', by: 'api:test-operator' });
      expect(paused.body.payload.schedule.isEnabled).toBe(true);
      expect(paused.body.nextRuns[0]).toBe('2026-11-23T13:00:00.000Z');

      const read = await h.call('GET', '/api/jobs/nightly-test', { as: 'viewer' });
      expect(((await read.json()) as Job).paused?.by).toBe('api:test-operator');

      const resumed = await post('/api/jobs/nightly-test/resume');
      expect(resumed.status).toBe(200);
      expect(resumed.body.paused).toBeNull();
      expect(resumed.body.nextRuns[0]).toBe('2026-11-23T11:00:00.000Z');
    });

    it('shows no next runs while paused until resumed', async () => {
      const paused = await post('/api/jobs/nightly-test/pause', { reason: 'investigating' });
      expect(paused.body.paused).toMatchObject({ until: null, reason: 'investigating' });
      expect(paused.body.nextRuns).toEqual([]);
    });

    it.each([
      { body: {}, field: 'reason' },
      { body: { reason: '' }, field: 'reason' },
      { body: { reason: '   ' }, field: 'reason' },
      { body: { reason: 'x'.repeat(501) }, field: 'reason' },
      { body: { reason: 'r', until: 'tomorrow' }, field: 'until' },
      { body: { reason: 'r', until: '2026-11-23T09:00:00Z' }, field: 'until' },
      { body: { reason: 'r', other: 1 }, field: 'other' },
    ])('refuses $body with 400 naming $field, changing nothing', async ({ body, field }) => {
      const refused = await post('/api/jobs/nightly-test/pause', body);
      expect(refused.status).toBe(400);
      expect(refused.body.error?.field).toBe(field);
      expect(((await (await h.call('GET', '/api/jobs/nightly-test', { as: 'viewer' })).json()) as Job).paused).toBeNull();
    });

    it('answers 404 for an unknown job and 403 for a viewer', async () => {
      expect((await post('/api/jobs/nowhere/pause', { reason: 'r' })).status).toBe(404);
      expect((await post('/api/jobs/nowhere/resume')).status).toBe(404);
      expect((await post('/api/jobs/nightly-test/pause', { reason: 'r' }, 'viewer')).status).toBe(403);
      expect((await post('/api/jobs/nightly-test/resume', undefined, 'viewer')).status).toBe(403);
    });
  });
}
