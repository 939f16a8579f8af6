import type { JobView } from '../api-client';

/** Jobs the timeline draws at most (a schedule preview each at most). */
const MAX_JOBS = 40;
/** The height of one job's row on the plot. */
const ROW_PX = 26;

/** The jobs the timeline draws: the enabled ones (those with next runs), the first MAX_JOBS. */
export function timelineJobs(jobs: JobView[]): JobView[] {
  return jobs.filter((job) => job.nextRuns.length > 0).slice(0, MAX_JOBS);
}

/** The plot's height for `rows` jobs: the time axis and a row each (none: nothing is drawn). */
export function timelinePlotHeight(rows: number): number {
  return rows > 0 ? 50 + rows * ROW_PX : 0;
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
