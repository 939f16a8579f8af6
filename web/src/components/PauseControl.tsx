import { useId, useState } from 'react';
import type { JobView } from '../api-client';
import { formatRunTime } from '../format';
import { useApi } from '../hooks/use-api';
import { Field } from './Field';
import { ModalForm, useDialogAction } from './ModalForm';
import { ErrorNotice } from './Notice';

/** Longest reason the server keeps (MAX_PAUSE_REASON_LENGTH in src/domain/config/pause.ts). */
const MAX_REASON = 500;

/** A long word in a reason must not widen the card on a phone. */
const WRAP = { overflowWrap: 'anywhere' } as const;

/**
 * `2026-12-07T18:00` from a datetime-local field, read as UTC (the dialog says so): the
 * browser's own zone is neither the server's nor the config's.
 */
function utcInstant(local: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(local)) return undefined;
  const date = new Date(`${local.length === 16 ? `${local}:00` : local}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

interface DialogProps {
  title: string;
  /** Pauses the job; a rejection is shown in the dialog, which stays open. */
  onPause: (pause: { reason: string; until?: string }) => Promise<void>;
  onClose: () => void;
}

/**
 * Pause, asked first: why (required), and when the pause ends by itself (optional, in UTC).
 * A modal <dialog>, as Run now's: Escape or Cancel closes it.
 */
export function PauseDialog({ title, onPause, onClose }: DialogProps) {
  const headingId = useId();
  const [reason, setReason] = useState('');
  const [until, setUntil] = useState('');
  const { busy, error, run } = useDialogAction(onClose);

  const trimmed = reason.trim();
  const untilIso = until === '' ? undefined : utcInstant(until);
  // The server checks the end against its clock too; this says it at the field before a round trip.
  const untilError = until === '' ? undefined : !untilIso ? 'is not a date and time' : Date.parse(untilIso) <= Date.now() ? 'must be in the future' : undefined;
  const ready = !busy && trimmed !== '' && trimmed.length <= MAX_REASON && untilError === undefined;

  return (
    <ModalForm
      headingId={headingId}
      busy={busy}
      onClose={onClose}
      onSubmit={() => {
        if (ready) run(() => onPause({ reason: trimmed, ...(untilIso ? { until: untilIso } : {}) }));
      }}
    >
      <h2 id={headingId}>Pause {title}</h2>
      <p className="muted">No run starts while it is paused; the runs it skips are not made up afterwards.</p>
      <div className="field">
        <label htmlFor={`${headingId}-reason`}>Reason</label>
        <textarea
          id={`${headingId}-reason`}
          name="reason"
          required
          rows={3}
          maxLength={MAX_REASON}
          value={reason}
          disabled={busy}
          onChange={(event) => setReason(event.target.value)}
        />
        <div className="hint">Required. Shown on the job with who paused it.</div>
      </div>
      <Field label="Ends at (UTC, optional)" path="until" hint="In UTC. Empty: paused until someone resumes it." error={untilError ? `Ends at ${untilError}` : undefined}>
        {(field) => <input {...field} type="datetime-local" value={until} disabled={busy} onChange={(event) => setUntil(event.target.value)} />}
      </Field>
      <ErrorNotice error={error} />
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={!ready}>
          {busy ? 'Pausing…' : 'Pause'}
        </button>
        <button type="button" className="button" disabled={busy} onClick={onClose}>
          Cancel
        </button>
      </div>
    </ModalForm>
  );
}

/** "Paused by X: reason (until …)", or nothing when the job is not paused. */
export function PauseNote({ job, now }: { job: JobView; now: Date }) {
  const { paused } = job;
  if (!paused) return null;
  const until = paused.until ? ` (until ${formatRunTime(paused.until, 'UTC', now)})` : '';
  return (
    <p className="pause-note" data-paused="true" style={WRAP}>
      {`Paused by ${paused.by ?? 'someone'}: ${paused.reason ?? 'no reason given'}${until}`}
    </p>
  );
}

interface ControlProps {
  job: JobView;
  title: string;
  /** The job was paused or resumed: `text` says which; the owner reloads. */
  onDone: (text: string) => void;
  onError: (error: unknown) => void;
}

/** Pause (asking why and until when) or, on a paused job, Resume. */
export function PauseControl({ job, title, onDone, onError }: ControlProps) {
  const api = useApi();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const id = String(job.meta['id']);

  if (job.paused) {
    return (
      <button
        type="button"
        className="button"
        disabled={busy}
        aria-label={`Resume ${title}`}
        onClick={() => {
          setBusy(true);
          api.resumeJob(id).then(
            () => {
              setBusy(false);
              onDone('Resumed');
            },
            (caught: unknown) => {
              setBusy(false);
              onError(caught);
            },
          );
        }}
      >
        Resume
      </button>
    );
  }
  return (
    <>
      <button type="button" className="button" aria-label={`Pause ${title}`} aria-haspopup="dialog" onClick={() => setOpen(true)}>
        Pause
      </button>
      {open ? (
        <PauseDialog
          title={title}
          onPause={async (pause) => {
            await api.pauseJob(id, pause);
            onDone('Paused');
          }}
          onClose={() => setOpen(false)}
        />
      ) : null}
    </>
  );
}
