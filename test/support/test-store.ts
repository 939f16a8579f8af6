import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPgliteSql, openPgliteSession, type PgliteSession } from '../../src/store/drivers/pglite.js';
import { createPostgresSql } from '../../src/store/drivers/postgres.js';
import { migrate } from '../../src/store/migrate.js';
import { quoteIdentifier, type Sql } from '../../src/store/sql.js';

/** The PostgreSQL every machine here runs; DATABASE_URL overrides it. */
export const POSTGRES_URL = process.env['DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';

export function uniqueSchema(prefix = 't'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Makes a migrated Sql in a fresh schema (unmigrated with `migrated: false`); `dispose` drops every schema it made. */
export interface SqlFactory {
  name: string;
  make(schema?: string, options?: { migrated?: boolean }): Promise<Sql>;
  dispose(): Promise<void>;
}

/** One in-memory PGlite per test file, one schema per test. */
export function pgliteFactory(): SqlFactory {
  let session: Promise<PgliteSession> | undefined;
  return {
    name: 'PGlite',
    async make(schema = uniqueSchema(), options = {}) {
      session ??= openPgliteSession();
      const sql = createPgliteSql(await session, schema);
      if (options.migrated !== false) await migrate(sql);
      return sql;
    },
    async dispose() {
      if (session) await (await session).db.close();
    },
  };
}

/** Fails loudly when the server does not answer: these tests are never skipped. */
export async function assertPostgresReachable(): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new Error(
      `PostgreSQL is not answering at ${POSTGRES_URL} (${(error as Error).message}). ` +
        "Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** One schema per test in the PostgreSQL server, dropped afterwards. */
export function postgresFactory(): SqlFactory {
  const made: Array<{ sql: Sql; schema: string }> = [];
  return {
    name: 'PostgreSQL',
    async make(schema = uniqueSchema(), options = {}) {
      const sql = createPostgresSql({ connectionString: POSTGRES_URL, schema, maxConnections: 4 });
      made.push({ sql, schema });
      if (options.migrated !== false) await migrate(sql);
      return sql;
    },
    async dispose() {
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      try {
        for (const { sql, schema } of made.splice(0)) {
          await sql.close().catch(() => undefined);
          for (const name of [schema, sql.domainSchema]) if (name) await admin.query(`drop schema if exists ${quoteIdentifier(name)} cascade`);
        }
      } finally {
        await admin.end();
      }
    },
  };
}

/** A database of its own on the PostgreSQL server (for what a schema cannot isolate), dropped by `drop`. */
export function testDatabase(prefix: string): { name: string; url: string; create(): Promise<void>; drop(): Promise<void> } {
  const name = `${prefix}_${process.pid}_${Date.now()}`;
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  const onAdmin = async (text: string) => {
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    try {
      await admin.query(text);
    } finally {
      await admin.end();
    }
  };
  return {
    name,
    url: url.toString(),
    create: () => onAdmin(`create database ${name}`),
    drop: () => onAdmin(`drop database if exists ${name} with (force)`),
  };
}
