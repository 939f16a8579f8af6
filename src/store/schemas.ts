/**
 * Where a store's tables live: the engine's in one schema (default `grove_jobs`), the Grove
 * domain's, when enabled, in another (default `grove`, or `<engine schema>_grove` beside an
 * engine schema of another name, so that each store's pair stays apart). Every connection
 * resolves unqualified names through the two, the engine's first.
 */
export const DEFAULT_SCHEMA = 'grove_jobs';
/** Where releases before 0.2 put every table. */
export const LEGACY_SCHEMA = 'public';

const SCHEMA_NAME = /^[a-z_][a-z0-9_$]{0,62}$/;

export function defaultDomainSchema(engineSchema: string): string {
  return engineSchema === DEFAULT_SCHEMA ? 'grove' : `${engineSchema}_grove`;
}

/**
 * A schema name as given by an option or variable (`what` names it in the error): lower-case
 * letters, digits and underscores, as PostgreSQL folds unquoted names, at most 63 characters.
 */
export function checkSchemaName(name: string, what: string): string {
  if (!SCHEMA_NAME.test(name)) {
    throw new Error(`${what}: '${name}' is not a schema name Grove Jobs accepts (lower-case letters, digits and _, starting with a letter or _, at most 63 characters)`);
  }
  return name;
}

/** The search_path of a store's connections. */
export function searchPath(schema: string, domainSchema: string | undefined): string {
  return [schema, ...(domainSchema === undefined ? [] : [domainSchema])].map((name) => `"${name.replaceAll('"', '""')}"`).join(', ');
}
