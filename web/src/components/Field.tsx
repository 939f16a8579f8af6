import { type ReactNode, useId } from 'react';

interface FieldProps {
  label: string;
  /** The config path the server names in its errors, e.g. payload.limits.batchSize. */
  path: string;
  error?: string | undefined;
  hint?: ReactNode;
  children: (props: { id: string; 'aria-invalid': boolean; 'aria-describedby'?: string; name: string }) => ReactNode;
}

/** A labelled control with its hint and its inline error (from the form's checks or the server). */
export function Field({ label, path, error, hint, children }: FieldProps) {
  const id = useId();
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div className={`field${error ? ' field--invalid' : ''}`} data-path={path}>
      <label htmlFor={id}>{label}</label>
      {children({ id, name: path, 'aria-invalid': Boolean(error), ...(described ? { 'aria-describedby': described } : {}) })}
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
  return (
    <fieldset className={`field choice-group${error ? ' field--invalid' : ''}`} data-path={path}>
      <legend>{legend}</legend>
      <div className="choices">{children}</div>
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}
