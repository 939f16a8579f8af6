// The run chart's data: finished runs in outcome groups, one uPlot series each. Pure (no React,
// no canvas), so the unit tests read it directly.
import type uPlot from 'uplot';
import { isFinished } from '../status-catalog/transform.js';
import { CHART_RUNS, type ExecutionData } from './live-state.js';

/**
 * Outcome groups, each one uPlot series with its own colour (the bars never share an x). A dry
 * run that did not fail has a group of its own: it changed nothing, whatever it reports.
 */
export const OUTCOMES = [
  { key: 'success', label: 'Succeeded', colour: '#2E7D32' },
  { key: 'partial', label: 'Partial or cancelled', colour: '#FFA000' },
  { key: 'failed', label: 'Failed or timed out', colour: '#D32F2F' },
  { key: 'dry', label: 'Dry run', colour: '#7B8794' },
] as const;
export type Outcome = (typeof OUTCOMES)[number]['key'];

function outcomeOf(run: ExecutionData): Outcome {
  if (run.status === 'failed' || run.status === 'timeout') return 'failed';
  if (run.dryRun) return 'dry';
  return run.status === 'success' ? 'success' : 'partial';
}

export interface ChartData {
  /** Oldest first: the bar order, left to right. */
  runs: ExecutionData[];
  /** x (1…n), then seconds per outcome series (null where the run has another outcome). */
  data: uPlot.AlignedData;
  counts: Record<Outcome, number>;
  longestMs: number;
}

export function chartData(executions: readonly ExecutionData[]): ChartData {
  const runs = executions.filter((e) => isFinished(e.status) && e.durationMs !== null).slice(0, CHART_RUNS).reverse();
  const xs = runs.map((_, i) => i + 1);
  const counts = { success: 0, partial: 0, failed: 0, dry: 0 };
  const series = OUTCOMES.map((outcome) =>
    runs.map((run) => {
      if (outcomeOf(run) !== outcome.key) return null;
      counts[outcome.key] += 1;
      return (run.durationMs ?? 0) / 1000;
    }),
  );
  const longestMs = runs.reduce((max, run) => Math.max(max, run.durationMs ?? 0), 0);
  return { runs, data: [xs, ...series], counts, longestMs };
}

