import { useId } from 'react';
import { plural } from '../format.js';
import { formatDuration, isFinished, STATUS_LABELS, isExecutionStatus } from '../status-catalog/transform.js';
import type { LogLineInput } from '../status-catalog/transform.js';
import type { ExecutionData } from './live-state.js';

/** Runs listed under the status view (SPEC: the history of the last 10 runs). */
export const HISTORY_LENGTH = 10;

const TRIGGER_LABELS: Record<string, string> = { schedule: 'Scheduled', manual: 'Manual', api: 'Run now', retry: 'Retry', backfill: 'Backfill' };

function when(iso: string | null): string {
  if (iso === null) return '—';
  return new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit' }).format(new Date(iso));
}

interface Props {
  executions: readonly ExecutionData[];
  selectedId: string | null;
  canOperate: boolean;
  /** The execution whose log lines are open (one at a time). */
  logsOpenFor: string | null;
  logs: Readonly<Record<string, readonly LogLineInput[]>>;
  /** An action on this execution is in flight: its buttons wait. */
  busyId: string | null;
  onSelect: (id: string) => void;
  onToggleLogs: (id: string) => void;
  onRetry: (id: string) => void;
  onCancel: (id: string) => void;
}

export function RunHistory({ executions, selectedId, canOperate, logsOpenFor, logs, busyId, onSelect, onToggleLogs, onRetry, onCancel }: Props) {
  const headingId = useId();
  const shown = executions.slice(0, HISTORY_LENGTH);
  return (
    <section className="gj-history" aria-labelledby={headingId}>
      <h3 id={headingId}>Last {HISTORY_LENGTH} runs</h3>
      {shown.length === 0 ? (
        <p className="gj-muted">This job has not run yet.</p>
      ) : (
        <ol className="gj-history__list" aria-labelledby={headingId}>
          {shown.map((execution) => {
            const status = isExecutionStatus(execution.status) ? execution.status : null;
            const label = status ? STATUS_LABELS[status] : execution.status;
            const finished = isFinished(execution.status);
            const selected = execution.id === selectedId;
            const open = logsOpenFor === execution.id;
            const lines = logs[execution.id];
            const logsId = `gj-logs-${execution.id}`;
            const busy = busyId === execution.id;
            return (
              <li
                key={execution.id}
                className={`gj-history__row${selected ? ' is-selected' : ''}`}
                data-execution-id={execution.id}
                data-status={execution.status}
                data-dry-run={execution.dryRun ? 'true' : undefined}
              >
                <div className="gj-history__summary">
                  <span className={`gj-pill gj-pill--${execution.status}`}>{label}</span>
                  {execution.dryRun ? (
                    <span className="gj-dry-run" title="A dry run: it changed nothing">
                      Dry run
                    </span>
                  ) : null}
                  <span className="gj-history__when">
                    <time dateTime={execution.queuedAt ?? undefined}>{when(execution.startedAt ?? execution.queuedAt)}</time>
                    {' · '}
                    {TRIGGER_LABELS[execution.trigger] ?? execution.trigger}
                    {execution.attempt > 1 ? ` · attempt ${execution.attempt}` : ''}
                  </span>
                  <span className="gj-history__items">
                    {plural(execution.items.processed, 'item')}{finished && execution.durationMs !== null ? ` (${formatDuration(execution.durationMs)})` : ''}
                  </span>
                </div>
                {execution.error ? <p className="gj-history__error">{execution.error.message}</p> : null}
                <div className="gj-history__actions">
                  <button type="button" className="gj-button" aria-pressed={selected} onClick={() => onSelect(execution.id)}>
                    Show status
                  </button>
                  <button type="button" className="gj-button" aria-expanded={open} aria-controls={logsId} onClick={() => onToggleLogs(execution.id)}>
                    {open ? 'Hide logs' : 'View logs'}
                  </button>
                  {canOperate && finished ? (
                    <button type="button" className="gj-button" disabled={busy} onClick={() => onRetry(execution.id)}>
                      Retry
                    </button>
                  ) : null}
                  {canOperate && !finished ? (
                    <button type="button" className="gj-button gj-button--danger" disabled={busy || Boolean(execution.cancelRequestedAt)} onClick={() => onCancel(execution.id)}>
                      {execution.cancelRequestedAt ? 'Cancelling…' : 'Cancel'}
                    </button>
                  ) : null}
                </div>
                {open ? (
                  <div id={logsId} className="gj-history__logs" role="log" tabIndex={0} aria-label={`Log lines of the run at ${when(execution.queuedAt)}`}>
                    {lines === undefined ? (
                      <p className="gj-muted">Loading log lines…</p>
                    ) : lines.length === 0 ? (
                      <p className="gj-muted">No log lines.</p>
                    ) : (
                      <ol className="gj-log-lines">
                        {lines.map((line) => (
                          <li key={line.id} className={`gj-log-line gj-log-line--${line.level}`}>
                            <time dateTime={line.at}>{when(line.at)}</time> <span className="gj-log-line__level">{line.level.toUpperCase()}</span> <span>{line.message}</span>
                          </li>
                        ))}
                      </ol>
                    )}
                  </div>
                ) : null}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
