import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { JobView } from '../api-client';
import { plural } from '../format';
import { useApi } from '../hooks/use-api';
import { jobColour } from '../job-colour';
import { PLOT_TOP_PX, ROW_PX, TIME_AXIS_PX, timelineJobs, timelinePlotHeight } from './TimelineFrame';

/** The window drawn: the next 24 hours. */
const WINDOW_MS = 24 * 3600_000;
/** Runs asked for per job: a job every 15 minutes has 96 in a day. */
const RUNS_PER_JOB = 100;

interface Row {
  id: string;
  title: string;
  runs: number[];
}

/**
 * The next 24 hours of runs of every enabled job on one time axis, in the viewer's own zone,
 * so that clashes and quiet hours show at a glance. Loaded with the grid only when shown.
 * The job names are HTML beside the plot, whole (wrapped on a phone, each row then as tall as
 * the tallest name), each with its job's colour; the plot's rows line up with them.
 */
export function RunTimeline({ jobs }: { jobs: JobView[] }) {
  const api = useApi();
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const names = useRef<HTMLOListElement>(null);
  const [rowPx, setRowPx] = useState(ROW_PX);
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

  /** Each row as tall as the tallest job name needs (one line on a desktop, maybe two on a phone). */
  const measure = useCallback(() => {
    const list = names.current;
    if (!list) return;
    let tallest = 0;
    for (const name of list.querySelectorAll<HTMLElement>('.timeline-name')) tallest = Math.max(tallest, name.getBoundingClientRect().height);
    setRowPx(Math.max(ROW_PX, Math.ceil(tallest) + 4));
  }, []);
  useLayoutEffect(measure, [rows, measure]);

  useEffect(() => {
    const element = box.current;
    if (!element || !rows || rows.length === 0) return;
    const count = rows.length;
    const times = [...new Set(rows.flatMap((row) => row.runs))].sort((a, b) => a - b);
    const xs = times.map((at) => at / 1000);
    const data: uPlot.AlignedData = [
      xs,
      // The first row on top, as the names beside the plot are listed: one unit of y per row.
      ...rows.map((row, index) => {
        const runs = new Set(row.runs);
        return times.map((at) => (runs.has(at) ? count - 1 - index : null));
      }),
    ];
    const size = () => ({ width: Math.max(element.clientWidth, 160), height: timelinePlotHeight(count, rowPx) });
    const plot = new uPlot(
      {
        ...size(),
        padding: [PLOT_TOP_PX, 12, 0, 4],
        legend: { show: false },
        cursor: { y: false, points: { size: 10 } },
        scales: { x: { time: true, range: [from / 1000, (from + WINDOW_MS) / 1000] }, y: { range: [-0.5, count - 0.5] } },
        axes: [
          { stroke: '#5f6368', grid: { stroke: '#eceff1' }, size: TIME_AXIS_PX },
          { show: false, splits: () => rows.map((_, index) => index), grid: { show: true, stroke: '#f5f5f5' } },
        ],
        series: [
          {},
          ...rows.map((row) => {
            const colour = jobColour(row.id);
            return { label: row.title, stroke: colour, paths: () => null, points: { show: true, size: 8, fill: colour, stroke: colour } };
          }),
        ],
      },
      data,
      element,
    );
    const resize = new ResizeObserver(() => {
      measure();
      plot.setSize(size());
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [rows, from, rowPx, measure]);

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
          {plural(total, 'run')} of {plural(rows.length, 'enabled job')} in your time zone ({Intl.DateTimeFormat().resolvedOptions().timeZone})
          {busiest ? `; busiest hour ${busiest[0]} with ${plural(busiest[1], 'run')}` : ''}.
        </p>
      ) : null}
      {/* As tall as the plot from the start (see TimelinePlaceholder): the cards below stay where they are. */}
      <div className="timeline-body">
        {rows && rows.length > 0 ? (
          <ol ref={names} className="timeline-names" aria-label="Jobs on the timeline">
            {rows.map((row) => (
              <li key={row.id} data-job-id={row.id} style={{ height: rowPx }}>
                <span className="timeline-dot" style={{ backgroundColor: jobColour(row.id) }} aria-hidden="true" />
                <span className="timeline-name">{row.title}</span>
              </li>
            ))}
          </ol>
        ) : null}
        <div
          ref={box}
          className="timeline-plot"
          style={error ? undefined : { minHeight: timelinePlotHeight(rows?.length ?? enabled.length, rowPx) }}
          role="img"
          aria-label={`Timeline of the next 24 hours: ${plural(total, 'run')}`}
        />
      </div>
    </section>
  );
}
