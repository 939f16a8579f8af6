import { describe, expect, it } from 'vitest';
import { statusCatalog, validateStatusSpec } from '../../web/src/status-catalog/catalog.js';
import { JobErrorAlertProps, JobLogEntryProps, JobPhaseIndicatorProps, JobProgressBarProps, NextRunCountdownProps, STATUS_COMPONENT_PROPS } from '../../web/src/status-catalog/schemas.js';
import { type ExecutionData, type LiveExecutionEvent, merge, nextTrail, reconcile, type TrailStep, upsert } from '../../web/src/status/live-state.js';
import { type ExecutionInput, executionToRenderTree, formatCountdown, formatDuration, LOG_LINES_SHOWN, type StatusSpec } from '../../web/src/status-catalog/transform.js';

const NOW = new Date('2026-01-16T02:00:30.000Z');

function anExecution(overrides: Partial<ExecutionInput> = {}): ExecutionInput {
  return {
    id: '3f1c2a9e-0000-4000-8000-000000000001',
    status: 'success',
    trigger: 'schedule',
    attempt: 1,
    queuedAt: '2026-01-16T02:00:00.000Z',
    startedAt: '2026-01-16T02:00:01.000Z',
    finishedAt: '2026-01-16T02:00:24.000Z',
    durationMs: 23_000,
    items: { total: 142, processed: 142, succeeded: 142, failed: 0 },
    summary: 'advanced 12 of 142 sprouts',
    error: null,
    batchSize: 100,
    dryRun: false,
    retryOf: null,
    cancelRequestedAt: null,
    ...overrides,
  };
}

const childTypes = (spec: StatusSpec, key = spec.root) => (spec.elements[key]?.children ?? []).map((child) => spec.elements[child]?.type);
const propsOf = <T>(spec: StatusSpec, key: string) => spec.elements[key]?.props as T;

