import { z } from 'zod';
import { afterAll, describe, expect, it } from 'vitest';
import { createGroveJobs } from '../../src/app.js';
import { defineJobType } from '../../src/domain/config/index.js';
import { createNotifier, createWebhookNotifier, verifySignature } from '../../src/notify/index.js';
import { createSqlStore } from '../../src/store/sql-store.js';
import { FakeClock } from '../support/fake-clock.js';
import { startReceiver } from '../support/receiver.js';
import { assertPostgresReachable, pgliteFactory, postgresFactory, type SqlFactory } from '../support/test-store.js';

const SECRET = 'a-webhook-secret-of-some-length';

const failingJob = defineJobType({
  name: 'failing-job',
  description: 'Always fails',
  parameters: z.strictObject({}),
  execute: async () => {
    throw new Error('the upstream answered 503');
  },
});

for (const factory of [pgliteFactory(), postgresFactory()] as SqlFactory[]) {
  describe(`failure notifications on ${factory.name}`, () => {
    afterAll(() => factory.dispose());

    it('reach a webhook with a body signed by X-Grove-Signature, and never carry the secret', async () => {
      if (factory.name === 'PostgreSQL') await assertPostgresReachable();
      const receiver = await startReceiver();
      const clock = new FakeClock('2026-11-23T10:00:00Z');
      const notifier = createNotifier({ webhook: createWebhookNotifier({ sleep: async () => undefined }) });
      const system = createGroveJobs({ clock, store: createSqlStore(await factory.make()), jobTypes: [failingJob], notifier });
      try {
        await system.configs.create(
          {
            meta: { id: 'flaky-upstream' },
            payload: {
              jobType: 'failing-job',
              schedule: { cronExpression: '0 2 * * *', isEnabled: false },
              retry: { maxAttempts: 1 },
              notifications: { onFailure: true, channels: ['webhook'], webhookUrl: `${receiver.url}/hooks/grove`, webhookSecret: SECRET },
            },
          },
          { actor: 'test' },
        );
        await system.startWorker({ concurrency: 1 });
        const delivered = receiver.until((all) => all.length === 1);
        await system.executions.trigger('flaky-upstream', { requestedBy: 'test' });
        await delivered;

        const [request] = receiver.requests;
        expect(request?.url).toBe('/hooks/grove');
        expect(verifySignature(request?.body ?? '', SECRET, request?.headers['x-grove-signature'])).toBe(true);
        expect(verifySignature(request?.body ?? '', 'another-secret-entirely!', request?.headers['x-grove-signature'])).toBe(false);
        expect(JSON.parse(request?.body ?? '{}')).toMatchObject({
          kind: 'execution.failure',
          configId: 'flaky-upstream',
          execution: { status: 'failed', trigger: 'manual', attempt: 1, error: { message: 'the upstream answered 503' } },
          consecutiveFailures: 1,
        });
        expect(request?.body).not.toContain(SECRET);
      } finally {
        await system.close({ graceMs: 0 });
        await receiver.close();
      }
    });
  });
}
