// The sql job type's database client. It is not the store: it runs an operator's statement on
// a connection of its own (never one of the store's pooled connections, whose search_path is
// the engine's schemas), with the same driver the store uses to reach a server (pg), so that
// the one code path serves a PostgreSQL server, another database, and the embedded store
// through the Unix socket its owner serves (as every other process on that store reaches it).
import { basename, dirname } from 'node:path';
import pg from 'pg';
import { RowCollector, type ShownRows } from './rows.js';

/** One statement to run. */
export interface StatementRun {
  statement: string;
  /** Milliseconds: the server's statement_timeout (SET LOCAL), and the longest a statement may take. */
  timeoutMs: number;
  /** Roll the transaction back instead of committing it. */
  dryRun: boolean;
  /** Cancels the statement (timeout, cancel, shutdown); the run then rejects with its reason. */
  signal: AbortSignal;
}

export interface StatementOutcome extends ShownRows {
  /** The server's command tag: SELECT, UPDATE, DO, … */
  command: string;
  /** Rows returned or changed, as the server counts them (null for commands that count none). */
  rowCount: number | null;
  durationMs: number;
}

/** Runs one statement in a transaction of its own. */
export interface SqlRunner {
  run(request: StatementRun): Promise<StatementOutcome>;
}

/** The statement ran past its timeout; the transaction was rolled back. */
export class StatementTimeoutError extends Error {
  override readonly name = 'StatementTimeoutError';
}

export interface PgSqlRunnerOptions {
  /** Where the statement goes, as pg takes it (a connection string, or host, user, TLS …). */
  connection: pg.ClientConfig;
  /**
   * `SET LOCAL search_path` before the statement; undefined keeps the connection's own. The
   * store's database passes `public`: the engine's tables are then reached only when named
   * with their schema, never by an unqualified name that happens to match one of them.
   */
  searchPath?: string;
  /**
   * How a running statement is stopped when the signal fires: `cancel` asks the server
   * (pg_cancel_backend from a second connection, as the same role); `wait` lets it finish and
   * rolls it back. The embedded store runs a statement in its owner's thread and takes no
   * cancel request meanwhile (nor does it apply statement_timeout): there the statement runs
   * to its end, and a statement that took longer than its timeout is rolled back.
   */
  interrupt: 'cancel' | 'wait';
}

/** How long a cancelled statement may take to end before its connection is dropped. */
const CANCEL_GRACE_MS = 5_000;

/** Connection settings for a server listening on a Unix socket (`<folder>/.s.PGSQL.<port>`), such as the embedded store's. */
export function socketConnection(socketPath: string): pg.ClientConfig {
  const port = Number(/^\.s\.PGSQL\.(\d+)$/.exec(basename(socketPath))?.[1] ?? 5432);
  // ssl false: a PGSSLMODE setting must not apply to a local socket.
  return { host: dirname(socketPath), port, user: 'postgres', database: 'postgres', ssl: false };
}

/** A runner over pg, one connection per run. */
export function createPgSqlRunner(options: PgSqlRunnerOptions): SqlRunner {
  return { run: (request) => runStatement(options, request) };
}

interface Streamed extends ShownRows {
  command: string;
  rowCount: number | null;
}

/**
 * Runs `text` as one prepared statement (so the server refuses a second statement in it),
 * keeping only the first rows as they arrive: a statement returning a million rows costs no
 * more memory than one returning twenty.
 */
function stream(client: pg.Client, text: string): Promise<Streamed> {
  const collector = new RowCollector();
  // queryMode and rowMode are pg options its type declarations leave out.
  const query = new pg.Query({ text, queryMode: 'extended', rowMode: 'array' } as pg.QueryConfig);
  return new Promise((resolve, reject) => {
    query.on('row', (row: unknown) => collector.add(row as unknown[]));
    query.on('error', reject);
    query.on('end', (result) => {
      resolve({ command: result.command, rowCount: result.rowCount, ...collector.shown(result.fields.map((field) => field.name)) });
    });
    void client.query(query);
  });
}

function isStatementTimeout(error: unknown): boolean {
  return error instanceof pg.DatabaseError && error.code === '57014' && /statement timeout/i.test(error.message);
}

