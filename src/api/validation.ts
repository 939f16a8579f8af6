import type { Context } from 'hono';
import type { ZodError } from 'zod';
import { ApiError } from './http.js';

/** `['payload', 'items', 2, 'id']` → `payload.items[2].id`. */
function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let text = '';
  for (const key of path) text += typeof key === 'number' ? `[${key}]` : text === '' ? String(key) : `.${String(key)}`;
  return text;
}

/**
 * Every router's hook for refused request parts: 400 naming the first failing field (a body
 * field by its path, a query or path parameter or header by its name).
 */
export function validationHook(result: { success: boolean; error?: unknown; target?: string }, _c: Context): void {
  if (result.success) return;
  const issue = (result.error as ZodError | undefined)?.issues?.[0];
  const target = result.target ?? 'body';
  const path = issue?.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : (issue?.path ?? []);
  const field = path.length > 0 ? fieldPath(path) : target === 'json' ? 'body' : target;
  const message = issue?.code === 'unrecognized_keys' ? 'is not a known field' : (issue?.message ?? 'is invalid');
  throw new ApiError(400, 'INVALID_REQUEST', `${field}: ${message}`, field);
}
