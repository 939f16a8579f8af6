/**
 * The small port both drivers implement. Queries are `{ name, text, values }`: `name`
 * doubles as the prepared-statement name where the driver can use one, values always go
 * in as `$n`.
 */
export interface SqlQuery {
  name: string;
  text: string;
  values?: readonly unknown[];
}

export interface Sql {
  /** The engine's schema: unqualified names resolve here first. */
  readonly schema: string;
  /** The Grove domain's schema, next on the search path; undefined when the domain is not enabled (engine only). */
  readonly domainSchema: string | undefined;
  /** Which transport this is, for diagnostics only: never branch queries on it. */
  readonly driver: 'pglite' | 'postgres';
  query<Row>(query: SqlQuery): Promise<Row[]>;
  /** Runs multi-statement text without parameters (migrations). */
  exec(text: string): Promise<void>;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
  /**
   * Calls `listener` with the payload of each NOTIFY on `channel`, from any process where the
   * transport allows it (not through an embedded store's socket: callers keep a fallback).
   * Without a payload after the listening connection was lost and made again: NOTIFYs sent
   * meanwhile are lost, so the listener reads again whatever it follows.
   */
  listen(channel: string, listener: (payload: string | undefined) => void): Promise<() => Promise<void>>;
  /** Whether `listen` hears other processes' NOTIFYs on this transport (not through an embedded store's socket). */
  readonly hearsOtherProcesses: boolean;
  /**
   * The server process of the connection `listen` hears on, connecting it if need be: what
   * another process checks to know this one still hears it (migration 0024). Undefined where
   * no other process can reach this one that way (an embedded store).
   */
  listenerPid(): Promise<number | undefined>;
  close(): Promise<void>;
}

/** Double-quotes an identifier such as a schema name. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