describe('executionToRenderTree', () => {
  it('draws a successful run as phase, full progress, metrics and the next run, with no error alert', () => {
    const spec = executionToRenderTree(anExecution(), { now: NOW, nextRun: { at: '2026-01-17T02:00:00.000Z', timezone: 'UTC' } });
    expect(spec.root).toBe('status');
    expect(childTypes(spec)).toEqual(['JobPhaseIndicator', 'JobProgressBar', 'JobMetricRow', 'NextRunCountdown']);
    expect(propsOf<JobPhaseIndicatorProps>(spec, 'phase')).toMatchObject({ phase: 'success', label: 'Success', tone: 'green', attempt: 1 });
    expect(propsOf<JobPhaseIndicatorProps>(spec, 'phase').steps.map((s) => s.state)).toEqual(['done', 'done', 'done']);
    expect(propsOf<JobProgressBarProps>(spec, 'progress')).toMatchObject({ processed: 142, total: 142, percentage: 100, label: '142 of 142 items processed' });
    expect(propsOf<NextRunCountdownProps>(spec, 'next-run')).toEqual({
      nextRunAt: '2026-01-17T02:00:00.000Z',
      timezone: 'UTC',
      atText: 'Tomorrow 2:00 AM UTC',
      inText: 'in 23h 59m',
      secondsLeft: 86_370,
    });
  });

  it('is pure: the same input gives an equal tree, and the input is left as it was', () => {
    const execution = anExecution({ status: 'running', finishedAt: null, durationMs: null });
    const frozen = structuredClone(execution);
    const options = { now: NOW, nextRun: { at: '2026-01-17T02:00:00.000Z', timezone: 'Europe/Berlin' }, logs: [{ id: 1, at: NOW.toISOString(), level: 'info', message: 'hi' }] };
    expect(executionToRenderTree(execution, options)).toEqual(executionToRenderTree(execution, options));
    expect(execution).toEqual(frozen);
  });

  it('shows a running run with its progress, elapsed time from `now`, and the current step', () => {
    const spec = executionToRenderTree(
      anExecution({ status: 'running', finishedAt: null, durationMs: null, items: { total: 150, processed: 100, succeeded: 7, failed: 0 } }),
      { now: NOW },
    );
    const phase = propsOf<JobPhaseIndicatorProps>(spec, 'phase');
    expect(phase).toMatchObject({ phase: 'running', label: 'Running', tone: 'blue' });
    expect(phase.steps.map((s) => s.state)).toEqual(['done', 'current', 'pending']);
    expect(propsOf<JobProgressBarProps>(spec, 'progress')).toMatchObject({ processed: 100, total: 150, percentage: 66.7 });
    const metrics = spec.elements['metrics']?.props as { metrics: Array<{ key: string; label: string; value: string }> };
    expect(metrics.metrics[0]).toMatchObject({ label: 'Elapsed', value: '29s' });
    expect(spec.elements['status']?.props).toMatchObject({ busy: true });
  });

  it('leaves the progress bar indeterminate while the total is unknown', () => {
    const spec = executionToRenderTree(anExecution({ status: 'running', finishedAt: null, durationMs: null, items: { total: null, processed: 40, succeeded: 40, failed: 0 } }), { now: NOW });
    expect(propsOf<JobProgressBarProps>(spec, 'progress')).toMatchObject({ total: null, percentage: null, indeterminate: true, label: '40 items processed' });
  });

  it.each([
    ['failed', 0, 0],
    ['success', 0, 100],
    ['success', 12, 100],
    ['cancelled', 3, 100],
  ])('fills the bar of a finished %s run without a total (%s processed) to %s%%', (status, processed, percentage) => {
    const spec = executionToRenderTree(anExecution({ status, items: { total: null, processed, succeeded: processed, failed: 0 } }), { now: NOW });
    expect(propsOf<JobProgressBarProps>(spec, 'progress')).toMatchObject({ percentage, indeterminate: false });
  });

  it('shows a queued run as the first step, not yet started', () => {
    const spec = executionToRenderTree(anExecution({ status: 'queued', startedAt: null, finishedAt: null, durationMs: null, items: { total: null, processed: 0, succeeded: 0, failed: 0 } }), { now: NOW });
    expect(propsOf<JobPhaseIndicatorProps>(spec, 'phase').steps.map((s) => s.state)).toEqual(['current', 'pending', 'pending']);
    expect(spec.elements['error']).toBeUndefined();
  });

  it.each([
    ['failed', 'The run failed', 'error', 'red'],
    ['timeout', 'The run timed out', 'error', 'red'],
    ['partial', '3 of 142 items failed', 'warning', 'amber'],
    ['cancelled', 'The run was cancelled', 'warning', 'amber'],
  ] as const)('adds an error alert for a %s run', (status, title, severity, tone) => {
    const spec = executionToRenderTree(
      anExecution({ status, error: { message: 'connect ECONNREFUSED 127.0.0.1:9', code: 'HANDLER_ERROR' }, items: { total: 142, processed: 142, succeeded: 139, failed: 3 } }),
      { now: NOW },
    );
    expect(childTypes(spec)).toContain('JobErrorAlert');
    expect(propsOf<JobErrorAlertProps>(spec, 'error')).toMatchObject({ title, severity, message: 'connect ECONNREFUSED 127.0.0.1:9', code: 'HANDLER_ERROR', retryable: true });
    expect(propsOf<JobPhaseIndicatorProps>(spec, 'phase').tone).toBe(tone);
  });

  it('marks a retry that failed again as critical', () => {
    const spec = executionToRenderTree(anExecution({ status: 'failed', trigger: 'retry', retryOf: 'previous-run', error: { message: 'boom' } }), { now: NOW });
    expect(propsOf<JobErrorAlertProps>(spec, 'error').severity).toBe('critical');
  });

  it('warns while a cancel is pending on a running run', () => {
    const spec = executionToRenderTree(anExecution({ status: 'running', finishedAt: null, durationMs: null, cancelRequestedAt: NOW.toISOString() }), { now: NOW });
    expect(propsOf<JobErrorAlertProps>(spec, 'error')).toMatchObject({ title: 'Cancel requested', severity: 'warning', retryable: false });
  });

  it('draws the last log lines, oldest first, as log entries in a log panel', () => {
    const logs = Array.from({ length: LOG_LINES_SHOWN + 5 }, (_, i) => ({ id: i + 1, at: NOW.toISOString(), level: i === 24 ? 'error' : 'info', message: `line ${i + 1}` }));
    const spec = executionToRenderTree(anExecution(), { now: NOW, logs });
    expect(spec.elements['log']).toMatchObject({ type: 'StatusPanel', props: { variant: 'log' } });
    const entries = (spec.elements['log']?.children ?? []).map((key) => propsOf<JobLogEntryProps>(spec, key));
    expect(entries).toHaveLength(LOG_LINES_SHOWN);
    expect(entries[0]?.message).toBe('line 6');
    expect(entries.at(-1)).toMatchObject({ id: 25, level: 'error', message: 'line 25' });
  });

  it('reads an unknown log level as info and an unknown status as its own label', () => {
    const spec = executionToRenderTree(anExecution({ status: 'paused-by-operator' }), { now: NOW, logs: [{ id: 1, at: NOW.toISOString(), level: 'trace', message: 'x' }] });
    expect(propsOf<JobPhaseIndicatorProps>(spec, 'phase')).toMatchObject({ label: 'paused-by-operator', tone: 'neutral' });
    expect(propsOf<JobLogEntryProps>(spec, 'log-1').level).toBe('info');
    expect(validateStatusSpec(spec).success).toBe(true);
  });

  it('says "Not scheduled" for a job without a next run, and "None yet" for a job that never ran', () => {
    const spec = executionToRenderTree(null, { now: NOW, nextRun: { at: null, timezone: 'America/New_York' } });
    expect(childTypes(spec)).toEqual(['JobMetricRow', 'NextRunCountdown']);
    expect(propsOf<NextRunCountdownProps>(spec, 'next-run')).toMatchObject({ nextRunAt: null, atText: 'Not scheduled', secondsLeft: null });
    expect(spec.elements['metrics']?.props).toEqual({ metrics: [{ key: 'runs', label: 'Runs', value: 'None yet', tone: 'neutral' }] });
  });

  it("writes the next run in the config's zone, where it may fall on another day than in UTC", () => {
    // now is 9:00 PM on Jan 15 in New York; the run is 2:00 AM there on Jan 16 (7:00 AM UTC).
    const spec = executionToRenderTree(anExecution(), { now: NOW, nextRun: { at: '2026-01-16T07:00:00.000Z', timezone: 'America/New_York' } });
    expect(propsOf<NextRunCountdownProps>(spec, 'next-run')).toMatchObject({ atText: 'Tomorrow 2:00 AM EST', inText: 'in 4h 59m' });
  });

  it('gives every element a known type, props its schema accepts and children that exist', () => {
    const statuses = ['queued', 'running', 'success', 'partial', 'failed', 'timeout', 'cancelled', 'skipped'];
    for (const status of statuses) {
      const spec = executionToRenderTree(anExecution({ status, error: status === 'failed' ? { message: 'x' } : null }), {
        now: NOW,
        nextRun: { at: '2026-01-17T02:00:00.000Z', timezone: 'UTC' },
        logs: [{ id: 7, at: NOW.toISOString(), level: 'warn', message: 'slow' }],
      });
      for (const [key, element] of Object.entries(spec.elements)) {
        const schema = STATUS_COMPONENT_PROPS[element.type];
        expect(schema.safeParse(element.props).success, `${status}: ${key}`).toBe(true);
        for (const child of element.children) expect(spec.elements[child], `${status}: ${key} → ${child}`).toBeDefined();
      }
      expect(validateStatusSpec(spec)).toMatchObject({ success: true });
    }
  });
});

