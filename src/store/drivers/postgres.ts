import pg from 'pg';
import { storeRetryDelayMs } from '../../domain/execution/index.js';
import { DEFAULT_SCHEMA, defaultDomainSchema, searchPath } from '../schemas.js';
import { quoteIdentifier, type Sql, type SqlQuery } from '../sql.js';

/** Connection settings as pg takes them (a `pg.Pool`'s `options` will do). */
export type PostgresConnection = pg.ClientConfig;

export interface PostgresOptions {
  /** Where the server is: a connection string, or a pg connection config (an application's pool's `options`). */
  connectionString?: string;
  /** Host, port, database, user, password, TLS … as pg takes them; used when there is no connection string. */
  connection?: PostgresConnection;
  /** The engine's schema (default grove_jobs). */
  schema?: string;
  /** The Grove domain's schema; default: the one for `schema` (see schemas.ts); null: no domain (engine only). */
  domainSchema?: string | null;
  /** Pool size; each `serve`/`worker` process holds its own pool. */
  maxConnections?: number;
  /**
   * False when the server is an embedded store reached through its socket: that store is one
   * shared session, so named statements and session settings would leak between clients.
   */
  sharedSession?: boolean;
}

// int8 (counts, sums) as numbers: every such value here is far below 2^53.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** The connection settings alone: of an application's pool options, what reaches the server, not how its pool is run. */
function connectionOf(options: PostgresOptions): pg.ClientConfig {
  if (options.connectionString !== undefined) return { connectionString: options.connectionString };
  if (options.connection === undefined) throw new Error('a PostgreSQL store needs a connection string or connection settings');
  const { connectionString, host, port, database, user, password, ssl, options: serverOptions, application_name, connectionTimeoutMillis, keepAlive, statement_timeout, query_timeout } = options.connection;
  const picked: pg.ClientConfig = { connectionString, host, port, database, user, password, ssl, options: serverOptions, application_name, connectionTimeoutMillis, keepAlive, statement_timeout, query_timeout };
  return Object.fromEntries(Object.entries(picked).filter(([, value]) => value !== undefined)) as pg.ClientConfig;
}

/** How long an idle pooled connection stays open. */
const IDLE_CONNECTION_MS = 10 * 60_000;

