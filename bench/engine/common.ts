/**
 * Shared pieces of the engine benchmark: the task and message shapes exchanged between the
 * orchestrator (bench/engine.bench.ts) and the child process that runs one system under
 * test (bench/engine/child.ts), percentiles, and fresh-database helpers.
 */
import pg from 'pg';

export type SystemName = 'grove' | 'graphile' | 'pgboss';
/** `default`: the library as installed; `fast`: its documented tuning (see each adapter). */
export type Variant = 'default' | 'fast';

/** Line 1: jobs on a cron; the child reports every handler start with its slot. */
export interface CronTask {
  kind: 'cron';
  system: SystemName;
  variant: Variant;
  dbUrl: string;
  configs: number;
  /** Slots fall on the minutes m with m % 2 === parity. */
  parity: 0 | 1;
}

/** The minute field for every other minute, as a list (graphile-worker takes no `a-b/n`): even (0) or odd (1) minutes. */
export function everyOtherMinute(parity: 0 | 1): string {
  return Array.from({ length: 30 }, (_, k) => 2 * k + parity).join(',');
}

/** Line 2: sequential enqueue → handler start with idle, started workers. */
export interface IdleTask {
  kind: 'idle';
  system: SystemName;
  variant: Variant;
  dbUrl: string;
  /** Stop after this many samples (or earlier, when the orchestrator says stop). */
  samples: number;
  /** Grove only: trigger through the worker's own system (in-process wake-up) instead of a second one. */
  inProcess?: boolean;
}

/** Line 3: enqueue `n` no-op jobs, then start the worker and time until all are finished. */
export interface ThroughputTask {
  kind: 'throughput';
  system: SystemName;
  variant: Variant;
  dbUrl: string;
  n: number;
}

export type Task = CronTask | IdleTask | ThroughputTask;

/** One handler start of a scheduled job: which config, its slot instant and when the handler began (ms since epoch). */
export interface CronSample {
  key: number;
  slot: number;
  at: number;
}

/** A cron task's result: null when the streamed samples are exact, else the corrected samples. */
export interface CronResult {
  samples: CronSample[];
}

/** Line 2 lags, read with performance.now() (enqueue and handler run in one process). */
export interface IdleResult {
  lagsMs: number[];
}

export interface ThroughputResult {
  n: number;
  ms: number;
  /** Rows left behind as history (Grove executions, pg-boss completed jobs; graphile-worker deletes its jobs). */
  historyRows: number;
  enqueueMs: number;
}

export type ChildMessage =
  | { type: 'ready'; at: number }
  | { type: 'samples'; samples: CronSample[] }
  | { type: 'result'; result: IdleResult | ThroughputResult | CronResult | null }
  | { type: 'error'; message: string };

export type ParentMessage = { type: 'start'; task: Task } | { type: 'stop' };

/** What an adapter gets from the child runner. */
export interface ChildIo {
  /** Announces that the system is set up and armed (cron) or about to measure. */
  ready(): void;
  sample(sample: CronSample): void;
  /** Resolves when the orchestrator asks the child to wind down. */
  stopped: Promise<void>;
  isStopped(): boolean;
}

/** Every system under test runs its workers at this concurrency. */
export const CONCURRENCY = 10;

/** Line 2 samples taken first and discarded (connections, prepared statements, JIT). */
export const WARMUP_SAMPLES = 20;

/** Nearest-rank percentile of unsorted samples; NaN for none. */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The server everything runs on; DATABASE_URL may point elsewhere (its database part is replaced). */
export function serverUrl(): URL {
  return new URL(process.env['DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres');
}

export function databaseUrl(name: string): string {
  const url = serverUrl();
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = serverUrl();
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const DB_NAME = /^[a-z0-9_]+$/;

/** Creates an empty database (dropping a leftover of the same name) and returns its URL. */
export async function createDatabase(name: string): Promise<string> {
  if (!DB_NAME.test(name)) throw new Error(`bad database name ${name}`);
  await withAdmin(async (client) => {
    await client.query(`drop database if exists ${name} with (force)`);
    await client.query(`create database ${name}`);
  });
  return databaseUrl(name);
}

/** Flushes dirty buffers so the next measurement does not pay for the previous one's writes. */
export async function checkpoint(): Promise<void> {
  await withAdmin((client) => client.query('checkpoint'));
}

export async function dropDatabase(name: string): Promise<void> {
  if (!DB_NAME.test(name)) throw new Error(`bad database name ${name}`);
  await withAdmin((client) => client.query(`drop database if exists ${name} with (force)`));
}

/** Runs one query on a short-lived connection (end-of-run checks). */
export async function queryOnce<Row extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Row>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Polls a `select … as n` query on one connection until `done(n)`. */
export async function waitForCount(url: string, text: string, done: (n: number) => boolean, everyMs = 10): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (;;) {
      const n = Number((await client.query<{ n: number }>(text)).rows[0]?.n ?? 0);
      if (done(n)) return n;
      await sleep(everyMs);
    }
  } finally {
    await client.end();
  }
}

/** Polls `check` every `everyMs` until it returns true. */
export async function until(check: () => Promise<boolean> | boolean, everyMs = 20): Promise<void> {
  while (!(await check())) await sleep(everyMs);
}

/** Uniform random integer in [min, max). */
export function randomBetween(min: number, max: number): number {
  return Math.floor(min + Math.random() * (max - min));
}

/** A promise with its resolver, for "wait until the handler starts". */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Runs `count` calls of `work` with at most `parallel` in flight. */
export async function pool(count: number, parallel: number, work: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) {
        const index = next++;
        await work(index);
      }
    }),
  );
}