describe('the status catalog', () => {
  it('holds the six status components and the layout panel', () => {
    expect(Object.keys(statusCatalog.data.components).sort()).toEqual(
      ['JobErrorAlert', 'JobLogEntry', 'JobMetricRow', 'JobPhaseIndicator', 'JobProgressBar', 'NextRunCountdown', 'StatusPanel'].sort(),
    );
  });

  it('refuses props a schema does not allow, and elements of unknown types', () => {
    expect(JobProgressBarProps.safeParse({ label: 'x', processed: 1, total: 2, percentage: 140, indeterminate: false, tone: 'blue' }).success).toBe(false);
    expect(JobPhaseIndicatorProps.safeParse({ phase: 'exploded', label: 'x', tone: 'red', attempt: 1, trigger: 'api', dryRun: false, steps: [] }).success).toBe(false);
    expect(JobLogEntryProps.safeParse({ id: 1, at: 'yesterday', level: 'info', message: 'x' }).success).toBe(false);
    const good = executionToRenderTree(anExecution(), { now: NOW });
    const badProps = structuredClone(good) as unknown as { elements: Record<string, { props: Record<string, unknown> }> };
    (badProps.elements['progress'] as { props: Record<string, unknown> }).props['percentage'] = -3;
    expect(validateStatusSpec(badProps).success).toBe(false);
    const unknownType = structuredClone(good) as unknown as { elements: Record<string, { type: string }> };
    (unknownType.elements['metrics'] as { type: string }).type = 'Marquee';
    expect(validateStatusSpec(unknownType).success).toBe(false);
  });
});