/** A `Sql` over a PostgreSQL server (or an embedded store's socket) through a `pg` pool. */
export function createPostgresSql(options: PostgresOptions): Sql {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const server = connectionOf(options);
  const domainSchema = options.domainSchema === null ? undefined : (options.domainSchema ?? defaultDomainSchema(schema));
  const shared = options.sharedSession ?? false;
  const pool = new pg.Pool({
    ...server,
    max: options.maxConnections ?? 10,
    // Keep idle connections for minutes, not the driver's 10 s: a scheduler that wakes once a
    // minute would otherwise reconnect, re-prepare its statements and re-plan its functions
    // at every slot.
    idleTimeoutMillis: IDLE_CONNECTION_MS,
    types,
    // Every connection resolves unqualified names in the store's schemas. Its statements are
    // prepared once and planned once: they are short and their best plan does not depend on
    // the values, while a fresh plan per call costs more than running them.
    ...(shared
      ? {}
      : {
          options: [
            ...(server.options ? [server.options] : []),
            '-c plan_cache_mode=force_generic_plan',
            '-c jit=off',
            `-c search_path=${searchPath(schema, domainSchema).replaceAll(' ', '')}`,
          ].join(' '),
        }),
  });
  // A connection's error (a restarted server) must not crash the process: the pool drops the
  // client and the next query connects again. The pool listens on idle clients only; this
  // listener covers a client between two queries of a transaction too.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));

  const toConfig = (query: SqlQuery): pg.QueryConfig => ({
    ...(shared ? {} : { name: query.name }),
    text: query.text,
    values: query.values ? [...query.values] : [],
  });

  // One dedicated connection carries every LISTEN of this pool. After any loss (a restarted
  // server, a cut network) it is made again, after a short backoff, with its LISTENs, and every
  // listener is called without a payload: the NOTIFYs sent meanwhile are lost, so it reads again.
  type Listener = (payload: string | undefined) => void;
  const channels = new Map<string, Set<Listener>>();
  /** The listening connection (connected, or connecting); none after a loss until the retry. */
  let listener: Promise<pg.Client> | undefined;
  let pid: Promise<number> | undefined;
  /** Failed attempts to listen again in a row: they set the backoff of the next. */
  let failures = 0;
  /**
   * A connection was lost: the next one made, by the retry or by any caller meanwhile (a
   * worker asking for the listening pid, say), tells every listener to read again.
   */
  let relisten = false;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;

  // pg deprecates a query sent while the connection still runs another (its own queue goes in
  // pg 9): the listening connection's queries (LISTENs from several subscribers, its pid) take turns.
  const turns = new WeakMap<pg.Client, Promise<unknown>>();
  const inTurn = <Row extends pg.QueryResultRow>(client: pg.Client, text: string): Promise<pg.QueryResult<Row>> => {
    const run = (turns.get(client) ?? Promise.resolve()).then(() => client.query<Row>(text));
    turns.set(client, run.catch(() => undefined));
    return run;
  };

  const connectListener = (): Promise<pg.Client> => {
    const client = new pg.Client({ ...server, keepAlive: true });
    const made = (async () => {
      await client.connect();
      for (const channel of channels.keys()) await inTurn(client, `listen ${quoteIdentifier(channel)}`);
      return client;
    })();
    // An error, the end of the connection or a failed start, whichever come: one loss.
    const lost = () => loseListener(made, client);
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (message) => {
      for (const callback of channels.get(message.channel) ?? []) callback(message.payload ?? '');
    });
    made.then(() => {
      failures = 0;
      if (!relisten || listener !== made) return;
      relisten = false;
      for (const callbacks of [...channels.values()]) for (const callback of [...callbacks]) callback(undefined);
    }, lost);
    return made;
  };
  const listening = () => (listener ??= connectListener());

  const loseListener = (made: Promise<pg.Client>, client: pg.Client) => {
    if (listener !== made) return;
    listener = undefined;
    pid = undefined;
    void client.end().catch(() => undefined);
    if (closed || channels.size === 0) return;
    relisten = true;
    retry = setTimeout(() => {
      retry = undefined;
      // Lost again: loseListener tries later, a little later each time.
      if (!closed && !listener && channels.size > 0) listening().catch(() => undefined);
    }, storeRetryDelayMs(++failures, Math.random()));
    // The engine's loops keep the process alive; a retry alone must not.
    retry.unref();
  };

  const listenerPid = async () => {
    if (shared) return undefined;
    // The pid of the connection listening now: a new one after a loss.
    const mine = (pid ??= listening().then(async (client) => (await inTurn<{ pid: number }>(client, 'select pg_backend_pid() as pid')).rows[0]?.pid ?? 0));
    return mine.catch((error: unknown) => {
      if (pid === mine) pid = undefined;
      throw error;
    });
  };
  const listen = async (channel: string, callback: Listener) => {
    if (shared) return async () => undefined;
    let callbacks = channels.get(channel);
    const added = !callbacks;
    if (!callbacks) {
      callbacks = new Set();
      channels.set(channel, callbacks);
    }
    callbacks.add(callback);
    try {
      // A connection made from now on listens on the channel; one made already is told.
      const client = await listening();
      if (added) await inTurn(client, `listen ${quoteIdentifier(channel)}`);
    } catch (error) {
      callbacks.delete(callback);
      throw error;
    }
    return async () => {
      callbacks.delete(callback);
    };
  };

  const onClient = (client: pg.PoolClient): Sql => {
    const sql: Sql = {
      schema,
      domainSchema,
      driver: 'postgres',
      query: async <Row>(query: SqlQuery) => (await client.query(toConfig(query))).rows as Row[],
      exec: async (text) => {
        await client.query(text);
      },
      transaction: (work) => work(sql),
      listen,
      hearsOtherProcesses: !shared,
      listenerPid,
      close: async () => undefined,
    };
    return sql;
  };

  return {
    schema,
    domainSchema,
    driver: 'postgres',
    query: async <Row>(query: SqlQuery) => (await pool.query(toConfig(query))).rows as Row[],
    exec: async (text) => {
      await pool.query(text);
    },
    transaction: async (work) => {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await work(onClient(client));
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    listen,
    hearsOtherProcesses: !shared,
    listenerPid,
    close: async () => {
      closed = true;
      clearTimeout(retry);
      const client = listener && (await listener.catch(() => undefined));
      await client?.end().catch(() => undefined);
      await pool.end();
    },
  };
}
