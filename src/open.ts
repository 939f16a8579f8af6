// Opening a store: the embedded one or a PostgreSQL server, in its schemas, migrated; the system
// built around it (openGroveJobs), and the store's administration (migrate, rotate the secret key).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type AnyJobType, configSecretPaths, JobTypeRegistry, redactChanges, SecretMasker, secretValues } from './domain/config/index.js';
import { ConfigSecrets } from './engine/config-secrets.js';
import type { AnyNotification, Clock, Notifier, StoreFlags } from './engine/ports.js';
import { openDataDir } from './store/data-dir.js';
import { createPostgresSql, type PostgresConnection } from './store/drivers/postgres.js';
import { checkSchemaName, DEFAULT_SCHEMA, defaultDomainSchema } from './store/schemas.js';
import { migrate, type MigrationReport } from './store/migrate.js';
import type { Sql } from './store/sql.js';
import { createSqlStore } from './store/sql-store.js';
import { currentKeyFile, KEY_FILE, keyDir, keyId, parseSecretKey, prepareNextKeyFile, promoteNextKeyFile, SecretBox, SecretKeyError, type SecretKeyEnv } from './store/secret-box.js';
import { resealSecretRows, type ResealReport } from './store/secret-rows.js';
import { createMaintenanceStore } from './store/grove/maintenance.js';
import { createStoreFlags } from './store/flags.js';
import { systemClock } from './system-clock.js';
import { createTokenStore } from './store/tokens.js';
import type { TokenStore } from './engine/ports.js';
import type { Readiness } from './api/readiness.js';
import { join } from 'node:path';
import { builtInJobTypes, builtInJobTypesWith, createGroveJobs, createGroveStores, defaultNotifier, extendSystem, groveJobTypes, silentNotifier, type GroveJobs, type GroveStores, type ProcessLog } from './app.js';
import { installDefaultConfigs } from './first-start.js';
import { createPgSqlRunner, socketConnection, type SqlRunner } from './jobs/sql/index.js';
import { parseEnvNames, type CommandPolicy } from './jobs/command/index.js';

export interface StoreLocation {
  /** `postgres` when DATABASE_URL is set, otherwise the embedded store in a data folder. */
  kind: 'postgres' | 'embedded';
  /** The data folder, or the server address without credentials. */
  where: string;
  /** For the embedded store: whether this process opened the files or reached their owner (when opened). */
  role?: 'owner' | 'client';
  /** For the embedded store: the owner's Unix socket (when opened). */
  socket?: string;
}

export interface OpenedSql {
  sql: Sql;
  location: StoreLocation;
}

/** Environment the store is chosen from. */
export interface StoreEnv {
  DATABASE_URL?: string;
  GROVE_JOBS_DATA_DIR?: string;
  /** The engine's schema (default grove_jobs). */
  GROVE_JOBS_SCHEMA?: string;
  /** The Grove domain's schema (default grove, or `<GROVE_JOBS_SCHEMA>_grove`). */
  GROVE_JOBS_DOMAIN_SCHEMA?: string;
  /** Comma-separated modules whose exports add job types (a team's own handlers). */
  GROVE_JOBS_JOB_TYPES?: string;
  /** The key secrets are encrypted with (base64 of 32 bytes); default: `<data folder>/secret-key`. */
  GROVE_JOBS_SECRET_KEY?: string;
  /** The folder `command` jobs may run executables from (`--allow-commands`); unset: command jobs are refused. */
  GROVE_JOBS_ALLOW_COMMANDS?: string;
  /** Comma-separated variable names `command` configs may set besides PATH, HOME, LANG (`--allow-command-env`). */
  GROVE_JOBS_ALLOW_COMMAND_ENV?: string;
}

function isJobType(value: unknown): value is AnyJobType {
  const candidate = value as Partial<AnyJobType> | undefined;
  return typeof candidate?.name === 'string' && typeof candidate.execute === 'function' && candidate.parameters !== undefined;
}

/**
 * Loads job types from modules: each may export `jobTypes` (an array), a default export (a
 * type or an array of types), or named job types made with defineJobType.
 */
export async function loadJobTypeModules(list: string | undefined): Promise<AnyJobType[]> {
  const types: AnyJobType[] = [];
  for (const path of (list ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const module = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
    const exported = [module['jobTypes'], module['default'], ...Object.values(module)].flatMap((value) => (Array.isArray(value) ? value : [value]));
    const found = [...new Set(exported.filter(isJobType))];
    if (found.length === 0) throw new Error(`GROVE_JOBS_JOB_TYPES: '${path}' exports no job type (made with defineJobType)`);
    types.push(...found);
  }
  return types;
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    parsed.username = parsed.username ? parsed.username : '';
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return 'a PostgreSQL server';
  }
}

