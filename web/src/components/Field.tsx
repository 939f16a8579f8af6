import { type ReactNode, useId } from 'react';
import { useFromFiles } from '../hooks/use-from-files';
import { FromFilesMark, FromFilesWarning } from './FromFiles';

interface FieldProps {
  label: string;
  /** The config path the server names in its errors, e.g. payload.limits.batchSize. */
  path: string;
  error?: string | undefined;
  hint?: ReactNode;
  children: (props: { id: string; 'aria-invalid': boolean; 'aria-describedby'?: string; name: string }) => ReactNode;
}

/**
 * A labelled control with its hint and its inline error (from the form's checks or the server),
 * marked when config files set it, with a warning once the draft changes it.
 */
export function Field({ label, path, error, hint, children }: FieldProps) {
  const id = useId();
  const files = useFromFiles(path);
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : '', files?.describedBy ?? ''].filter(Boolean).join(' ');
  return (
    <div className={`field${error ? ' field--invalid' : ''}`} data-path={path}>
      {files ? (
        <div className="label-row">
          <label htmlFor={id}>{label}</label>
          <FromFilesMark files={files} />
        </div>
      ) : (
        <label htmlFor={id}>{label}</label>
      )}
      {children({ id, name: path, 'aria-invalid': Boolean(error), ...(described ? { 'aria-describedby': described } : {}) })}
      <FromFilesWarning files={files} />
      {hint ? (
        <div className="hint" id={`${id}-hint`}>
          {hint}
        </div>
      ) : null}
      {error ? (
        <p className="field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** A labelled group of checkboxes or radios. */
export function ChoiceGroup({ legend, path, error, children }: { legend: string; path: string; error?: string | undefined; children: ReactNode }) {
  const files = useFromFiles(path);
  return (
    <fieldset className={`field choice-group${error ? ' field--invalid' : ''}`} data-path={path} {...(files ? { 'aria-describedby': files.describedBy } : {})}>
      <legend>
        {files ? (
          <span className="label-row">
            <span>{legend}</span>
            <FromFilesMark files={files} />
          </span>
        ) : (
          legend
        )}
      </legend>
      <div className="choices">{children}</div>
      <FromFilesWarning files={files} />
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

/**
 * One checkbox (or switch) and its label, for the field at `path` (the caller's wrapper carries
 * data-path): as it always was, unless config files set it, then marked, with a warning once the
 * draft changes it.
 */
export function CheckField({
  label,
  path,
  checked,
  onChange,
  asSwitch = false,
}: {
  label: string;
  path: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  asSwitch?: boolean;
}) {
  const files = useFromFiles(path);
  const box = (
    <label className={asSwitch ? 'switch' : undefined}>
      <input
        type="checkbox"
        name={path}
        {...(asSwitch ? { role: 'switch' } : {})}
        checked={checked}
        onChange={(event) => onChange(event.target.checked)}
        {...(files ? { 'aria-describedby': files.describedBy } : {})}
      />
      <span>{label}</span>
    </label>
  );
  if (!files) return box;
  return (
    <div className="check-field">
      <div className="label-row">
        {box}
        <FromFilesMark files={files} />
      </div>
      <FromFilesWarning files={files} />
    </div>
  );
}
