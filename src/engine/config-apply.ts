import { createHash } from 'node:crypto';
import {
  type ApplyConflict,
  applyManager,
  ConfigError,
  ConfigErrorCode,
  type ConfigChange,
  configLeaves,
  type ConfigLeaves,
  type FieldOwner,
  type FieldOwners,
  fromLeaves,
  type JobTypeRegistry,
  planApply,
  planOwners,
  REDACTED,
  sameValue,
  scheduleShape,
  secretPathsOf,
} from '../domain/config/index.js';
import { nextSlots } from '../domain/schedule/index.js';
import type { ConfigService } from './config-service.js';
import { type AppliedDeclaration, type Clock, ConfigApplyRace, type ConfigApplyWrite, type Store } from './ports.js';

export interface ApplyOptions {
  /** Who applies, recorded in the version history (default `apply:<manager>`). */
  actor?: string;
  /**
   * Which declaration this is (default `code`): the fields it states become `apply:<manager>`'s,
   * and it changes or drops only those.
   */
  manager?: string;
  /** Take fields someone else set back (default: keep theirs and report a conflict). */
  force?: boolean;
  /**
   * A config this apply creates is switched on unless the declaration says otherwise (default
   * true: configs declared in code are meant to run). False: created switched off, as the console does.
   */
  enableNew?: boolean;
  /**
   * What a conflict does: `keep` the field as someone else set it and apply the rest (default,
   * for configs declared in code at start-up), or `stop`: apply nothing (files: `grove-jobs apply`).
   */
  onConflict?: 'keep' | 'stop';
  /** Delete the configs wholly owned by this manager that no declaration names any more. */
  prune?: boolean;
  /** Plan only: report what would change and write nothing. */
  dryRun?: boolean;
  /** A note kept with each version this apply stores. */
  message?: string;
  /** Where each declaration comes from ("jobs/nightly.yaml, document 2"), for errors; default `configs[i]`. */
  sources?: readonly string[];
}

/** One changed field, with who had set it before. */
export interface AppliedChange extends ConfigChange {
  owner?: FieldOwner;
}

/** A schedule as a preview of runs needs it. */
export interface ScheduleShape {
  cronExpression: string;
  timezone: string;
  isEnabled: boolean;
}

export interface ApplyResult {
  id: string;
  outcome: 'created' | 'updated' | 'unchanged' | 'deleted';
  /** The version stored now (for `deleted`, the version deleted). */
  version: number;
  /** Fields this apply set, and fields it returned to their defaults (stated last time, not now). */
  set: string[];
  reverted: string[];
  /** Fields someone else set that the declaration says otherwise: kept as they are unless forced. */
  conflicts: ApplyConflict[];
  /** The stored fields that change, old → new (secrets masked), with each one's owner before; for a new config, the fields it states. */
  changes: AppliedChange[];
  /** The schedule before and after, when it changes (no `before` for a new config). */
  schedule?: { before?: ScheduleShape; after: ScheduleShape };
  /** With `schedule`: the next runs (ISO instants) before and after, none while switched off. */
  nextRuns?: { timezone: string; before?: string[]; after: string[] };
  /** Where the declaration came from (ApplyOptions.sources). */
  source?: string;
}

const DEFAULT_MANAGER = 'code';
const FINGERPRINT = 'sha256:';

/**
 * Applies declared configs: creates the missing ones and merges the declared fields into the
 * stored ones by field ownership (domain/config/apply.ts), one version per config that changes;
 * applying the same declarations again stores nothing. Every declaration is checked and
 * planned before anything is written, and the writes go in one transaction: a bad one is
 * refused naming its source and field, and then nothing changes.
 */
export async function applyConfigs(deps: ApplyDeps, declarations: readonly unknown[], options: ApplyOptions): Promise<ApplyResult[]> {
  const name = options.manager ?? DEFAULT_MANAGER;
  const context: PlanContext = { ...options, manager: applyManager(name), name, actor: options.actor ?? applyManager(name) };
  const checked = declarations.map((declaration, index) => checkDeclaration(declaration, index, context));
  const seen = new Map<string, number>();
  for (const { id, index } of checked) {
    const first = seen.get(id);
    if (first !== undefined) throw invalid(index, context, 'meta.id', `'${id}' is declared twice (first in ${sourceOf(first, context)})`);
    seen.set(id, index);
  }
  const planned: Planned[] = [];
  for (const { id, index } of checked) planned.push(await planOne(deps, id, index, declarations[index], context));
  if (options.prune) planned.push(...(await planPrune(deps, new Set(seen.keys()), context)));

  const now = deps.clock.now();
  for (const { result } of planned) withNextRuns(result, now);
  const stopped = options.onConflict === 'stop' && planned.some((plan) => plan.result.conflicts.length > 0);
  if (options.dryRun || stopped) return planned.map((plan) => plan.result);
  const writes = planned.flatMap((plan) => (plan.write ? [plan.write] : []));
  if (writes.length > 0) {
    try {
      await deps.store.applyConfigs(writes);
    } catch (error) {
      if (!(error instanceof ConfigApplyRace)) throw error;
      throw new ConfigError(ConfigErrorCode.VersionConflict, error.message, [{ path: 'meta.id', message: `'${error.configId}' changed during the apply` }]);
    }
    for (const write of writes) deps.configs.announce(write.kind === 'insert' || write.kind === 'replace' ? write.write.config.meta.id : write.id);
  }
  return planned.map((plan) => plan.result);
}

