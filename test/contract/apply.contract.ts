import { z } from 'zod';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createGroveJobs, type GroveJobs } from '../../src/app.js';
import { ConfigError, defineJobType } from '../../src/domain/config/index.js';
import type { Sql } from '../../src/store/sql.js';
import { createSqlStore } from '../../src/store/sql-store.js';
import { testJobType } from '../support/builders.js';
import { FakeClock } from '../support/fake-clock.js';
import type { SqlFactory } from '../support/test-store.js';


/** A type with a secret, to check that secrets are merged but never remembered in clear. */
const signedCall = defineJobType({
  name: 'signed-call',
  description: 'A call with a secret token',
  parameters: z.strictObject({ url: z.url(), token: z.string().min(16) }),
  secretParameters: ['token'],
  defaults: { schedule: { cronExpression: '*/5 * * * *' } },
  execute: async () => undefined,
});

const nightly = { meta: { id: 'nightly', title: 'Nightly' }, payload: { jobType: 'test-job', schedule: { cronExpression: '0 3 * * *' }, parameters: { count: 2 } } };
const hourly = { meta: { id: 'hourly' }, payload: { jobType: 'test-job', schedule: { cronExpression: '0 * * * *', timezone: 'Europe/Berlin' } } };

/** Declared configs applied over stored ones (ConfigService.apply), run unchanged on every driver. */
export function runApplyContract(factory: SqlFactory): void {
  describe(`configs declared in code on ${factory.name}`, () => {
    let sql: Sql;
    let clock: FakeClock;
    let system: GroveJobs;

    beforeEach(async () => {
      sql = await factory.make();
      clock = new FakeClock('2026-12-07T10:00:00Z');
      system = createGroveJobs({ clock, store: createSqlStore(sql), jobTypes: [testJobType, signedCall] });
    });
    afterAll(() => factory.dispose());

    it('creates the configs switched on; the same declarations again store no new version', async () => {
      const first = await system.configs.apply([nightly, hourly], { actor: 'code' });
      expect(first.map((r) => [r.id, r.outcome, r.version])).toEqual([['nightly', 'created', 1], ['hourly', 'created', 1]]);
      const stored = await system.configs.get('nightly');
      expect(stored.payload.schedule).toMatchObject({ cronExpression: '0 3 * * *', isEnabled: true });
      expect(stored.payload.parameters).toEqual({ mode: 'fast', count: 2, dryRun: false });
      expect(stored.meta.createdBy).toBe('code');
      for (let restart = 0; restart < 2; restart++) {
        const again = await system.configs.apply([nightly, hourly], { actor: 'code' });
        expect(again.map((r) => [r.id, r.outcome, r.version])).toEqual([['nightly', 'unchanged', 1], ['hourly', 'unchanged', 1]]);
      }
      expect(await system.configs.versions('nightly')).toHaveLength(1);
    });

    it('updates what the declaration changed, keeps an operator’s edit of another field, and reports an edit of a declared field as a conflict', async () => {
      await system.configs.apply([nightly], { actor: 'code' });
      // An operator changes the batch size (not declared) and the cron (declared).
      await system.configs.patch('nightly', { payload: { limits: { batchSize: 7 }, schedule: { cronExpression: '30 3 * * *' } } }, { actor: 'ops' });
      // The code changes the parameters: only that field moves.
      const changed = { ...nightly, payload: { ...nightly.payload, parameters: { count: 5 } } };
      const [result] = await system.configs.apply([changed], { actor: 'code' });
      expect(result).toMatchObject({ outcome: 'updated', version: 3, set: ['payload.parameters.count'], reverted: [] });
      // The cron the code still declares differs from the operator's: theirs stays, and the apply says so.
      const byOps = { manager: 'ops', by: 'ops', at: '2026-12-07T10:00:00.000Z', version: 2 };
      expect(result?.conflicts).toEqual([{ path: 'payload.schedule.cronExpression', declared: '0 3 * * *', live: '30 3 * * *', owner: byOps }]);
      let stored = await system.configs.get('nightly');
      expect(stored.payload.limits.batchSize).toBe(7);
      expect(stored.payload.schedule.cronExpression).toBe('30 3 * * *');
      expect(stored.payload.parameters['count']).toBe(5);

      // The declaration now says 04:00: the operator changed the cron since, so theirs stays and the conflict is told.
      const moved = { ...changed, payload: { ...changed.payload, schedule: { cronExpression: '0 4 * * *' } } };
      const [kept] = await system.configs.apply([moved], { actor: 'code' });
      expect(kept).toMatchObject({ outcome: 'unchanged', version: 3 });
      expect(kept?.conflicts).toEqual([{ path: 'payload.schedule.cronExpression', declared: '0 4 * * *', live: '30 3 * * *', owner: byOps }]);
      // Forced, the declaration takes it back.
      const [forced] = await system.configs.apply([moved], { actor: 'code', force: true });
      expect(forced).toMatchObject({ outcome: 'updated', version: 4, set: ['payload.schedule.cronExpression'] });
      stored = await system.configs.get('nightly');
      expect(stored.payload.schedule.cronExpression).toBe('0 4 * * *');
      expect((await system.configs.apply([moved], { actor: 'code' }))[0]).toMatchObject({ outcome: 'unchanged', conflicts: [] });
    });

    it('returns a field the declaration no longer states to its default, unless someone changed it since', async () => {
      await system.configs.apply([nightly], { actor: 'code' });
      const withoutCount = { ...nightly, payload: { ...nightly.payload, parameters: {} } };
      const [result] = await system.configs.apply([withoutCount], { actor: 'code' });
      expect(result).toMatchObject({ outcome: 'updated', reverted: ['payload.parameters.count'] });
      expect((await system.configs.get('nightly')).payload.parameters['count']).toBe(1);
    });

    it('refuses a bad declaration naming its index and field, and changes nothing', async () => {
      const bad = { meta: { id: 'broken' }, payload: { jobType: 'test-job', limits: { batchSize: 'fifty' } } };
      const error = await system.configs.apply([hourly, bad], { actor: 'code' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toMatch(/^configs\[1\]\.payload\.limits\.batchSize: /);
      expect(await system.configs.list()).toEqual([]);
      const twice = await system.configs.apply([hourly, hourly], { actor: 'code' }).catch((e: unknown) => e);
      expect((twice as ConfigError).message).toBe("configs[1].meta.id: 'hourly' is declared twice (first in configs[0])");
    });

    it('merges a secret like any field but remembers only its fingerprint', async () => {
      const call = { meta: { id: 'call' }, payload: { jobType: 'signed-call', parameters: { url: 'https://example.test/hook', token: 'a-very-secret-token-1' } } };
      await system.configs.apply([call], { actor: 'code' });
      expect((await system.configs.apply([call], { actor: 'code' }))[0]?.outcome).toBe('unchanged');
      const remembered = await sql.query<{ stated: Record<string, unknown> }>({ name: '', text: `select stated from config_applied where config_id = 'call'` });
      expect(JSON.stringify(remembered)).not.toContain('a-very-secret-token-1');
      expect(remembered[0]?.stated['payload.parameters.token']).toMatch(/^sha256:[0-9a-f]{64}$/);
      const rotated = { ...call, payload: { ...call.payload, parameters: { ...call.payload.parameters, token: 'a-very-secret-token-2' } } };
      expect((await system.configs.apply([rotated], { actor: 'code' }))[0]).toMatchObject({ outcome: 'updated', set: ['payload.parameters.token'], conflicts: [] });
      const opened = system.configs.secrets.open(await system.configs.get('call'));
      expect(opened.payload.parameters['token']).toBe('a-very-secret-token-2');
    });

    it('creates a config switched off when asked to, as the console does', async () => {
      await system.configs.apply([hourly], { actor: 'cli', manager: 'files', enableNew: false });
      expect((await system.configs.get('hourly')).payload.schedule.isEnabled).toBe(false);
    });

    describe('field ownership (grove-jobs apply)', () => {
      const files = { manager: 'files', onConflict: 'stop' as const };

      it('records who set each field: the declaration what it states, an operator what they change', async () => {
        await system.configs.apply([nightly], files);
        let owners = await system.configs.owners('nightly');
        expect(owners['payload.schedule.cronExpression']).toEqual({ manager: 'apply:files', by: 'apply:files', at: '2026-12-07T10:00:00.000Z', version: 1 });
        expect(owners['payload.limits.batchSize']).toBeUndefined();
        clock.advanceBy(60_000);
        await system.configs.patch('nightly', { payload: { limits: { batchSize: 9 } } }, { actor: 'api:ops-token' });
        owners = await system.configs.owners('nightly');
        expect(owners['payload.limits.batchSize']).toEqual({ manager: 'api', by: 'api:ops-token', at: '2026-12-07T10:01:00.000Z', version: 2 });
        expect(owners['payload.schedule.cronExpression']?.manager).toBe('apply:files');
      });

      it('keeps an operator’s edit of another field and the file’s fields across applies, storing no new version', async () => {
        await system.configs.apply([nightly], files);
        await system.configs.patch('nightly', { payload: { limits: { batchSize: 9 } } }, { actor: 'cli:alice' });
        const [again] = await system.configs.apply([nightly], files);
        expect(again).toMatchObject({ outcome: 'unchanged', version: 2, conflicts: [] });
        const stored = await system.configs.get('nightly');
        expect(stored.payload.limits.batchSize).toBe(9);
        expect(stored.payload.schedule.cronExpression).toBe('0 3 * * *');
      });

      it('stops on an operator’s edit of a field the files state, changing nothing; --force takes it back and says so in the version', async () => {
        const other = { meta: { id: 'other' }, payload: { jobType: 'test-job', schedule: { cronExpression: '0 5 * * *' } } };
        await system.configs.apply([nightly, other], files);
        clock.advanceBy(60_000);
        await system.configs.patch('nightly', { payload: { schedule: { cronExpression: '30 3 * * *' } } }, { actor: 'console:ops' });
        const otherChanged = { ...other, payload: { ...other.payload, schedule: { cronExpression: '0 6 * * *' } } };
        const stopped = await system.configs.apply([nightly, otherChanged], files);
        expect(stopped.find((r) => r.id === 'nightly')?.conflicts).toEqual([
          {
            path: 'payload.schedule.cronExpression',
            declared: '0 3 * * *',
            live: '30 3 * * *',
            owner: { manager: 'console', by: 'console:ops', at: '2026-12-07T10:01:00.000Z', version: 2 },
          },
        ]);
        // Nothing applied, the other config's change included.
        expect((await system.configs.get('other')).payload.schedule.cronExpression).toBe('0 5 * * *');
        expect((await system.configs.get('nightly')).payload.schedule.cronExpression).toBe('30 3 * * *');

        const forced = await system.configs.apply([nightly, otherChanged], { ...files, force: true, message: 'release 42' });
        expect(forced.map((r) => [r.id, r.outcome])).toEqual([['nightly', 'updated'], ['other', 'updated']]);
        expect((await system.configs.get('nightly')).payload.schedule.cronExpression).toBe('0 3 * * *');
        const [latest] = await system.configs.versions('nightly');
        expect(latest).toMatchObject({ changedBy: 'apply:files', message: 'release 42; taken back by force: payload.schedule.cronExpression (from console:ops)' });
        expect((await system.configs.owners('nightly'))['payload.schedule.cronExpression']?.manager).toBe('apply:files');
        expect((await system.configs.apply([nightly, otherChanged], files)).map((r) => r.outcome)).toEqual(['unchanged', 'unchanged']);
      });

      it('takes fields of the configs Grove Jobs installed itself without a conflict', async () => {
        await system.configs.create(hourly, { actor: 'grove-jobs (defaults)', manager: 'system' });
        const [result] = await system.configs.apply([{ ...hourly, payload: { ...hourly.payload, schedule: { cronExpression: '15 * * * *' } } }], files);
        expect(result).toMatchObject({ outcome: 'updated', conflicts: [], set: ['payload.schedule.cronExpression'] });
        expect(result?.changes).toEqual([
          { path: 'payload.schedule.cronExpression', from: '0 * * * *', to: '15 * * * *', owner: { manager: 'system', by: 'grove-jobs (defaults)', at: '2026-12-07T10:00:00.000Z', version: 1 } },
        ]);
        expect(result?.schedule).toEqual({
          before: { cronExpression: '0 * * * *', timezone: 'Europe/Berlin', isEnabled: false },
          after: { cronExpression: '15 * * * *', timezone: 'Europe/Berlin', isEnabled: false },
        });
      });

      it('applies nothing when someone else writes a config between the plan and the writes, and says which', async () => {
        const other = { meta: { id: 'other' }, payload: { jobType: 'test-job', schedule: { cronExpression: '0 5 * * *' } } };
        await system.configs.apply([nightly, other], files);
        const store = createSqlStore(sql);
        const operator = createGroveJobs({ clock, store, jobTypes: [testJobType, signedCall] });
        // An operator's save lands after the apply has planned, before it writes.
        const racing = createGroveJobs({
          clock,
          store: { ...store, applyConfigs: async (writes) => {
            await operator.configs.patch('other', { payload: { limits: { batchSize: 4 } } }, { actor: 'console:ops' });
            return store.applyConfigs(writes);
          } },
          jobTypes: [testJobType, signedCall],
        });
        const moved = (config: typeof nightly | typeof other, cron: string) => ({ ...config, payload: { ...config.payload, schedule: { cronExpression: cron } } });
        const error = await racing.configs.apply([moved(nightly, '0 1 * * *'), moved(other, '0 6 * * *')], files).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).message).toBe("job config 'other' was changed by someone else during the apply; nothing was applied");
        expect((await system.configs.get('nightly')).payload.schedule.cronExpression).toBe('0 3 * * *');
        expect((await system.configs.get('other')).payload.limits.batchSize).toBe(4);
      });

      it('plans without writing on a dry run', async () => {
        const [planned] = await system.configs.apply([nightly], { ...files, dryRun: true });
        expect(planned).toMatchObject({ id: 'nightly', outcome: 'created' });
        expect(await system.configs.list()).toEqual([]);
      });

      it('prunes the configs it wholly owns that no file names any more, and only those', async () => {
        const edited = { meta: { id: 'edited' }, payload: { jobType: 'test-job', schedule: { cronExpression: '0 7 * * *' } } };
        const theirs = { meta: { id: 'theirs' }, payload: { jobType: 'test-job', schedule: { cronExpression: '0 8 * * *' } } };
        await system.configs.apply([nightly, hourly, edited], files);
        await system.configs.patch('edited', { payload: { limits: { batchSize: 3 } } }, { actor: 'api:ops' });
        await system.configs.apply([theirs], { ...files, manager: 'other-team' });
        const pruned = await system.configs.apply([nightly], { ...files, prune: true });
        expect(pruned.map((r) => [r.id, r.outcome])).toEqual([['nightly', 'unchanged'], ['hourly', 'deleted']]);
        expect((await system.configs.list()).map((c) => c.meta.id)).toEqual(['edited', 'nightly', 'theirs']);
      });
    });
  });
}
