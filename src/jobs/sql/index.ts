import { defineJobType } from '../../domain/config/job-type.js';
import { executeSql, type SqlJobDeps } from './handler.js';
import { sqlParameters } from './parameters.js';

export { describeDatabase, executeSql, type SqlJobDeps } from './handler.js';
export { firstKeyword, sqlParameters, STATEMENT_MAX_LENGTH, type SqlParameters } from './parameters.js';
export { ROW_LIMIT, ROWS_MAX_BYTES, RowCollector, showValue, VALUE_MAX_CHARACTERS, type ShownRows, type ShownValue } from './rows.js';
export { createPgSqlRunner, describeDatabaseError, socketConnection, StatementTimeoutError, type PgSqlRunnerOptions, type SqlRunner, type StatementOutcome, type StatementRun } from './runner.js';

/**
 * Runs one SQL statement on a schedule: what the seeds' commented-out pg_cron lines did, with
 * a timeout, a dry run, a history and the first rows of what it returned.
 */
export function sqlJobType(deps: SqlJobDeps = {}) {
  return defineJobType({
    name: 'sql',
    description:
      "Runs one SQL statement (or a DO $$ … $$ block) in a transaction of its own, on the store's database or on the database of the write-only " +
      '`database` connection string, as the role of that connection, with statement_timeout set to limits.timeoutSeconds. On the store\'s ' +
      'database the search_path is public: Grove Jobs\' own tables are reached only by their schema-qualified names. Records the command, the ' +
      'row count and the first 20 rows (values cut at 200 characters). A dry run runs the statement and rolls it back. On the embedded store ' +
      'a running statement cannot be interrupted: it runs to its end and is rolled back if it was cancelled or took longer than the timeout.',
    parameters: sqlParameters,
    // No cronExpression default: when to run a statement is the operator's decision.
    secretParameters: ['database'],
    changesData: true,
    counterLabels: { processed: 'Rows', succeeded: 'Rows kept' },
    execute: (context) => executeSql(deps, context),
  });
}
