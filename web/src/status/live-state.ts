// What the Execution Status tab knows of a config's executions, and how events and API reads
// change it. Pure (no React, no I/O), so the unit tests drive it with plain data.
import { type ExecutionInput, isExecutionStatus, isFinished, STATUS_LABELS } from '../status-catalog/transform.js';

/** Runs the tab keeps: the chart's last 30 (the history shows the first 10). */
export const CHART_RUNS = 30;

/** An execution as `GET /api/executions/{id}` returns it (the fields the tab reads). */
export interface ExecutionData extends ExecutionInput {
  configId: string;
  queuedAt: string | null;
}

/** An `execution` server-sent event (src/api/events.ts LiveExecution). */
export interface LiveExecutionEvent extends ExecutionInput {
  configId: string;
}

/** One step of what the tab saw live of an execution: queued → running → progress → outcome. */
export interface TrailStep {
  step: string;
  text: string;
}

/** Newest first by queue time; ties keep the id order stable. */
export function byNewest(a: ExecutionData, b: ExecutionData): number {
  const at = (e: ExecutionData) => Date.parse(e.queuedAt ?? e.startedAt ?? '') || 0;
  return at(b) - at(a) || (a.id < b.id ? 1 : -1);
}

/**
 * Merges a live event into what the tab knows of the execution. Events carry less than the
 * API (no batch size, no error code), and a progress event may not know the trigger or the
 * queue time, so known fields stay unless the event brings a value.
 */
export function merge(known: ExecutionData | undefined, event: LiveExecutionEvent): ExecutionData {
  if (!known) return { ...event, queuedAt: event.queuedAt ?? null };
  // A late event never takes a finished execution back to running.
  if (isFinished(known.status) && !isFinished(event.status)) return known;
  return {
    ...known,
    status: event.status,
    trigger: event.trigger || known.trigger,
    attempt: event.attempt || known.attempt,
    queuedAt: event.queuedAt ?? known.queuedAt,
    startedAt: event.startedAt ?? known.startedAt,
    finishedAt: event.finishedAt ?? known.finishedAt,
    durationMs: event.durationMs ?? known.durationMs,
    items: { ...event.items },
    summary: event.summary ?? known.summary,
    error: event.error ?? known.error,
    // Whether it is a dry run never changes; an event of a run seen first in progress may not say.
    dryRun: known.dryRun ?? event.dryRun,
  };
}

/**
 * A record read from the API, reconciled with what events already said: the database may lag
 * the stream (progress is written about once a second), so an event's later state stays.
 */
export function reconcile(fetched: ExecutionData, known: ExecutionData | undefined): ExecutionData {
  if (!known) return fetched;
  const rank = (status: string) => (status === 'queued' ? 0 : status === 'running' ? 1 : 2);
  if (rank(known.status) > rank(fetched.status)) return merge(fetched, known);
  if (known.status === 'running' && fetched.status === 'running' && known.items.processed > fetched.items.processed) return { ...fetched, items: known.items };
  return fetched;
}

export function upsert(list: readonly ExecutionData[], execution: ExecutionData): ExecutionData[] {
  const rest = list.filter((e) => e.id !== execution.id);
  return [execution, ...rest].sort(byNewest).slice(0, CHART_RUNS);
}

const hasProgress = (event: LiveExecutionEvent) => event.items.processed > 0 || event.items.total !== null;

/**
 * The trail after one more event: queued, running, progress (replaced as it moves), then the
 * outcome. A running event that already carries progress (the stream may fold the start into
 * the first progress) adds both steps; the trail never goes back.
 */
export function nextTrail(trail: readonly TrailStep[], event: LiveExecutionEvent): TrailStep[] {
  const steps = [...trail];
  const has = (step: string) => steps.some((s) => s.step === step);
  if (isFinished(event.status)) {
    if (!has(event.status)) steps.push({ step: event.status, text: isExecutionStatus(event.status) ? STATUS_LABELS[event.status] : event.status });
    return steps;
  }
  if (steps.some((s) => isFinished(s.step))) return steps;
  if (event.status === 'queued') {
    if (!has('queued')) steps.push({ step: 'queued', text: 'Queued' });
    return steps;
  }
  if (!has('running')) steps.push({ step: 'running', text: 'Running' });
  if (hasProgress(event)) {
    const { processed, total } = event.items;
    const progress = { step: 'progress', text: total === null ? `${processed} processed` : `${processed} of ${total} processed` };
    const at = steps.findIndex((s) => s.step === 'progress');
    if (at === -1) steps.push(progress);
    else steps[at] = progress;
  }
  return steps;
}
