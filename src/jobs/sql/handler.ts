import type { JobContext, JobOutcome } from '../../domain/config/job-type.js';
import { SecretMasker } from '../../domain/config/index.js';
import type { SqlParameters } from './parameters.js';
import { createPgSqlRunner, type SqlRunner } from './runner.js';

export interface SqlJobDeps {
  /**
   * Runs statements on the store's own database (openGroveJobs gives one over the store's
   * connection settings, or the embedded store's socket). Without it, a config must name its
   * `database`.
   */
  store?: SqlRunner;
  /** The runner for a `database` connection string (default: pg, cancelled with pg_cancel_backend). */
  connect?(connectionString: string): SqlRunner;
}

const connectPg = (connectionString: string): SqlRunner => createPgSqlRunner({ connection: { connectionString }, interrupt: 'cancel' });

/** The other database as it may be shown: host, port and database name, never the user or password. */
export function describeDatabase(connectionString: string | undefined): string {
  if (connectionString === undefined) return "the store's database";
  try {
    const url = new URL(connectionString);
    const host = url.host || url.searchParams.get('host') || 'localhost';
    return `database ${decodeURIComponent(url.pathname.slice(1)) || '(default)'} on ${host}`;
  } catch {
    return 'the configured database';
  }
}

/** The secret parts of a connection string: itself, and its password on its own (a server message may quote neither, but a driver's might). */
function secretsOf(connectionString: string | undefined): string[] {
  if (connectionString === undefined) return [];
  const values = [connectionString];
  try {
    const { password } = new URL(connectionString);
    if (password) values.push(password, decodeURIComponent(password));
  } catch {
    // Refused at validation; nothing more to mask.
  }
  return values;
}

const plural = (n: number | null, one: string) => (n === null ? '' : ` ${n} ${one}${n === 1 ? '' : 's'}`);

export async function executeSql(deps: SqlJobDeps, context: JobContext<SqlParameters>): Promise<JobOutcome> {
  const { statement, database } = context.parameters;
  const masker = new SecretMasker(secretsOf(database));
  const target = describeDatabase(database);
  const runner = database === undefined ? deps.store : (deps.connect ?? connectPg)(database);
  if (!runner) {
    throw new Error("this process has no connection to the store's database for sql jobs (a system built without openGroveJobs): set the config's `database`");
  }
  const timeoutSeconds = context.config.payload.limits.timeoutSeconds;
  context.log('info', `${context.dryRun ? 'dry run: running in a transaction that is rolled back' : 'running'} on ${target}, statement_timeout ${timeoutSeconds} s`, { dryRun: context.dryRun });

  let outcome;
  try {
    outcome = await runner.run({ statement, timeoutMs: timeoutSeconds * 1000, dryRun: context.dryRun, signal: context.signal });
  } catch (error) {
    if (context.signal.aborted) throw context.signal.reason;
    // eslint-disable-next-line preserve-caught-error -- the cause may quote the connection string
    throw new Error(masker.text(`${target}: ${(error as Error).message}`));
  }

  const { command, rowCount, columns, rows, rowsOmitted, valuesCut, durationMs } = outcome;
  const counted = command === 'SELECT' || rowCount === null ? plural(rowCount, 'row') : plural(rowCount, 'row') + ' affected';
  const summary = `${context.dryRun ? 'dry run (rolled back): ' : ''}${command}${counted}`;
  context.log('info', `${summary} in ${(durationMs / 1000).toFixed(2)} s`, { command, rowCount, durationMs, ...(context.dryRun ? { rolledBack: true } : {}) });
  if (columns.length > 0) {
    const shown = rows.length === 0 ? 'no rows' : `first ${rows.length} row(s)${rowsOmitted > 0 ? `, ${rowsOmitted} more not kept` : ''}`;
    context.log('info', shown, masker.value({ columns, rows, rowsOmitted, valuesCut }));
  }
  // Rows the statement returned or changed; a dry run's changes were rolled back, none kept.
  const items = rowCount ?? 0;
  return {
    summary,
    result: masker.value({ command, rowCount, columns, rows, rowsOmitted, valuesCut, durationMs, ...(context.dryRun ? { dryRun: true, rolledBack: true } : {}) }),
    items: { total: items, processed: items, succeeded: context.dryRun ? 0 : items, failed: 0 },
  };
}
