import type { SignalPeriod, SproutSignals } from '../../domain/grove/index.js';

/** What one period's refresh did. */
export interface PeriodRefresh {
  period: SignalPeriod;
  mode: 'full' | 'incremental';
  /** Why a refresh that was not asked to be full recomputed everything anyway (there were more events to fold in than the window holds, weighed). */
  fullBecause?: string;
  /** Sprouts whose signals were computed (every sprout in a full refresh). */
  sproutsRecomputed: number;
  /** Aggregation rows inserted or changed; a recomputed row whose values did not change is not rewritten. */
  rowsWritten: number;
  /** Rows of sprouts that no longer exist, removed. */
  rowsDeleted: number;
  /** The event-id watermark the period now stands at. */
  lastEventId: number;
}

/**
 * Signal aggregation (SPEC §5) as the signal-aggregation job needs it. Every sprout in the
 * `sprouts` table gets one row per refreshed period (zeros when it has no events in the
 * window); events of unknown sprouts are orphans and count nowhere.
 */
export interface AggregationStore {
  /**
   * Recomputes each period in its own transaction, as of clock time `now`: fully on a period's
   * first refresh or when `full`, else only the sprouts whose events changed or crossed a
   * window edge since the last refresh, mostly from running state that moves with those events
   * alone (the result equals a full recompute). Refreshes of different periods run one at a time.
   * `dryRun` computes everything, reports it and rolls it back.
   */
  refreshSignals(input: { periods: readonly SignalPeriod[]; full: boolean; now: Date; dryRun?: boolean }): Promise<PeriodRefresh[]>;
  /**
   * The stored signals of these sprouts, every period that has a row, ordered by sprout id
   * and period. `computedAt` is the clock time of the period's last refresh: every row is
   * correct as of then, including rows it did not need to rewrite.
   */
  getSignals(sproutIds: readonly string[]): Promise<SproutSignals[]>;
}
