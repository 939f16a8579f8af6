import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { ApiRequestError, type FieldOwners, type JobChangePreview, type JobType, type JobView, type SchedulePreview } from '../api-client';
import { fieldMessage, fieldName, formatRunTime } from '../format';
import { useApi } from '../hooks/use-api';
import { type FieldOwnership, FieldOwnershipContext, isFromFiles } from '../hooks/use-from-files';
import { useLeaveGuard } from '../hooks/use-route';
import { useSession } from '../hooks/use-session';
import { CronField } from './CronField';
import { CheckField, ChoiceGroup, Field } from './Field';
import { ErrorNotice } from './Notice';
import { checkParameter, ParameterFields } from './ParameterFields';
import { Section } from './Section';
import { VersionHistory } from './VersionHistory';
import { WhatIfPanel } from './WhatIfPanel';

/** The editable part of a config: what is sent back with PUT (server-managed meta is left out). */
interface Draft {
  meta: { id: string; title: string; description: string };
  payload: Payload;
}

interface Payload {
  jobType: string;
  displayName: string;
  schedule: {
    cronExpression: string;
    timezone: string;
    isEnabled: boolean;
    misfirePolicy: string;
    misfireGraceSeconds?: number | '';
    catchupWindowSeconds: number | '';
    overlapPolicy: string;
    jitterSeconds?: number | '';
  };
  retry: { maxAttempts: number | ''; backoffStrategy: string; initialDelaySeconds: number | ''; maxDelaySeconds: number | '' };
  limits: { batchSize: number | ''; timeoutSeconds: number | ''; maxConcurrent: number | '' };
  parameters: Record<string, unknown>;
  notifications: {
    onSuccess: boolean;
    onFailure: boolean;
    channels: string[];
    webhookUrl?: string;
    webhookSecret?: string;
    pauseAfterConsecutiveFailures: number | '';
  };
}

const DAY = 86_400;
/** Number fields of SPEC §2 with the server's limits (src/domain/config/schema.ts), checked as you type. */
const NUMBER_RULES: Record<string, { min: number; max: number; optional?: boolean }> = {
  'payload.schedule.misfireGraceSeconds': { min: 1, max: DAY, optional: true },
  'payload.schedule.catchupWindowSeconds': { min: 0, max: 31 * DAY },
  'payload.schedule.jitterSeconds': { min: 0, max: 3600, optional: true },
  'payload.retry.maxAttempts': { min: 1, max: 100 },
  'payload.retry.initialDelaySeconds': { min: 0, max: DAY },
  'payload.retry.maxDelaySeconds': { min: 0, max: 7 * DAY },
  'payload.limits.batchSize': { min: 1, max: 1_000_000 },
  'payload.limits.timeoutSeconds': { min: 1, max: 7 * DAY },
  'payload.limits.maxConcurrent': { min: 1, max: 1000 },
  'payload.notifications.pauseAfterConsecutiveFailures': { min: 0, max: 1000 },
};
/** How long typing in the cron or zone field pauses before the preview is asked for. */
const PREVIEW_DELAY_MS = 250;

function draftOf(job: JobView): Draft {
  const meta = job.meta as { id: string; title?: string; description?: string };
  return {
    meta: { id: meta.id, title: meta.title ?? meta.id, description: meta.description ?? '' },
    payload: structuredClone(job.payload) as unknown as Payload,
  };
}

function getAt(root: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), root);
}

function setAt<T>(root: T, path: string, value: unknown): T {
  const [head, ...rest] = path.split('.');
  if (head === undefined) return root;
  const node = { ...(root as Record<string, unknown>) };
  if (rest.length === 0) {
    if (value === undefined) delete node[head];
    else node[head] = value;
  } else node[head] = setAt(node[head] ?? {}, rest.join('.'), value);
  return node as T;
}

/** The body for PUT: empty optional fields are left out so they take their defaults. */
function toInput(draft: Draft): unknown {
  const payload = structuredClone(draft.payload) as unknown as Record<string, Record<string, unknown>>;
  const schedule = payload['schedule'] as Record<string, unknown>;
  for (const key of ['misfireGraceSeconds', 'jitterSeconds']) if (schedule[key] === '' || schedule[key] === undefined) delete schedule[key];
  const notifications = payload['notifications'] as Record<string, unknown>;
  for (const key of ['webhookUrl', 'webhookSecret']) if (notifications[key] === '' || notifications[key] === undefined) delete notifications[key];
  return { meta: draft.meta, payload };
}

