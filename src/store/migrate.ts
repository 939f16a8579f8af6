import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { DEFAULT_SCHEMA, defaultDomainSchema, LEGACY_SCHEMA } from './schemas.js';
import { quoteIdentifier, type Sql } from './sql.js';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
const DOMAIN_MIGRATIONS_DIR = new URL('./migrations/grove/', import.meta.url);
const MIGRATION_NAME = /^(\d{4})_[a-z0-9_]+\.sql$/;

/**
 * Engine migrations that made the Grove domain's tables in the engine's schema. The domain
 * chain (migrations/grove/0001) makes them in the domain's own schema now: a new store skips
 * these, and a store that applied them has the tables moved (see `moveDomainTables`).
 */
const DOMAIN_VERSIONS_OF_THE_ENGINE_CHAIN = new Set([4, 5]);

/** The Grove domain's tables, as the domain chain makes them. */
const DOMAIN_TABLES = [
  'lifecycle_models',
  'sprouts',
  'sprout_usage_events',
  'sprout_signal_aggregations',
  'signal_aggregation_state',
  'advancement_rules',
  'advancement_events',
  'archived_rows',
] as const;

/** The ledger of applied migrations, one per schema. */
const LEDGER = 'grove_migrations';

/** The engine's tables and functions as the earlier releases made them in `public` (moved from there once). */
const ENGINE_TABLES = new Set([
  LEDGER,
  'job_configs',
  'job_config_versions',
  'executions',
  'execution_logs',
  'schedule_slots',
  'schedule_state',
  'config_running',
  'config_ended',
  'digest_cursors',
  'store_flags',
  'api_tokens',
  'execution_queue',
  'execution_leases',
  'execution_endings',
  'execution_claims',
  'worker_places',
]);
const ENGINE_FUNCTIONS = ['claim_executions', 'finish_executions', 'finish_and_claim', 'claim_slots', 'grove_execution_id'];

export interface Migration {
  version: number;
  name: string;
  text: string;
  checksum: string;
}

function readChain(dir: URL): Migration[] {
  return readdirSync(dir)
    .filter((name) => MIGRATION_NAME.test(name))
    .sort()
    .map((name) => {
      const text = readFileSync(new URL(name, dir), 'utf8');
      return {
        version: Number(MIGRATION_NAME.exec(name)?.[1]),
        name,
        text,
        checksum: createHash('sha256').update(text).digest('hex'),
      };
    });
}

/** The engine's numbered migration files, in order. Never edited after release: add a new file. */
export function loadMigrations(): Migration[] {
  return readChain(MIGRATIONS_DIR).filter((migration) => !DOMAIN_VERSIONS_OF_THE_ENGINE_CHAIN.has(migration.version));
}

/** The Grove domain's migrations (migrations/grove/), applied in the domain's schema. */
export function loadDomainMigrations(): Migration[] {
  return readChain(DOMAIN_MIGRATIONS_DIR);
}

export interface MigrationReport {
  applied: string[];
  current: number;
  /** What a store made by an earlier release had moved first: "engine tables from public to grove_jobs", … */
  moved?: string[];
}

/**
 * Applies pending migrations in one transaction, under an advisory lock scoped to the
 * schema: a second process migrating at the same moment waits for the lock, then finds
 * everything applied and does nothing. The engine's chain goes into `sql.schema`; the Grove
 * domain's, when `sql.domainSchema` is set, into that one. A store an earlier release made is
 * first brought to this layout (its tables moved, nothing lost). `upTo` stops the engine chain
 * after that version (a store as an older release left it, for tests of a migration's own
 * changes to existing rows).
 */