export interface OpenSqlOptions {
  /**
   * For the embedded store: when the process owning it goes away, reach the next owner or
   * become it (long-running processes). Otherwise a query then fails with a one-line error.
   */
  followOwner?: boolean;
  /** Where a followed owner's change is reported (default: standard error). */
  log?: (line: string) => void;
  /** Whether the Grove domain's tables are in reach (its schema on the search path, migrated by `migrate`); default true. */
  domain?: boolean;
  /** Connections in the pool (PostgreSQL; default 10). */
  maxConnections?: number;
  /** A PostgreSQL server given by connection settings (an application's pool's), when DATABASE_URL is not set. */
  connection?: PostgresConnection;
}

/** PostgreSQL when DATABASE_URL is set; otherwise PGlite in GROVE_JOBS_DATA_DIR (default ./.grove-jobs). */
export async function openSql(env: StoreEnv, options: OpenSqlOptions = {}): Promise<OpenedSql> {
  const schema = checkSchemaName(env.GROVE_JOBS_SCHEMA || DEFAULT_SCHEMA, 'GROVE_JOBS_SCHEMA');
  const domainSchema = options.domain === false ? null : checkSchemaName(env.GROVE_JOBS_DOMAIN_SCHEMA || defaultDomainSchema(schema), 'GROVE_JOBS_DOMAIN_SCHEMA');
  if (domainSchema === schema) throw new Error(`GROVE_JOBS_DOMAIN_SCHEMA: '${domainSchema}' is the engine's schema too; give the Grove domain a schema of its own`);
  if (env.DATABASE_URL) {
    return {
      sql: createPostgresSql({ connectionString: env.DATABASE_URL, schema, domainSchema, ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}) }),
      location: { kind: 'postgres', where: redact(env.DATABASE_URL) },
    };
  }
  if (options.connection) {
    const { host, port, database } = options.connection;
    return {
      sql: createPostgresSql({ connection: options.connection, schema, domainSchema, ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}) }),
      location: { kind: 'postgres', where: options.connection.connectionString ? redact(options.connection.connectionString) : `${typeof host === 'string' ? host : 'localhost'}:${port ?? 5432}/${database ?? ''}` },
    };
  }
  const dir = resolve(env.GROVE_JOBS_DATA_DIR || '.grove-jobs');
  const opened = await openDataDir(dir, { schema, domainSchema, follow: options.followOwner ?? false, log: options.log ?? ((line) => process.stderr.write(`${line}\n`)) });
  return { sql: opened.sql, location: { kind: 'embedded', where: dir, role: opened.role, socket: opened.socket } };
}

export interface OpenGroveJobsOptions {
  env: StoreEnv;
  clock?: Clock;
  jobTypes?: readonly AnyJobType[];
  notifier?: Notifier<AnyNotification>;
  /** Apply pending migrations on open (default true). */
  migrate?: boolean;
  /**
   * Look whether the default configs were ever installed, and install them if not (one read
   * of the store). Default: only when this open applied migrations (a new or upgraded store);
   * the long-running commands (`start`, `serve`, `worker`) always look, so a store first opened
   * by a process without the default job types still gets them.
   */
  ensureDefaults?: boolean;
  /**
   * Embedded store: follow its owner (default true, for long-running processes); short
   * commands pass false and fail with a one-line error if the owner goes away meanwhile.
   */
  followOwner?: boolean;
  /** Where a followed owner's change is reported (default: standard error). */
  log?: (line: string) => void;
  /** Where the default notifier's log channel and its given-up webhook deliveries go (default: JSON lines on standard error). */
  logger?: ProcessLog;
  /**
   * The Grove domain (sprouts, advancement, signals: its tables in their own schema, its job
   * types and default configs); default true (the CLI). An engine-only embedder passes false.
   */
  domain?: boolean;
  /** Connections in this process's pool (PostgreSQL; default 10). */
  maxConnections?: number;
  /** A PostgreSQL server given by connection settings, when env has no DATABASE_URL. */
  connection?: PostgresConnection;
  /** Job types besides the default ones (built-in, the Grove domain's when enabled, GROVE_JOBS_JOB_TYPES'); `jobTypes` replaces them all instead. */
  addJobTypes?: readonly AnyJobType[];
  /**
   * What `command` jobs may run (`--allow-commands`, `--allow-command-env`); null: none.
   * Default: GROVE_JOBS_ALLOW_COMMANDS and GROVE_JOBS_ALLOW_COMMAND_ENV from `env`.
   */
  commands?: CommandPolicy | null;
}

