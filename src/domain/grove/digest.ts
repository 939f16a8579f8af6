/**
 * The notification digest: what happened since the last digest of a config, in three
 * sections. Pure: the store collects the rows, the job decides the window and delivers.
 */

export const DIGEST_SECTIONS = ['failures', 'advancements', 'rollbacks'] as const;
export type DigestSection = (typeof DIGEST_SECTIONS)[number];

/**
 * Items listed per section: the most recent ones. Totals and the grouped counts always
 * cover the whole window; a night of a million advancements must not become a million-line
 * webhook body.
 */
export const DIGEST_ITEM_LIMIT = 100;

/** The half-open interval (since, until] a digest covers. */
export interface DigestWindow {
  since: Date;
  until: Date;
}

export interface DigestWindowPlan extends DigestWindow {
  /** No earlier digest: the window starts `lookbackHours` before now. */
  first: boolean;
}

const HOUR_MS = 3_600_000;

/**
 * The window of the next digest: from where the previous one stopped (or `lookbackHours`
 * back when there was none) up to now. A clock that went backwards yields an empty window
 * at the previous end instead of repeating what was sent.
 *
 * @example
 * planDigestWindow({ coveredUntil: undefined, now: new Date('2026-01-02T08:00:00Z'), lookbackHours: 24 })
 * // → since 2026-01-01T08:00:00Z, until 2026-01-02T08:00:00Z, first: true
 */
export function planDigestWindow(input: { coveredUntil: Date | undefined; now: Date; lookbackHours: number }): DigestWindowPlan {
  const { coveredUntil, now, lookbackHours } = input;
  if (coveredUntil === undefined) return { since: new Date(now.getTime() - lookbackHours * HOUR_MS), until: now, first: true };
  const until = now.getTime() < coveredUntil.getTime() ? coveredUntil : now;
  return { since: coveredUntil, until, first: false };
}

/** A failed or timed-out execution of any config. */
export interface DigestFailure {
  executionId: string;
  configId: string;
  status: string;
  attempt: number;
  finishedAt: string;
  error: string | null;
}

/** An `auto-advancement` event. */
export interface DigestAdvancement {
  eventId: string;
  sproutId: string;
  fromTier: string;
  toTier: string;
  ruleId: string | null;
  executionId: string | null;
  rolledBack: boolean;
  at: string;
}

/** A `bulk-rollback` event: the sprout went from `fromTier` back to `toTier`. */
export interface DigestRollback {
  eventId: string;
  sproutId: string;
  fromTier: string;
  toTier: string;
  operatorId: string | null;
  reason: string | null;
  /** The advancement event it undid. */
  rollbackOf: string | null;
  at: string;
}

/** One section: the total in the window, and the most recent items (at most DIGEST_ITEM_LIMIT), newest first. */
export interface DigestList<T> {
  total: number;
  items: T[];
  /** True when `items` holds fewer than `total`. */
  truncated: boolean;
}

export interface DigestFailures extends DigestList<DigestFailure> {
  byConfig: Array<{ configId: string; count: number }>;
}

export interface DigestAdvancements extends DigestList<DigestAdvancement> {
  byTransition: Array<{ fromTier: string; toTier: string; count: number }>;
}

export interface DigestRollbacks extends DigestList<DigestRollback> {
  byOperator: Array<{ operatorId: string | null; count: number }>;
}

/** What the store collects for a window; a section not asked for is absent. */
export interface DigestContent {
  failures?: DigestFailures;
  advancements?: DigestAdvancements;
  rollbacks?: DigestRollbacks;
}

/** The digest as delivered: the window (ISO 8601), who it is for, and its sections. */
export interface Digest extends DigestContent {
  since: string;
  until: string;
  recipientIds: string[];
  sections: DigestSection[];
}

export function buildDigest(window: DigestWindow, recipientIds: readonly string[], sections: readonly DigestSection[], content: DigestContent): Digest {
  return { since: window.since.toISOString(), until: window.until.toISOString(), recipientIds: [...recipientIds], sections: [...sections], ...content };
}

/** Totals per section (absent sections count 0). */
export function digestTotals(digest: DigestContent): Record<DigestSection, number> {
  return {
    failures: digest.failures?.total ?? 0,
    advancements: digest.advancements?.total ?? 0,
    rollbacks: digest.rollbacks?.total ?? 0,
  };
}

export function isDigestEmpty(digest: DigestContent): boolean {
  const totals = digestTotals(digest);
  return DIGEST_SECTIONS.every((section) => totals[section] === 0);
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/** One line for logs and summaries, e.g. `2 failures, 40 advancements, 1 rollback`. */
export function describeDigest(digest: Digest): string {
  const totals = digestTotals(digest);
  const parts = digest.sections.map((section) =>
    section === 'failures'
      ? plural(totals.failures, 'failure', 'failures')
      : section === 'advancements'
        ? plural(totals.advancements, 'advancement', 'advancements')
        : plural(totals.rollbacks, 'rollback', 'rollbacks'),
  );
  return parts.join(', ');
}
