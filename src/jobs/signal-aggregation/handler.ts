import type { JobContext, JobOutcome } from '../../domain/config/job-type.js';
import type { AggregationStore, PeriodRefresh } from '../../engine/ports.js';
import type { SignalAggregationParameters } from './parameters.js';

export interface SignalAggregationDeps {
  signals: AggregationStore;
}

const describeRefresh = (r: PeriodRefresh) =>
  `${r.period}: ${r.mode}${r.fullBecause ? ` (${r.fullBecause})` : ''}, ${r.sproutsRecomputed} sprouts recomputed, ${r.rowsWritten} rows written, ${r.rowsDeleted} removed`;

/**
 * Refreshes each configured period in turn, each in its own transaction, so a timeout or
 * cancel between periods keeps the periods already done. The abort signal is checked between
 * periods; a period's statement, once started, runs to its end (it is one statement).
 *
 * A dry run (the per-run override; the type has no dryRun parameter, as the aggregation only
 * writes derived numbers) computes everything, reports the counts and rolls each period back.
 */
export async function executeSignalAggregation(deps: SignalAggregationDeps, context: JobContext<SignalAggregationParameters>): Promise<JobOutcome> {
  const { periods, full } = context.parameters;
  // Read once: every period of this run is computed as of the same clock time, so the
  // windows of last_7d and last_30d end at the same instant.
  const now = context.now();
  const done: PeriodRefresh[] = [];
  let recomputed = 0;

  for (const period of periods) {
    if (context.signal.aborted) throw context.signal.reason;
    const [refresh] = await deps.signals.refreshSignals({ periods: [period], full, now, dryRun: context.dryRun });
    if (refresh === undefined) continue;
    done.push(refresh);
    recomputed += refresh.sproutsRecomputed;
    context.log('info', `${context.dryRun ? 'dry run (rolled back): ' : ''}${describeRefresh(refresh)}`, { ...refresh });
    context.progress({ processed: recomputed, succeeded: recomputed, failed: 0 });
  }

  const summary = done.map((r) => `${r.period} ${r.mode} (${r.sproutsRecomputed} sprouts)`).join(', ');
  return {
    summary: context.dryRun ? `dry run, nothing written: ${summary}` : summary,
    result: { asOf: now.toISOString(), dryRun: context.dryRun, periods: done.map((r) => ({ ...r })) },
    items: { total: recomputed, processed: recomputed, succeeded: recomputed, failed: 0 },
  };
}
