import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertPostgresReachable, POSTGRES_URL } from '../support/test-store.js';

/**
 * The package as a team installs it: `npm pack` of the built repository (dist/ as `npm run
 * build` left it), installed from the tarball into a CommonJS and an ESM project (fixture
 * folders beside this file: one source file each), type-checked with tsc strict (library
 * declarations checked too) and run against PostgreSQL in a database made for each, dropped
 * afterwards. The npm registry supplies the consumers' other packages (zod 4, pg, @types/node).
 */

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const tsc = join(repo, 'node_modules/typescript/bin/tsc');
/** npm install of a tarball and a few packages takes 5–20 s with a warm cache. */
const INSTALL_TIMEOUT_MS = 120_000;
/** tsc checking the library declarations takes 8 s on an idle machine, over 30 s on a busy one. */
const TSC_TIMEOUT_MS = 240_000;
const RUN_TIMEOUT_MS = 60_000;

interface Consumer {
  /** Fixture folder under test/package/. */
  fixture: 'cjs-consumer' | 'esm-consumer';
  /**
   * Other module settings type-checked besides tsconfig.json (which emits dist/main.js and
   * checks the library declarations too; these skip that, for time: 30 s of tsc on a busy machine).
   */
  alsoChecked: string[];
}

const consumers: Consumer[] = [
  { fixture: 'cjs-consumer', alsoChecked: ['tsconfig.node10.json', 'tsconfig.nodenext.json'] },
  { fixture: 'esm-consumer', alsoChecked: ['tsconfig.bundler.json'] },
];

let workDir: string;
let tarball: string;
const databases: string[] = [];

