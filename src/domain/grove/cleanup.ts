/** Orphan cleanup: which rows leave their tables for `archived_rows`, and why. */

export const CLEANUP_ENTITY_TYPES = ['usage-events', 'executions'] as const;
export type CleanupEntityType = (typeof CLEANUP_ENTITY_TYPES)[number];

/** The `reason` recorded with each archived row. */
export const ArchiveReason = {
  /** A usage event whose sprout no longer exists. */
  OrphanedUsageEvent: 'orphaned-usage-event',
  /** A finished execution (or one of its log lines) older than the retention threshold. */
  ExecutionRetention: 'execution-retention',
} as const;
export type ArchiveReason = (typeof ArchiveReason)[keyof typeof ArchiveReason];

const DAY_MS = 86_400_000;

/**
 * Finished executions that ended before this instant are history past retention. Whole days
 * of 24 h back from the job's clock time: retention is about age, not calendar dates.
 *
 * @example
 * executionRetentionCutoff(new Date('2026-04-01T03:00:00Z'), 90) // → 2026-01-01T03:00:00Z
 */
export function executionRetentionCutoff(now: Date, orphanThresholdDays: number): Date {
  return new Date(now.getTime() - orphanThresholdDays * DAY_MS);
}

/** Rows a cleanup archived (or, on a dry run, would archive). */
export interface CleanupCounts {
  usageEvents: number;
  executions: number;
  executionLogs: number;
}

export function totalArchived(counts: CleanupCounts): number {
  return counts.usageEvents + counts.executions + counts.executionLogs;
}
