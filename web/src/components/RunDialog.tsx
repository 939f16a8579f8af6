import { useEffect, useId, useState } from 'react';
import type { JobType, RunOptions } from '../api-client';
import { useApi } from '../hooks/use-api';
import { Field } from './Field';
import { ModalForm, useDialogAction } from './ModalForm';
import { ErrorNotice } from './Notice';

interface Props {
  /** The job's title, named in the heading. */
  title: string;
  jobType: string;
  /** The config's `limits.batchSize`: what the run uses unless the dialog sets another. */
  batchSize: number;
  /** The config's own `dryRun` parameter is on: every run of it is a dry run. */
  dryRunParameter: boolean;
  /** Queues the run; a rejection is shown in the dialog, which stays open. */
  onRun: (options: RunOptions) => Promise<void>;
  onClose: () => void;
}

const MAX_BATCH_SIZE = 1_000_000;

/**
 * Run now, asked first: dry run or real, the batch size for this run (types that work in
 * pages), and, for types whose real runs change data (advancement-batch moves sprouts), a
 * confirmation before a real run. A modal <dialog>: Escape or Cancel closes it, focus returns.
 */
export function RunDialog({ title, jobType, batchSize, dryRunParameter, onRun, onClose }: Props) {
  const api = useApi();
  const headingId = useId();
  const [type, setType] = useState<JobType | null>(null);
  const [typeError, setTypeError] = useState<unknown>(null);
  const [dryRun, setDryRun] = useState(dryRunParameter);
  const [size, setSize] = useState('');
  const [confirmed, setConfirmed] = useState(false);
  const { busy, error, run } = useDialogAction(onClose);

  useEffect(() => {
    let current = true;
    api.jobTypes().then(
      (types) => {
        if (!current) return;
        const found = types.find((t) => t.name === jobType);
        if (found) setType(found);
        else setTypeError(new Error(`this server does not know the job type '${jobType}'`));
      },
      (caught: unknown) => current && setTypeError(caught),
    );
    return () => {
      current = false;
    };
  }, [api, jobType]);

  const sizeValue = size.trim() === '' ? undefined : Number(size);
  const sizeError =
    sizeValue === undefined || (Number.isInteger(sizeValue) && sizeValue >= 1 && sizeValue <= MAX_BATCH_SIZE)
      ? undefined
      : `must be a whole number from 1 to ${MAX_BATCH_SIZE.toLocaleString('en-US')}`;
  const asksConfirmation = type?.changesData === true && !dryRun;
  const ready = type !== null && !busy && sizeError === undefined && (!asksConfirmation || confirmed);

  return (
    <ModalForm
      headingId={headingId}
      busy={busy}
      onClose={onClose}
      onSubmit={() => {
        if (!ready) return;
        const options: RunOptions = { dryRun, ...(type?.usesBatchSize && sizeValue !== undefined ? { batchSize: sizeValue } : {}) };
        run(() => onRun(options));
      }}
    >
      <h2 id={headingId}>Run {title} now</h2>
      {typeError ? <ErrorNotice error={typeError} /> : type === null ? <p className="muted">Reading the job type…</p> : null}
      <div className="field field--check">
        <label>
          <input type="checkbox" name="dryRun" checked={dryRun} disabled={dryRunParameter || busy} onChange={(event) => setDryRun(event.target.checked)} />
          <span>Dry run</span>
        </label>
        <div className="hint">
          {dryRunParameter ? "This job's dryRun parameter is on: every run of it is a dry run." : 'Reports what the run would do and changes nothing.'}
        </div>
      </div>
      {type?.usesBatchSize ? (
        <Field label="Batch size" path="batchSize" hint={<>For this run only; the job&apos;s batch size is {batchSize}.</>} error={sizeError ? `Batch size ${sizeError}` : undefined}>
          {(field) => (
            <input
              {...field}
              type="number"
              inputMode="numeric"
              min={1}
              max={MAX_BATCH_SIZE}
              step={1}
              placeholder={String(batchSize)}
              value={size}
              disabled={busy}
              onChange={(event) => setSize(event.target.value)}
            />
          )}
        </Field>
      ) : null}
      {asksConfirmation ? (
        <div className="field field--check run-dialog__confirm">
          <label>
            <input type="checkbox" name="confirm" checked={confirmed} disabled={busy} onChange={(event) => setConfirmed(event.target.checked)} />
            <span>Run it for real: unlike a dry run, it changes data</span>
          </label>
        </div>
      ) : null}
      <ErrorNotice error={error} />
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={!ready}>
          {busy ? 'Starting…' : dryRun ? 'Start dry run' : 'Start run'}
        </button>
        <button type="button" className="button" disabled={busy} onClick={onClose}>
          Cancel
        </button>
      </div>
    </ModalForm>
  );
}