export async function migrate(sql: Sql, options: { upTo?: number } = {}): Promise<MigrationReport> {
  const engine = loadMigrations().filter((migration) => options.upTo === undefined || migration.version <= options.upTo);
  const domain = sql.domainSchema === undefined ? [] : loadDomainMigrations();
  return sql.transaction(async (tx) => {
    // Two processes racing here: the lock makes the second wait until the first commits;
    // read-committed then lets it see the first one's rows in grove_migrations.
    await tx.query({
      name: 'migrate-lock',
      text: `select pg_advisory_xact_lock(hashtext('grove-jobs:migrate:' || $1::text))`,
      values: [sql.schema],
    });
    const moved = await moveEarlierLayout(tx);
    const applied = await applyChain(tx, sql.schema, engine, [sql.schema]);
    if (sql.domainSchema !== undefined) applied.push(...(await applyChain(tx, sql.domainSchema, domain, [sql.domainSchema, sql.schema])));
    // Later statements of this transaction (none today) and the pool's next use resolve as the connection says.
    await tx.exec(`set local search_path to ${[sql.schema, ...(sql.domainSchema === undefined ? [] : [sql.domainSchema])].map(quoteIdentifier).join(', ')}`);
    return { applied, current: engine.at(-1)?.version ?? 0, ...(moved.length > 0 ? { moved } : {}) };
  });
}

/** Applies the migrations of one chain not yet in `schema`'s ledger; `path` is the search_path they run under. */
async function applyChain(tx: Sql, schema: string, chain: Migration[], path: string[]): Promise<string[]> {
  await tx.exec(`create schema if not exists ${quoteIdentifier(schema)}`);
  await tx.exec(`set local search_path to ${path.map(quoteIdentifier).join(', ')}`);
  await createLedger(tx, schema);
  const rows = await tx.query<{ version: number; name: string; checksum: string }>({
    name: '',
    text: `select version, name, checksum from ${quoteIdentifier(schema)}.${LEDGER} order by version`,
  });
  const done = new Map(rows.map((row) => [row.version, row]));
  const applied: string[] = [];
  for (const migration of chain) {
    const previous = done.get(migration.version);
    if (previous) {
      if (previous.checksum !== migration.checksum) {
        throw new Error(`migration ${migration.name} was changed after it was applied; add a new migration instead`);
      }
      continue;
    }
    try {
      await tx.exec(migration.text);
    } catch (error) {
      throw explainMigrationError(error, migration, schema);
    }
    await recordMigration(tx, schema, migration);
    applied.push(schema === tx.schema ? migration.name : `${schema}: ${migration.name}`);
  }
  return applied;
}

async function createLedger(tx: Sql, schema: string): Promise<void> {
  await tx.exec(
    `create table if not exists ${quoteIdentifier(schema)}.${LEDGER} (
       version integer primary key,
       name text not null,
       checksum text not null,
       applied_at timestamptz not null default now()
     )`,
  );
}

async function recordMigration(tx: Sql, schema: string, migration: Migration): Promise<void> {
  await tx.query({
    // Not prepared: the schema is part of the text.
    name: '',
    text: `insert into ${quoteIdentifier(schema)}.${LEDGER} (version, name, checksum) values ($1, $2, $3)`,
    values: [migration.version, migration.name, migration.checksum],
  });
}