/** The database's message with what locates it: SQLSTATE, position, detail, hint. */
export function describeDatabaseError(error: unknown): string {
  if (!(error instanceof pg.DatabaseError)) return error instanceof Error ? error.message : String(error);
  const parts = [error.message];
  if (error.position) parts.push(`at character ${error.position}`);
  if (error.code) parts.push(`(SQLSTATE ${error.code})`);
  let text = parts.join(' ');
  if (error.detail) text += `; detail: ${error.detail}`;
  if (error.hint) text += `; hint: ${error.hint}`;
  return text;
}

async function runStatement(options: PgSqlRunnerOptions, request: StatementRun): Promise<StatementOutcome> {
  const { signal } = request;
  signal.throwIfAborted();
  const client = new pg.Client({ application_name: 'grove-jobs sql', ...options.connection });
  // A dropped connection reports through the query under way; the client's own event must not crash the process.
  client.on('error', () => undefined);
  let pid: number | undefined;
  let begun = false;
  let running = false;
  let dropTimer: NodeJS.Timeout | undefined;
  const drop = () => void client.end().catch(() => undefined);
  const onAbort = () => {
    if (!running) return drop();
    if (options.interrupt === 'wait' || pid === undefined) return;
    void cancelBackend(options.connection, pid).catch(() => undefined);
    // Not ended by the cancel (a server that does not answer): drop the connection; the
    // server rolls the transaction back when it sees it gone, statement_timeout at the latest.
    dropTimer = setTimeout(drop, CANCEL_GRACE_MS);
    dropTimer.unref();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await client.connect();
    signal.throwIfAborted();
    if (options.interrupt === 'cancel') {
      pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
    }
    await client.query('begin');
    begun = true;
    // Whole milliseconds, at least 1: 0 would switch the server's timeout off.
    await client.query(`set local statement_timeout = ${Math.max(1, Math.ceil(request.timeoutMs))}`);
    if (options.searchPath !== undefined) await client.query(`set local search_path to ${options.searchPath}`);
    signal.throwIfAborted();
    const started = performance.now();
    running = true;
    let streamed: Streamed;
    try {
      streamed = await stream(client, request.statement);
    } finally {
      running = false;
    }
    const durationMs = Math.round(performance.now() - started);
    signal.throwIfAborted();
    // Where the server could not stop it (the embedded store), the timeout is applied here.
    if (durationMs > request.timeoutMs) {
      throw new StatementTimeoutError(`the statement ran ${(durationMs / 1000).toFixed(1)} s, past the timeout of ${request.timeoutMs / 1000} s (limits.timeoutSeconds); rolled back`);
    }
    await client.query(request.dryRun ? 'rollback' : 'commit');
    return { ...streamed, durationMs };
  } catch (error) {
    // On a connection that never began (or was dropped), there is nothing to roll back.
    if (begun) await client.query('rollback').catch(() => undefined);
    // Timeout, cancel or shutdown: the engine's own reason, so it records the right status.
    if (signal.aborted) throw signal.reason;
    if (isStatementTimeout(error)) {
      throw new StatementTimeoutError(`the statement ran past the timeout of ${request.timeoutMs / 1000} s (limits.timeoutSeconds) and was cancelled: ${describeDatabaseError(error)}`, { cause: error });
    }
    if (error instanceof StatementTimeoutError) throw error;
    throw new Error(describeDatabaseError(error), { cause: error });
  } finally {
    signal.removeEventListener('abort', onAbort);
    clearTimeout(dropTimer);
    await client.end().catch(() => undefined);
  }
}

/** Asks the server to cancel the statement of backend `pid`, from a connection of its own. */
async function cancelBackend(connection: pg.ClientConfig, pid: number): Promise<void> {
  const canceller = new pg.Client({ application_name: 'grove-jobs sql cancel', ...connection });
  canceller.on('error', () => undefined);
  try {
    await canceller.connect();
    await canceller.query({ text: 'select pg_cancel_backend($1)', values: [pid] });
  } finally {
    await canceller.end().catch(() => undefined);
  }
}