/** The command policy `env` states; undefined (command jobs refused) without GROVE_JOBS_ALLOW_COMMANDS. */
export function commandPolicyFromEnv(env: StoreEnv): CommandPolicy | undefined {
  if (!env.GROVE_JOBS_ALLOW_COMMANDS) return undefined;
  return { allowDir: env.GROVE_JOBS_ALLOW_COMMANDS, allowEnv: parseEnvNames(env.GROVE_JOBS_ALLOW_COMMAND_ENV) };
}

/**
 * The `sql` job type's way to the store's own database: a connection of its own per run, made
 * with the store's settings (the embedded store: through its owner's socket), with
 * search_path public so that no statement reaches the engine's tables by an unqualified name.
 */
function storeSqlRunner(env: StoreEnv, options: OpenGroveJobsOptions, location: StoreLocation): SqlRunner | undefined {
  if (location.kind === 'embedded') {
    return location.socket === undefined ? undefined : createPgSqlRunner({ connection: socketConnection(location.socket), searchPath: 'public', interrupt: 'wait' });
  }
  const connection = env.DATABASE_URL ? { connectionString: env.DATABASE_URL } : options.connection;
  return connection ? createPgSqlRunner({ connection, searchPath: 'public', interrupt: 'cancel' }) : undefined;
}

export interface OpenedGroveJobs extends GroveJobs {
  location: StoreLocation;
  migration?: MigrationReport;
  /** Default configs this open installed (a new store). */
  installedDefaults?: string[];
  /** API tokens (hashed). */
  tokens: TokenStore;
  /** Once-only markers of the store (defaults installed, first start). */
  flags: StoreFlags;
  /** Whether the database answers and carries exactly this process's migrations (`/readyz`). */
  readiness(): Promise<Readiness>;
}

