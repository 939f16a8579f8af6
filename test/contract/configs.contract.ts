import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createGroveJobs, type GroveJobs } from '../../src/app.js';
import { ConfigError, ConfigErrorCode } from '../../src/domain/config/index.js';
import { migrate } from '../../src/store/migrate.js';
import type { Sql } from '../../src/store/sql.js';
import { createSqlStore } from '../../src/store/sql-store.js';
import { aJobConfig, testJobType } from '../support/builders.js';
import { FakeClock } from '../support/fake-clock.js';
import type { SqlFactory } from '../support/test-store.js';

async function refusal(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

/** The job-config contract, run unchanged on every driver. */
export function runConfigContract(factory: SqlFactory): void {
  describe(`job configs on ${factory.name}`, () => {
    let sql: Sql;
    let clock: FakeClock;
    let system: GroveJobs;

    beforeEach(async () => {
      sql = await factory.make();
      clock = new FakeClock('2026-11-23T10:00:00Z');
      system = createGroveJobs({ clock, store: createSqlStore(sql), jobTypes: [testJobType] });
    });
    afterAll(() => factory.dispose());

    it('creates version 1 with omitted sections taken from the job type, then the system', async () => {
      const created = await system.configs.create({ meta: { id: 'bare' }, payload: { jobType: 'test-job' } }, { actor: 'ana' });
      expect(created.meta).toMatchObject({ id: 'bare', type: 'job-config', version: 1, createdBy: 'ana', updatedBy: 'ana', title: 'bare' });
      expect(created.meta.createdAt).toBe('2026-11-23T10:00:00.000Z');
      expect(created.payload.schedule).toEqual({
        cronExpression: '0 2 * * *',
        timezone: 'UTC',
        // Never the type's to decide: a new config is switched off (the system default).
        isEnabled: false,
        misfirePolicy: 'run-once',
        catchupWindowSeconds: 3600,
        overlapPolicy: 'skip',
      });
      expect(created.payload.retry).toEqual({ maxAttempts: 3, backoffStrategy: 'exponential', initialDelaySeconds: 60, maxDelaySeconds: 3600 });
      expect(created.payload.parameters).toEqual({ mode: 'fast', count: 1, dryRun: false });
      expect(await system.configs.get('bare')).toEqual(created);
    });

    it('stores every change as a new version with who, when and what changed', async () => {
      await system.configs.create(aJobConfig({ id: 'nightly' }), { actor: 'ana' });
      await clock.advanceBy(60_000);
      const changed = await system.configs.patch(
        'nightly',
        { payload: { schedule: { cronExpression: '0 3 * * *' }, limits: { batchSize: 50 } } },
        { actor: 'ben', expectedVersion: 1 },
      );
      expect(changed.meta.version).toBe(2);
      expect(changed.meta.updatedBy).toBe('ben');
      expect(changed.meta.createdBy).toBe('ana');

      const versions = await system.configs.versions('nightly');
      expect(versions.map((v) => v.version)).toEqual([2, 1]);
      expect(versions[0]).toMatchObject({ changedBy: 'ben', changedAt: new Date('2026-11-23T10:01:00Z') });
      expect(versions[0]?.changes).toEqual([
        { path: 'payload.limits.batchSize', from: 100, to: 50 },
        { path: 'payload.schedule.cronExpression', from: '0 2 * * *', to: '0 3 * * *' },
      ]);
      expect(versions[1]?.config.payload.schedule.cronExpression).toBe('0 2 * * *');
    });

    it('restores an earlier version as a new version', async () => {
      await system.configs.create(aJobConfig({ id: 'nightly' }), { actor: 'ana' });
      await system.configs.patch('nightly', { payload: { schedule: { cronExpression: '0 3 * * *' } } }, { actor: 'ben' });
      const restored = await system.configs.restore('nightly', 1, { actor: 'cy', expectedVersion: 2 });
      expect(restored.meta.version).toBe(3);
      expect(restored.payload.schedule.cronExpression).toBe('0 2 * * *');
      const [latest] = await system.configs.versions('nightly');
      expect(latest).toMatchObject({ version: 3, restoredFrom: 1, changedBy: 'cy' });
      expect(latest?.changes).toEqual([{ path: 'payload.schedule.cronExpression', from: '0 3 * * *', to: '0 2 * * *' }]);
    });

    it('refuses a write based on a stale version and changes nothing', async () => {
      await system.configs.create(aJobConfig({ id: 'nightly' }), { actor: 'ana' });
      await system.configs.setEnabled('nightly', false, { actor: 'ben', expectedVersion: 1 });
      const error = await refusal(system.configs.patch('nightly', { payload: { limits: { batchSize: 7 } } }, { actor: 'cy', expectedVersion: 1 }));
      expect(error.code).toBe(ConfigErrorCode.VersionConflict);
      expect(error.message).toContain('version 2, not 1');
      const current = await system.configs.get('nightly');
      expect(current.meta.version).toBe(2);
      expect(current.payload.limits.batchSize).toBe(100);
      expect(await system.configs.versions('nightly')).toHaveLength(2);
    });

    it('lets exactly one of two writers based on the same version win', async () => {
      await system.configs.create(aJobConfig({ id: 'nightly' }), { actor: 'ana' });
      const results = await Promise.allSettled([
        system.configs.patch('nightly', { payload: { limits: { batchSize: 10 } } }, { actor: 'ben', expectedVersion: 1 }),
        system.configs.patch('nightly', { payload: { limits: { batchSize: 20 } } }, { actor: 'cy', expectedVersion: 1 }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect((loser.reason as ConfigError).code).toBe(ConfigErrorCode.VersionConflict);
      expect((await system.configs.get('nightly')).meta.version).toBe(2);
      expect(await system.configs.versions('nightly')).toHaveLength(2);
    });

    it('applies concurrent changes not pinned to a version one after the other', async () => {
      await system.configs.create(aJobConfig({ id: 'nightly' }), { actor: 'ana' });
      await Promise.all([
        system.configs.patch('nightly', { payload: { limits: { batchSize: 10 } } }, { actor: 'ben' }),
        system.configs.patch('nightly', { payload: { schedule: { cronExpression: '0 4 * * *' } } }, { actor: 'cy' }),
        system.configs.setEnabled('nightly', false, { actor: 'dee' }),
      ]);
      const current = await system.configs.get('nightly');
      expect(current.meta.version).toBe(4);
      expect(current.payload.limits.batchSize).toBe(10);
      expect(current.payload.schedule).toMatchObject({ cronExpression: '0 4 * * *', isEnabled: false });
    });

    it('refuses an invalid cron expression naming the field, and stores nothing', async () => {
      const error = await refusal(system.configs.create(aJobConfig({ id: 'bad', schedule: { cronExpression: '61 2 * * *' } }), { actor: 'ana' }));
      expect(error.code).toBe(ConfigErrorCode.Invalid);
      expect(error.message).toBe('payload.schedule.cronExpression: minute value 61 is out of range 0-59');
      expect(error.issues[0]).toMatchObject({ path: 'payload.schedule.cronExpression', code: 'E_RANGE' });
      expect(await system.configs.list()).toEqual([]);
    });

    it('refuses an invalid change naming the field, leaving the stored version as it was', async () => {
      await system.configs.create(aJobConfig({ id: 'nightly' }), { actor: 'ana' });
      const cases: Array<[unknown, string]> = [
        [{ payload: { schedule: { timezone: 'Mars/Olympus' } } }, 'payload.schedule.timezone'],
        [{ payload: { parameters: { count: 11 } } }, 'payload.parameters.count'],
        [{ payload: { parameters: { colour: 'red' } } }, 'payload.parameters.colour'],
        [{ payload: { limits: { batchSize: 0 } } }, 'payload.limits.batchSize'],
        [{ payload: { retry: { maxDelaySeconds: 1 } } }, 'payload.retry.maxDelaySeconds'],
        [{ payload: { schedule: { misfirePolicy: 'sometimes' } } }, 'payload.schedule.misfirePolicy'],
        [{ payload: { schedule: { misfireGraceSeconds: 0 } } }, 'payload.schedule.misfireGraceSeconds'],
        [{ payload: { schedule: { misfireGraceSeconds: 1.5 } } }, 'payload.schedule.misfireGraceSeconds'],
        [{ payload: { schedule: { misfireGraceSeconds: 86_401 } } }, 'payload.schedule.misfireGraceSeconds'],
        [{ payload: { schedule: { misfireGraceSeconds: '60' } } }, 'payload.schedule.misfireGraceSeconds'],
        [{ payload: { notifications: { channels: ['webhook'] } } }, 'payload.notifications.webhookUrl'],
        [{ payload: { jobType: 'no-such-type' } }, 'payload.jobType'],
        [{ payload: { schedule: { cronExpresion: '0 1 * * *' } } }, 'payload.schedule.cronExpresion'],
        [{ meta: { id: 'renamed' } }, 'meta.id'],
      ];
      for (const [patch, path] of cases) {
        const error = await refusal(system.configs.patch('nightly', patch, { actor: 'ben' }));
        expect(error.code, path).toBe(ConfigErrorCode.Invalid);
        expect(error.issues.map((i) => i.path), JSON.stringify(patch)).toContain(path);
        expect(error.message.startsWith(`${path}: `) || error.issues.length > 1).toBe(true);
      }
      const current = await system.configs.get('nightly');
      expect(current.meta.version).toBe(1);
      expect(await system.configs.versions('nightly')).toHaveLength(1);
    });

    it('refuses a second config with a taken id', async () => {
      await system.configs.create(aJobConfig({ id: 'nightly' }), { actor: 'ana' });
      const error = await refusal(system.configs.create(aJobConfig({ id: 'nightly', displayName: 'Other' }), { actor: 'ben' }));
      expect(error.code).toBe(ConfigErrorCode.Exists);
      expect((await system.configs.get('nightly')).payload.displayName).toBe('Nightly test');
    });

    it('records no new version when a change changes nothing', async () => {
      await system.configs.create(aJobConfig({ id: 'nightly' }), { actor: 'ana' });
      const same = await system.configs.patch('nightly', { payload: { limits: { batchSize: 100 } } }, { actor: 'ben' });
      expect(same.meta.version).toBe(1);
      expect(await system.configs.versions('nightly')).toHaveLength(1);
    });

    it('reports unknown configs and versions', async () => {
      expect((await refusal(system.configs.get('ghost'))).code).toBe(ConfigErrorCode.NotFound);
      await system.configs.create(aJobConfig({ id: 'nightly' }), { actor: 'ana' });
      expect((await refusal(system.configs.restore('nightly', 9, { actor: 'ana' }))).code).toBe(ConfigErrorCode.VersionNotFound);
    });

    it('migrates once: a second run applies nothing', async () => {
      expect((await migrate(sql)).applied).toEqual([]);
    });
  });
}