type ApplyDeps = { configs: ConfigService; store: Store; clock: Clock; registry: JobTypeRegistry };

type PlanContext = Omit<ApplyOptions, 'manager' | 'actor'> & { manager: string; name: string; actor: string };

interface Planned {
  /** What to store; undefined when nothing changes, not even what the apply remembers. */
  write: ConfigApplyWrite | undefined;
  result: ApplyResult;
}

async function planOne(deps: ApplyDeps, id: string, index: number, declaration: unknown, context: PlanContext): Promise<Planned> {
  const declared = configLeaves(declaration);
  const jobType = String(declared['payload.jobType']);
  const secret = secretTest([jobType], deps.registry);
  const source = context.sources?.[index];
  const at = deps.clock.now();
  const writeOptions = { actor: context.actor, manager: context.manager, ...(context.message ? { message: context.message } : {}) };
  const stored = await deps.store.getConfig(id);
  if (!stored) {
    const leaves: ConfigLeaves = { ...declared, 'meta.id': id };
    if (context.enableNew !== false && !('payload.schedule.isEnabled' in leaves)) leaves['payload.schedule.isEnabled'] = true;
    const applied: AppliedDeclaration = { manager: context.name, stated: fingerprinted(declared, secret), at };
    const write = validateAt(context, index, () => deps.configs.prepareCreate(fromLeaves(leaves), { ...writeOptions, applied }));
    // The declaration owns what it states; the defaults validation filled in (and switching a
    // new config on) stay no one's, so it never returns them to their defaults.
    write.owners = Object.fromEntries(Object.entries(write.owners).filter(([path]) => path in declared));
    const config = deps.configs.secrets.open(write.config);
    return {
      write: { kind: 'insert', write },
      result: {
        id,
        outcome: 'created',
        version: 1,
        set: Object.keys(declared),
        reverted: [],
        conflicts: [],
        // What the declaration states (the rest are defaults), secrets masked.
        changes: Object.entries(declared).map(([path, to]) => ({ path, to: secret(path) ? REDACTED : to })),
        schedule: { after: scheduleShape(config) },
        ...(source ? { source } : {}),
      },
    };
  }
  const opened = deps.configs.secrets.open(stored);
  const live = configLeaves(opened);
  const owners = await deps.store.getConfigOwners(id);
  const last = await deps.store.getAppliedDeclaration(id, context.name);
  const plan = planApply({
    live,
    lastApplied: last?.stated,
    declared,
    force: context.force ?? false,
    owners,
    manager: context.manager,
    matchesRemembered: (path, value, remembered) => (secret(path) ? fingerprint(value) === remembered : sameValue(value, remembered)),
  });
  const applied: AppliedDeclaration = { manager: context.name, stated: fingerprinted(plan.remembered, secret), at };
  const taken = (context.force ?? false) ? plan.set.filter((path) => owners[path] && owners[path].manager !== context.manager && !sameValue(live[path], declared[path])) : [];
  const message = [context.message, taken.length > 0 ? `taken back by force: ${taken.map((path) => `${path} (from ${owners[path]?.by})`).join(', ')}` : undefined]
    .filter(Boolean)
    .join('; ');
  // A conflict on a secret field says that it differs, never what either value is.
  const conflicts = plan.conflicts.map((conflict) => (secret(conflict.path) ? { ...conflict, declared: REDACTED, live: REDACTED } : conflict));
  const base = { id, set: plan.set, reverted: plan.reverted, conflicts, ...(source ? { source } : {}) };
  const changed = plan.set.length > 0 || plan.reverted.length > 0;
  const prepared = changed
    ? validateAt(context, index, () =>
        deps.configs.prepareChange(stored, owners, fromLeaves({ ...plan.next, 'meta.id': id }), {
          ...writeOptions,
          ...(message ? { message } : {}),
          applied,
          claimed: plan.claimed,
          released: plan.reverted,
        }),
      ).write
    : undefined;
  if (prepared) {
    const after = deps.configs.secrets.open(prepared.config);
    const schedule = scheduleShape(after);
    const before = scheduleShape(opened);
    return {
      write: { kind: 'replace', write: prepared, expectedVersion: stored.meta.version },
      result: {
        ...base,
        outcome: 'updated',
        version: prepared.config.meta.version,
        changes: prepared.changes.map((change) => ({ ...change, ...(owners[change.path] ? { owner: owners[change.path] } : {}) })),
        ...(sameValue(before, schedule) ? {} : { schedule: { before, after: schedule } }),
      },
    };
  }
  // No field changes (or they differed only in form): the apply may still take fields stated at
  // the value they have, or forget fields; that is recorded without a version.
  const owned = planOwners({
    before: live,
    after: live,
    owners,
    owner: { manager: context.manager, by: context.actor, at: at.toISOString(), version: stored.meta.version },
    claimed: plan.claimed,
    released: plan.reverted,
  });
  const remembers = !last || !sameValue(last.stated, applied.stated) || !sameValue(ownedBy(owners), ownedBy(owned));
  return {
    write: remembers ? { kind: 'remember', id, version: stored.meta.version, owners: owned, applied } : undefined,
    result: { ...base, set: [], reverted: [], outcome: 'unchanged', version: stored.meta.version, changes: [] },
  };
}

