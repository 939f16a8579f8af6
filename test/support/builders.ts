import { z } from 'zod';
import { defineJobType, type JobConfigInput } from '../../src/domain/config/index.js';

/** A job type for tests: two parameters with defaults, a default schedule, a no-op handler. */
export const testJobType = defineJobType({
  name: 'test-job',
  description: 'A job type used by the tests',
  parameters: z.strictObject({
    mode: z.enum(['fast', 'thorough']).default('fast'),
    count: z.int().min(0).max(10).default(1),
    dryRun: z.boolean().default(false),
  }),
  defaults: {
    schedule: { cronExpression: '0 2 * * *' },
    limits: { batchSize: 100 },
  },
  execute: async () => ({ summary: 'done' }),
});

type Sections = Partial<Record<'schedule' | 'retry' | 'limits' | 'notifications' | 'parameters', Record<string, unknown>>>;

/** A config input with overrides per section, e.g. `aJobConfig({ schedule: { timezone: 'Europe/Berlin' } })`. */
export function aJobConfig(overrides: Sections & { id?: string; displayName?: string; jobType?: string } = {}): JobConfigInput {
  const { id = 'nightly-test', displayName = 'Nightly test', jobType = testJobType.name, ...sections } = overrides;
  return {
    meta: { id, title: displayName, description: 'A config built by the tests' },
    payload: {
      jobType,
      displayName,
      schedule: { cronExpression: '0 2 * * *', timezone: 'UTC', isEnabled: true, ...sections.schedule },
      retry: { maxAttempts: 3, backoffStrategy: 'exponential', initialDelaySeconds: 60, maxDelaySeconds: 3600, ...sections.retry },
      limits: { batchSize: 100, timeoutSeconds: 3600, maxConcurrent: 1, ...sections.limits },
      parameters: { mode: 'fast', ...sections.parameters },
      ...(sections.notifications ? { notifications: sections.notifications } : {}),
    },
  };
}
