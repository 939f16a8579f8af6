// Dry runs and a job type's counter names in the console's pure helpers: the status card's tree,
// the run chart's groups and the last-run line.
import { describe, expect, it } from 'vitest';
import { formatLastRun } from '../../web/src/format.js';
import { type ExecutionInput, executionToRenderTree } from '../../web/src/status-catalog/transform.js';
import { chartData } from '../../web/src/status/run-chart-data.js';
import { type ExecutionData, type LiveExecutionEvent, merge } from '../../web/src/status/live-state.js';

const NOW = new Date('2026-01-16T02:00:30.000Z');

function aRun(overrides: Partial<ExecutionData> = {}): ExecutionData {
  return {
    id: '01a24e2b-0000-7000-8000-000000000001',
    configId: 'advancement-batch',
    status: 'success',
    trigger: 'api',
    attempt: 1,
    queuedAt: '2026-01-16T02:00:00.000Z',
    startedAt: '2026-01-16T02:00:01.000Z',
    finishedAt: '2026-01-16T02:00:02.000Z',
    durationMs: 1000,
    items: { total: 150, processed: 150, succeeded: 93, failed: 0 },
    summary: null,
    error: null,
    dryRun: false,
    ...overrides,
  };
}

type Metrics = { metrics: Array<{ key: string; label: string }> };
const labels = (execution: ExecutionInput, counterLabels?: { processed?: string; succeeded?: string; failed?: string }) =>
  (executionToRenderTree(execution, { now: NOW, ...(counterLabels ? { counterLabels } : {}) }).elements['metrics']?.props as Metrics).metrics.map((m) => m.label);

describe('the status card', () => {
  it.each([
    ['a real run, plain names', false, undefined, ['Duration', 'Processed', 'Succeeded', 'Failed', 'Run']],
    ['a real run, the type’s names', false, { processed: 'Evaluated', succeeded: 'Advanced' }, ['Duration', 'Evaluated', 'Advanced', 'Failed', 'Run']],
    ['a dry run, the type’s names', true, { processed: 'Evaluated', succeeded: 'Advanced' }, ['Duration', 'Evaluated', 'Advanced (dry run)', 'Failed', 'Run']],
  ])('names the counters of %s', (_name, dryRun, counterLabels, expected) => {
    expect(labels(aRun({ dryRun }), counterLabels)).toEqual(expected);
  });

  it('marks a dry run in its title and phase', () => {
    const spec = executionToRenderTree(aRun({ dryRun: true }), { now: NOW });
    expect(spec.elements['status']?.props).toMatchObject({ title: 'Execution status: dry run' });
    expect(spec.elements['phase']?.props).toMatchObject({ dryRun: true, label: 'Success' });
    expect(executionToRenderTree(aRun(), { now: NOW }).elements['status']?.props).toMatchObject({ title: 'Execution status' });
  });
});

describe('the run chart', () => {
  it('draws a dry run that did not fail apart from real runs, and a failed dry run as failed', () => {
    const chart = chartData([aRun({ id: 'a' }), aRun({ id: 'b', dryRun: true }), aRun({ id: 'c', dryRun: true, status: 'failed' }), aRun({ id: 'd', dryRun: true, status: 'partial' })]);
    expect(chart.counts).toEqual({ success: 1, partial: 0, failed: 1, dry: 2 });
  });
});

describe('the last run line', () => {
  it.each([
    [aRun(), 'Success (150 processed, 1s)'],
    [aRun({ dryRun: true }), 'Success (dry run, 150 processed, 1s)'],
    [aRun({ dryRun: true, status: 'queued', startedAt: null, finishedAt: null, durationMs: null }), 'Queued (dry run)'],
  ])('reads %#', (run, expected) => {
    expect(formatLastRun({ ...run, queuedAt: run.queuedAt ?? '', dryRun: run.dryRun ?? false })).toBe(expected);
  });

  it.each([
    [{ processed: 'Evaluated', succeeded: 'Advanced' }, 'Success (dry run, 150 evaluated, 93 advanced, 1s)'],
    [{ processed: 'Sprouts', succeeded: 'Succeeded' }, 'Success (dry run, 150 sprouts, 1s)'],
  ])('uses the job type’s counter names: %j', (labels, expected) => {
    const run = aRun({ dryRun: true });
    expect(formatLastRun({ ...run, queuedAt: run.queuedAt ?? '', dryRun: true }, labels)).toBe(expected);
  });
});

describe('live events of a dry run', () => {
  const event = (status: string, dryRun?: boolean): LiveExecutionEvent => ({
    id: 'e1',
    configId: 'advancement-batch',
    status,
    trigger: 'manual',
    attempt: 1,
    queuedAt: '2026-12-07T10:00:00.000Z',
    startedAt: status === 'queued' ? null : '2026-12-07T10:00:01.000Z',
    finishedAt: null,
    durationMs: null,
    items: { total: null, processed: 0, succeeded: 0, failed: 0 },
    summary: null,
    error: null,
    ...(dryRun === undefined ? {} : { dryRun }),
  });

  it('mark the execution as a dry run from its first event, and a later event that does not say keeps it', () => {
    const queued = merge(undefined, event('queued', true));
    expect(queued.dryRun).toBe(true);
    expect(merge(queued, event('running')).dryRun).toBe(true);
    expect(merge(merge(undefined, event('queued', false)), event('running')).dryRun).toBe(false);
  });
});
