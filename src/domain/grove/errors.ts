import type { z } from 'zod';

/**
 * Stable error codes for Grove operations (sprouts, events, rules, tiers, rollbacks); the
 * API maps each to an HTTP status, the CLI to exit code 2 (bad input) or 3 (conflict).
 */
export const GroveErrorCode = {
  Invalid: 'GROVE_INVALID',
  NotFound: 'GROVE_NOT_FOUND',
  Exists: 'GROVE_EXISTS',
  Conflict: 'GROVE_CONFLICT',
} as const;
export type GroveErrorCode = (typeof GroveErrorCode)[keyof typeof GroveErrorCode];

export class GroveError extends Error {
  override readonly name = 'GroveError';
  constructor(
    readonly code: GroveErrorCode,
    message: string,
    /** The failing field, as a path: `sprouts[3].tier`, `events[0].createdAt`. */
    readonly field?: string,
  ) {
    super(field ? `${field}: ${message}` : message);
  }
}

/** The first zod issue as a GroveError naming its field under `root` (e.g. `events`). */
export function groveInvalid(root: string, error: z.ZodError): GroveError {
  const issue = error.issues[0];
  const path = (issue?.path ?? []).map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('');
  return new GroveError(GroveErrorCode.Invalid, issue?.message ?? 'invalid', `${root}${path}`);
}
