import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { quoteIdentifier, type Sql } from './sql.js';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
const MIGRATION_NAME = /^(\d{4})_[a-z0-9_]+\.sql$/;

export interface Migration {
  version: number;
  name: string;
  text: string;
  checksum: string;
}

/** The numbered migration files, in order. Never edited after release: add a new file. */
export function loadMigrations(): Migration[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((name) => MIGRATION_NAME.test(name))
    .sort()
    .map((name) => {
      const text = readFileSync(new URL(name, MIGRATIONS_DIR), 'utf8');
      return {
        version: Number(MIGRATION_NAME.exec(name)?.[1]),
        name,
        text,
        checksum: createHash('sha256').update(text).digest('hex'),
      };
    });
}

export interface MigrationReport {
  applied: string[];
  current: number;
}

/**
 * Applies pending migrations in one transaction, under an advisory lock scoped to the
 * schema: a second process migrating at the same moment waits for the lock, then finds
 * everything applied and does nothing. `upTo` stops after that version (a store as an older
 * release left it, for tests of a migration's own changes to existing rows).
 */
export async function migrate(sql: Sql, options: { upTo?: number } = {}): Promise<MigrationReport> {
  const migrations = loadMigrations().filter((migration) => options.upTo === undefined || migration.version <= options.upTo);
  const schema = quoteIdentifier(sql.schema);
  return sql.transaction(async (tx) => {
    // Two processes racing here: the lock makes the second wait until the first commits;
    // read-committed then lets it see the first one's rows in grove_migrations.
    await tx.query({
      name: 'migrate-lock',
      text: `select pg_advisory_xact_lock(hashtext('grove-jobs:migrate:' || $1::text))`,
      values: [sql.schema],
    });
    await tx.exec(`create schema if not exists ${schema}`);
    await tx.exec(`set local search_path to ${schema}`);
    await tx.exec(
      `create table if not exists grove_migrations (
         version integer primary key,
         name text not null,
         checksum text not null,
         applied_at timestamptz not null default now()
       )`,
    );
    const rows = await tx.query<{ version: number; name: string; checksum: string }>({
      name: 'migrations-applied',
      text: 'select version, name, checksum from grove_migrations order by version',
    });
    const done = new Map(rows.map((row) => [row.version, row]));
    const applied: string[] = [];
    for (const migration of migrations) {
      const previous = done.get(migration.version);
      if (previous) {
        if (previous.checksum !== migration.checksum) {
          throw new Error(`migration ${migration.name} was changed after it was applied; add a new migration instead`);
        }
        continue;
      }
      await tx.exec(migration.text);
      await tx.query({
        name: 'migration-record',
        text: 'insert into grove_migrations (version, name, checksum) values ($1, $2, $3)',
        values: [migration.version, migration.name, migration.checksum],
      });
      applied.push(migration.name);
    }
    return { applied, current: migrations.at(-1)?.version ?? 0 };
  });
}
