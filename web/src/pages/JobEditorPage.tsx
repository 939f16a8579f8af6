import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiRequestError } from '../api-client';
import type { JobType, JobView } from '../api-client';
import { ConfigurationForm } from '../components/ConfigurationForm';
import { HourglassIcon } from '../components/Icons';
import { ErrorNotice } from '../components/Notice';
import { RunDialog } from '../components/RunDialog';
import { PauseControl, PauseNote } from '../components/PauseControl';
import { StatusBadge } from '../components/StatusBadge';
import { formatLastRun, formatRunTime } from '../format';
import { useApi } from '../hooks/use-api';
import { useLiveChanges } from '../hooks/use-live-changes';
import { useNavigate } from '../hooks/use-route';
import { useSession } from '../hooks/use-session';
// The status tab (json-render catalog, live events, charts) loads when first opened: see LazyExecutionStatusTab.
import { LazyExecutionStatusTab as ExecutionStatusTab } from '../status/LazyExecutionStatusTab';

type Tab = 'config' | 'status';
const TABS: Array<{ id: Tab; label: string }> = [
  { id: 'config', label: 'Configuration' },
  { id: 'status', label: 'Execution Status' },
];

/** One job config: the Configuration tab (the form) and the Execution Status tab (live status, history). */
/** The link back to the job grid, through the console's navigation (which asks about unsaved changes). */
function BackToJobs({ navigate }: { navigate: (to: string) => void }) {
  return (
    <a
      href="./"
      className="back-link"
      onClick={(event) => {
        event.preventDefault();
        navigate('./');
      }}
    >
      ← All jobs
    </a>
  );
}

export function JobEditorPage({ id, tab }: { id: string; tab: Tab }) {
  const api = useApi();
  const navigate = useNavigate();
  const { me, canOperate, canDelete } = useSession();
  const [job, setJob] = useState<JobView | null>(null);
  const [jobType, setJobType] = useState<JobType | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [runOpen, setRunOpen] = useState(false);

  const shown = useRef(false);
  shown.current = job !== null;

  const load = useCallback(async () => {
    try {
      setJob(await api.job(id));
      setError(null);
    } catch (caught) {
      // A re-read that fails leaves the page as it was, unless the job is gone.
      if (!shown.current || (caught instanceof ApiRequestError && caught.status === 404)) setError(caught);
    }
  }, [api, id]);

  useEffect(() => {
    setJob(null);
    void load();
  }, [load]);

  // The header (next and last run, status, version) and the form's base follow the live events.
  useLiveChanges(() => void load(), id);

  // The form stays mounted once shown, so that its unsaved changes survive a look at the other tab.
  const [formShown, setFormShown] = useState(tab === 'config');
  if (tab === 'config' && !formShown) setFormShown(true);
  // The Run now message points at the status tab: once there, it has said what it had to.
  if (tab === 'status' && message !== null) setMessage(null);

  const jobTypeName = job ? String(job.payload['jobType']) : undefined;
  useEffect(() => {
    if (!jobTypeName) return;
    api.jobTypes().then((types) => setJobType(types.find((t) => t.name === jobTypeName)), setError);
  }, [api, jobTypeName]);

  async function act(run: () => Promise<void>) {
    setActionError(null);
    setMessage(null);
    try {
      await run();
    } catch (caught) {
      setActionError(caught);
    }
  }

  if (error)
    return (
      <section className="page editor">
        <h1>{error instanceof ApiRequestError && error.status === 404 ? 'Job not found' : 'Could not open this job'}</h1>
        <ErrorNotice error={error}>
          <p>
            <BackToJobs navigate={navigate} />
          </p>
        </ErrorNotice>
      </section>
    );
  if (!job) return <p className="muted">Loading {id}…</p>;
  const title = String(job.meta['title'] ?? id);
  const next = job.nextRuns[0];
  const select = (next: Tab) => navigate(`jobs/${encodeURIComponent(id)}${next === 'status' ? '?tab=status' : ''}`, true);

  return (
    <section className="page editor" aria-labelledby="editor-heading">
      <p>
        <BackToJobs navigate={navigate} />
      </p>
      <header className="editor-header card--job-config">
        <HourglassIcon size={32} />
        <div className="card-title">
          <h1 id="editor-heading">{title}</h1>
          <span className="muted">
            {id === job.payload['jobType'] ? id : `${id} · ${String(job.payload['jobType'])}`} · version {String(job.meta['version'])}
          </span>
          <p className="next-run">Next: {next ? formatRunTime(next, job.schedule.timezone, new Date()) : 'not scheduled'} · Last: {formatLastRun(job.lastExecution, jobType?.counterLabels)}</p>
          <PauseNote job={job} now={new Date()} />
        </div>
        <StatusBadge status={job.status} />
        {canOperate ? (
          <div className="editor-actions">
            <button
              type="button"
              className="button button--primary"
              aria-haspopup="dialog"
              onClick={() => setRunOpen(true)}
            >
              Run now
            </button>
            {runOpen ? (
              <RunDialog
                title={title}
                jobType={String(job.payload['jobType'])}
                batchSize={Number((job.payload['limits'] as { batchSize?: number } | undefined)?.batchSize)}
                dryRunParameter={(job.payload['parameters'] as Record<string, unknown> | undefined)?.['dryRun'] === true}
                onRun={async (options) => {
                  await api.runNow(id, options);
                  setActionError(null);
                  setMessage(options.dryRun ? 'Dry run queued' : 'Run queued');
                  await load();
                }}
                onClose={() => setRunOpen(false)}
              />
            ) : null}
            <PauseControl
              job={job}
              title={title}
              onDone={(text) => {
                setActionError(null);
                setMessage(text);
                void load();
              }}
              onError={setActionError}
            />
            <button
              type="button"
              className="button"
              onClick={() =>
                void act(async () => {
                  const copy = await api.duplicateJob(id);
                  navigate(`jobs/${encodeURIComponent(String(copy.meta['id']))}`);
                })
              }
            >
              Duplicate
            </button>
            {canDelete ? (
              <button
                type="button"
                className="button button--danger"
                onClick={() =>
                  void act(async () => {
                    if (!window.confirm(`Delete ${title} and its history? This cannot be undone.`)) return;
                    await api.deleteJob(id, Number(job.meta['version']));
                    navigate('./');
                  })
                }
              >
                Delete
              </button>
            ) : null}
          </div>
        ) : null}
      </header>
      <ErrorNotice error={actionError} />
      {message ? (
        <p className="notice notice--ok" role="status">
          {message}: follow it on the{' '}
          <button type="button" className="link-button" onClick={() => select('status')}>
            Execution Status tab
          </button>
          .
        </p>
      ) : null}
      <div className="tabs" role="tablist" aria-label={`${title} views`}>
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`panel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            className="tab"
            onClick={() => select(t.id)}
            onKeyDown={(event) => {
              if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
                const other = t.id === 'config' ? 'status' : 'config';
                select(other);
                document.getElementById(`tab-${other}`)?.focus();
              }
            }}
          >
            {t.label}
          </button>
        ))}
      </div>
      {formShown ? (
        <div role="tabpanel" id="panel-config" aria-labelledby="tab-config" hidden={tab !== 'config'}>
          <ConfigurationForm job={job} jobType={jobType} onChanged={setJob} />
        </div>
      ) : null}
      {tab === 'status' ? (
        <div role="tabpanel" id="panel-status" aria-labelledby="tab-status">
          <ExecutionStatusTab configId={id} canOperate={me.role !== 'viewer'} />
        </div>
      ) : null}
    </section>
  );
}