describe('formatting', () => {
  it.each([
    [null, '—'],
    [450, '450 ms'],
    [23_000, '23s'],
    [154_000, '2m 34s'],
    [3_600_000 * 3 + 60_000 * 12, '3h 12m'],
  ])('formatDuration(%s) is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([
    [0, 'due now'],
    [45, 'in 45s'],
    [125, 'in 2m 5s'],
    [3 * 3600 + 12 * 60, 'in 3h 12m'],
    [3 * 86_400 + 3600, 'in 3d 1h'],
  ])('formatCountdown(%s) is %s', (seconds, text) => {
    expect(formatCountdown(seconds)).toBe(text);
  });
});

describe('the live state of the status tab', () => {
  const base = (overrides: Partial<ExecutionData> = {}): ExecutionData => ({ ...anExecution(), configId: 'advancement-batch', ...overrides });
  const event = (overrides: Partial<LiveExecutionEvent>): LiveExecutionEvent => ({ ...base(), ...overrides });
  const queued = event({ status: 'queued', startedAt: null, finishedAt: null, durationMs: null, items: { total: null, processed: 0, succeeded: 0, failed: 0 }, summary: null });
  const started = event({ status: 'running', finishedAt: null, durationMs: null, items: { total: null, processed: 0, succeeded: 0, failed: 0 }, summary: null });
  const progress = (processed: number) => event({ status: 'running', finishedAt: null, durationMs: null, items: { total: 150, processed, succeeded: 0, failed: 0 }, summary: null });
  const done = event({ status: 'success' });
  const trailOf = (...events: LiveExecutionEvent[]) => events.reduce<TrailStep[]>((trail, e) => nextTrail(trail, e), []);

  it('records queued → running → progress → outcome, progress replacing progress', () => {
    const trail = trailOf(queued, started, progress(5), progress(100), done);
    expect(trail.map((t) => t.step)).toEqual(['queued', 'running', 'progress', 'success']);
    expect(trail[2]?.text).toBe('100 of 150 processed');
    expect(trail[3]?.text).toBe('Success');
  });

  it('adds the running step from a first event that already carries progress, and never goes back', () => {
    expect(trailOf(queued, progress(10), done, progress(20)).map((t) => t.step)).toEqual(['queued', 'running', 'progress', 'success']);
    expect(trailOf(queued, started, started).map((t) => t.step)).toEqual(['queued', 'running']);
  });

  it('merges an event without losing what only the API knows, and never reopens a finished run', () => {
    const known = base({ status: 'running', finishedAt: null, durationMs: null, batchSize: 5, dryRun: true });
    const merged = merge(known, { ...done, batchSize: undefined, trigger: '', queuedAt: null });
    expect(merged).toMatchObject({ status: 'success', batchSize: 5, dryRun: true, trigger: 'schedule', queuedAt: known.queuedAt });
    expect(merge(base({ status: 'failed' }), progress(3)).status).toBe('failed');
  });

  it('keeps an event’s later state over an API read that lags it', () => {
    expect(reconcile(base({ status: 'running', finishedAt: null }), base({ status: 'success' })).status).toBe('success');
    expect(reconcile(base({ ...progress(20) }), base({ ...progress(90) })).items.processed).toBe(90);
    expect(reconcile(base({ status: 'failed', error: { message: 'x', code: 'HANDLER_ERROR' } }), base({ status: 'running' }))).toMatchObject({ status: 'failed', error: { code: 'HANDLER_ERROR' } });
  });

  it('keeps the newest 30 runs, newest first, one entry per id', () => {
    let list: ExecutionData[] = [];
    for (let i = 0; i < 35; i++) list = upsert(list, base({ id: `run-${String(i).padStart(2, '0')}`, queuedAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString() }));
    list = upsert(list, base({ id: 'run-34', status: 'failed', queuedAt: new Date(Date.UTC(2026, 0, 1, 0, 34)).toISOString() }));
    expect(list).toHaveLength(30);
    expect(list[0]).toMatchObject({ id: 'run-34', status: 'failed' });
    expect(list.at(-1)?.id).toBe('run-05');
  });
});
