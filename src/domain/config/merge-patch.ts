function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets an own property, also one named `__proto__` (which plain assignment would take as the prototype). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * JSON Merge Patch (RFC 7396): objects merge key by key, `null` removes a key, anything
 * else (arrays included) replaces the target. A loop with its own stack rather than
 * recursion: a patch may nest thousands of levels (validation refuses it afterwards).
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const copy = (value: unknown): Record<string, unknown> => (isObject(value) ? { ...value } : {});
  const result = copy(target);
  const pending: Array<[Record<string, unknown>, Record<string, unknown>]> = [[result, patch]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [into, from] = next;
    for (const [key, value] of Object.entries(from)) {
      if (value === null) delete into[key];
      else if (isObject(value)) {
        const merged = copy(Object.hasOwn(into, key) ? into[key] : undefined);
        setOwn(into, key, merged);
        pending.push([merged, value]);
      } else setOwn(into, key, value);
    }
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
