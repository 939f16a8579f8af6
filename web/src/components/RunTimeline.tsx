import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { JobView } from '../api-client';
import { useApi } from '../hooks/use-api';
import { timelineJobs, timelinePlotHeight } from './TimelineFrame';

/** The window drawn: the next 24 hours. */
const WINDOW_MS = 24 * 3600_000;
/** Runs asked for per job: a job every 15 minutes has 96 in a day. */
const RUNS_PER_JOB = 100;
const JOB_COLOURS = ['#E65100', '#1976D2', '#2E7D32', '#6A1B9A', '#00838F', '#AD1457', '#5D4037', '#F9A825'];

interface Row {
  id: string;
  title: string;
  runs: number[];
}

/**
 * The next 24 hours of runs of every enabled job on one time axis, in the viewer's own zone,
 * so that clashes and quiet hours show at a glance. Loaded with the grid only when shown.
 */
export function RunTimeline({ jobs }: { jobs: JobView[] }) {
  const api = useApi();
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const enabled = useMemo(() => timelineJobs(jobs), [jobs]);
  const key = enabled.map((job) => `${String(job.meta['id'])}@${String(job.meta['version'])}`).join(',');
  const [from] = useState(() => Date.now());

  useEffect(() => {
    let current = true;
    const until = from + WINDOW_MS;
    Promise.all(
      enabled.map(async (job) => {
        const id = String(job.meta['id']);
        const title = String(job.meta['title'] ?? job.meta['id']);
        // The list's next runs are the first few in order: when the last of them falls after the
        // window, they hold every run inside it, and no preview is needed (a job that runs a few times a day).
        const listed = job.nextRuns.map((run) => Date.parse(run));
        if ((listed.at(-1) ?? 0) > until) return { id, title, runs: listed.filter((at) => at <= until) };
        const schedule = job.payload['schedule'] as { cronExpression: string; timezone: string };
        const preview = await api.preview(schedule.cronExpression, schedule.timezone, RUNS_PER_JOB);
        const runs = preview.valid ? preview.nextRuns.map((run) => Date.parse(run)).filter((at) => at <= until) : [];
        return { id, title, runs };
      }),
    ).then(
      (loaded) => current && setRows(loaded),
      (caught: unknown) => current && setError((caught as Error).message),
    );
    return () => {
      current = false;
    };
    // `key` stands for the enabled jobs and their versions: a re-read of the same list asks nothing again.
  }, [api, key, from]);

  useEffect(() => {
    const element = box.current;
    if (!element || !rows || rows.length === 0) return;
    const times = [...new Set(rows.flatMap((row) => row.runs))].sort((a, b) => a - b);
    const xs = times.map((at) => at / 1000);
    const data: uPlot.AlignedData = [
      xs,
      ...rows.map((row, index) => {
        const runs = new Set(row.runs);
        return times.map((at) => (runs.has(at) ? index : null));
      }),
    ];
    const labels = rows.map((row) => (row.title.length > 30 ? `${row.title.slice(0, 29)}…` : row.title));
    // The job names take at most 40% of the width (phones), else what 30 characters need.
    const labelWidth = Math.round(Math.min(210, element.clientWidth * 0.4));
    const plot = new uPlot(
      {
        width: Math.max(element.clientWidth, 280),
        height: timelinePlotHeight(rows.length),
        legend: { show: false },
        cursor: { y: false, points: { size: 10 } },
        scales: { x: { time: true, range: [from / 1000, (from + WINDOW_MS) / 1000] }, y: { range: [-0.6, rows.length - 0.4] } },
        axes: [
          { stroke: '#5f6368', grid: { stroke: '#eceff1' } },
          {
            stroke: '#5f6368',
            size: labelWidth,
            grid: { stroke: '#f5f5f5' },
            splits: () => rows.map((_, index) => index),
            values: (_, splits) => splits.map((split) => labels[split] ?? ''),
          },
        ],
        series: [
          {},
          ...rows.map((row, index) => {
            const colour = JOB_COLOURS[index % JOB_COLOURS.length] ?? '#E65100';
            return { label: row.title, stroke: colour, paths: () => null, points: { show: true, size: 8, fill: colour, stroke: colour } };
          }),
        ],
      },
      data,
      element,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(element.clientWidth, 280), height: timelinePlotHeight(rows.length) }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [rows, from]);

  const total = rows?.reduce((sum, row) => sum + row.runs.length, 0) ?? 0;
  const busiest = useMemo(() => {
    const perHour = new Map<string, number>();
    const hours = new Intl.DateTimeFormat('en-US', { hour: 'numeric' });
    for (const at of rows?.flatMap((row) => row.runs) ?? []) {
      const hour = hours.format(new Date(at));
      perHour.set(hour, (perHour.get(hour) ?? 0) + 1);
    }
    return [...perHour.entries()].sort((a, b) => b[1] - a[1])[0];
  }, [rows]);

  return (
    <section className="timeline" aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Next 24 hours</h2>
      {error ? <p className="notice notice--error">{error}</p> : null}
      {rows === null && !error ? <p className="muted">Reading the schedules…</p> : null}
      {rows && rows.length === 0 ? <p className="muted">No enabled job runs in the next 24 hours.</p> : null}
      {rows && rows.length > 0 ? (
        <p className="muted" data-testid="timeline-summary">
          {total} runs of {rows.length} enabled jobs in your time zone ({Intl.DateTimeFormat().resolvedOptions().timeZone})
          {busiest ? `; busiest hour ${busiest[0]} with ${busiest[1]} runs` : ''}.
        </p>
      ) : null}
      {/* As tall as the plot from the start (see TimelinePlaceholder): the cards below stay where they are. */}
      <div
        ref={box}
        className="timeline-plot"
        style={error ? undefined : { minHeight: timelinePlotHeight(enabled.length) }}
        role="img"
        aria-label={`Timeline of the next 24 hours: ${total} runs`}
      />
    </section>
  );
}
