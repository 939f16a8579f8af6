import { useEffect, useState } from 'react';
import { ApiRequestError, type JobType } from '../api-client';
import { Field } from '../components/Field';
import { ErrorNotice } from '../components/Notice';
import { useApi } from '../hooks/use-api';
import { useNavigate } from '../hooks/use-route';
import { useSession } from '../hooks/use-session';

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;

function slugOf(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
}

/** A new config of a job type: the server fills every section from the type's defaults (switched off). */
export function NewJobPage({ type }: { type: string | null }) {
  const api = useApi();
  const navigate = useNavigate();
  const { canOperate } = useSession();
  const [types, setTypes] = useState<JobType[]>([]);
  const [jobType, setJobType] = useState(type ?? '');
  const [title, setTitle] = useState('');
  const [id, setId] = useState('');
  const [idTouched, setIdTouched] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.jobTypes().then((list) => {
      setTypes(list);
      setJobType((current) => current || list[0]?.name || '');
    }, setError);
  }, [api]);

  const chosen = types.find((t) => t.name === jobType);
  const shownId = idTouched ? id : slugOf(title);
  const idError = shownId === '' ? undefined : SLUG.test(shownId) ? undefined : 'use lower-case letters, digits and single hyphens';
  const fieldError = error instanceof ApiRequestError ? error.field : undefined;

  if (!canOperate) return <p className="notice notice--error">Creating jobs needs the operator role.</p>;
  return (
    <section className="page" aria-labelledby="new-heading">
      <h1 id="new-heading">New job</h1>
      <form
        className="new-job"
        onSubmit={(event) => {
          event.preventDefault();
          setBusy(true);
          setError(null);
          api
            .createJob({ meta: { id: shownId, title }, payload: { jobType, displayName: title } })
            .then((job) => navigate(`/jobs/${encodeURIComponent(String(job.meta['id']))}`, true), setError)
            .finally(() => setBusy(false));
        }}
      >
        <Field label="Job type" path="payload.jobType" hint={chosen?.description} error={fieldError === 'payload.jobType' ? (error as Error).message : undefined}>
          {(props) => (
            <select {...props} value={jobType} onChange={(event) => setJobType(event.target.value)}>
              {types.map((t) => (
                <option key={t.name} value={t.name}>
                  {t.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Title" path="meta.title">
          {(props) => <input {...props} value={title} required maxLength={200} onChange={(event) => setTitle(event.target.value)} />}
        </Field>
        <Field label="Id" path="meta.id" hint="A slug such as nightly-advancement; fixed once created" error={idError ?? (fieldError === 'meta.id' ? (error as Error).message : undefined)}>
          {(props) => (
            <input
              {...props}
              value={shownId}
              maxLength={64}
              onChange={(event) => {
                setIdTouched(true);
                setId(event.target.value);
              }}
            />
          )}
        </Field>
        {chosen && Object.keys(chosen.defaults).length > 0 ? (
          <details className="defaults">
            <summary>The type's defaults</summary>
            <pre>{JSON.stringify(chosen.defaults, null, 2)}</pre>
          </details>
        ) : null}
        <p className="muted">The new job starts from the type's defaults, switched off; you set its schedule next.</p>
        <ErrorNotice error={error} />
        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={busy || !jobType || !title.trim() || !shownId || idError !== undefined}>
            Create job
          </button>
          <button type="button" className="button" onClick={() => navigate('/')}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
