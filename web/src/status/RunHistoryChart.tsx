import { useEffect, useId, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { plural } from '../format.js';
import { formatDuration } from '../status-catalog/transform.js';
import type { ExecutionData } from './live-state.js';
import { chartData, OUTCOMES } from './run-chart-data.js';
const HEIGHT = 180;

function shortTime(iso: string | null): string {
  if (iso === null) return '';
  return new Intl.DateTimeFormat('en-US', { month: 'numeric', day: 'numeric', hour: 'numeric', minute: '2-digit' }).format(new Date(iso));
}

/** Duration bars of the last CHART_RUNS finished runs, coloured by outcome (uPlot on a canvas). */
export function RunHistoryChart({ executions }: { executions: readonly ExecutionData[] }) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const captionId = useId();
  const chart = useMemo(() => chartData(executions), [executions]);
  const runsRef = useRef(chart.runs);
  runsRef.current = chart.runs;

  // The plot is made once; new runs only replace its data.
  useEffect(() => {
    const element = holder.current;
    if (!element) return undefined;
    const bars = uPlot.paths.bars?.({ size: [0.7, 36], gap: 2 });
    const options: uPlot.Options = {
      width: Math.max(240, element.clientWidth),
      height: HEIGHT,
      scales: {
        x: { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] },
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] },
      },
      axes: [
        {
          label: 'Run (oldest → newest)',
          values: (_u, splits) => splits.map((x) => (Number.isInteger(x) ? shortTime(runsRef.current[x - 1]?.startedAt ?? null) : '')),
          space: 70,
        },
        { label: 'Duration', values: (_u, splits) => splits.map((s) => formatDuration(s * 1000)), size: 64 },
      ],
      series: [
        { label: 'Run', value: (_u: uPlot, x: number | null) => (x === null ? '—' : shortTime(runsRef.current[x - 1]?.startedAt ?? null) || '—') },
        ...OUTCOMES.map((outcome) => ({
          label: outcome.label,
          stroke: outcome.colour,
          fill: outcome.colour,
          width: 0,
          points: { show: false },
          ...(bars ? { paths: bars } : {}),
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : formatDuration(v * 1000)),
        })),
      ],
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
    };
    plot.current = new uPlot(options, [[], ...OUTCOMES.map(() => [])], element);
    const observer = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => plot.current?.setSize({ width: Math.max(240, element.clientWidth), height: HEIGHT }));
    observer?.observe(element);
    return () => {
      observer?.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData(chart.data);
  }, [chart]);

  const total = chart.runs.length;
  const summary =
    total === 0
      ? 'No finished runs to chart yet.'
      : `Durations of the last ${plural(total, 'finished run')}: ${chart.counts.success} succeeded, ${chart.counts.failed} failed or timed out, ${chart.counts.partial} partial or cancelled${chart.counts.dry > 0 ? `, ${plural(chart.counts.dry, 'dry run')} (changed nothing)` : ''}; the longest took ${formatDuration(chart.longestMs)}.`;

  return (
    <figure className="gj-chart" aria-labelledby={captionId}>
      <figcaption id={captionId}>
        <strong>Run durations</strong> <span className="gj-muted">{summary}</span>
      </figcaption>
      <div ref={holder} className="gj-chart__plot" aria-hidden="true" data-runs={total} data-dry-runs={chart.counts.dry} />
    </figure>
  );
}
