// A store made by the previous release (every table in `public`, the Grove domain's tables
// made by engine migrations 0004 and 0005) opened by this one: its engine tables and functions
// move to `grove_jobs`, the domain's to `grove`, with every row kept, and the result is the
// layout a new store gets. On PostgreSQL (a database of its own) and on an embedded data folder.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroveJobs, createGroveStores } from '../../src/app.js';
import { openGroveJobs, type OpenedGroveJobs } from '../../src/open.js';
import { seedDemoData } from '../../src/first-start.js';
import { createPgliteSql, openPgliteSession } from '../../src/store/drivers/pglite.js';
import { createPostgresSql } from '../../src/store/drivers/postgres.js';
import type { Sql } from '../../src/store/sql.js';
import { createSqlStore } from '../../src/store/sql-store.js';
import { aJobConfig, testJobType } from '../support/builders.js';
import { writeConfigAsOlderRelease } from '../support/older-release.js';
import { applyMergePatch } from '../../src/domain/config/index.js';
import { assertPostgresReachable, testDatabase } from '../support/test-store.js';

const MIGRATIONS = new URL('../../src/store/migrations/', import.meta.url);

/** The last migration the previous release had. */
const PREVIOUS_RELEASE_LAST = 24;

/** What the previous release's `migrate` did: every engine file it had, 0004 and 0005 included, in `public`. */
async function migrateAsThePreviousRelease(sql: Sql): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.exec('create table grove_migrations (version integer primary key, name text not null, checksum text not null, applied_at timestamptz not null default now())');
    for (const name of readdirSync(MIGRATIONS).filter((file) => /^\d{4}_.*\.sql$/.test(file) && Number(file.slice(0, 4)) <= PREVIOUS_RELEASE_LAST).sort()) {
      const text = readFileSync(new URL(name, MIGRATIONS), 'utf8');
      await tx.exec(text);
      const checksum = createHash('sha256').update(text).digest('hex');
      await tx.query({ name: '', text: 'insert into grove_migrations (version, name, checksum) values ($1, $2, $3)', values: [Number(name.slice(0, 4)), name, checksum] });
    }
  });
}

/** Configs, versions, an execution with its log, demo sprouts, events and rules, written the previous release's way. */
async function fillAsThePreviousRelease(sql: Sql): Promise<{ executionId: string; sprouts: number; rules: number }> {
  const stores = createGroveStores(sql);
  // That release refreshed signals with its own code; this release's refresh keeps state in
  // tables that release did not have, so the signals are left to the first refresh after the move.
  const grove = { ...stores, signals: { ...stores.signals, refreshSignals: async () => [] } };
  const system = createGroveJobs({ clock: { now: () => new Date(), sleepUntil: async () => undefined }, store: createSqlStore(sql), grove, jobTypes: [testJobType] });
  await writeConfigAsOlderRelease(sql, system.configs.prepareCreate(aJobConfig({ id: 'kept-config' }), { actor: 'test' }));
  const created = await system.configs.get('kept-config');
  const patched = system.configs.prepareChange(created, {}, applyMergePatch(created, { payload: { limits: { batchSize: 42 } } }), { actor: 'test' }).write;
  if (patched) await writeConfigAsOlderRelease(sql, patched);
  const { execution } = await system.executions.trigger('kept-config', { requestedBy: 'test' });
  await system.runHere(execution.id);
  const demo = await seedDemoData(system, { sprouts: 20, events: 400, seed: 7 });
  return { executionId: execution.id, sprouts: demo.sprouts, rules: demo.rules };
}

async function checkKept(system: OpenedGroveJobs, before: { executionId: string; sprouts: number; rules: number }): Promise<void> {
  const config = await system.configs.get('kept-config');
  expect(config.meta.version).toBe(2);
  expect(config.payload.limits.batchSize).toBe(42);
  expect((await system.configs.versions('kept-config')).length).toBe(2);
  const execution = await system.executions.get(before.executionId);
  expect(execution.status).toBe('success');
  expect(await system.grove.sprouts.count()).toBe(before.sprouts);
  expect((await system.grove.advancement.rules()).length).toBe(before.rules);
  // New rows go where the moved ones are.
  await system.configs.create(aJobConfig({ id: 'after-the-move' }), { actor: 'test' });
}