/** Owners without their times: taking a field already ours is no change. */
function ownedBy(owners: FieldOwners): Record<string, string> {
  return Object.fromEntries(Object.entries(owners).map(([path, owner]) => [path, owner.manager]));
}

/** The configs no declaration names whose every owned field is this manager's: deleted, as an operator's delete does. */
async function planPrune(deps: ApplyDeps, named: Set<string>, context: PlanContext): Promise<Planned[]> {
  const pruned: Planned[] = [];
  for (const config of await deps.store.listConfigs()) {
    if (named.has(config.meta.id)) continue;
    const owners = Object.values(await deps.store.getConfigOwners(config.meta.id));
    if (owners.length === 0 || owners.some((owner) => owner.manager !== context.manager)) continue;
    const id = config.meta.id;
    pruned.push({
      write: { kind: 'delete', id, expectedVersion: config.meta.version },
      result: { id, outcome: 'deleted', version: config.meta.version, set: [], reverted: [], conflicts: [], changes: [] },
    });
  }
  return pruned;
}

/** Runs listed before and after a schedule change. */
const PREVIEW_RUNS = 5;

/** Adds the next runs before and after to a result whose schedule changes. */
function withNextRuns(result: ApplyResult, now: Date): void {
  const { schedule } = result;
  if (!schedule) return;
  const runs = (shape: ScheduleShape) => (shape.isEnabled ? nextSlots(shape.cronExpression, shape.timezone, now, PREVIEW_RUNS).map((slot) => slot.toISOString()) : []);
  result.nextRuns = { timezone: schedule.after.timezone, ...(schedule.before ? { before: runs(schedule.before) } : {}), after: runs(schedule.after) };
}

/** Runs a validation, naming the declaration's source and the field when it fails. */
function validateAt<T>(context: PlanContext, index: number, validate: () => T): T {
  try {
    return validate();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const issue = error.issues[0];
    throw invalid(index, context, issue?.path ?? 'config', issue?.message ?? error.message);
  }
}

/** A declaration needs an object with `meta.id` and `payload.jobType`; the rest is checked by validation. */
function checkDeclaration(declaration: unknown, index: number, context: PlanContext): { id: string; index: number } {
  const record = declaration as { meta?: { id?: unknown }; payload?: { jobType?: unknown } } | undefined;
  if (typeof record !== 'object' || record === null || Array.isArray(record)) throw invalid(index, context, 'config', 'must be an object with meta and payload');
  if (typeof record.meta?.id !== 'string' || record.meta.id === '') throw invalid(index, context, 'meta.id', 'is required');
  if (typeof record.payload?.jobType !== 'string' || record.payload.jobType === '') throw invalid(index, context, 'payload.jobType', 'is required');
  return { id: record.meta.id, index };
}

function sourceOf(index: number, context: PlanContext): string {
  return context.sources?.[index] ?? `configs[${index}]`;
}

function invalid(index: number, context: PlanContext, path: string, message: string): ConfigError {
  const source = context.sources?.[index];
  const where = source === undefined ? `configs[${index}].${path}` : `${source}: ${path}`;
  return new ConfigError(ConfigErrorCode.Invalid, `${where}: ${message}`, [{ path: where, message }]);
}

/** Whether a leaf path holds a secret (a secret parameter, a value of secret headers, the webhook secret). */
function secretTest(jobTypes: string[], registry: JobTypeRegistry): (path: string) => boolean {
  const prefixes = secretPathsOf(jobTypes, registry).map((path) => path.join('.'));
  return (path) => prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}.`));
}

function fingerprint(value: unknown): string {
  return `${FINGERPRINT}${createHash('sha256').update(JSON.stringify(value)).digest('hex')}`;
}

/** The leaves to remember: secrets as fingerprints, never values. */
function fingerprinted(leaves: ConfigLeaves, secret: (path: string) => boolean): ConfigLeaves {
  return Object.fromEntries(Object.entries(leaves).map(([path, value]) => [path, secret(path) ? fingerprint(value) : value]));
}
