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

/**
 * Who set a field of a stored config last: its manager (`console`, `api`, `cli`, `apply:<name>`
 * for declarations, `system` for what Grove Jobs itself installed), the actor recorded with the
 * version (`api:ops-token`, `cli:alice`, `apply:files`), when, and in which version.
 */
export interface FieldOwner {
  manager: string;
  by: string;
  /** ISO 8601, UTC. */
  at: string;
  version: number;
}

/** The owner of each leaf of a stored config ("payload.schedule.cronExpression" → owner). */
export type FieldOwners = Record<string, FieldOwner>;

/** The manager of what Grove Jobs installs itself (the default configs): any declaration may take those fields. */
export const SYSTEM_MANAGER = 'system';

/** The manager name of a declaration (`apply:files`, `apply:code`). */
export function applyManager(name: string): string {
  return `apply:${name}`;
}

/**
 * The manager an actor writes as: a declaration's actor is its manager (`apply:files`); an
 * operator's is the interface they used (`console`, `api`, `cli`, from the actor's prefix);
 * any other actor is an operator too (`GROVE_JOBS_ACTOR=alice` → `alice`).
 */
export function managerOfActor(actor: string): string {
  if (actor.startsWith('apply:')) return actor;
  const prefix = actor.split(':')[0] ?? actor;
  return ['console', 'api', 'cli'].includes(prefix) ? prefix : actor;
}

/**
 * The owners after a write: a leaf the write added or changed is the writer's; an unchanged
 * leaf keeps its owner; a leaf gone is owned by no one. `claimed` leaves become the writer's
 * even unchanged (a declaration stating a field takes it), `released` ones nobody's (a field a
 * declaration stopped stating is back at its default).
 */
export function planOwners(input: {
  before: ConfigLeaves | undefined;
  after: ConfigLeaves;
  owners: FieldOwners;
  owner: FieldOwner;
  claimed?: readonly string[];
  released?: readonly string[];
}): FieldOwners {
  const { before, after, owners, owner } = input;
  const claimed = new Set(input.claimed ?? []);
  const released = new Set(input.released ?? []);
  const next: FieldOwners = {};
  for (const [path, value] of Object.entries(after)) {
    if (released.has(path)) continue;
    const changed = before === undefined || !(path in before) || !sameValue(before[path], value);
    const kept = owners[path];
    if (changed || claimed.has(path)) next[path] = owner;
    else if (kept) next[path] = kept;
  }
  return next;
}

export interface ApplyConflict {
  /** The field, e.g. "payload.schedule.cronExpression". */
  path: string;
  /** What the declaration says now. */
  declared: unknown;
  /** What is stored: someone other than this declaration set it since its last apply. */
  live: unknown;
  /** Who set the stored value, and when; absent for a value set before owners were recorded. */
  owner?: FieldOwner;
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
  /** Fields the declaration states that become its own (set, or already at the stated value). */
  claimed: string[];
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
  /** Who set each stored field (empty for a config stored before owners were recorded). */
  owners?: FieldOwners;
  /** This declaration's manager (`apply:files`): the fields it owns are its to change and to drop. */
  manager?: string;
  /**
   * Whether a stored value equals a remembered one. Remembered secrets are fingerprints, never
   * the values: the caller compares through them (default: sameValue).
   */
  matchesRemembered?: (path: string, live: unknown, remembered: unknown) => boolean;
}

/**
 * The merge, by field ownership. For each field the declaration states: equal to the stored
 * value → nothing to set (the field becomes the declaration's); owned by this declaration, by
 * the system, or by no one → set; owned by someone else (an operator, another declaration) →
 * a conflict (kept, or taken back with `force`). Each field the declaration owns and no longer
 * states → removed (its default applies). A field stored before owners were recorded falls back
 * to the three-way rule: it is the declaration's when it is still as last applied.
 */
export function planApply(input: ApplyInput): ApplyPlan {
  const { declared, lastApplied = {}, force = false, owners = {}, manager } = input;
  const matches = input.matchesRemembered ?? ((_path: string, live: unknown, remembered: unknown) => sameValue(live, remembered));
  const live = input.live ?? {};
  const next: ConfigLeaves = { ...live };
  const set: string[] = [];
  const reverted: string[] = [];
  const conflicts: ApplyConflict[] = [];
  const claimed: string[] = [];
  const ownedHere = (path: string): boolean | undefined => {
    const owner = owners[path];
    if (owner === undefined) return undefined;
    return owner.manager === manager || owner.manager === SYSTEM_MANAGER;
  };
  // As last applied (the fallback for a field without a recorded owner).
  const unchangedSince = (path: string) => path in live && matches(path, live[path], lastApplied[path]);
  for (const [path, value] of Object.entries(declared)) {
    if (path in live && sameValue(live[path], value)) {
      claimed.push(path);
      continue;
    }
    const ours = input.live === undefined || (ownedHere(path) ?? (!(path in lastApplied) || unchangedSince(path)));
    if (ours || force) {
      setLeaf(next, path, value);
      set.push(path);
      claimed.push(path);
    } else {
      const owner = owners[path];
      conflicts.push({ path, declared: value, live: live[path], ...(owner ? { owner } : {}) });
    }
  }
  const stated = new Set([...Object.keys(lastApplied), ...(manager === undefined ? [] : Object.keys(owners).filter((path) => owners[path]?.manager === manager))]);
  for (const path of stated) {
    if (path in declared || !(path in live)) continue;
    const owner = owners[path];
    if (owner ? owner.manager === manager : unchangedSince(path)) {
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
  return { next, set, reverted, conflicts, claimed, remembered };
}

/** Sets a leaf, dropping leaves it replaces (a parent stored as a leaf, or children of a new leaf). */
function setLeaf(leaves: ConfigLeaves, path: string, value: unknown): void {
  for (const key of Object.keys(leaves)) {
    if (key.startsWith(`${path}.`) || path.startsWith(`${key}.`)) delete leaves[key];
  }
  leaves[path] = value;
}
