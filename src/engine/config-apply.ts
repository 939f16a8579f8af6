import { createHash } from 'node:crypto';
import {
  type ApplyConflict,
  ConfigError,
  ConfigErrorCode,
  configLeaves,
  type ConfigLeaves,
  fromLeaves,
  type JobConfig,
  type JobTypeRegistry,
  planApply,
  sameValue,
  secretPathsOf,
} from '../domain/config/index.js';
import type { ConfigService } from './config-service.js';
import type { AppliedDeclaration, Clock, Store } from './ports.js';

export interface ApplyOptions {
  /** Who applies, recorded in the version history ("code", "cli:ops", …). */
  actor: string;
  /** Which declaration this is (default `code`): each manager remembers what it stated. */
  manager?: string;
  /** Take fields someone else changed since the last apply back (default: keep theirs, report a conflict). */
  force?: boolean;
  /**
   * A config this apply creates is switched on unless the declaration says otherwise (default
   * true: configs declared in code are meant to run). False: created switched off, as the console does.
   */
  enableNew?: boolean;
}

export interface ApplyResult {
  id: string;
  outcome: 'created' | 'updated' | 'unchanged';
  /** The version stored now. */
  version: number;
  /** Fields this apply set, and fields it returned to their defaults (stated last time, not now). */
  set: string[];
  reverted: string[];
  /** Fields someone else changed since the last apply that the declaration says otherwise: kept as they are unless forced. */
  conflicts: ApplyConflict[];
}

const DEFAULT_MANAGER = 'code';
const FINGERPRINT = 'sha256:';

/**
 * Applies declared configs: creates the missing ones and merges the declared fields into the
 * stored ones (domain/config/apply.ts), one version per config that changes; applying the same
 * declarations again stores nothing. Each declaration is checked before any is written: a bad
 * one is refused, naming its index and field, and nothing changes.
 */
export async function applyConfigs(
  deps: ApplyDeps,
  declarations: readonly unknown[],
  options: ApplyOptions,
): Promise<ApplyResult[]> {
  const manager = options.manager ?? DEFAULT_MANAGER;
  const checked = declarations.map((declaration, index) => checkDeclaration(declaration, index));
  const seen = new Set<string>();
  for (const { id, index } of checked) {
    if (seen.has(id)) throw invalid(index, 'meta.id', `'${id}' is declared twice`);
    seen.add(id);
  }
  // Every declaration planned and its result validated before anything is written.
  const planned: Planned[] = [];
  for (const { id, index } of checked) planned.push(await planOne(deps, id, index, declarations[index], { ...options, manager }));
  const results: ApplyResult[] = [];
  for (const plan of planned) results.push(await commit(deps, plan, options.actor));
  return results;
}

type ApplyDeps = { configs: ConfigService; store: Store; clock: Clock; registry: JobTypeRegistry };

interface Planned {
  id: string;
  /** The config to store (leaves), or undefined when nothing changes but the memory. */
  candidate: Record<string, unknown> | undefined;
  /** The stored version it is based on; undefined for a new config. */
  based: number | undefined;
  applied: AppliedDeclaration;
  /** Whether the memory differs from what is stored (an apply that changes no field still records it). */
  rememberOnly: boolean;
  result: ApplyResult;
}

async function planOne(deps: ApplyDeps, id: string, index: number, declaration: unknown, options: ApplyOptions & { manager: string }): Promise<Planned> {
  const declared = configLeaves(declaration);
  const jobType = String(declared['payload.jobType']);
  const secret = secretTest([jobType], deps.registry);
  const remember = (stated: ConfigLeaves): AppliedDeclaration => ({ manager: options.manager, stated: fingerprinted(stated, secret), at: deps.clock.now() });
  const stored = await deps.store.getConfig(id);
  if (!stored) {
    const leaves: ConfigLeaves = { ...declared, 'meta.id': id };
    if (options.enableNew !== false && !('payload.schedule.isEnabled' in leaves)) leaves['payload.schedule.isEnabled'] = true;
    const candidate = fromLeaves(leaves);
    validateAt(deps, index, candidate);
    return {
      id,
      candidate,
      based: undefined,
      applied: remember(declared),
      rememberOnly: false,
      result: { id, outcome: 'created', version: 1, set: Object.keys(declared), reverted: [], conflicts: [] },
    };
  }
  const live = configLeaves(deps.configs.secrets.open(stored));
  const last = await deps.store.getAppliedDeclaration(id, options.manager);
  const plan = planApply({
    live,
    lastApplied: last?.stated,
    declared,
    force: options.force ?? false,
    matchesRemembered: (path, value, remembered) => (secret(path) ? fingerprint(value) === remembered : sameValue(value, remembered)),
  });
  const applied = remember(plan.remembered);
  const changes = plan.set.length > 0 || plan.reverted.length > 0;
  const candidate = changes ? fromLeaves({ ...plan.next, 'meta.id': id }) : undefined;
  if (candidate) validateAt(deps, index, candidate);
  return {
    id,
    candidate,
    based: stored.meta.version,
    applied,
    rememberOnly: !last || !sameValue(last.stated, applied.stated),
    result: changes
      ? { id, outcome: 'updated', version: stored.meta.version + 1, set: plan.set, reverted: plan.reverted, conflicts: plan.conflicts }
      : { id, outcome: 'unchanged', version: stored.meta.version, set: [], reverted: [], conflicts: plan.conflicts },
  };
}

/** Validates a planned config whole, as a write would, naming the declaration and field when it fails. */
function validateAt(deps: ApplyDeps, index: number, candidate: Record<string, unknown>): void {
  try {
    deps.configs.validate(candidate);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const issue = error.issues[0];
    throw invalid(index, issue?.path ?? 'config', issue?.message ?? error.message);
  }
}

async function commit(deps: ApplyDeps, planned: Planned, actor: string): Promise<ApplyResult> {
  const { id, candidate, based, applied, result } = planned;
  if (candidate === undefined) {
    if (planned.rememberOnly) await deps.store.rememberAppliedDeclaration(id, applied);
    return result;
  }
  if (based === undefined) {
    const created = await deps.configs.create(candidate, { actor, applied });
    return { ...result, version: created.meta.version };
  }
  const written: JobConfig = await deps.configs.update(id, candidate, { actor, expectedVersion: based, applied });
  if (written.meta.version === based) {
    // The fields differed only in form (validation made them equal): nothing stored but the memory.
    await deps.store.rememberAppliedDeclaration(id, applied);
    return { ...result, outcome: 'unchanged', version: based, set: [], reverted: [] };
  }
  return { ...result, version: written.meta.version };
}

/** A declaration needs an object with `meta.id` and `payload.jobType`; the rest is checked by validation. */
function checkDeclaration(declaration: unknown, index: number): { id: string; index: number } {
  const record = declaration as { meta?: { id?: unknown }; payload?: { jobType?: unknown } } | undefined;
  if (typeof record !== 'object' || record === null || Array.isArray(record)) throw invalid(index, 'config', 'must be an object with meta and payload');
  if (typeof record.meta?.id !== 'string' || record.meta.id === '') throw invalid(index, 'meta.id', 'is required');
  if (typeof record.payload?.jobType !== 'string' || record.payload.jobType === '') throw invalid(index, 'payload.jobType', 'is required');
  return { id: record.meta.id, index };
}

function invalid(index: number, path: string, message: string): ConfigError {
  const where = `configs[${index}].${path}`;
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
