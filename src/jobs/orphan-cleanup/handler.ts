import type { JobContext, JobOutcome } from '../../domain/config/job-type.js';
import { type CleanupCounts, executionRetentionCutoff, totalArchived } from '../../domain/grove/index.js';
import type { ArchivedPage, ArchivePage, MaintenanceStore } from '../../engine/ports.js';
import type { OrphanCleanupParameters } from './parameters.js';

export interface OrphanCleanupDeps {
  maintenance: MaintenanceStore;
}

const add = (a: CleanupCounts, b: CleanupCounts): CleanupCounts => ({
  usageEvents: a.usageEvents + b.usageEvents,
  executions: a.executions + b.executions,
  executionLogs: a.executionLogs + b.executionLogs,
});

const ZERO: CleanupCounts = { usageEvents: 0, executions: 0, executionLogs: 0 };

const describe = (counts: CleanupCounts) =>
  `${counts.usageEvents} orphaned usage event(s), ${counts.executions} execution(s) with ${counts.executionLogs} log line(s)`;

/**
 * Archives, then deletes, in pages of `batchSize`, each page one transaction: orphaned usage
 * events first, then execution history past `orphanThresholdDays`. The abort signal is
 * honoured between pages; pages already done stay done (a re-run continues).
 */
export async function executeOrphanCleanup(deps: OrphanCleanupDeps, context: JobContext<OrphanCleanupParameters>): Promise<JobOutcome> {
  const { parameters, batchSize } = context;
  // The job's clock, read once: every page uses the same cutoff and archive stamp.
  const now = context.now();
  const cleanEvents = parameters.entityTypes.includes('usage-events');
  const cleanExecutions = parameters.entityTypes.includes('executions');
  const cutoff = cleanExecutions ? executionRetentionCutoff(now, parameters.orphanThresholdDays) : undefined;
  const found = await deps.maintenance.countCleanup({ usageEvents: cleanEvents, executionsBefore: cutoff });
  // Items are rows: usage events plus executions (their log lines go with them).
  const total = found.usageEvents + found.executions;
  const base = { entityTypes: [...parameters.entityTypes], cutoff: cutoff?.toISOString() ?? null, orphanThresholdDays: parameters.orphanThresholdDays };
  context.log('info', `found ${describe(found)}`, { ...base, found });

  if (context.dryRun) {
    context.progress({ total, processed: 0, succeeded: 0, failed: 0 });
    return {
      summary: `dry run: would archive ${describe(found)}`,
      result: { ...base, dryRun: true, wouldArchive: found, archived: ZERO },
      items: { total, processed: 0, succeeded: 0, failed: 0 },
    };
  }

  let archived = ZERO;
  let pages = 0;
  const report = () => {
    const done = archived.usageEvents + archived.executions;
    // Rows may arrive or age past the cutoff while the run pages: the total grows with them.
    context.progress({ total: Math.max(total, done), processed: done, succeeded: done, failed: 0 });
  };

  const drain = async (archivePage: (page: ArchivePage) => Promise<ArchivedPage>) => {
    let after: string | null = null;
    for (;;) {
      context.signal.throwIfAborted();
      const page = await archivePage({ after, limit: batchSize, at: now, executionId: context.executionId });
      archived = add(archived, page.counts);
      pages += 1;
      report();
      if (!page.more || page.lastId === null) return;
      after = page.lastId;
    }
  };

  if (cleanEvents) await drain((page) => deps.maintenance.archiveOrphanUsageEvents(page));
  if (cutoff !== undefined) await drain((page) => deps.maintenance.archiveExecutionHistory({ ...page, before: cutoff }));

  const done = archived.usageEvents + archived.executions;
  context.log('info', `archived ${describe(archived)} in ${pages} page(s)`, { archived, pages });
  return {
    summary: totalArchived(archived) === 0 ? 'nothing to archive' : `archived ${describe(archived)}`,
    result: { ...base, dryRun: false, archived, pages },
    items: { total: Math.max(total, done), processed: done, succeeded: done, failed: 0 },
  };
}
