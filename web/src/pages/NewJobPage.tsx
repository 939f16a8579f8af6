import { useEffect, useMemo, useRef, useState } from 'react';
import { ApiRequestError, type JobType, type JsonSchema, type SchedulePreview } from '../api-client';
import { CronField } from '../components/CronField';
import { Field } from '../components/Field';
import { ErrorNotice } from '../components/Notice';
import { checkParameter, ParameterFields } from '../components/ParameterFields';
import { fieldMessage } from '../format';
import { useApi } from '../hooks/use-api';
import { useNavigate } from '../hooks/use-route';
import { useSession } from '../hooks/use-session';

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const CRON_PATH = 'payload.schedule.cronExpression';
const ZONE_PATH = 'payload.schedule.timezone';
/** How long typing in the cron or zone field pauses before the preview is asked for. */
const PREVIEW_DELAY_MS = 300;

function slugOf(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * What a type leaves to the operator: a cron expression when its defaults have none (when to
 * call an endpoint is never guessed), and the parameters its schema requires without a default
 * (http-request's url). Everything else starts from the type's defaults.
 */
export function needsOf(type: JobType | undefined): { cron: boolean; zone: string; parameters: JsonSchema } {
  const schedule = isRecord(type?.defaults['schedule']) ? type.defaults['schedule'] : {};
  const cron = typeof schedule['cronExpression'] !== 'string' || schedule['cronExpression'] === '';
  const zone = typeof schedule['timezone'] === 'string' ? schedule['timezone'] : 'UTC';
  const schema = type?.parameters ?? {};
  const given = isRecord(type?.defaults['parameters']) ? type.defaults['parameters'] : {};
  const required = (schema.required ?? []).filter((name) => {
    const property = schema.properties?.[name];
    return property !== undefined && property.default === undefined && given[name] === undefined;
  });
  const properties = Object.fromEntries(required.map((name) => [name, schema.properties?.[name] as JsonSchema]));
  return { cron, zone, parameters: { type: 'object', properties, required } };
}

/**
 * A new config of a job type, created switched off: the server fills every section from the
 * type's defaults; the form asks only for what the type has no default for.
 */
export function NewJobPage({ type }: { type: string | null }) {
  const api = useApi();
  const navigate = useNavigate();
  const { canOperate } = useSession();
  const [types, setTypes] = useState<JobType[]>([]);
  const [jobType, setJobType] = useState(type ?? '');
  const [title, setTitle] = useState('');
  const [id, setId] = useState('');
  const [idTouched, setIdTouched] = useState(false);
  const [cron, setCron] = useState('');
  const [zone, setZone] = useState('');
  const [parameters, setParameters] = useState<Record<string, unknown>>({});
  const [textErrors, setTextErrors] = useState<Record<string, string>>({});
  const [preview, setPreview] = useState<SchedulePreview | null>(null);
  const [checking, setChecking] = useState(false);
  const previewSeq = useRef(0);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.jobTypes().then((list) => {
      setTypes(list);
      setJobType((current) => current || list[0]?.name || '');
    }, setError);
  }, [api]);

  const chosen = types.find((t) => t.name === jobType);
  const needs = useMemo(() => needsOf(chosen), [chosen]);
  const shownZone = zone || needs.zone;
  const shownId = idTouched ? id : slugOf(title);
  const idError = shownId === '' ? undefined : SLUG.test(shownId) ? undefined : 'use lower-case letters, digits and single hyphens';
  const apiError = error instanceof ApiRequestError ? error : undefined;
  // Shown at its field, whose label names it: the message without the field path it starts with.
  const serverError = (path: string) => (apiError?.field === path ? fieldMessage(apiError.message, path) : undefined);

  useEffect(() => {
    if (!needs.cron || cron.trim() === '') {
      previewSeq.current++;
      setPreview(null);
      setChecking(false);
      return undefined;
    }
    const seq = ++previewSeq.current;
    setChecking(true);
    const timer = window.setTimeout(() => {
      api.preview(cron, shownZone || 'UTC', 5).then(
        (result) => {
          if (seq !== previewSeq.current) return;
          setPreview(result);
          setChecking(false);
        },
        (caught: unknown) => {
          if (seq !== previewSeq.current) return;
          setPreview({ valid: false, error: { code: 'PREVIEW_FAILED', message: (caught as Error).message } });
          setChecking(false);
        },
      );
    }, PREVIEW_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [api, needs.cron, cron, shownZone]);

  const required = new Set(needs.parameters.required ?? []);
  const parameterErrors: Record<string, string> = { ...textErrors };
  for (const [name, schema] of Object.entries(needs.parameters.properties ?? {})) {
    const path = `payload.parameters.${name}`;
    const server = serverError(path);
    const local = parameters[name] === undefined ? undefined : checkParameter(schema, parameters[name], required.has(name));
    const shown = server ?? local;
    if (shown) parameterErrors[path] = shown;
  }
  const zoneFromPreview = preview && !preview.valid && preview.error.code === 'E_TZ' ? preview.error.message : undefined;
  const cronFromPreview = preview && !preview.valid && preview.error.code !== 'E_TZ' ? preview.error.message : undefined;
  const missing = [
    ...(needs.cron && cron.trim() === '' ? ['a cron expression'] : []),
    ...[...required].filter((name) => parameters[name] === undefined || parameters[name] === '').map((name) => `the ${name} parameter`),
  ];
  const placed = apiError?.field !== undefined && [CRON_PATH, ZONE_PATH, 'payload.jobType', 'meta.id', 'meta.title', ...Object.keys(parameterErrors)].includes(apiError.field);
  const invalid = idError !== undefined || Object.keys(textErrors).length > 0 || (needs.cron && (checking || cronFromPreview !== undefined || zoneFromPreview !== undefined));

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
          const payload: Record<string, unknown> = { jobType, displayName: title };
          if (needs.cron) payload['schedule'] = { cronExpression: cron.trim(), timezone: shownZone };
          if (Object.keys(parameters).length > 0) payload['parameters'] = parameters;
          api
            .createJob({ meta: { id: shownId, title }, payload })
            .then((job) => navigate(`jobs/${encodeURIComponent(String(job.meta['id']))}`, true), setError)
            .finally(() => setBusy(false));
        }}
      >
        <Field label="Job type" path="payload.jobType" hint={chosen?.description} error={serverError('payload.jobType')}>
          {(props) => (
            <select
              {...props}
              value={jobType}
              onChange={(event) => {
                setJobType(event.target.value);
                setParameters({});
                setTextErrors({});
                setZone('');
                setError(null);
              }}
            >
              {types.map((t) => (
                <option key={t.name} value={t.name}>
                  {t.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Title" path="meta.title" error={serverError('meta.title')}>
          {(props) => <input {...props} value={title} required maxLength={200} onChange={(event) => setTitle(event.target.value)} />}
        </Field>
        <Field label="Id" path="meta.id" hint="A slug such as nightly-advancement; fixed once created" error={idError ?? serverError('meta.id')}>
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
        {needs.cron ? (
          <fieldset className="new-job__needs">
            <legend>Schedule</legend>
            <p className="muted">This job type has no default schedule: say when it should run once switched on.</p>
            <CronField value={cron} zone={shownZone} preview={preview} checking={checking} error={serverError(CRON_PATH) ?? cronFromPreview} onChange={setCron} />
            <Field label="Time zone" path={ZONE_PATH} error={serverError(ZONE_PATH) ?? zoneFromPreview} hint="IANA name, e.g. UTC or America/Los_Angeles">
              {(props) => <input {...props} value={shownZone} spellCheck={false} autoComplete="off" onChange={(event) => setZone(event.target.value)} />}
            </Field>
          </fieldset>
        ) : null}
        {Object.keys(needs.parameters.properties ?? {}).length > 0 ? (
          <fieldset className="new-job__needs">
            <legend>Required parameters</legend>
            <ParameterFields
              schema={needs.parameters}
              value={parameters}
              secret={chosen?.secretParameters ?? []}
              errors={parameterErrors}
              onChange={setParameters}
              onInvalid={(path, message) =>
                setTextErrors((current) => {
                  const next = { ...current };
                  if (message === null) delete next[path];
                  else next[path] = message;
                  return next;
                })
              }
            />
          </fieldset>
        ) : null}
        {chosen && Object.keys(chosen.defaults).length > 0 ? (
          <details className="defaults">
            <summary>The type's defaults</summary>
            <pre>{JSON.stringify(chosen.defaults, null, 2)}</pre>
          </details>
        ) : null}
        <p className="muted">
          The new job is created switched off, whatever the type's defaults: nothing runs until you switch it on. Every other setting starts from the type's
          defaults and can be changed next.
        </p>
        {placed ? null : <ErrorNotice error={error} />}
        {missing.length > 0 && title.trim() !== '' ? <p className="hint">Still needed: {missing.join(', ')}.</p> : null}
        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={busy || !jobType || !title.trim() || !shownId || missing.length > 0 || invalid}>
            Create job
          </button>
          <button type="button" className="button" onClick={() => navigate('./')}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
