import { z } from 'zod';

/** Characters of a statement: room for a long report query or DO block, not for a dump. */
export const STATEMENT_MAX_LENGTH = 100_000;

/**
 * First keywords of statements that control the session or the transaction. Each run has a
 * transaction of its own (committed, or rolled back for a dry run) on a connection of its
 * own, so such a statement either does nothing or undoes what the run is for; on the embedded
 * store the connection is the store's single session, which a session setting would outlive.
 */
const CONTROL_KEYWORDS = new Set(['begin', 'start', 'commit', 'end', 'rollback', 'abort', 'savepoint', 'release', 'prepare', 'set', 'reset', 'discard', 'listen', 'unlisten', 'deallocate', 'declare', 'close', 'fetch', 'move']);

/** The statement's first keyword, lower case, after leading white space and comments; '' when there is none. */
export function firstKeyword(statement: string): string {
  let rest = statement;
  for (;;) {
    rest = rest.trimStart();
    if (rest.startsWith('--')) {
      const end = rest.indexOf('\n');
      rest = end === -1 ? '' : rest.slice(end + 1);
    } else if (rest.startsWith('/*')) {
      const end = rest.indexOf('*/');
      rest = end === -1 ? '' : rest.slice(end + 2);
    } else {
      break;
    }
  }
  return /^[a-z_]+/i.exec(rest)?.[0].toLowerCase() ?? '';
}

/** Whether a connection string names a PostgreSQL server. */
function isPostgresUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && (url.hostname !== '' || url.searchParams.has('host'));
  } catch {
    return false;
  }
}

export const sqlParameters = z.strictObject({
  /**
   * One SQL statement, or a `DO $$ … $$` block for several. It goes to the server as one
   * prepared statement (the extended protocol), so the server itself refuses a second
   * statement in the text ("cannot insert multiple commands into a prepared statement").
   */
  statement: z
    .string()
    .max(STATEMENT_MAX_LENGTH, `must be at most ${STATEMENT_MAX_LENGTH} characters`)
    .refine((statement) => firstKeyword(statement) !== '', 'must be an SQL statement (it is empty or only comments)')
    .refine(
      (statement) => !CONTROL_KEYWORDS.has(firstKeyword(statement)),
      'must not be a session or transaction statement (BEGIN, COMMIT, SET, …): each run has its own transaction, committed at the end (rolled back for a dry run), and SET LOCAL goes inside a DO block',
    ),
  /**
   * Another database, as a `postgres://user:password@host:port/database` connection string;
   * omitted: the store's own database. Write-only (listed in `secretParameters`): it carries
   * the password.
   */
  database: z
    .string()
    .max(2048)
    .refine(isPostgresUrl, 'must be a postgres:// or postgresql:// connection string naming a host')
    .optional(),
});

export type SqlParameters = z.output<typeof sqlParameters>;
