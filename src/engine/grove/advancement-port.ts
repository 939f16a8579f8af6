import type {
  AdvancementEvent,
  AdvancementEventFilterInput,
  AdvancementGroup,
  AdvancementRule,
  RollbackFilterInput,
  RollbackInput,
  RollbackItem,
  RollbackPlan,
  SignalPeriod,
  TieredModel,
} from '../../domain/grove/index.js';

/** What one batch run pages through: these groups, in this order, with one period's signals. */
export interface AdvancementScope {
  groups: readonly AdvancementGroup[];
  period: SignalPeriod;
  /**
   * The executions of this run (the current one and earlier attempts): a sprout already
   * advanced by any of them is not read again, so a run moves a sprout at most one tier even
   * when keyset paging reaches the tier it moved into, or a retry starts over.
   */
  runExecutionIds: readonly string[];
}

/** Where a page ended: the group's position in `scope.groups` and the last sprout id read. */
export interface AdvancementCursor {
  groupIndex: number;
  sproutId: string;
}

/**
 * A page of candidates as read: how many, where it ended, and the sprouts themselves with
 * the group each was read from (its tier then is that group's tier), in the form the
 * store's page statement takes them back (opaque to callers: the page only passes through).
 */
export interface AdvancementPage {
  size: number;
  /** The last sprout read (null: the page is empty). */
  last: AdvancementCursor | null;
  readonly sprouts: unknown;
}

/**
 * What a run evaluates: its scope, each group's rules in the order they are tried
 * (`groupRules[i]` for `scope.groups[i]`, see applicableRules), and how it writes.
 */
export interface AdvancementRun {
  scope: AdvancementScope;
  groupRules: ReadonlyArray<readonly AdvancementRule[]>;
  executionId: string;
  /** Evaluate and report only: the page statement writes nothing. */
  dryRun: boolean;
}

/** One tier change of a page, as listed in a run's sample. */
export interface AdvancementMove {
  sproutId: string;
  fromTier: string;
  toTier: string;
  ruleId: string;
}

/** What one page did (in a dry run: would have done). */
export interface AdvancementPageOutcome {
  /** Sprouts of the page with an aggregation row for the period: tested against the rules. */
  evaluated: number;
  /** Sprouts a rule matched. */
  matched: number;
  /** Sprouts moved (dry run: `matched`); the rest of `matched` changed tier since the read. */
  advanced: number;
  /** Moves per rule id. */
  byRule: Record<string, number>;
  /** The page's first moves in page order, at most the `sampleLimit` asked for. */
  sample: AdvancementMove[];
}

export interface RollbackResult {
  /** The bulk-rollback events written, one per advancement undone. */
  rollbackEventIds: string[];
  /** The advancements undone (action `revert`). */
  reverted: RollbackItem[];
  /** Left alone: the sprout moved on since (or was deleted). */
  leftAlone: RollbackItem[];
}

/**
 * Rules, the batch's reads and writes, manual overrides, rollback and the audit trail. Input
 * marked `unknown` is validated here (GroveError Invalid names the field); times come from
 * the caller's clock.
 */
export interface AdvancementStore {
  listRules(filter?: { lifecycleModelId?: string; enabledOnly?: boolean }): Promise<AdvancementRule[]>;
  getRule(id: string): Promise<AdvancementRule | undefined>;
  /** Validates and inserts version 1; GroveError Exists when the id is taken. */
  createRule(input: unknown, at: Date): Promise<AdvancementRule>;
  /**
   * Replaces a rule; `meta.version` in the input is the version the edit was based on.
   * GroveError Conflict when the stored version moved on, NotFound when there is no such rule.
   */
  updateRule(input: unknown, at: Date): Promise<AdvancementRule>;
  /** Deletes a rule (only at `expectedVersion` when given); its past events keep the id. */
  deleteRule(id: string, expectedVersion?: number): Promise<void>;

  listLifecycleModels(): Promise<TieredModel[]>;
  /** The executions of the run `executionId` belongs to (itself included). */
  runExecutionIds(executionId: string): Promise<string[]>;
  /** How many sprouts the scope holds now (for progress: the run may see a few more or fewer). */
  countCandidates(scope: AdvancementScope): Promise<number>;
  /** The next `limit` candidates after `after` (keyset over group, then id). */
  readCandidates(scope: AdvancementScope, after: AdvancementCursor | null, limit: number): Promise<AdvancementPage>;
  /**
   * Evaluates a page read by `readCandidates` against the run's rules in the database and,
   * unless the run is dry, writes its tier changes and their auto-advancement events in one
   * statement, all or nothing: each change guarded on the sprout still being at the tier it
   * was read at, one event per change made, the sprout marked as moved by this execution.
   */
  advancePage(run: AdvancementRun, page: AdvancementPage, at: Date, sampleLimit: number): Promise<AdvancementPageOutcome>;

  /** Sets a sprout's tier by hand with a manual-override event, atomically. */
  overrideTier(input: { sproutId: string; toTier: string; operator: string; reason: string }, at: Date): Promise<AdvancementEvent>;
  /** Exactly what `applyRollback` with the same filter would do now, changing nothing. */
  previewRollback(filter: RollbackFilterInput): Promise<RollbackPlan>;
  /** Undoes the selected advancements in one transaction (see planRollback). */
  applyRollback(input: RollbackInput, at: Date): Promise<RollbackResult>;
  /** Events newest first. */
  listEvents(filter: AdvancementEventFilterInput): Promise<AdvancementEvent[]>;
}
