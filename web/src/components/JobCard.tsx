import { memo, useState } from 'react';
import { ApiRequestError, type JobType, type JobView } from '../api-client';
import { formatLastRun, formatRunTime } from '../format';
import { useApi } from '../hooks/use-api';
import { useNavigate } from '../hooks/use-route';
import { useSession } from '../hooks/use-session';
import { HourglassIcon } from './Icons';
import { PauseControl, PauseNote } from './PauseControl';
import { RunDialog } from './RunDialog';
import { StatusBadge } from './StatusBadge';

interface Props {
  job: JobView;
  now: Date;
  /** What the job's type calls its counters ("evaluated", "advanced"); plain "processed" until the types load. */
  counterLabels?: JobType['counterLabels'] | undefined;
  /** The card changed something: the grid reloads its page. */
  onChanged: () => void;
}

/**
 * One job config: critical facts (name, status), summary (next and last run, chips), actions.
 * Memoised: the grid re-renders on every keystroke in its search box, the cards only when their
 * job or the time they are read at changes.
 */
export const JobCard = memo(function JobCard({ job, now, counterLabels, onChanged }: Props) {
  const api = useApi();
  const navigate = useNavigate();
  const { canOperate } = useSession();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [runOpen, setRunOpen] = useState(false);
  const id = String(job.meta['id']);
  const version = Number(job.meta['version']);
  const title = String(job.meta['title'] ?? id);
  const payload = job.payload as {
    jobType: string;
    displayName: string;
    schedule: { isEnabled: boolean };
    limits: { batchSize: number };
    retry: { maxAttempts: number };
    parameters: Record<string, unknown>;
  };
  const next = job.nextRuns[0];
  const href = `jobs/${encodeURIComponent(id)}`;

  async function act(run: () => Promise<string>) {
    setBusy(true);
    setMessage(null);
    try {
      setMessage({ kind: 'ok', text: await run() });
      onChanged();
    } catch (error) {
      const text = error instanceof ApiRequestError && error.status === 409 ? `${error.message}. Reloaded the latest version.` : (error as Error).message;
      setMessage({ kind: 'error', text });
      onChanged();
    } finally {
      setBusy(false);
    }
  }

  return (
    <article className={`card card--job-config card--${job.status}`} aria-label={title} data-job-id={id}>
      <header className="card-header">
        <HourglassIcon />
        <div className="card-title">
          <h2>
            <a
              href={href}
              onClick={(event) => {
                event.preventDefault();
                navigate(href);
              }}
            >
              {title}
            </a>
          </h2>
          <span className="muted">{payload.displayName && payload.displayName !== title ? `${payload.jobType} · ${payload.displayName}` : payload.jobType}</span>
        </div>
        <StatusBadge status={job.status} />
      </header>
      <div className="card-body">
        {/* One text node per line: the grid renders hundreds of these. */}
        <p className="next-run">{`Next: ${next ? formatRunTime(next, job.schedule.timezone, now) : payload.schedule.isEnabled ? 'no upcoming run' : 'not scheduled (disabled)'}`}</p>
        <p className="last-run" data-dry-run={job.lastExecution?.dryRun ? 'true' : undefined}>{`Last: ${formatLastRun(job.lastExecution, counterLabels)}`}</p>
        <PauseNote job={job} now={now} />
        <ul className="chips" aria-label="Configuration">
          <li className="chip" title="Schedule">
            {job.schedule.description}
          </li>
          <li className="chip" title="Batch size">
            {`Batch ${payload.limits.batchSize}`}
          </li>
          <li className="chip" title="Attempts, the first included">
            {`${payload.retry.maxAttempts} ${payload.retry.maxAttempts === 1 ? 'attempt' : 'attempts'}`}
          </li>
        </ul>
      </div>
      <footer className="card-actions">
        {canOperate ? (
          <>
            <label className="switch">
              <input
                type="checkbox"
                role="switch"
                checked={payload.schedule.isEnabled}
                disabled={busy}
                onChange={(event) => {
                  const isEnabled = event.target.checked;
                  void act(async () => {
                    await api.patchJob(id, { payload: { schedule: { isEnabled } } }, version);
                    return isEnabled ? 'Enabled' : 'Disabled';
                  });
                }}
              />
              <span>Enabled</span>
            </label>
            <PauseControl
              job={job}
              title={title}
              onDone={(text) => {
                setMessage({ kind: 'ok', text });
                onChanged();
              }}
              onError={(error) => setMessage({ kind: 'error', text: (error as Error).message })}
            />
            <button
              type="button"
              className="button button--primary"
              disabled={busy}
              aria-label={`Run ${title} now`}
              aria-haspopup="dialog"
              onClick={() => setRunOpen(true)}
            >
              Run now
            </button>
            {runOpen ? (
              <RunDialog
                title={title}
                jobType={payload.jobType}
                batchSize={payload.limits.batchSize}
                dryRunParameter={payload.parameters['dryRun'] === true}
                onRun={async (options) => {
                  await api.runNow(id, options);
                  setMessage({ kind: 'ok', text: options.dryRun ? 'Dry run queued' : 'Run queued' });
                  onChanged();
                }}
                onClose={() => setRunOpen(false)}
              />
            ) : null}
          </>
        ) : (
          <span className="muted">{payload.schedule.isEnabled ? 'Enabled' : 'Disabled'}</span>
        )}
        <button type="button" className="button" onClick={() => navigate(href)} aria-label={`Configure ${title}`}>
          Configure
        </button>
      </footer>
      {message ? (
        <p className={message.kind === 'ok' ? 'notice notice--ok' : 'notice notice--error'} role={message.kind === 'ok' ? 'status' : 'alert'}>
          {message.text}
        </p>
      ) : null}
    </article>
  );
});
