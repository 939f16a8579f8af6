import type { ReactNode } from 'react';
import { ApiRequestError } from '../api-client';

/** An error as the server put it: its message, the field it names and its code. */
export function ErrorNotice({ error, children }: { error: unknown; children?: ReactNode }) {
  if (!error) return null;
  const api = error instanceof ApiRequestError ? error : undefined;
  return (
    <div className="notice notice--error" role="alert">
      <span>
        {api?.field ? <strong>{api.field}: </strong> : null}
        {(error as Error).message}
        {api ? <span className="muted"> ({api.code})</span> : null}
      </span>
      {children}
    </div>
  );
}
