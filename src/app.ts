import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type AnyJobType, JobTypeRegistry } from './domain/config/index.js';
import { ConfigService } from './engine/config-service.js';
import type { Clock, Store } from './engine/ports.js';
import { openDataDir } from './store/data-dir.js';
import { createPostgresSql } from './store/drivers/postgres.js';
import { migrate, type MigrationReport } from './store/migrate.js';
import type { Sql } from './store/sql.js';
import { createSqlStore } from './store/sql-store.js';
import { systemClock } from './system-clock.js';

export { systemClock };
export type { Clock, Store };
export type { WriteOptions } from './engine/config-service.js';

/** Job types every system gets. The engine and domain issues add their handlers here. */
export const builtInJobTypes: readonly AnyJobType[] = [];

export interface GroveJobsOptions {
  clock: Clock;
  store: Store;
  jobTypes: readonly AnyJobType[] | JobTypeRegistry;
}

export interface GroveJobs {
  readonly clock: Clock;
  readonly store: Store;
  readonly jobTypes: JobTypeRegistry;
  readonly configs: ConfigService;
  close(): Promise<void>;
}

/** The single way to build the system: tests pass a FakeClock and a PGlite-backed store. */
export function createGroveJobs(options: GroveJobsOptions): GroveJobs {
  const jobTypes = options.jobTypes instanceof JobTypeRegistry ? options.jobTypes : new JobTypeRegistry(options.jobTypes);
  return {
    clock: options.clock,
    store: options.store,
    jobTypes,
    configs: new ConfigService(options.store, options.clock, jobTypes),
    close: () => options.store.close(),
  };
}

export interface StoreLocation {
  /** `postgres` when DATABASE_URL is set, otherwise the embedded store in a data folder. */
  kind: 'postgres' | 'embedded';
  /** The data folder, or the server address without credentials. */
  where: string;
  /** For the embedded store: whether this process opened the files or reached their owner. */
  role?: 'owner' | 'client';
  address?: { host: string; port: number };
}

export interface OpenedSql {
  sql: Sql;
  location: StoreLocation;
}

/** Environment the store is chosen from. */
export interface StoreEnv {
  DATABASE_URL?: string;
  GROVE_JOBS_DATA_DIR?: string;
  GROVE_JOBS_SCHEMA?: string;
  /** Comma-separated modules whose exports add job types (a team's own handlers). */
  GROVE_JOBS_JOB_TYPES?: string;
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

/** PostgreSQL when DATABASE_URL is set; otherwise PGlite in GROVE_JOBS_DATA_DIR (default ./.grove-jobs). */
export async function openSql(env: StoreEnv): Promise<OpenedSql> {
  const schema = env.GROVE_JOBS_SCHEMA || 'public';
  if (env.DATABASE_URL) {
    return {
      sql: createPostgresSql({ connectionString: env.DATABASE_URL, schema }),
      location: { kind: 'postgres', where: redact(env.DATABASE_URL) },
    };
  }
  const dir = resolve(env.GROVE_JOBS_DATA_DIR || '.grove-jobs');
  const opened = await openDataDir(dir, schema);
  return { sql: opened.sql, location: { kind: 'embedded', where: dir, role: opened.role, address: opened.address } };
}

export interface OpenGroveJobsOptions {
  env: StoreEnv;
  clock?: Clock;
  jobTypes?: readonly AnyJobType[];
  /** Apply pending migrations on open (default true). */
  migrate?: boolean;
}

export interface OpenedGroveJobs extends GroveJobs {
  location: StoreLocation;
  migration?: MigrationReport;
}

/** Opens the configured store, migrates it and builds the system around it. */
export async function openGroveJobs(options: OpenGroveJobsOptions): Promise<OpenedGroveJobs> {
  const { sql, location } = await openSql(options.env);
  try {
    const migration = options.migrate === false ? undefined : await migrate(sql);
    const system = createGroveJobs({
      clock: options.clock ?? systemClock,
      store: createSqlStore(sql),
      jobTypes: options.jobTypes ?? [...builtInJobTypes, ...(await loadJobTypeModules(options.env.GROVE_JOBS_JOB_TYPES))],
    });
    return migration ? { ...system, location, migration } : { ...system, location };
  } catch (error) {
    await sql.close();
    throw error;
  }
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