/** A table the migration makes exists already (an application's own `executions`, say): say what to do. */
function explainMigrationError(error: unknown, migration: Migration, schema: string): Error {
  const code = (error as { code?: unknown }).code;
  if (code === '42P07') {
    return new Error(
      `migration ${migration.name}: ${(error as Error).message} in schema "${schema}", which Grove Jobs does not own; ` +
        'give Grove Jobs a schema of its own (the schema option, or GROVE_JOBS_SCHEMA; default grove_jobs)',
      { cause: error },
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

const existsTable = async (tx: Sql, schema: string, table: string): Promise<boolean> =>
  (
    await tx.query<{ found: boolean }>({
      name: 'migrate-table-exists',
      text: `select to_regclass(format('%I.%I', $1::text, $2::text)) is not null as found`,
      values: [schema, table],
    })
  )[0]?.found === true;

/**
 * Brings a store made by an earlier release to this layout, inside the migration's transaction:
 * (1) a store in `public` (the earlier default) when this one uses the default schema: its
 * engine tables and functions move to `grove_jobs`; (2) the Grove domain's tables, made in the
 * engine's schema by engine migrations 0004 and 0005, move to the domain's schema, whose ledger
 * then records the domain chain's 0001 (the same tables). Rows, indexes, sequences and
 * constraints move with their tables.
 */
async function moveEarlierLayout(tx: Sql): Promise<string[]> {
  const moved: string[] = [];
  if (tx.schema === DEFAULT_SCHEMA && !(await existsTable(tx, tx.schema, LEDGER)) && (await existsTable(tx, LEGACY_SCHEMA, LEDGER))) {
    const legacyDomain = await engineChainHasDomain(tx, LEGACY_SCHEMA);
    await tx.exec(`create schema if not exists ${quoteIdentifier(tx.schema)}`);
    const tables = await tx.query<{ name: string }>({
      name: 'migrate-legacy-tables',
      text: `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where n.nspname = $1 and c.relkind in ('r', 'p') and not (c.relname = any($2::text[]))
              order by c.relname`,
      values: [LEGACY_SCHEMA, legacyDomain ? [...DOMAIN_TABLES] : []],
    });
    const engineTables = tables.map((row) => row.name).filter((name) => ENGINE_TABLES.has(name));
    for (const name of engineTables) await tx.exec(`alter table ${quoteIdentifier(LEGACY_SCHEMA)}.${quoteIdentifier(name)} set schema ${quoteIdentifier(tx.schema)}`);
    const functions = await tx.query<{ signature: string }>({
      name: 'migrate-legacy-functions',
      text: `select p.oid::regprocedure::text as signature from pg_proc p join pg_namespace n on n.oid = p.pronamespace
              where n.nspname = $1 and p.proname = any($2::text[])`,
      values: [LEGACY_SCHEMA, ENGINE_FUNCTIONS],
    });
    for (const { signature } of functions) {
      // regprocedure prints the name unqualified while public is on the search_path; qualify it.
      const qualified = signature.startsWith(`${LEGACY_SCHEMA}.`) ? signature : `${quoteIdentifier(LEGACY_SCHEMA)}.${signature}`;
      await tx.exec(`alter function ${qualified} set schema ${quoteIdentifier(tx.schema)}`);
    }
    moved.push(`engine tables (${engineTables.length}) and functions (${functions.length}) from schema "${LEGACY_SCHEMA}" to "${tx.schema}"`);
    if (legacyDomain) moved.push(...(await moveDomainTables(tx, LEGACY_SCHEMA)));
  } else if (await engineChainHasDomain(tx, tx.schema)) {
    moved.push(...(await moveDomainTables(tx, tx.schema)));
  }
  return moved;
}

/** Whether `schema`'s ledger records engine migration 0004 (the domain's tables made in the engine's schema). */
async function engineChainHasDomain(tx: Sql, schema: string): Promise<boolean> {
  if (!(await existsTable(tx, schema, LEDGER)) || !(await existsTable(tx, schema, 'sprouts'))) return false;
  const rows = await tx.query<{ version: number }>({
    name: '',
    text: `select version from ${quoteIdentifier(schema)}.${LEDGER} where version = 4`,
  });
  return rows.length > 0;
}

/**
 * Moves the domain's tables from `from` (where engine migrations 0004 and 0005 made them) to
 * the domain's schema, records the domain chain's 0001 there and takes 0004 and 0005 out of
 * the engine's ledger. On a store opened without the domain, its schema is the default one
 * for the engine's schema, so that the tables are found when the domain is enabled later.
 */
async function moveDomainTables(tx: Sql, from: string): Promise<string[]> {
  const target = tx.domainSchema ?? defaultDomainSchema(tx.schema);
  await tx.exec(`create schema if not exists ${quoteIdentifier(target)}`);
  for (const table of DOMAIN_TABLES) {
    if (await existsTable(tx, from, table)) await tx.exec(`alter table ${quoteIdentifier(from)}.${quoteIdentifier(table)} set schema ${quoteIdentifier(target)}`);
  }
  await createLedger(tx, target);
  const [first] = loadDomainMigrations();
  if (first) {
    await tx.query({
      name: '',
      text: `insert into ${quoteIdentifier(target)}.${LEDGER} (version, name, checksum) values ($1, $2, $3) on conflict (version) do nothing`,
      values: [first.version, first.name, first.checksum],
    });
  }
  // The engine's ledger is in the engine's schema by now (moved there first from public).
  await tx.query({ name: '', text: `delete from ${quoteIdentifier(tx.schema)}.${LEDGER} where version = any($1::int[])`, values: [[...DOMAIN_VERSIONS_OF_THE_ENGINE_CHAIN]] });
  return [`Grove domain tables (${DOMAIN_TABLES.length}) from schema "${from}" to "${target}"`];
}