describe('a PostgreSQL store made by the previous release', () => {
  const database = testDatabase('grove_earlier');
  const fresh = testDatabase('grove_fresh');

  beforeAll(async () => {
    await assertPostgresReachable();
    await database.create();
    await fresh.create();
  });
  afterAll(async () => {
    await database.drop();
    await fresh.drop();
  });

  it('moves to grove_jobs and grove with every row kept, into the layout a new store gets, once', async () => {
    const old = createPostgresSql({ connectionString: database.url, schema: 'public', domainSchema: null });
    let before: Awaited<ReturnType<typeof fillAsThePreviousRelease>>;
    try {
      await migrateAsThePreviousRelease(old);
      before = await fillAsThePreviousRelease(old);
    } finally {
      await old.close();
    }

    const env = { DATABASE_URL: database.url };
    const system = await openGroveJobs({ env, jobTypes: [testJobType], ensureDefaults: false });
    try {
      expect(system.migration?.moved).toEqual([
        expect.stringMatching(/^engine tables \(\d+\) and functions \(4\) from schema "public" to "grove_jobs"$/),
        'Grove domain tables (8) from schema "public" to "grove"',
      ]);
      await checkKept(system, before);
    } finally {
      await system.close();
    }

    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const left = await admin.query<{ name: string }>(`select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind in ('r', 'p', 'S', 'v', 'i')`);
      expect(left.rows).toEqual([]);
      const functions = await admin.query(`select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public'`);
      expect(functions.rows).toEqual([]);
      const engine = await admin.query<{ version: number }>('select version from grove_jobs.grove_migrations order by version');
      expect(engine.rows.map((row) => row.version)).not.toContain(4);
      // The domain's chain, every file of it: the moved tables count as its first, the rest run after the move.
      const domain = await admin.query<{ name: string }>('select name from grove.grove_migrations order by name');
      expect(domain.rows.map((row) => row.name)).toEqual(readdirSync(new URL('grove/', MIGRATIONS)).filter((file) => /^\d{4}_.*\.sql$/.test(file)).sort());
    } finally {
      await admin.end();
    }

    // A second open moves and applies nothing.
    const again = await openGroveJobs({ env, jobTypes: [testJobType], ensureDefaults: false });
    try {
      expect(again.migration).toMatchObject({ applied: [] });
      expect(again.migration?.moved).toBeUndefined();
    } finally {
      await again.close();
    }

    // The moved store's schema is the one a new store gets.
    const made = await openGroveJobs({ env: { DATABASE_URL: fresh.url }, jobTypes: [testJobType], ensureDefaults: false });
    await made.close();
    expect(schemaOf(database.url)).toBe(schemaOf(fresh.url));
  }, 120_000);
});

describe('an embedded store made by the previous release', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grove-earlier-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('moves on its first open by this release, every row kept', async () => {
    const session = await openPgliteSession(join(dir, 'pgdata'));
    let before: Awaited<ReturnType<typeof fillAsThePreviousRelease>>;
    const old = createPgliteSql(session, 'public', undefined, null);
    try {
      await migrateAsThePreviousRelease(old);
      before = await fillAsThePreviousRelease(old);
    } finally {
      await session.db.close();
    }
    const system = await openGroveJobs({ env: { GROVE_JOBS_DATA_DIR: dir }, jobTypes: [testJobType], ensureDefaults: false });
    try {
      expect(system.migration?.moved).toHaveLength(2);
      await checkKept(system, before);
    } finally {
      await system.close();
    }
  }, 120_000);
});

/** The schema-only dump of a database, without what differs between two databases (ledgers, names). */
function schemaOf(url: string): string {
  const dump = execFileSync('pg_dump', ['--schema-only', '--no-owner', '--no-privileges', '--exclude-table=*.grove_migrations', url], { encoding: 'utf8' });
  return dump
    .split('\n')
    .filter((line) => !line.startsWith('--') && !line.startsWith('SET ') && !line.startsWith('SELECT pg_catalog.set_config') && !line.startsWith('\\'))
    .join('\n')
    .replace(/\n{2,}/g, '\n');
}
