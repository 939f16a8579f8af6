// executionToRenderTree: an execution (with its recent log lines and the job's next run) to a
// json-render spec drawn from the status catalog. Pure: no React, no I/O, and the time comes in
// as `now`, so the same input always gives the same tree (the unit tests pin it).
import { ExecutionStatus } from '../../../src/domain/config/policies.js';
import { EXECUTION_LABEL, formatDuration, formatRunTime, plural } from '../format.js';
import {
  EXECUTION_STATUSES,
  LOG_LEVELS,
  type JobErrorAlertProps,
  type JobLogEntryProps,
  type JobMetricRowProps,
  type JobPhaseIndicatorProps,
  type StatusComponentName,
  type StatusComponentProps,
  type Tone,
} from './schemas.js';

/** What the transform reads of an execution: `GET /api/executions/{id}` or an `execution` event. */
export interface ExecutionInput {
  id: string;
  status: string;
  trigger: string;
  attempt: number;
  queuedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  items: { total: number | null; processed: number; succeeded: number; failed: number };
  summary: string | null;
  error: { message: string; code?: string } | null;
  batchSize?: number | null;
  dryRun?: boolean;
  retryOf?: string | null;
  cancelRequestedAt?: string | null;
  /** The prefix of `id` no other execution starts with, from the API (what `grove-jobs logs` and the API take). */
  shortId?: string;
}

export interface LogLineInput {
  id: number;
  at: string;
  level: string;
  message: string;
}

export interface RenderTreeOptions {
  now: Date;
  /** The job's next run and the config's zone; `at` null when it has none (switched off). */
  nextRun?: { at: string | null; timezone: string } | null;
  /** The execution's log lines, oldest first; the last LOG_LINES_SHOWN are drawn. */
  logs?: readonly LogLineInput[];
  /** What the job type calls its counters (GET /api/job-types): "Advanced" rather than "Succeeded". */
  counterLabels?: CounterLabels;
}

export interface CounterLabels {
  processed?: string;
  succeeded?: string;
  failed?: string;
}

/** One element of the tree: a catalog component, its props and its children's keys. */
export type StatusElement = {
  [K in StatusComponentName]: { type: K; props: StatusComponentProps[K]; children: string[] };
}[StatusComponentName];

/** A json-render spec: a flat map of elements and the key of the root. */
export interface StatusSpec {
  root: string;
  elements: Record<string, StatusElement>;
}

/** Log lines drawn in the status view; the history's View logs shows them all. */
export const LOG_LINES_SHOWN = 20;

/** The console's one set of wordings (src/format.ts), re-exported for the status modules. */
export { formatDuration, formatRunTime };
export const STATUS_LABELS: Record<ExecutionStatus, string> = EXECUTION_LABEL;

export const STATUS_TONES: Record<ExecutionStatus, Tone> = {
  queued: 'neutral',
  running: 'blue',
  success: 'green',
  partial: 'amber',
  failed: 'red',
  timeout: 'red',
  cancelled: 'amber',
  skipped: 'neutral',
};

export function isExecutionStatus(value: string): value is ExecutionStatus {
  return (EXECUTION_STATUSES as readonly string[]).includes(value);
}

export function isFinished(status: string): boolean {
  return isExecutionStatus(status) && status !== ExecutionStatus.Queued && status !== ExecutionStatus.Running;
}

