import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { RunDialog } from '../components/RunDialog.js';
import { StatusView } from '../status-catalog/StatusView.js';
import { executionToRenderTree, formatDuration, isFinished, type LogLineInput } from '../status-catalog/transform.js';
import { byNewest, CHART_RUNS, type ExecutionData, merge, nextTrail, reconcile, type TrailStep, upsert } from './live-state.js';
import { RunHistory } from './RunHistory.js';
import { RunHistoryChart } from './RunHistoryChart.js';
import { SlotsView } from './SlotsView.js';
import { type CounterLabels, type JobData, type RunRequest, StatusApiError, statusApi } from './status-api.js';
import { type LiveState, useExecutionEvents } from './use-execution-events.js';
import './status.css';

const LIVE_TEXT: Record<LiveState, string> = {
  connecting: 'Connecting to live updates…',
  live: 'Live updates on',
  reconnecting: 'Live updates interrupted; reconnecting…',
  unavailable: 'Live updates unavailable; reload to try again',
};

function message(error: unknown): string {
  if (error instanceof StatusApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** Ticks `now` while something on screen counts (a run in progress, a near next run). */
function useNow(intervalMs: number): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    setNow(new Date());
    const timer = setInterval(() => setNow(new Date()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/**
 * The editor's Execution Status tab: the latest (or selected) execution drawn through the
 * status catalog, live from /api/events; Run now; a chart of the last 30 runs; the last 10
 * runs with View logs, Retry and Cancel (the actions only for operators).
 */
export function ExecutionStatusTab({ configId, canOperate }: { configId: string; canOperate: boolean }) {
  const [executions, setExecutions] = useState<ExecutionData[]>([]);
  const [job, setJob] = useState<JobData | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [logs, setLogs] = useState<Record<string, LogLineInput[]>>({});
  const [logsOpenFor, setLogsOpenFor] = useState<string | null>(null);
  const [trails, setTrails] = useState<Record<string, TrailStep[]>>({});
  const [busyId, setBusyId] = useState<string | null>(null);
  const [runOpen, setRunOpen] = useState(false);
  const [counterLabels, setCounterLabels] = useState<CounterLabels | undefined>(undefined);
  const [notice, setNotice] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [view, setView] = useState<'runs' | 'slots'>('runs');
  /** An execution opened from the Slots view that is older than the runs the tab keeps. */
  const [opened, setOpened] = useState<ExecutionData | null>(null);
  const logFetches = useRef(new Map<string, { again: boolean }>());
  const logsRef = useRef(logs);
  logsRef.current = logs;
  const trailHeadingId = useId();

  const reload = useCallback(async () => {
    try {
      const [jobData, list] = await Promise.all([statusApi.job(configId), statusApi.executions(configId, CHART_RUNS)]);
      setJob(jobData);
      setExecutions((current) => {
        const known = new Map(current.map((e) => [e.id, e]));
        const merged = new Map(list.map((e) => [e.id, reconcile(e, known.get(e.id))]));
        // Runs still going that the list no longer reaches stay until an event ends them.
        for (const e of current) if (!merged.has(e.id) && !isFinished(e.status)) merged.set(e.id, e);
        return [...merged.values()].sort(byNewest).slice(0, CHART_RUNS);
      });
      setLoadError(null);
    } catch (error) {
      setLoadError(message(error));
    } finally {
      setLoaded(true);
    }
  }, [configId]);

  /** Fetches an execution's log lines after the last one held; one request at a time per execution. */
  const refreshLogs = useCallback(async (executionId: string) => {
    const inFlight = logFetches.current.get(executionId);
    if (inFlight) {
      inFlight.again = true;
      return;
    }
    const state = { again: false };
    logFetches.current.set(executionId, state);
    try {
      do {
        state.again = false;
        const held = logsRef.current[executionId];
        const after = held && held.length > 0 ? held[held.length - 1]?.id : undefined;
        const lines = await statusApi.logs(executionId, after);
        const next = [...(held ?? []), ...lines];
        logsRef.current = { ...logsRef.current, [executionId]: next };
        setLogs((current) => ({ ...current, [executionId]: next }));
      } while (state.again);
    } catch (error) {
      setNotice({ kind: 'error', text: `Could not read the log lines: ${message(error)}` });
    } finally {
      logFetches.current.delete(executionId);
    }
  }, []);

  useEffect(() => {
    setExecutions([]);
    setSelectedId(null);
    setLogs({});
    logsRef.current = {};
    setTrails({});
    setOpened(null);
    setLoaded(false);
    void reload();
  }, [reload]);

  const jobType = job?.payload.jobType;
  useEffect(() => {
    if (!jobType) return undefined;
    let current = true;
    // Without them the counters keep their plain names; nothing else waits on this read.
    statusApi.jobTypes().then((types) => current && setCounterLabels(types.find((t) => t.name === jobType)?.counterLabels), () => undefined);
    return () => {
      current = false;
    };
  }, [jobType]);

  const displayed = useMemo(
    () => (selectedId ? (executions.find((e) => e.id === selectedId) ?? (opened?.id === selectedId ? opened : undefined)) : undefined) ?? executions[0] ?? null,
    [executions, selectedId, opened],
  );
  const displayedId = displayed?.id ?? null;
  const displayedRef = useRef(displayedId);
  displayedRef.current = displayedId;
  const logsOpenRef = useRef(logsOpenFor);
  logsOpenRef.current = logsOpenFor;

  useEffect(() => {
    if (displayedId) void refreshLogs(displayedId);
  }, [displayedId, refreshLogs]);

  const fetchExecution = useCallback(async (executionId: string) => {
    try {
      const execution = await statusApi.execution(executionId);
      setExecutions((current) => upsert(current, reconcile(execution, current.find((e) => e.id === executionId))));
    } catch {
      // The event already showed the outcome; the full record only adds detail.
    }
  }, []);

  const live = useExecutionEvents(configId, {
    onExecution: (event) => {
      setExecutions((current) => upsert(current, merge(current.find((e) => e.id === event.id), event)));
      setTrails((current) => ({ ...current, [event.id]: nextTrail(current[event.id] ?? [], event) }));
      if (isFinished(event.status)) {
        void fetchExecution(event.id);
        void statusApi.job(configId).then(setJob, () => undefined);
      }
      if (event.id === displayedRef.current || event.id === logsOpenRef.current) void refreshLogs(event.id);
    },
    onResync: () => void reload(),
    onConfig: () => void statusApi.job(configId).then(setJob, () => undefined),
  });

  const runActive = displayed !== null && !isFinished(displayed.status);
  const nextRunAt = job?.nextRuns[0] ?? null;
  const nextRunSoon = nextRunAt !== null && Date.parse(nextRunAt) - Date.now() < 3_600_000;
  const now = useNow(runActive || nextRunSoon ? 1000 : 15_000);

  const spec = useMemo(
    () =>
      executionToRenderTree(displayed, {
        now,
        nextRun: job ? { at: nextRunAt, timezone: job.schedule.timezone } : null,
        logs: displayed ? (logs[displayed.id] ?? []) : [],
        ...(counterLabels ? { counterLabels } : {}),
      }),
    [displayed, now, job, nextRunAt, logs, counterLabels],
  );

  const startedRun = async (start: () => Promise<{ executionId: string }>, what: string) => {
    try {
      const { executionId } = await start();
      setSelectedId(executionId);
      setNotice({ kind: 'ok', text: `${what}: the run is queued.` });
      await fetchExecution(executionId);
    } catch (error) {
      setNotice({ kind: 'error', text: `${what} failed: ${message(error)}` });
    }
  };

  /** From the run dialog: a refusal is shown there, so it is not caught here. */
  const runNow = async (options: RunRequest) => {
    const { executionId } = await statusApi.run(configId, options);
    setSelectedId(executionId);
    setNotice({ kind: 'ok', text: `${options.dryRun ? 'Dry run' : 'Run now'}: the run is queued.` });
    await fetchExecution(executionId);
  };

  const retry = async (executionId: string) => {
    setBusyId(executionId);
    await startedRun(() => statusApi.retry(executionId), 'Retry');
    setBusyId(null);
  };

  const cancel = async (executionId: string) => {
    setBusyId(executionId);
    try {
      const execution = await statusApi.cancel(executionId);
      setExecutions((current) => upsert(current, reconcile(execution, current.find((e) => e.id === executionId))));
      setNotice({ kind: 'ok', text: isFinished(execution.status) ? 'The run was cancelled.' : 'Cancel requested: the worker stops the run.' });
    } catch (error) {
      setNotice({ kind: 'error', text: `Cancel failed: ${message(error)}` });
    } finally {
      setBusyId(null);
    }
  };

  /** From the Slots view: shows the execution, read first when the tab does not hold it. */
  const openExecution = (executionId: string) => {
    setSelectedId(executionId);
    if (executions.some((e) => e.id === executionId) || opened?.id === executionId) return;
    statusApi.execution(executionId).then(setOpened, (error: unknown) => setNotice({ kind: 'error', text: `Could not read the run: ${message(error)}` }));
  };
  // The Slots view reads the ledger again when a run changes status or the job changes (pause, schedule).
  const slotsChange = useMemo(
    () => `${executions.map((e) => `${e.id}:${e.status}`).join(',')}|${job?.meta.version ?? ''}|${job?.paused?.at ?? ''}|${job?.status ?? ''}`,
    [executions, job],
  );

  const toggleLogs = (executionId: string) => {
    setLogsOpenFor((open) => (open === executionId ? null : executionId));
    if (logsOpenFor !== executionId) void refreshLogs(executionId);
  };

  const trail = displayed ? trails[displayed.id] : undefined;

  return (
    <div className="gj-status">
      <div className="gj-status__bar">
        <p className={`gj-live gj-live--${live}`} role="status" data-live={live}>
          <span className="gj-live__dot" aria-hidden="true" />
          {LIVE_TEXT[live]}
        </p>
        {canOperate ? (
          <button type="button" className="gj-button gj-button--primary" aria-haspopup="dialog" onClick={() => setRunOpen(true)} disabled={job === null}>
            Run now
          </button>
        ) : null}
        {runOpen && job ? (
          <RunDialog
            title={job.meta.title ?? configId}
            jobType={job.payload.jobType}
            batchSize={job.payload.limits.batchSize}
            dryRunParameter={job.payload.parameters?.['dryRun'] === true}
            onRun={runNow}
            onClose={() => setRunOpen(false)}
          />
        ) : null}
      </div>
      {notice ? (
        <p className={`gj-notice gj-notice--${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'}>
          {notice.text}{' '}
          <button type="button" className="gj-link-button" onClick={() => setNotice(null)} aria-label="Dismiss this message">
            Dismiss
          </button>
        </p>
      ) : null}
      {loadError ? (
        <p className="gj-notice gj-notice--error" role="alert">
          Could not load the runs: {loadError}{' '}
          <button type="button" className="gj-button" onClick={() => void reload()}>
            Try again
          </button>
        </p>
      ) : null}

      <div className="gj-status__grid">
        <div className="gj-status__current">
          {displayed && selectedId && displayed.id !== executions[0]?.id ? (
            <p className="gj-muted">
              Showing a selected run.{' '}
              <button type="button" className="gj-link-button" onClick={() => setSelectedId(null)}>
                Follow the latest run
              </button>
            </p>
          ) : null}
          {loaded || displayed ? <StatusView spec={spec} /> : <p className="gj-muted">Loading the runs…</p>}
          {trail && trail.length > 0 ? (
            <div className="gj-trail">
              <h4 id={trailHeadingId}>Seen live</h4>
              <ol className="gj-trail__steps" aria-labelledby={trailHeadingId}>
                {trail.map((step, index) => (
                  <li key={`${step.step}-${index}`} data-step={step.step}>
                    {step.text}
                  </li>
                ))}
              </ol>
            </div>
          ) : null}
          {displayed && isFinished(displayed.status) && displayed.summary ? <p className="gj-summary">{displayed.summary}</p> : null}
          {displayed && runActive && displayed.startedAt ? (
            <p className="gj-muted" aria-hidden="true">
              Running for {formatDuration(Math.max(0, now.getTime() - Date.parse(displayed.startedAt)))}
            </p>
          ) : null}
        </div>
        <div className="gj-status__history">
          <div className="gj-segmented gj-status__views" role="group" aria-label="Show">
            <button type="button" className="gj-button" aria-pressed={view === 'runs'} onClick={() => setView('runs')}>
              Runs
            </button>
            <button type="button" className="gj-button" aria-pressed={view === 'slots'} onClick={() => setView('slots')}>
              Slots
            </button>
          </div>
          {view === 'slots' ? (
            job ? (
              <SlotsView configId={configId} timezone={job.schedule.timezone} selectedExecutionId={displayedId} onOpenExecution={openExecution} changeKey={slotsChange} />
            ) : (
              <p className="gj-muted">Loading the job…</p>
            )
          ) : (
            <>
              <RunHistoryChart executions={executions} />
              <RunHistory
                executions={executions}
                selectedId={displayedId}
                canOperate={canOperate}
                logsOpenFor={logsOpenFor}
                logs={logs}
                busyId={busyId}
                onSelect={setSelectedId}
                onToggleLogs={toggleLogs}
                onRetry={(id) => void retry(id)}
                onCancel={(id) => void cancel(id)}
              />
            </>
          )}
        </div>
      </div>
    </div>
  );
}
