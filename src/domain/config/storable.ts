/**
 * The deepest nesting of objects and arrays a stored JSON value may have, the value itself
 * being level 1: far more than any job type's parameters or an event's metadata need, and few
 * enough that every walk over it (zod's, the diff's, JSON.stringify, the store's jsonb) stays
 * far from the stack limit.
 */
export const MAX_JSON_DEPTH = 64;

const NUL = '\u0000';

/** Why a JSON value cannot be stored, and where (keys and indexes below the value). */
export interface Unstorable {
  path: PropertyKey[];
  message: string;
}

/**
 * The first place where `value` cannot be stored as jsonb or walked safely: an object or array
 * nested deeper than `maxDepth` levels, or a key or string holding NUL (jsonb cannot hold it).
 * A loop with its own stack: the input may be 20,000 levels deep.
 */
export function findUnstorable(value: unknown, maxDepth = MAX_JSON_DEPTH): Unstorable | undefined {
  interface Frame {
    value: unknown;
    depth: number;
    parent: Frame | undefined;
    key: PropertyKey;
  }
  const pathOf = (frame: Frame | undefined, last?: PropertyKey): PropertyKey[] => {
    const path: PropertyKey[] = last === undefined ? [] : [last];
    for (let at = frame; at?.parent; at = at.parent) path.push(at.key);
    return path.reverse();
  };
  if (typeof value === 'string') return value.includes(NUL) ? { path: [], message: 'must not contain the NUL character' } : undefined;
  const stack: Frame[] = [{ value, depth: 1, parent: undefined, key: '' }];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    if (typeof frame.value !== 'object' || frame.value === null) continue;
    if (frame.depth > maxDepth) return { path: pathOf(frame), message: `nests deeper than ${maxDepth} levels of objects and arrays` };
    const entries: Array<[PropertyKey, unknown]> = Array.isArray(frame.value) ? frame.value.map((item, i) => [i, item]) : Object.entries(frame.value);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, item] = entries[i] as [PropertyKey, unknown];
      if (typeof key === 'string' && key.includes(NUL)) return { path: pathOf(frame, key), message: 'must not have a key with the NUL character' };
      if (typeof item === 'string' && item.includes(NUL)) return { path: pathOf(frame, key), message: 'must not contain the NUL character' };
      if (typeof item === 'object' && item !== null) stack.push({ value: item, depth: frame.depth + 1, parent: frame, key });
    }
  }
  return undefined;
}
