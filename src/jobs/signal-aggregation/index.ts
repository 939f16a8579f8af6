import { defineJobType } from '../../domain/config/job-type.js';
import { executeSignalAggregation, type SignalAggregationDeps } from './handler.js';
import { signalAggregationParameters } from './parameters.js';

export { executeSignalAggregation, type SignalAggregationDeps } from './handler.js';
export { signalAggregationParameters, type SignalAggregationParameters } from './parameters.js';

/**
 * Recomputes usage signals per sprout and period (SPEC §5) in SQL, set-based: incrementally
 * by default (sprouts with new events or events that crossed a window edge, plus new
 * sprouts), fully on a period's first run or with `full: true`. What the seeds' pg_cron
 * schedules did with refresh_sprout_aggregations, without their one-query-per-sprout loop
 * and stale 7- and 30-day numbers.
 */
export function signalAggregationJobType(deps: SignalAggregationDeps) {
  return defineJobType({
    name: 'signal-aggregation',
    description:
      'Recomputes the usage signals of every sprout for the periods all_time, last_30d and last_7d (windows end at the run’s clock time): ' +
      'only sprouts whose events changed or crossed a window edge since the last run, or all of them with full: true. ' +
      'A sprout without events in a window gets zeros. A dry run computes and rolls back.',
    parameters: signalAggregationParameters,
    // Derived numbers, recomputed from the events on every run: nothing to confirm.
    counterLabels: { processed: 'Sprouts', succeeded: 'Recomputed' },
    execute: (context) => executeSignalAggregation(deps, context),
  });
}
