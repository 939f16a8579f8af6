import { defineJobType } from '../../domain/config/job-type.js';
import type { AdvancementStore } from '../../engine/ports.js';
import { executeAdvancementBatch } from './handler.js';
import { advancementBatchParameters } from './parameters.js';

export { ADVANCEMENT_SAMPLE_SIZE, type AdvancementBatchResult, executeAdvancementBatch } from './handler.js';
export { advancementBatchParameters, type AdvancementBatchParameters } from './parameters.js';

/**
 * The daily tier advancement (SPEC §5): every candidate sprout, page by page, against the
 * enabled rules; each page's tier changes and their audit events commit together.
 */
export function advancementBatchJobType(deps: { advancement: AdvancementStore }) {
  return defineJobType({
    name: 'advancement-batch',
    description:
      'Evaluates every sprout of the selected tiers (default: every tier with an enabled rule) against the advancement rules, ' +
      'in keyset pages of batchSize; the first matching rule moves a sprout one tier, with an audit event holding the criteria ' +
      'results, the signal snapshot and the execution id, committed with the change page by page. dryRun reports what would advance.',
    parameters: advancementBatchParameters,
    defaults: {
      schedule: { cronExpression: '0 2 * * *', timezone: 'UTC' },
      retry: { maxAttempts: 3, backoffStrategy: 'exponential', initialDelaySeconds: 60, maxDelaySeconds: 3600 },
      limits: { batchSize: 100, timeoutSeconds: 3600, maxConcurrent: 1 },
    },
    changesData: true,
    usesBatchSize: true,
    // processed: sprouts evaluated (with those skipped for want of signals); succeeded: advanced.
    counterLabels: { processed: 'Evaluated', succeeded: 'Advanced' },
    execute: executeAdvancementBatch(deps),
  });
}
