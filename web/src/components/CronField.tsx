import { useId, useState } from 'react';
import type { SchedulePreview } from '../api-client';
import { formatRunTime } from '../format';
import { useFromFiles } from '../hooks/use-from-files';
import { FromFilesMark, FromFilesWarning } from './FromFiles';

const PATH = 'payload.schedule.cronExpression';

interface Props {
  value: string;
  zone: string;
  preview: SchedulePreview | null;
  checking: boolean;
  /** The field's error (the form's checks, the preview's reading, the server), shown once under it. */
  error?: string | undefined;
  onChange: (value: string) => void;
}

/**
 * The cron expression with its syntax help, its reading in words and the next five runs in the
 * zone. The help is read-only: it is a span with the button role rather than a <button>, so that
 * the viewer's disabled form (a disabled fieldset disables every button in it) keeps it working.
 */
export function CronField({ value, zone, preview, checking, error, onChange }: Props) {
  const id = useId();
  const [helpOpen, setHelpOpen] = useState(false);
  const shownError = error;
  const files = useFromFiles(PATH);
  const toggle = () => setHelpOpen((open) => !open);
  const now = new Date();
  return (
    <div className={`field cron-field${shownError ? ' field--invalid' : ''}`} data-path={PATH}>
      <div className="label-row">
        <label htmlFor={id}>Cron expression</label>
        <span className="tooltip-host">
          <span
            role="button"
            tabIndex={0}
            className="help-button"
            aria-label="Cron syntax help"
            aria-expanded={helpOpen}
            aria-controls={`${id}-help`}
            onClick={toggle}
            onKeyDown={(event) => {
              if (event.key === 'Enter' || event.key === ' ') {
                event.preventDefault();
                toggle();
              } else if (event.key === 'Escape') setHelpOpen(false);
            }}
          >
            ?
          </span>
          <span role="tooltip" id={`${id}-help`} className={`tooltip${helpOpen ? ' tooltip--open' : ''}`}>
            Five fields: <code>minute hour day-of-month month day-of-week</code> (an optional sixth, leading field is seconds).
            <br />
            <code>0 2 * * *</code> every day at 2:00 · <code>*/15 * * * *</code> every 15 minutes · <code>0 9 * * 1-5</code> weekdays at 9:00 ·{' '}
            <code>0 0 1 * *</code> the first of each month. Times are read in the time zone below.
          </span>
        </span>
        <FromFilesMark files={files} />
      </div>
      <input
        id={id}
        name={PATH}
        className="mono"
        value={value}
        spellCheck={false}
        autoComplete="off"
        aria-invalid={Boolean(shownError)}
        aria-describedby={[`${id}-reading`, shownError ? `${id}-error` : '', files?.describedBy ?? ''].filter(Boolean).join(' ')}
        onChange={(event) => onChange(event.target.value)}
      />
      <FromFilesWarning files={files} />
      <div className="cron-reading" id={`${id}-reading`} aria-live="polite">
        {checking && !preview ? <span className="muted">Reading the schedule…</span> : null}
        {preview?.valid ? (
          <>
            <p className="schedule-description">{preview.description}</p>
            <p className="muted">Next runs ({zone}):</p>
            <ol className="next-runs" aria-label="Next runs">
              {preview.nextRuns.map((run) => (
                <li key={run}>
                  <time dateTime={run}>{formatRunTime(run, zone, now)}</time>
                </li>
              ))}
            </ol>
          </>
        ) : null}
      </div>
      {shownError ? (
        <p className="field-error" id={`${id}-error`} role="alert">
          {shownError}
        </p>
      ) : null}
    </div>
  );
}