/** Opens the configured store, migrates it and builds the system around it. */
export async function openGroveJobs(options: OpenGroveJobsOptions): Promise<OpenedGroveJobs> {
  const domain = options.domain ?? true;
  const { sql, location } = await openSql(options.env, {
    followOwner: options.followOwner ?? true,
    domain,
    ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}),
    ...(options.connection ? { connection: options.connection } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  try {
    const migration = options.migrate === false ? undefined : await migrate(sql);
    const clock = options.clock ?? systemClock;
    const grove = domain ? createGroveStores(sql) : undefined;
    const secrets = SecretBox.fromEnv(options.env);
    const notifier = options.notifier ?? defaultNotifier(clock, options.logger, secrets);
    const dataDir = location.kind === 'embedded' ? location.where : undefined;
    const sqlRunner = storeSqlRunner(options.env, options, location);
    const commands = options.commands === null ? undefined : (options.commands ?? commandPolicyFromEnv(options.env));
    const system = createGroveJobs({
      clock,
      store: createSqlStore(sql),
      ...(grove ? { grove } : {}),
      notifier,
      secrets,
      jobTypes: options.jobTypes ?? [
        ...builtInJobTypesWith({ ...(sqlRunner ? { sqlRunner } : {}), ...(commands ? { commands } : {}) }),
        ...(grove ? groveJobTypes(grove, notifier, dataDir) : []),
        ...(await loadJobTypeModules(options.env.GROVE_JOBS_JOB_TYPES)),
        ...(options.addJobTypes ?? []),
      ],
    });
    // Every new store gets the default configs, whichever command opens it first; a command
    // on a store already migrated does not ask again.
    const lookForDefaults = grove !== undefined && migration !== undefined && (options.ensureDefaults ?? migration.applied.length > 0);
    const installedDefaults = lookForDefaults ? await installDefaultConfigs(system) : [];
    const maintenance = grove?.maintenance ?? createMaintenanceStore(sql);
    const api = { tokens: createTokenStore(sql), flags: grove?.flags ?? createStoreFlags(sql), readiness: () => checkReadiness(maintenance) };
    return extendSystem(system, { location, ...api, ...(migration ? { migration } : {}), ...(installedDefaults.length > 0 ? { installedDefaults } : {}) });
  } catch (error) {
    await sql.close();
    throw error;
  }
}

export interface KeyRotationReport extends ResealReport {
  /** The key secrets are now sealed with, and the one before (none when no key existed yet). */
  keyId: string;
  previousKeyId?: string;
  /** Where the new key was written (a key from the environment is not written anywhere). */
  keyFile?: string;
}

/**
 * Re-encrypts every stored secret with a new key (`grove-jobs secrets rotate-key`), in one
 * transaction; plain values stored before secrets were sealed are sealed too. With the key
 * in GROVE_JOBS_SECRET_KEY, the new one comes from `newKey` (or GROVE_JOBS_NEW_SECRET_KEY) and
 * the operator then puts it in GROVE_JOBS_SECRET_KEY; with a key file, the new key is written
 * to `secret-key.next` first and renamed over `secret-key` once the rows are committed, so a
 * rotation cut short at any point is finished by running it again (both keys open meanwhile).
 */
export async function rotateSecretKey(env: StoreEnv & SecretKeyEnv & { GROVE_JOBS_NEW_SECRET_KEY?: string }, options: { newKey?: string } = {}): Promise<KeyRotationReport> {
  const newKeyText = options.newKey ?? env.GROVE_JOBS_NEW_SECRET_KEY;
  let keys: Buffer[];
  let dir: string | undefined;
  if (env.GROVE_JOBS_SECRET_KEY) {
    if (!newKeyText) {
      throw new SecretKeyError('the key comes from GROVE_JOBS_SECRET_KEY: give the new one with --new-key or GROVE_JOBS_NEW_SECRET_KEY (the base64 of 32 random bytes)');
    }
    keys = [parseSecretKey(newKeyText, 'the new key'), parseSecretKey(env.GROVE_JOBS_SECRET_KEY, 'GROVE_JOBS_SECRET_KEY')];
  } else {
    dir = keyDir(env);
    const previous = currentKeyFile(dir);
    keys = [prepareNextKeyFile(dir, newKeyText), ...(previous ? [previous] : [])];
  }
  const box = SecretBox.withKeys(...keys);
  const { sql } = await openSql(env);
  let report: ResealReport;
  try {
    await migrate(sql);
    const grove = createGroveStores(sql);
    const registry = new JobTypeRegistry([...builtInJobTypes, ...groveJobTypes(grove, silentNotifier), ...(await loadJobTypeModules(env.GROVE_JOBS_JOB_TYPES))]);
    const secrets = new ConfigSecrets(registry, box);
    report = await resealSecretRows(sql, {
      config: (config) => secrets.seal(secrets.open(config)),
      changes: (changes) => redactChanges(changes, registry.names(), registry),
      masker: (versions) => {
        const values = versions.flatMap((config) => secretValues(secrets.open(config), configSecretPaths(config, registry)));
        return values.length === 0 ? undefined : new SecretMasker(values);
      },
    });
  } finally {
    await sql.close();
  }
  if (dir) promoteNextKeyFile(dir);
  const [key, previous] = keys as [Buffer, Buffer | undefined];
  return {
    ...report,
    keyId: keyId(key),
    ...(previous && !previous.equals(key) ? { previousKeyId: keyId(previous) } : {}),
    ...(dir ? { keyFile: join(dir, KEY_FILE) } : {}),
  };
}

/** Applies pending migrations to the configured store. */
export async function migrateStore(env: StoreEnv): Promise<MigrationReport & { location: StoreLocation }> {
  const { sql, location } = await openSql(env);
  try {
    return { ...(await migrate(sql)), location };
  } finally {
    await sql.close();
  }
}


async function checkReadiness(maintenance: GroveStores['maintenance']): Promise<Readiness> {
  try {
    const { migrations } = await maintenance.probeDatabase();
    const applied = new Map(migrations.applied.map((m) => [m.version, m.checksum]));
    const current = migrations.available.length === applied.size && migrations.available.every((m) => applied.get(m.version) === m.checksum);
    return current
      ? { ready: true, database: 'ok', migrations: { applied: applied.size, expected: migrations.available.length } }
      : {
          ready: false,
          database: 'ok',
          migrations: { applied: applied.size, expected: migrations.available.length },
          message: 'the database migrations differ from this version\'s: run grove-jobs migrate',
        };
  } catch {
    return { ready: false, database: 'unreachable', message: 'the database does not answer' };
  }
}
