import { defineJobType } from '../../domain/config/job-type.js';
import { executeOrphanCleanup, type OrphanCleanupDeps } from './handler.js';
import { orphanCleanupParameters } from './parameters.js';

export { executeOrphanCleanup, type OrphanCleanupDeps } from './handler.js';
export { orphanCleanupParameters, type OrphanCleanupParameters } from './parameters.js';

/**
 * Archives, never silently deletes: each row leaves its table only as a whole-row copy in
 * `archived_rows` (source table and id, the cleanup's execution id, the reason).
 */
export function orphanCleanupJobType(deps: OrphanCleanupDeps) {
  return defineJobType({
    name: 'orphan-cleanup',
    description:
      'Moves usage events of sprouts that no longer exist, and finished executions (with their log lines) older than ' +
      'orphanThresholdDays, into archived_rows, in pages of batchSize, each page one transaction. Queued and running executions ' +
      'are never touched. Dry run counts only.',
    parameters: orphanCleanupParameters,
    defaults: { schedule: { cronExpression: '30 3 * * 0' }, limits: { batchSize: 1000 } },
    changesData: true,
    usesBatchSize: true,
    counterLabels: { succeeded: 'Archived' },
    execute: (context) => executeOrphanCleanup(deps, context),
  });
}
