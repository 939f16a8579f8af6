import { compileSchedule } from './compile.js';
import { describeCompiled } from './describe.js';
import { type DstAffectedRun, dstAffectedRuns, wallClockIn } from './dst-affected.js';
import { slotsAfter } from './next-slots.js';

export { DstRule, type DstAffectedRun, wallClockIn } from './dst-affected.js';

/** The schedule part of a job config, as the preview compares it. */
export interface SchedulePreviewInput {
  cronExpression: string;
  timezone: string;
  isEnabled: boolean;
}

/** One run: its UTC instant and the wall clock it shows in the before and the after zone. */
export interface PreviewRun {
  /** ISO 8601 UTC instant, e.g. "2027-03-14T07:00:00.000Z". */
  at: string;
  /** Wall clock with offset in the before zone, e.g. "2027-03-14T03:00:00-04:00". */
  wallBefore: string;
  /** Wall clock with offset in the after zone. */
  wallAfter: string;
}

export const PreviewState = { On: 'on', Off: 'off', Never: 'never' } as const;
export type PreviewState = (typeof PreviewState)[keyof typeof PreviewState];

/** One side of the comparison. `note` says in words why there are no runs, when there are none. */
export interface PreviewSide extends SchedulePreviewInput {
  state: PreviewState;
  description: string;
  note?: string;
}

export interface MovedRun {
  from: PreviewRun;
  to: PreviewRun;
}

export interface SchedulePreview {
  before: PreviewSide;
  after: PreviewSide;
  runs: { before: PreviewRun[]; after: PreviewRun[] };
  moved: MovedRun[];
  vanished: PreviewRun[];
  added: PreviewRun[];
  dstDates: DstAffectedRun[];
  /** The first run the changed cron or zone produces; null when neither changed or it never runs. */
  firstRunUnderNewRule: PreviewRun | null;
}

export interface SchedulePreviewOptions {
  /** Runs listed per side; default DEFAULT_PREVIEW_COUNT. */
  count?: number;
}

/** Ten runs cover a daily schedule's next week and a half: enough to see a move at a glance. */
export const DEFAULT_PREVIEW_COUNT = 10;

function sameRule(a: SchedulePreviewInput, b: SchedulePreviewInput): boolean {
  return a.cronExpression.trim() === b.cronExpression.trim() && a.timezone === b.timezone;
}

function side(input: SchedulePreviewInput, runs: number[], count: number): PreviewSide {
  const description = describeCompiled(compileSchedule(input.cronExpression, input.timezone));
  const base = { cronExpression: input.cronExpression, timezone: input.timezone, isEnabled: input.isEnabled, description };
  if (!input.isEnabled) return { ...base, state: PreviewState.Off, note: 'switched off: no runs' };
  if (runs.length === 0 && count > 0) return { ...base, state: PreviewState.Never, note: 'no upcoming runs (every matching wall time falls in a daylight-saving gap)' };
  return { ...base, state: PreviewState.On };
}

/** The after-schedule's wall times that daylight-saving transitions in (now, now + 12 months] affect. */
function planDstDates(input: SchedulePreviewInput, now: Date): DstAffectedRun[] {
  if (!input.isEnabled) return [];
  const nowSeconds = Math.floor(now.getTime() / 1000);
  // Twelve calendar months on (UTC): the same date next year.
  const until = Math.floor(new Date(now.getTime()).setUTCFullYear(now.getUTCFullYear() + 1) / 1000);
  return dstAffectedRuns(compileSchedule(input.cronExpression, input.timezone), nowSeconds, until);
}

/**
 * What a change of schedule does to the next runs, before it is saved: the next `count`
 * runs under each side, the runs that move, vanish or are new, the after-schedule's
 * daylight-saving dates in the next 12 months and, when the cron or zone changes, the
 * first run under the new rule. A side switched off has no runs.
 *
 * A listed before-run with no equal after-run is paired, in order, with the listed after-runs
 * that have no equal before-run: paired ones moved, unpaired before-runs vanished, unpaired
 * after-runs are new. Equality is looked for among twice `count` runs of the other side, and
 * a run past the other side's last one computed is left out (it may merely be unlisted).
 *
 * @example
 * // '0 9 * * *' from America/New_York to Europe/London, now 2027-01-04T00:00Z:
 * // runs.before[0].at = 2027-01-04T14:00:00.000Z, runs.after[0].at = 2027-01-04T09:00:00.000Z,
 * // every run moved, firstRunUnderNewRule.at = 2027-01-04T09:00:00.000Z
 * @throws ScheduleError when either side's cron or zone is invalid.
 */
export function planSchedulePreview(
  before: SchedulePreviewInput,
  after: SchedulePreviewInput,
  now: Date,
  options: SchedulePreviewOptions = {},
): SchedulePreview {
  const count = Math.max(0, Math.floor(options.count ?? DEFAULT_PREVIEW_COUNT));
  // Each side is compared against twice as many runs of the other as are listed, so that a
  // listed run is not taken for vanished or new merely because the other list ended first.
  const runsOf = (input: SchedulePreviewInput): number[] =>
    input.isEnabled ? slotsAfter(compileSchedule(input.cronExpression, input.timezone), now, 2 * count).map((d) => d.getTime() / 1000) : [];
  const beforeWide = runsOf(before);
  const afterWide = runsOf(after);
  const beforeRuns = beforeWide.slice(0, count);
  const afterRuns = afterWide.slice(0, count);
  const run = (seconds: number): PreviewRun => ({
    at: new Date(seconds * 1000).toISOString(),
    wallBefore: wallClockIn(before.timezone, seconds),
    wallAfter: wallClockIn(after.timezone, seconds),
  });

  // The last instant a side's runs speak for: past it, a run missing from them may just be unlisted.
  const horizonOf = (runs: number[]) => (runs.length < 2 * count ? Infinity : (runs[runs.length - 1] ?? Infinity));
  const beforeSet = new Set(beforeWide);
  const afterSet = new Set(afterWide);
  const lostRuns = beforeRuns.filter((s) => !afterSet.has(s) && s <= horizonOf(afterWide));
  const newRuns = afterRuns.filter((s) => !beforeSet.has(s) && s <= horizonOf(beforeWide));
  const paired = Math.min(lostRuns.length, newRuns.length);
  const moved: MovedRun[] = [];
  for (let i = 0; i < paired; i++) moved.push({ from: run(lostRuns[i] ?? 0), to: run(newRuns[i] ?? 0) });

  const ruleChanged = !sameRule(before, after);
  const first = afterRuns[0];
  return {
    before: side(before, beforeRuns, count),
    after: side(after, afterRuns, count),
    runs: { before: beforeRuns.map(run), after: afterRuns.map(run) },
    moved,
    vanished: lostRuns.slice(paired).map(run),
    added: newRuns.slice(paired).map(run),
    dstDates: planDstDates(after, now),
    firstRunUnderNewRule: ruleChanged && first !== undefined ? run(first) : null,
  };
}
