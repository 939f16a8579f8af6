import type { JobView } from '../api-client';

/** Jobs the timeline draws at most (a schedule preview each at most). */
const MAX_JOBS = 40;
/** The height of one job's row on the plot, at least (a job name wrapped on a phone makes its row taller). */
export const ROW_PX = 26;
/** Above the first row: room for the top row's dots. */
export const PLOT_TOP_PX = 8;
/** The time axis under the rows. */
export const TIME_AXIS_PX = 50;

/** The jobs the timeline draws: the enabled ones (those with next runs), the first MAX_JOBS. */
export function timelineJobs(jobs: JobView[]): JobView[] {
  return jobs.filter((job) => job.nextRuns.length > 0).slice(0, MAX_JOBS);
}

/** The plot's height for `rows` jobs: the time axis and a row each (none: nothing is drawn). */
export function timelinePlotHeight(rows: number, rowPx = ROW_PX): number {
  return rows > 0 ? PLOT_TOP_PX + TIME_AXIS_PX + rows * rowPx : 0;
}

/**
 * The timeline's place on the grid page until it is drawn (its code, with uPlot, loads once the
 * cards have been painted): the same frame and height, so that the cards do not move when it comes.
 */
export function TimelinePlaceholder({ jobs }: { jobs: JobView[] }) {
  return (
    <section className="timeline" aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Next 24 hours</h2>
      <p className="muted">Loading the timeline…</p>
      <div className="timeline-plot" style={{ minHeight: timelinePlotHeight(timelineJobs(jobs).length) }} />
    </section>
  );
}
