import type { JobTypeRegistry } from './job-type.js';
import type { JobConfig } from './schema.js';
import { mapSecretLeaves, maskSealed, REDACTED, type SecretPath, secretPathsOf } from './secrets.js';

export { REDACTED } from './secrets.js';

/**
 * The one way a config is shown (API of every role, CLI, console): the secret paths of its
 * job type and of every type in `history` (the types of all its versions) replaced by
 * REDACTED (objects of secrets keep their keys, not their values), and any sealed value
 * wherever it sits.
 */
export function redactConfig(config: JobConfig, registry: JobTypeRegistry, history: Iterable<string> = []): JobConfig {
  const paths = secretPathsOf([config.payload.jobType, ...history], registry);
  return maskSealed(mapSecretLeaves(config, paths, () => REDACTED));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` with the secret at `path` (relative to it) redacted. */
function redactBelow(value: unknown, path: SecretPath): unknown {
  return mapSecretLeaves(value, [path], () => REDACTED);
}

/**
 * Version-history changes as shown: a change at or below a secret path of any type in
 * `jobTypes` (all the config's versions' types, since a change of type records the old
 * type's secrets as `from`) reads REDACTED; a change of a whole section above one (a new
 * config's first version records `payload` as one change) has the secrets inside redacted.
 */
export function redactChanges<C extends { path: string; from?: unknown; to?: unknown }>(changes: readonly C[], jobTypes: Iterable<string>, registry: JobTypeRegistry): C[] {
  const paths = secretPathsOf(jobTypes, registry);
  return changes.map((change) => {
    const at = change.path.split('.');
    const shown: Record<string, unknown> = { ...change };
    if (paths.some((path) => path.length <= at.length && path.every((segment, i) => at[i] === segment))) {
      if ('from' in shown) shown['from'] = REDACTED;
      if ('to' in shown) shown['to'] = REDACTED;
      return shown as C;
    }
    const below = paths.filter((path) => path.length > at.length && at.every((segment, i) => path[i] === segment)).map((path) => path.slice(at.length));
    for (const key of ['from', 'to'] as const) {
      if (key in shown && isRecord(shown[key])) shown[key] = below.reduce<unknown>((value, rest) => redactBelow(value, rest), shown[key]);
    }
    return maskSealed(shown) as C;
  });
}

/** Versions as shown: each config and its changes redacted by the secret paths of every type the config ever had. */
export function redactVersions<V extends { config: JobConfig; changes: ReadonlyArray<{ path: string; from?: unknown; to?: unknown }> }>(versions: readonly V[], registry: JobTypeRegistry): V[] {
  const types = new Set(versions.map((v) => v.config.payload.jobType));
  return versions.map((v) => ({ ...v, config: redactConfig(v.config, registry, types), changes: redactChanges(v.changes, types, registry) }));
}