/** Runs a command, failing with its output (tsc reports on stdout). */
async function sh(file: string, args: string[], options: { cwd: string; timeout: number; env?: NodeJS.ProcessEnv }) {
  try {
    return await run(file, args, { ...options, env: { ...process.env, ...options.env }, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${[file, ...args].join(' ')} failed in ${options.cwd}:\n${stdout ?? ''}${stderr ?? ''}`, { cause: error });
  }
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function databaseUrl(database: string): string {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

beforeAll(async () => {
  for (const built of ['dist/index.js', 'dist/cjs/index.d.ts', 'web/dist/index.html']) {
    if (!existsSync(join(repo, built))) throw new Error(`${built} is missing: run npm run build before this test`);
  }
  await assertPostgresReachable();
  workDir = mkdtempSync(join(tmpdir(), 'grove-jobs-consumers-'));
  await sh('npm', ['pack', '--pack-destination', workDir, '--silent'], { cwd: repo, timeout: RUN_TIMEOUT_MS });
  const packed = readdirSync(workDir).filter((name) => name.endsWith('.tgz'));
  expect(packed).toHaveLength(1);
  tarball = join(workDir, packed[0] as string);
}, RUN_TIMEOUT_MS);

afterAll(async () => {
  if (databases.length > 0) {
    await admin(async (client) => {
      for (const database of databases) await client.query(`drop database if exists ${database} with (force)`);
    });
  }
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('the packed package in consumer projects', () => {
  it.concurrent.each(consumers)(
    '$fixture installs from the tarball, type-checks strict, applies its configs once across restarts, runs a job and mounts the API, in its own schema beside the app\'s executions table',
    async ({ fixture, alsoChecked }) => {
      const dir = join(workDir, fixture);
      cpSync(join(repo, 'test/package', fixture), dir, { recursive: true });
      await sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: dir, timeout: INSTALL_TIMEOUT_MS });

      // zod is a peer: the consumer's own copy is the one Grove Jobs uses (one instance, one set of types).
      expect(existsSync(join(dir, 'node_modules/zod'))).toBe(true);
      expect(existsSync(join(dir, 'node_modules/grove-jobs/node_modules/zod'))).toBe(false);
      // The embedded store's packages are optional peers: a PostgreSQL install goes without them.
      expect(existsSync(join(dir, 'node_modules/@electric-sql/pglite'))).toBe(false);
      // The other runtime packages are bundled into dist/vendor/: pg is the one dependency, and
      // none of the bundled packages is installed (the ESM fixture has a hono of its own).
      const manifest = JSON.parse(readFileSync(join(dir, 'node_modules/grove-jobs/package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      expect(Object.keys(manifest.dependencies ?? {})).toEqual(['pg']);
      for (const bundled of ['@hono/zod-openapi', '@hono/node-server', 'pino', 'pino-pretty', 'prom-client', 'commander', 'cli-progress', 'cronstrue']) {
        expect(existsSync(join(dir, 'node_modules', bundled)), bundled).toBe(false);
      }
      expect(existsSync(join(dir, 'node_modules/hono'))).toBe(fixture === 'esm-consumer');
      // The CLI runs from the install as well (its commander and cronstrue are the bundled ones).
      const cli = await sh(join(dir, 'node_modules/.bin/grove-jobs'), ['next', '0 9 * * 1', '--tz', 'UTC', '--count', '1'], { cwd: dir, timeout: RUN_TIMEOUT_MS });
      expect(cli.stdout).toContain('At 09:00, only on Monday');

      for (const project of ['tsconfig.json', ...alsoChecked]) await sh(process.execPath, [tsc, '-p', project], { cwd: dir, timeout: TSC_TIMEOUT_MS });

      const database = `grove_consumer_${randomBytes(6).toString('hex')}`;
      databases.push(database);
      await admin((client) => client.query(`create database ${database}`));
      // The application's own table, named as one of Grove Jobs' tables is: Grove Jobs keeps to its schema.
      const url = databaseUrl(database);
      const app = new pg.Client({ connectionString: url });
      await app.connect();
      try {
        await app.query(`create table executions (id serial primary key, what text not null); insert into executions (what) values ('the app''s own')`);
      } finally {
        await app.end();
      }
      const name = fixture === 'cjs-consumer' ? 'CJS' : 'ESM';
      const id = fixture === 'cjs-consumer' ? 'greet-cjs' : 'greet-esm';
      // Started three times: the declared configs are created once, then left as they are.
      for (const start of [1, 2, 3]) {
        const { stdout } = await sh(process.execPath, ['dist/main.js'], { cwd: dir, timeout: RUN_TIMEOUT_MS, env: { DATABASE_URL: url } });
        const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as unknown;
        expect(result).toEqual({
          applied: start === 1 ? [[id, 'created', 1], ['greet-weekly', 'created', 1]] : [[id, 'unchanged', 1], ['greet-weekly', 'unchanged', 1]],
          status: 'success',
          summary: `greeted ${name} 2 times`,
          items: { total: 2, processed: 2, succeeded: 2, failed: 0 },
          api: [id, 'greet-weekly'],
        });
      }
      const check = new pg.Client({ connectionString: url });
      await check.connect();
      try {
        expect((await check.query('select what from public.executions')).rows).toEqual([{ what: "the app's own" }]);
        expect((await check.query('select count(*)::int as n from grove_jobs.job_config_versions')).rows).toEqual([{ n: 2 }]);
        expect((await check.query('select count(*)::int as n from grove_jobs.executions')).rows).toEqual([{ n: 3 }]);
      } finally {
        await check.end();
      }

      // Without DATABASE_URL the embedded store is asked for, and its missing package is named.
      const embedded = await run(process.execPath, ['-e', "require('grove-jobs').openGroveJobs({ env: { GROVE_JOBS_DATA_DIR: 'data' } }).catch((e) => console.log(e.message))"], {
        cwd: dir,
        timeout: RUN_TIMEOUT_MS,
        env: { ...process.env, DATABASE_URL: '' },
      });
      expect(embedded.stdout).toContain('npm install @electric-sql/pglite @electric-sql/pglite-socket');
    },
    INSTALL_TIMEOUT_MS + 2 * TSC_TIMEOUT_MS + 3 * RUN_TIMEOUT_MS,
  );
});
