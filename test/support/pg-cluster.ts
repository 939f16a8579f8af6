import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import pg from 'pg';

/**
 * PostgreSQL clusters of a test's own (postgresql-common's pg_createcluster), on a free port,
 * for tests that stop or restart PostgreSQL or need a server setting (a preloaded library):
 * never the shared server on 5432. Each is named `<prefix>_<pid>` and dropped by its test;
 * one left by a killed run is dropped by the next run of the same test.
 */

export const run = promisify(execFile);
export const PG_VERSION = '15';

/** Whether postgresql-common's cluster tools are here; under CI a test needing them fails loudly instead of skipping. */
export async function clusterToolsAvailable(what: string): Promise<boolean> {
  const found = await run('sh', ['-c', 'command -v pg_createcluster && command -v pg_ctlcluster && command -v pg_dropcluster']).then(
    () => true,
    () => false,
  );
  if (!found && process.env['CI'] === 'true') throw new Error(`${what} needs pg_createcluster, pg_ctlcluster and pg_dropcluster (postgresql-common) under CI; install them.`);
  return found;
}

export interface TestCluster {
  name: string;
  url: string;
  /** Stops and restarts are "fast": open connections are cut at once, as a crash or failover would. */
  ctl(action: 'start' | 'stop' | 'restart'): Promise<unknown>;
  /** Stops it in immediate mode, as a crash would: the next start runs crash recovery (unlogged tables come back empty). */
  crash(): Promise<unknown>;
  drop(): Promise<void>;
}

/** Makes and starts a cluster (trust authentication, localhost only), with `settings` in its configuration. */
export async function createTestCluster(prefix: string, settings: Record<string, string> = {}): Promise<TestCluster> {
  await dropLeftovers(prefix);
  const name = `${prefix}_${process.pid}`;
  const port = await freePort();
  // Trust for local connections only: the cluster listens on localhost and lives for one test file.
  await run('pg_createcluster', [PG_VERSION, name, '-p', String(port), '--', '--auth=trust']);
  const lines = Object.entries(settings).map(([key, value]) => `${key} = '${value.replaceAll("'", "''")}'`);
  if (lines.length > 0) writeFileSync(`/etc/postgresql/${PG_VERSION}/${name}/conf.d/test.conf`, `${lines.join('\n')}\n`);
  const ctl = (action: 'start' | 'stop' | 'restart') => run('pg_ctlcluster', ['--skip-systemctl-redirect', PG_VERSION, name, action]);
  const cluster: TestCluster = {
    name,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    ctl,
    crash: () => run('pg_ctlcluster', ['--skip-systemctl-redirect', '--mode', 'immediate', PG_VERSION, name, 'stop']),
    drop: async () => {
      await run('pg_dropcluster', ['--stop', PG_VERSION, name]);
    },
  };
  try {
    await ctl('start');
    await acceptingAt(cluster.url);
  } catch (error) {
    await cluster.drop().catch(() => undefined);
    throw error;
  }
  return cluster;
}

/** Drops the clusters of earlier runs with this prefix whose process is gone (killed before its afterAll). */
async function dropLeftovers(prefix: string): Promise<void> {
  const { stdout } = await run('pg_lsclusters', ['--no-header']);
  for (const line of stdout.split('\n')) {
    const [version, name] = line.trim().split(/\s+/);
    const pid = new RegExp(`^${prefix}_(\\d+)$`).exec(name ?? '')?.[1];
    if (version !== PG_VERSION || !pid || isAlive(Number(pid))) continue;
    await run('pg_dropcluster', ['--stop', PG_VERSION, name as string]).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Polls until PostgreSQL at `url` answers a query (bounded); resolves with when its server
 * started (ms since epoch): a little before it accepted connections, so a delay measured from
 * it is never shorter than the real one.
 */
export async function acceptingAt(url: string, deadlineMs = 30_000): Promise<number> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ ms: number }>('select extract(epoch from pg_postmaster_start_time()) * 1000 as ms');
      return Math.round(Number(rows[0]?.ms));
    } catch (error) {
      if (Date.now() > until) throw new Error(`PostgreSQL did not accept connections within ${deadlineMs} ms`, { cause: error });
    } finally {
      await client.end().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