function numberValue(text: string): number | '' {
  return text === '' ? '' : Number(text);
}

interface Props {
  job: JobView;
  jobType: JobType | undefined;
  /** The stored config changed (saved, restored, reloaded): the page shows the new one. */
  onChanged: (job: JobView) => void;
}

/** The Configuration tab: every field of a job config, checked as you type, saved with If-Match. */
export function ConfigurationForm({ job, jobType, onChanged }: Props) {
  const api = useApi();
  const { canOperate } = useSession();
  /** The stored version the draft started from: what Save sends If-Match with and Discard returns to. */
  const [base, setBase] = useState<JobView>(job);
  const [draft, setDraft] = useState<Draft>(() => draftOf(job));
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  const [textErrors, setTextErrors] = useState<Record<string, string>>({});
  const [saveError, setSaveError] = useState<unknown>(null);
  const [conflict, setConflict] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  /** The what-if Save shows before a schedule change is stored: open while not null. */
  const [whatIf, setWhatIf] = useState<{ preview: JobChangePreview | null; error: unknown } | null>(null);
  const [preview, setPreview] = useState<SchedulePreview | null>(null);
  /** The zone `preview` was read in: its runs are shown in it, whatever the field holds meanwhile (maybe no zone at all). */
  const [previewZone, setPreviewZone] = useState('UTC');
  const [checking, setChecking] = useState(false);
  const previewSeq = useRef(0);
  const previewed = useRef(false);
  const [tiers, setTiers] = useState<string[]>([]);
  const version = Number(base.meta['version']);
  const latestVersion = Number(job.meta['version']);
  const baseDraft = useMemo(() => draftOf(base), [base]);
  const dirty = JSON.stringify(toInput(draft)) !== JSON.stringify(toInput(baseDraft));
  const id = draft.meta.id;

  // Who set each field of the version the draft started from, read again with each new base
  // (a save, a restore, a version saved elsewhere). Only a help: a failed read marks no field.
  const [owners, setOwners] = useState<{ version: number; owners: FieldOwners } | null>(null);
  const [ownersError, setOwnersError] = useState(false);
  useEffect(() => {
    let current = true;
    api.owners(id).then(
      (read) => {
        if (!current) return;
        setOwners({ version, owners: read });
        setOwnersError(false);
      },
      () => {
        if (current) setOwnersError(true);
      },
    );
    return () => {
      current = false;
    };
  }, [api, id, version]);
  const ownership = useMemo<FieldOwnership>(() => {
    // Owners of an older base than the draft's would mark what that version had: none until read again.
    const known = owners?.version === version ? owners.owners : {};
    const before = toInput(baseDraft);
    const after = toInput(draft);
    const edited = new Set(
      Object.entries(known)
        .filter(([path, owner]) => isFromFiles(owner) && JSON.stringify(getAt(after, path)) !== JSON.stringify(getAt(before, path)))
        .map(([path]) => path),
    );
    return { owners: known, edited };
  }, [owners, version, draft, baseDraft]);
  /** The edited fields from config files, as the form labels them, with their managers ("Cron expression (apply:files)"). */
  const editedFromFiles = [...ownership.edited].map((path) => `${fieldName(path)} (${ownership.owners[path]?.manager ?? 'apply'})`);

  // A new stored version replaces the draft during the same render when nothing is being typed;
  // unsaved changes stay, and are said to be based on an older version (Save would be refused).
  // A re-read of the same version (after Run now, say) changes nothing here.
  if (latestVersion !== version && !dirty) {
    setBase(job);
    setDraft(draftOf(job));
    setServerErrors({});
    setTextErrors({});
    setConflict(null);
  }
  /** Saved, restored or reloaded here: the draft starts again from that version, whatever was typed. */
  function adopt(next: JobView) {
    setBase(next);
    setDraft(draftOf(next));
    setServerErrors({});
    setTextErrors({});
    onChanged(next);
  }

  useLeaveGuard((to) =>
    dirty && canOperate && !(to?.page === 'job' && to.id === draft.meta.id) ? 'Leave this job with unsaved changes? Your changes will be lost.' : null,
  );

  // Feedback shows next to Save (kept in view) and takes the focus, so the person who clicked
  // Save, keyboard or screen reader included, is told where they are.
  const feedback = useRef<HTMLDivElement>(null);
  const [feedbackSeq, setFeedbackSeq] = useState(0);
  useLayoutEffect(() => {
    if (feedbackSeq > 0) feedback.current?.querySelector<HTMLElement>('[tabindex="-1"]')?.focus();
  }, [feedbackSeq]);

  // Tier parameters (advancement-batch's fromTiers) are offered as the tiers the advancement rules start from.
  const hasTierParameter = Object.keys(jobType?.parameters.properties ?? {}).some((name) => /tiers$/i.test(name));
  useEffect(() => {
    if (!hasTierParameter) return;
    api.rules().then(
      (rules) => setTiers([...new Set(rules.map((rule) => rule.payload.fromTier))]),
      () => setTiers([]),
    );
  }, [api, hasTierParameter]);

  const { cronExpression, timezone } = draft.payload.schedule;
  useEffect(() => {
    const seq = ++previewSeq.current;
    setChecking(true);
    const timer = window.setTimeout(() => {
      api.preview(cronExpression, timezone || 'UTC', 5).then(
        (result) => {
          if (seq !== previewSeq.current) return;
          setPreview(result);
          setPreviewZone(timezone || 'UTC');
          setChecking(false);
        },
        (error: unknown) => {
          if (seq !== previewSeq.current) return;
          setPreview({ valid: false, error: { code: 'PREVIEW_FAILED', message: (error as Error).message } });
          setChecking(false);
        },
      );
    }, previewed.current ? PREVIEW_DELAY_MS : 0);
    previewed.current = true;
    return () => window.clearTimeout(timer);
  }, [api, cronExpression, timezone]);

  const clientErrors = useMemo(() => {
    const errors: Record<string, string> = { ...textErrors };
    if (draft.meta.title.trim() === '') errors['meta.title'] = 'is required';
    if (draft.payload.displayName.trim() === '') errors['payload.displayName'] = 'is required';
    if (draft.payload.schedule.cronExpression.trim() === '') errors['payload.schedule.cronExpression'] = 'is required';
    if (draft.payload.schedule.timezone.trim() === '') errors['payload.schedule.timezone'] = 'is required';
    for (const [path, rule] of Object.entries(NUMBER_RULES)) {
      const value = getAt(draft, path);
      if (value === '' || value === undefined) {
        if (!rule.optional) errors[path] = 'is required';
      } else if (typeof value !== 'number' || !Number.isInteger(value)) errors[path] = 'must be a whole number';
      else if (value < rule.min || value > rule.max) errors[path] = `must be from ${rule.min} to ${rule.max}`;
    }
    const retry = draft.payload.retry;
    if (typeof retry.maxDelaySeconds === 'number' && typeof retry.initialDelaySeconds === 'number' && retry.maxDelaySeconds < retry.initialDelaySeconds) {
      errors['payload.retry.maxDelaySeconds'] ??= 'must be at least the initial delay';
    }
    const notifications = draft.payload.notifications;
    if (notifications.channels.includes('webhook') && !notifications.webhookUrl) errors['payload.notifications.webhookUrl'] = "is required when notifying by webhook";
    const schema = jobType?.parameters;
    const required = new Set(schema?.required ?? []);
    for (const [name, property] of Object.entries(schema?.properties ?? {})) {
      const problem = checkParameter(property, draft.payload.parameters[name], required.has(name));
      if (problem) errors[`payload.parameters.${name}`] = problem;
    }
    if (preview && !preview.valid) {
      const field = preview.error.code === 'E_TZ' ? 'payload.schedule.timezone' : 'payload.schedule.cronExpression';
      errors[field] ??= preview.error.message;
    }
    return errors;
  }, [draft, textErrors, jobType, preview]);

  const errors = { ...serverErrors, ...clientErrors };
  const invalid = Object.keys(clientErrors).length > 0;
  const canSave = canOperate && dirty && !invalid && !checking && !saving && conflict === null;

  function change(path: string, value: unknown) {
    setDraft((current) => setAt(current, path, value));
    setSaved(null);
    setWhatIf(null);
    if (serverErrors[path]) {
      const rest = { ...serverErrors };
      delete rest[path];
      setServerErrors(rest);
    }
  }

  const scheduleEdited = (() => {
    const before = baseDraft.payload.schedule;
    const after = draft.payload.schedule;
    return before.cronExpression !== after.cronExpression || before.timezone !== after.timezone || before.isEnabled !== after.isEnabled;
  })();

  /** Save with a changed schedule first shows what changes in the next runs (POST …/preview stores nothing). */
  function showWhatIf() {
    const { cronExpression, timezone, isEnabled } = draft.payload.schedule;
    setWhatIf({ preview: null, error: null });
    api.previewChange(draft.meta.id, { payload: { schedule: { cronExpression, timezone, isEnabled } } }, version).then(
      (preview) => setWhatIf((open) => (open ? { preview, error: null } : open)),
      (error: unknown) => setWhatIf((open) => (open ? { preview: null, error } : open)),
    );
  }

  async function save() {
    setWhatIf(null);
    setSaving(true);
    setSaveError(null);
    setSaved(null);
    const before = baseDraft.payload.schedule;
    const after = draft.payload.schedule;
    const scheduleChanged = before.cronExpression !== after.cronExpression || before.timezone !== after.timezone || before.isEnabled !== after.isEnabled;
    try {
      const next = await api.replaceJob(draft.meta.id, toInput(draft), version);
      setServerErrors({});
      const first = next.nextRuns[0];
      setSaved(
        scheduleChanged
          ? `Schedule updated${first ? ` — next run ${formatRunTime(first, next.schedule.timezone, new Date())}` : after.isEnabled ? '' : ' — the job is disabled'}.`
          : `Saved as version ${String(next.meta['version'])}.`,
      );
      adopt(next);
    } catch (error) {
      if (error instanceof ApiRequestError && error.status === 409) {
        setConflict(error.message);
      } else {
        if (error instanceof ApiRequestError && error.field) setServerErrors({ [error.field]: fieldMessage(error.message, error.field) });
        setSaveError(error);
      }
    } finally {
      setSaving(false);
      setFeedbackSeq((seq) => seq + 1);
    }
  }

  async function reload() {
    try {
      const fresh = await api.job(draft.meta.id);
      setConflict(null);
      setSaveError(null);
      setSaved(null);
      adopt(fresh);
    } catch (error) {
      setSaveError(error);
      setFeedbackSeq((seq) => seq + 1);
    }
  }

  const p = draft.payload;
  const num = (path: string, label: string, hint?: string) => {
    const rule = NUMBER_RULES[path];
    return (
      <Field label={label} path={path} error={errors[path]} hint={hint}>
        {(props) => (
          <input
            {...props}
            type="number"
            inputMode="numeric"
            step={1}
            {...(rule ? { min: rule.min, max: rule.max } : {})}
            value={(getAt(draft, path) as number | '' | undefined) ?? ''}
            onChange={(event) => change(path, numberValue(event.target.value))}
          />
        )}
      </Field>
    );
  };
  const select = (path: string, label: string, options: string[], hint?: string) => (
    <Field label={label} path={path} error={errors[path]} hint={hint}>
      {(props) => (
        <select {...props} value={String(getAt(draft, path) ?? '')} onChange={(event) => change(path, event.target.value)}>
          {options.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
  const zones = useMemo(() => (typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : []), []);

  const form = (
    <form
      className="config-form"
      aria-label="Configuration"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        // While the what-if is open, only its own Save stores the change.
        if (!canSave || whatIf !== null) return;
        if (scheduleEdited) showWhatIf();
        else void save();
      }}
    >
      <fieldset className="form-grid" disabled={!canOperate}>
        <legend className="visually-hidden">Job configuration {canOperate ? '' : '(read only)'}</legend>
        <div className="form-column">
          <Section title="Schedule" initiallyOpen>
            <CronField
              value={p.schedule.cronExpression}
              zone={previewZone}
              preview={preview}
              checking={checking}
              error={errors['payload.schedule.cronExpression']}
              onChange={(value) => change('payload.schedule.cronExpression', value)}
            />
            <Field label="Time zone" path="payload.schedule.timezone" error={errors['payload.schedule.timezone']} hint="IANA name, e.g. UTC or America/Los_Angeles">
              {(props) => (
                <>
                  <input {...props} list="time-zones" autoComplete="off" value={p.schedule.timezone} onChange={(event) => change('payload.schedule.timezone', event.target.value)} />
                  <datalist id="time-zones">
                    {zones.map((zone) => (
                      <option key={zone} value={zone} />
                    ))}
                  </datalist>
                </>
              )}
            </Field>
            <div className="field field--check" data-path="payload.schedule.isEnabled">
              <CheckField
                asSwitch
                label="Schedule active"
                path="payload.schedule.isEnabled"
                checked={p.schedule.isEnabled}
                onChange={(checked) => change('payload.schedule.isEnabled', checked)}
              />
            </div>
            {select('payload.schedule.misfirePolicy', 'Misfire policy', ['run-once', 'skip', 'run-all'], 'Slots missed while down: run once, skip, or run each')}
            {num(
              'payload.schedule.misfireGraceSeconds',
              'Misfire grace (seconds, optional)',
              'How late a slot may start and still count as on time; empty: 60, or half the time between slots when shorter',
            )}
            {num('payload.schedule.catchupWindowSeconds', 'Catch-up window (seconds)', 'How far back missed slots are still caught up')}
            {select('payload.schedule.overlapPolicy', 'Overlap policy', ['skip', 'queue'], 'When a slot comes while the previous run is still going')}
            {num('payload.schedule.jitterSeconds', 'Jitter (seconds, optional)', 'A fixed delay of up to this many seconds after each slot')}
          </Section>
          <Section title="Execution">
            {num('payload.limits.batchSize', 'Batch size', 'Items per batch')}
            {num('payload.limits.timeoutSeconds', 'Timeout (seconds)', 'Per attempt')}
            {num('payload.limits.maxConcurrent', 'Max concurrent', 'Runs of this job at once')}
          </Section>
          <Section title="Retry policy">
            {num('payload.retry.maxAttempts', 'Max attempts', 'Total attempts, the first included')}
            <ChoiceGroup legend="Backoff strategy" path="payload.retry.backoffStrategy" error={errors['payload.retry.backoffStrategy']}>
              {['exponential', 'fixed'].map((strategy) => (
                <label key={strategy} className="choice">
                  <input
                    type="radio"
                    name="backoffStrategy"
                    value={strategy}
                    checked={p.retry.backoffStrategy === strategy}
                    onChange={() => change('payload.retry.backoffStrategy', strategy)}
                  />
                  <span>{strategy === 'exponential' ? 'Exponential' : 'Fixed'}</span>
                </label>
              ))}
            </ChoiceGroup>
            {num('payload.retry.initialDelaySeconds', 'Initial delay (seconds)')}
            {num('payload.retry.maxDelaySeconds', 'Max delay (seconds)')}
          </Section>
        </div>
        <div className="form-column">
          <Section title="General">
            <Field label="Id" path="meta.id" hint="Fixed once created">
              {(props) => <input {...props} value={draft.meta.id} readOnly />}
            </Field>
            <Field label="Job type" path="payload.jobType" hint={jobType?.description}>
              {(props) => <input {...props} value={p.jobType} readOnly />}
            </Field>
            <Field label="Title" path="meta.title" error={errors['meta.title']}>
              {(props) => <input {...props} value={draft.meta.title} maxLength={200} onChange={(event) => change('meta.title', event.target.value)} />}
            </Field>
            <Field label="Display name" path="payload.displayName" error={errors['payload.displayName']}>
              {(props) => <input {...props} value={p.displayName} maxLength={200} onChange={(event) => change('payload.displayName', event.target.value)} />}
            </Field>
            <Field label="Description" path="meta.description" error={errors['meta.description']}>
              {(props) => <textarea {...props} rows={2} maxLength={4000} value={draft.meta.description} onChange={(event) => change('meta.description', event.target.value)} />}
            </Field>
          </Section>
          <Section title="Job parameters">
            {jobType ? (
              <ParameterFields
                key={version}
                schema={jobType.parameters}
                value={p.parameters}
                secret={jobType.secretParameters}
                errors={errors}
                choices={Object.fromEntries(Object.keys(jobType.parameters.properties ?? {}).filter((name) => /tiers$/i.test(name)).map((name) => [name, tiers]))}
                onChange={(parameters) => change('payload.parameters', parameters)}
                onInvalid={(path, message) =>
                  setTextErrors((current) => {
                    const next = { ...current };
                    if (message) next[path] = message;
                    else delete next[path];
                    return next;
                  })
                }
              />
            ) : (
              <p className="muted">Loading the job type…</p>
            )}
          </Section>
          <Section title="Notifications">
            <div className="field field--check">
              <CheckField
                label="Notify on success"
                path="payload.notifications.onSuccess"
                checked={p.notifications.onSuccess}
                onChange={(checked) => change('payload.notifications.onSuccess', checked)}
              />
              <CheckField
                label="Notify on failure"
                path="payload.notifications.onFailure"
                checked={p.notifications.onFailure}
                onChange={(checked) => change('payload.notifications.onFailure', checked)}
              />
            </div>
            <ChoiceGroup legend="Channels" path="payload.notifications.channels" error={errors['payload.notifications.channels']}>
              {['log', 'webhook'].map((channel) => (
                <label key={channel} className="choice">
                  <input
                    type="checkbox"
                    checked={p.notifications.channels.includes(channel)}
                    onChange={(event) =>
                      change(
                        'payload.notifications.channels',
                        event.target.checked ? [...p.notifications.channels, channel] : p.notifications.channels.filter((c) => c !== channel),
                      )
                    }
                  />
                  <span>{channel}</span>
                </label>
              ))}
            </ChoiceGroup>
            <Field label="Webhook URL" path="payload.notifications.webhookUrl" error={errors['payload.notifications.webhookUrl']}>
              {(props) => <input {...props} type="url" value={p.notifications.webhookUrl ?? ''} onChange={(event) => change('payload.notifications.webhookUrl', event.target.value)} />}
            </Field>
            <Field label="Webhook secret" path="payload.notifications.webhookSecret" error={errors['payload.notifications.webhookSecret']} hint="Write-only: a stored secret shows as [secret] and is kept">
              {(props) => (
                <input {...props} type="password" autoComplete="new-password" value={p.notifications.webhookSecret ?? ''} onChange={(event) => change('payload.notifications.webhookSecret', event.target.value)} />
              )}
            </Field>
            {num('payload.notifications.pauseAfterConsecutiveFailures', 'Pause after failed runs in a row', '0 never pauses')}
          </Section>
        </div>
      </fieldset>
      {canOperate ? (
        <div className="form-actions" ref={feedback}>
          {conflict !== null ? (
            <div className="notice notice--conflict" role="alert" tabIndex={-1}>
              <p>
                <strong>Someone else saved this job first.</strong> Your changes were not saved: they were based on version {version}, which is no longer
                the latest. Reload to see the current version, then make your change again.
              </p>
              <button type="button" className="button button--primary" onClick={() => void reload()}>
                Reload
              </button>
            </div>
          ) : latestVersion !== version ? (
            <div className="notice notice--conflict" role="status">
              <p>
                Version {latestVersion} was saved elsewhere while you were editing version {version}: saving now would be refused.{' '}
                <button type="button" className="link-button" onClick={() => void reload()}>
                  Reload version {latestVersion}
                </button>{' '}
                (your changes are dropped).
              </p>
            </div>
          ) : null}
          {editedFromFiles.length > 0 ? (
            <p className="notice notice--conflict from-files-summary" role="status">
              Fields from config files changed: {editedFromFiles.join(', ')}. Change the files too, or the next <code>grove-jobs apply</code> stops on a
              conflict.
            </p>
          ) : null}
          <ErrorNotice error={saveError} />
          {saved ? (
            <p className="notice notice--ok" role="status" tabIndex={-1}>
              {saved}
            </p>
          ) : null}
          {whatIf !== null ? (
            <WhatIfPanel preview={whatIf.preview} error={whatIf.error} saving={saving} onSave={() => void save()} onBack={() => setWhatIf(null)} />
          ) : null}
          <div className="form-buttons" hidden={whatIf !== null}>
            <button type="submit" className="button button--primary" disabled={!canSave}>
              {saving ? 'Saving…' : 'Save changes'}
            </button>
            <button
              type="button"
              className="button"
              disabled={!dirty || saving}
              onClick={() => {
                setDraft(baseDraft);
                setServerErrors({});
                setSaveError(null);
              }}
            >
              Discard changes
            </button>
            {invalid ? <span className="text-error">Fix the marked fields to save.</span> : null}
          </div>
        </div>
      ) : (
        <p className="muted">Read only: your token's role is viewer.</p>
      )}
      {ownersError ? <p className="muted">Could not read who set each field: fields from config files are not marked.</p> : null}
      <Section title="Version history">
        <VersionHistory id={draft.meta.id} current={latestVersion} onRestored={adopt} />
      </Section>
    </form>
  );
  return <FieldOwnershipContext.Provider value={ownership}>{form}</FieldOwnershipContext.Provider>;
}
