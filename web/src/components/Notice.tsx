import { forwardRef, type ReactNode } from 'react';
import { ApiRequestError } from '../api-client';
import { humanError } from '../format';

/**
 * An error in words a person reads ("Id is required", "There is no job with this id"), never a
 * bare code or a schema message; the code stays on `data-code` for whoever reports it. Focusable
 * (tabIndex -1) so that a form can move focus to it.
 */
export const ErrorNotice = forwardRef<HTMLDivElement, { error: unknown; children?: ReactNode }>(function ErrorNotice({ error, children }, ref) {
  if (!error) return null;
  const api = error instanceof ApiRequestError ? error : undefined;
  return (
    <div ref={ref} className="notice notice--error" role="alert" tabIndex={-1} data-code={api?.code}>
      <span>{api ? humanError(api) : (error as Error).message}</span>
      {children}
    </div>
  );
});