/** Seconds → "in 3h 12m", "in 45s", "due now". */
export function formatCountdown(seconds: number): string {
  if (seconds <= 0) return 'due now';
  if (seconds < 60) return `in ${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `in ${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `in ${hours}h ${minutes % 60}m`;
  return `in ${Math.floor(hours / 24)}d ${hours % 24}h`;
}

function phaseOf(status: string): ExecutionStatus {
  // An unknown status (a newer server) draws as queued; its raw name still shows as the label.
  return isExecutionStatus(status) ? status : ExecutionStatus.Queued;
}

function elapsedMs(execution: ExecutionInput, now: Date): number | null {
  if (execution.durationMs !== null) return execution.durationMs;
  if (execution.startedAt === null) return null;
  const end = execution.finishedAt === null ? now.getTime() : Date.parse(execution.finishedAt);
  return Math.max(0, end - Date.parse(execution.startedAt));
}

function phaseProps(execution: ExecutionInput): JobPhaseIndicatorProps {
  const phase = phaseOf(execution.status);
  const finished = isFinished(phase);
  const started = execution.startedAt !== null || phase === ExecutionStatus.Running;
  const label = isExecutionStatus(execution.status) ? STATUS_LABELS[phase] : execution.status || 'Unknown';
  return {
    phase,
    label,
    tone: isExecutionStatus(execution.status) ? STATUS_TONES[phase] : 'neutral',
    attempt: Math.max(1, Math.trunc(execution.attempt)),
    trigger: execution.trigger,
    dryRun: execution.dryRun ?? false,
    steps: [
      { key: 'queued', label: 'Queued', at: execution.queuedAt, state: started || finished ? 'done' : 'current' },
      {
        key: 'running',
        label: 'Running',
        at: execution.startedAt,
        state: finished ? (started ? 'done' : 'pending') : started ? 'current' : 'pending',
      },
      { key: 'finished', label: finished ? label : 'Finished', at: execution.finishedAt, state: finished ? 'done' : 'pending' },
    ],
  };
}

function metricsProps(execution: ExecutionInput, now: Date, labels: CounterLabels = {}): JobMetricRowProps {
  const { items } = execution;
  const running = execution.status === ExecutionStatus.Running;
  // A dry run changed nothing: its counters say what a real run would have done.
  const would = (label: string) => (execution.dryRun ? `${label} (dry run)` : label);
  const metrics: JobMetricRowProps['metrics'] = [
    { key: 'duration', label: running ? 'Elapsed' : 'Duration', value: formatDuration(elapsedMs(execution, now)), tone: 'neutral' },
    { key: 'processed', label: labels.processed || 'Processed', value: String(items.processed), tone: 'blue' },
    { key: 'succeeded', label: would(labels.succeeded || 'Succeeded'), value: String(items.succeeded), tone: items.succeeded > 0 ? 'green' : 'neutral' },
    { key: 'failed', label: labels.failed || 'Failed', value: String(items.failed), tone: items.failed > 0 ? 'red' : 'neutral' },
  ];
  if (execution.batchSize !== undefined && execution.batchSize !== null) {
    metrics.push({ key: 'batch-size', label: 'Batch size', value: String(execution.batchSize), tone: 'neutral' });
  }
  // Ids are time-ordered, so runs of the same minute share their first 8 digits: show the
  // prefix the API says is unique (or, from an event alone, the whole id), the whole id on hover.
  metrics.push({ key: 'run-id', label: 'Run', value: execution.shortId ?? execution.id, title: execution.id, tone: 'neutral' });
  return { metrics };
}

function alertProps(execution: ExecutionInput): JobErrorAlertProps | null {
  const attempt = Math.max(1, Math.trunc(execution.attempt));
  const code = execution.error?.code ?? null;
  const retryAgain = execution.retryOf !== undefined && execution.retryOf !== null;
  switch (execution.status) {
    case ExecutionStatus.Failed:
    case ExecutionStatus.Timeout:
      return {
        title: execution.status === ExecutionStatus.Timeout ? 'The run timed out' : 'The run failed',
        message: execution.error?.message ?? execution.summary ?? 'No error message was recorded.',
        code,
        // A retry that failed again is worth more attention than a first failure.
        severity: retryAgain ? 'critical' : 'error',
        retryable: true,
        attempt,
      };
    case ExecutionStatus.Partial:
      return {
        title: `${execution.items.failed} of ${plural(execution.items.processed, 'item')} failed`,
        message: execution.error?.message ?? execution.summary ?? 'Some items failed; the others were done.',
        code,
        severity: 'warning',
        retryable: true,
        attempt,
      };
    case ExecutionStatus.Cancelled:
      return { title: 'The run was cancelled', message: execution.error?.message ?? execution.summary ?? 'Cancelled before it finished.', code, severity: 'warning', retryable: true, attempt };
    case ExecutionStatus.Running:
    case ExecutionStatus.Queued:
      if (execution.cancelRequestedAt) {
        return { title: 'Cancel requested', message: 'Waiting for the worker to stop the run.', code: null, severity: 'warning', retryable: false, attempt };
      }
      return null;
    default:
      return execution.error ? { title: 'The run reported an error', message: execution.error.message, code, severity: 'error', retryable: false, attempt } : null;
  }
}

function logProps(line: LogLineInput): JobLogEntryProps {
  const level = (LOG_LEVELS as readonly string[]).includes(line.level) ? (line.level as JobLogEntryProps['level']) : 'info';
  return { id: line.id, at: line.at, level, message: line.message };
}

function nextRunElement(nextRun: RenderTreeOptions['nextRun'], now: Date): StatusElement | null {
  if (nextRun === undefined || nextRun === null) return null;
  if (nextRun.at === null) {
    return { type: 'NextRunCountdown', props: { nextRunAt: null, timezone: nextRun.timezone, atText: 'Not scheduled', inText: '', secondsLeft: null }, children: [] };
  }
  const seconds = Math.max(0, Math.floor((Date.parse(nextRun.at) - now.getTime()) / 1000));
  return {
    type: 'NextRunCountdown',
    props: { nextRunAt: nextRun.at, timezone: nextRun.timezone, atText: formatRunTime(nextRun.at, nextRun.timezone, now), inText: formatCountdown(seconds), secondsLeft: seconds },
    children: [],
  };
}

/**
 * The status view of one execution as a json-render spec: phase, progress, metrics, the error
 * (when there is one), the next run, and the last LOG_LINES_SHOWN log lines. `execution` null
 * (the job never ran) gives the next run and a "no runs yet" row.
 *
 * @example
 * executionToRenderTree(failedRun, { now, nextRun: { at: job.nextRuns[0] ?? null, timezone }, logs })
 * // → { root: 'status', elements: { status: { type: 'StatusPanel', children: ['phase', …] }, … } }
 */
export function executionToRenderTree(execution: ExecutionInput | null, options: RenderTreeOptions): StatusSpec {
  const { now } = options;
  const elements: Record<string, StatusElement> = {};
  const rootChildren: string[] = [];
  const add = (key: string, element: StatusElement, parent: string[] = rootChildren) => {
    elements[key] = element;
    parent.push(key);
  };

  if (execution === null) {
    add('metrics', { type: 'JobMetricRow', props: { metrics: [{ key: 'runs', label: 'Runs', value: 'None yet', tone: 'neutral' }] }, children: [] });
    const next = nextRunElement(options.nextRun, now);
    if (next) add('next-run', next);
    elements['status'] = { type: 'StatusPanel', props: { title: 'Execution status', variant: 'section', busy: false }, children: rootChildren };
    return { root: 'status', elements };
  }

  const busy = !isFinished(execution.status);
  add('phase', { type: 'JobPhaseIndicator', props: phaseProps(execution), children: [] });

  const { total, processed } = execution.items;
  const finished = isFinished(execution.status);
  let percentage: number | null;
  if (total !== null && total > 0) percentage = Math.min(100, Math.round((processed / total) * 1000) / 10);
  // A finished run without a (non-zero) total: full when it did anything or succeeded, else empty.
  else if (finished) percentage = processed > 0 || execution.status === ExecutionStatus.Success ? 100 : 0;
  else percentage = total === 0 ? 0 : null;
  add('progress', {
    type: 'JobProgressBar',
    props: {
      label: total === null ? `${plural(processed, 'item')} processed` : `${processed} of ${plural(total, 'item')} processed`,
      processed,
      total,
      percentage,
      indeterminate: percentage === null,
      tone: isExecutionStatus(execution.status) ? STATUS_TONES[execution.status] : 'neutral',
    },
    children: [],
  });
  add('metrics', { type: 'JobMetricRow', props: metricsProps(execution, now, options.counterLabels), children: [] });

  const alert = alertProps(execution);
  if (alert) add('error', { type: 'JobErrorAlert', props: alert, children: [] });

  const next = nextRunElement(options.nextRun, now);
  if (next) add('next-run', next);

  const lines = (options.logs ?? []).slice(-LOG_LINES_SHOWN);
  if (lines.length > 0) {
    const logChildren: string[] = [];
    for (const line of lines) add(`log-${line.id}`, { type: 'JobLogEntry', props: logProps(line), children: [] }, logChildren);
    elements['log'] = { type: 'StatusPanel', props: { title: 'Recent log lines', variant: 'log', busy }, children: logChildren };
    rootChildren.push('log');
  }

  elements['status'] = { type: 'StatusPanel', props: { title: execution.dryRun ? 'Execution status: dry run' : 'Execution status', variant: 'section', busy }, children: rootChildren };
  return { root: 'status', elements };
}
