/**
 * Declared configs (in code, or in files) merged into the stored ones, field by field, the way
 * `kubectl apply` merges: a declaration states only the fields it cares about; the fields it
 * stated last time are remembered, so that a run can tell a field the declaration changed
 * (update it), a field someone else changed since (a conflict: theirs is kept unless forced),
 * and a field it stopped stating (back to its default). Applying the same declaration twice
 * changes nothing.
 */

/** A config as flat leaves: "payload.schedule.cronExpression" → "0 2 * * *". Arrays are leaves. */
export type ConfigLeaves = Record<string, unknown>;

/** Fields a declaration does not own whatever it says: the id names the config, the rest is the server's. */
const UNSTATED = new Set(['meta.id', 'meta.type', 'meta.version', 'meta.createdAt', 'meta.updatedAt', 'meta.createdBy', 'meta.updatedBy', 'payload.lastExecution']);

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The leaves of a config or declaration (server-managed fields left out). */
export function configLeaves(config: unknown): ConfigLeaves {
  const leaves: ConfigLeaves = {};
  const walk = (value: unknown, path: string) => {
    // An empty object states nothing (`parameters: {}`: the type's defaults).
    if (isPlainObject(value)) {
      for (const [key, child] of Object.entries(value)) walk(child, path === '' ? key : `${path}.${key}`);
      return;
    }
    if (value !== undefined && !UNSTATED.has(path) && path !== '') leaves[path] = value;
  };
  walk(config, '');
  return leaves;
}

/** Builds the nested object back from leaves. */
export function fromLeaves(leaves: ConfigLeaves): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(leaves)) {
    const keys = path.split('.');
    let node = root;
    for (const key of keys.slice(0, -1)) {
      const next = node[key];
      node = isPlainObject(next) ? next : (node[key] = {});
    }
    node[keys.at(-1) as string] = value;
  }
  return root;
}

/** JSON equality of two leaf values (arrays and the empty object compare by content). */
export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface ApplyConflict {
  /** The field, e.g. "payload.schedule.cronExpression". */
  path: string;
  /** What the declaration says now. */
  declared: unknown;
  /** What is stored: someone other than this declaration set it since its last apply. */
  live: unknown;
}

export interface ApplyPlan {
  /** The stored leaves with the declaration's changes made (the config to validate and store). */
  next: ConfigLeaves;
  /** Fields the declaration sets (new, or changed in the declaration since last time). */
  set: string[];
  /** Fields the declaration stated last time and no longer does: removed, so their default applies. */
  reverted: string[];
  /** Fields changed by someone else since the last apply, where the declaration now says otherwise. */
  conflicts: ApplyConflict[];
  /** What to remember as this declaration's last apply (its stated fields as the store now has them). */
  remembered: ConfigLeaves;
}

export interface ApplyInput {
  /** The stored config's leaves; undefined for a config not stored yet. */
  live: ConfigLeaves | undefined;
  /** What the same declaration stated at its last apply; undefined the first time. */
  lastApplied: ConfigLeaves | undefined;
  declared: ConfigLeaves;
  /** Take conflicting fields back (true), or keep the stored value (false, default). */
  force?: boolean;
  /**
   * Whether a stored value equals a remembered one. Remembered secrets are fingerprints, never
   * the values: the caller compares through them (default: sameValue).
   */
  matchesRemembered?: (path: string, live: unknown, remembered: unknown) => boolean;
}

/**
 * The three-way merge. For each field the declaration states: equal to the stored value →
 * nothing; not stated last time, or stored as last applied → set; otherwise someone changed it
 * since → a conflict (kept, or taken back with `force`). Each field stated last time and no
 * longer, still as last applied → removed (its default applies); changed since → left alone.
 */
export function planApply(input: ApplyInput): ApplyPlan {
  const { declared, lastApplied = {}, force = false } = input;
  const matches = input.matchesRemembered ?? ((_path: string, live: unknown, remembered: unknown) => sameValue(live, remembered));
  const live = input.live ?? {};
  const next: ConfigLeaves = { ...live };
  const set: string[] = [];
  const reverted: string[] = [];
  const conflicts: ApplyConflict[] = [];
  for (const [path, value] of Object.entries(declared)) {
    if (path in live && sameValue(live[path], value)) continue;
    const ours = !(path in lastApplied) || input.live === undefined || (path in live ? matches(path, live[path], lastApplied[path]) : false);
    if (ours || force) {
      setLeaf(next, path, value);
      set.push(path);
    } else {
      conflicts.push({ path, declared: value, live: live[path] });
    }
  }
  for (const path of Object.keys(lastApplied)) {
    if (path in declared || !(path in live)) continue;
    if (matches(path, live[path], lastApplied[path])) {
      delete next[path];
      reverted.push(path);
    }
  }
  const kept = new Set(conflicts.map((conflict) => conflict.path));
  const remembered: ConfigLeaves = {};
  for (const path of Object.keys(declared)) {
    // A conflict kept leaves the last applied value remembered: the field stays someone else's change.
    if (kept.has(path)) {
      if (path in lastApplied) remembered[path] = lastApplied[path];
    } else {
      remembered[path] = declared[path];
    }
  }
  return { next, set, reverted, conflicts, remembered };
}

/** Sets a leaf, dropping leaves it replaces (a parent stored as a leaf, or children of a new leaf). */
function setLeaf(leaves: ConfigLeaves, path: string, value: unknown): void {
  for (const key of Object.keys(leaves)) {
    if (key.startsWith(`${path}.`) || path.startsWith(`${key}.`)) delete leaves[key];
  }
  leaves[path] = value;
}
