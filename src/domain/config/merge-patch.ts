/**
 * JSON Merge Patch (RFC 7396): objects merge key by key, `null` removes a key, anything
 * else (arrays included) replaces the target.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

/**
 * A merge patch that sets one dotted path, e.g. `payload.schedule.cronExpression` →
 * `{ payload: { schedule: { cronExpression: value } } }`.
 */
export function patchForPath(path: string, value: unknown): Record<string, unknown> {
  const keys = path.split('.');
  if (keys.some((key) => key === '')) throw new Error(`path '${path}' has an empty segment`);
  let patch: unknown = value;
  for (const key of keys.reverse()) patch = { [key]: patch };
  return patch as Record<string, unknown>;
}
