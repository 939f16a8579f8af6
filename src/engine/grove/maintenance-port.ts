import type { CleanupCounts, DigestContent, DigestSection, DigestWindow, MigrationState } from '../../domain/grove/index.js';

/** One page of an archiving pass: keyset position, size and who archives. */
export interface ArchivePage {
  /** Continue after this source id (exclusive); null: from the start. */
  after: string | null;
  /** Rows (usage events) or executions per page; each page commits as one transaction. */
  limit: number;
  /** Stamped on the archived rows (job clock). */
  at: Date;
  /** The cleanup execution, recorded with each archived row. */
  executionId: string;
}

export interface ArchivedPage {
  /** Rows moved out of their table by this page, per kind. */
  counts: CleanupCounts;
  /** Keyset position for the next page; null when the page was empty. */
  lastId: string | null;
  /** False when the page was not full: nothing more to archive. */
  more: boolean;
}

/** What the database said about itself in one round trip. */
export interface DatabaseProbe {
  /** The database's now() (its clock, not the job's). */
  databaseNow: Date;
  migrations: MigrationState;
}

/**
 * The store side of the maintenance jobs (notification digest, orphan cleanup, health check).
 * Time always comes in as an argument: the store never reads the clock except in
 * `probeDatabase`, whose point is the database's own clock.
 */
export interface MaintenanceStore {
  /** Where the previous digest of this config stopped; undefined before the first one. */
  getDigestCursor(configId: string): Promise<Date | undefined>;
  /**
   * Moves the digest cursor of `configId` from `from` (undefined: no cursor yet) to `to`, only if
   * it is still at `from`. False, with nothing changed, when another run moved it first: that run
   * delivers the window, this one must not repeat it.
   */
  advanceDigestCursor(configId: string, from: Date | undefined, to: Date, executionId: string): Promise<boolean>;
  /**
   * The sections' contents in the window (since, until]: failed and timed-out executions of
   * every config by `finished_at`, `auto-advancement` and `bulk-rollback` events by
   * `created_at`. Totals and grouped counts cover the whole window; items are the newest `itemLimit`.
   */
  collectDigest(window: DigestWindow, sections: readonly DigestSection[], itemLimit: number): Promise<DigestContent>;

  /**
   * What a cleanup would archive now: usage events whose sprout does not exist, finished
   * executions that ended before `executionsBefore` and their log lines. Kinds not asked for count 0.
   */
  countCleanup(input: { usageEvents: boolean; executionsBefore: Date | undefined }): Promise<CleanupCounts>;
  /** Archives and deletes one page of orphaned usage events (id order), in one transaction. */
  archiveOrphanUsageEvents(page: ArchivePage): Promise<ArchivedPage>;
  /**
   * Archives and deletes one page of finished executions that ended before `before`, with
   * their log lines, in one transaction. Queued and running executions are never touched.
   */
  archiveExecutionHistory(page: ArchivePage & { before: Date }): Promise<ArchivedPage>;

  /** One round trip: the database's clock and its applied migrations, with this process's files. */
  probeDatabase(): Promise<DatabaseProbe>;
}
