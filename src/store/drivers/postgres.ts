import pg from 'pg';
import { quoteIdentifier, type Sql, type SqlQuery } from '../sql.js';

export interface PostgresOptions {
  connectionString: string;
  schema?: string;
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

/** How long an idle pooled connection stays open. */
const IDLE_CONNECTION_MS = 10 * 60_000;

/** A `Sql` over a PostgreSQL server (or an embedded store's socket) through a `pg` pool. */
export function createPostgresSql(options: PostgresOptions): Sql {
  const schema = options.schema ?? 'public';
  const shared = options.sharedSession ?? false;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    // Keep idle connections for minutes, not the driver's 10 s: a scheduler that wakes once a
    // minute would otherwise reconnect, re-prepare its statements and re-plan its functions
    // at every slot.
    idleTimeoutMillis: IDLE_CONNECTION_MS,
    types,
    // Every connection resolves unqualified names in the store's schema. Its statements are
    // prepared once and planned once: they are short and their best plan does not depend on
    // the values, while a fresh plan per call costs more than running them.
    ...(shared
      ? {}
      : { options: ['-c plan_cache_mode=force_generic_plan', '-c jit=off', ...(schema === 'public' ? [] : [`-c search_path=${quoteIdentifier(schema)}`])].join(' ') }),
  });
  // An idle client's error (a restarted server) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);

  const toConfig = (query: SqlQuery): pg.QueryConfig => ({
    ...(shared ? {} : { name: query.name }),
    text: query.text,
    values: query.values ? [...query.values] : [],
  });

  // One dedicated connection carries every LISTEN of this pool.
  let listener: Promise<pg.Client> | undefined;
  const channels = new Map<string, Set<(payload: string) => void>>();
  const listening = () =>
    (listener ??= (async () => {
      const client = new pg.Client({ connectionString: options.connectionString });
      client.on('error', () => undefined);
      client.on('notification', (message) => {
        for (const callback of channels.get(message.channel) ?? []) callback(message.payload ?? '');
      });
      await client.connect();
      return client;
    })());
  let pid: Promise<number> | undefined;
  const listenerPid = async () =>
    shared
      ? undefined
      : (pid ??= listening().then(async (client) => (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid ?? 0));
  const listen = async (channel: string, callback: (payload: string) => void) => {
    if (shared) return async () => undefined;
    const client = await listening();
    let callbacks = channels.get(channel);
    if (!callbacks) {
      callbacks = new Set();
      channels.set(channel, callbacks);
      await client.query(`listen ${quoteIdentifier(channel)}`);
    }
    callbacks.add(callback);
    return async () => {
      callbacks.delete(callback);
    };
  };

  const onClient = (client: pg.PoolClient): Sql => {
    const sql: Sql = {
      schema,
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
      const client = listener && (await listener.catch(() => undefined));
      await client?.end().catch(() => undefined);
      await pool.end();
    },
  };
}
