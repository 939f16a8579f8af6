import type { PGlite, Transaction } from '@electric-sql/pglite';
import { loadPglite } from './pglite-load.js';
import { DEFAULT_SCHEMA, defaultDomainSchema, searchPath } from '../schemas.js';
import type { Sql, SqlQuery } from '../sql.js';
import { SessionGate } from './pglite-session.js';

/** One open embedded store: the PGlite instance and the gate every user goes through. */
export interface PgliteSession {
  readonly db: PGlite;
  readonly gate: SessionGate;
  /** Registers for NOTIFYs raised by socket clients; returns the unsubscribe. */
  onSocketNotification(listener: (channel: string, payload: string) => void): () => void;
  /** Called by the socket service with each NOTIFY it sees go to a client. */
  socketNotified(channel: string, payload: string): void;
}

/** Opens the embedded store in `dataDir` (in memory when undefined). */
export async function openPgliteSession(dataDir?: string): Promise<PgliteSession> {
  const { PGlite: Embedded } = await loadPglite();
  const db = dataDir === undefined ? await Embedded.create() : await Embedded.create({ dataDir });
  const listeners = new Set<(channel: string, payload: string) => void>();
  return {
    db,
    gate: new SessionGate(),
    onSocketNotification: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    socketNotified: (channel, payload) => {
      for (const listener of listeners) listener(channel, payload);
    },
  };
}

/**
 * A `Sql` on an embedded store, resolving names in `schema`. Several may share one session
 * (one schema per test, say): the gate serializes them and switches search_path as needed.
 */
export function createPgliteSql(
  session: PgliteSession,
  schema: string = DEFAULT_SCHEMA,
  onClose?: () => Promise<void>,
  /** The Grove domain's schema; default: the one for `schema`; null: no domain (engine only). */
  domainSchemaOption?: string | null,
): Sql {
  const { db, gate } = session;
  const domainSchema = domainSchemaOption === null ? undefined : (domainSchemaOption ?? defaultDomainSchema(schema));
  const path = searchPath(schema, domainSchema);

  const useSchema = async () => {
    if (gate.searchPath === path) return;
    await db.exec(`set search_path to ${path}`);
    gate.searchPath = path;
  };

  const onTransaction = (tx: Transaction): Sql => {
    const sql: Sql = {
      schema,
      domainSchema,
      driver: 'pglite',
      query: async <Row>(query: SqlQuery) => (await tx.query<Row>(query.text, query.values ? [...query.values] : [])).rows,
      exec: async (text) => {
        await tx.exec(text);
      },
      transaction: (work) => work(sql),
      listen,
      hearsOtherProcesses: true,
      listenerPid: async () => undefined,
      close: async () => undefined,
    };
    return sql;
  };

  const listen = async (channel: string, callback: (payload: string) => void) => {
    // In-process NOTIFYs reach PGlite's own listener; socket clients' ones are read off their traffic.
    const unlisten = await gate.run(() => db.listen(channel, callback));
    const fromSockets = session.onSocketNotification((name, payload) => {
      if (name === channel) callback(payload);
    });
    return async () => {
      fromSockets();
      await gate.run(() => unlisten());
    };
  };

  return {
    schema,
    domainSchema,
    driver: 'pglite',
    query: <Row>(query: SqlQuery) =>
      gate.run(async () => {
        await useSchema();
        return (await db.query<Row>(query.text, query.values ? [...query.values] : [])).rows;
      }),
    exec: (text) =>
      gate.run(async () => {
        await useSchema();
        await db.exec(text);
      }),
    transaction: (work) =>
      gate.run(async () => {
        await useSchema();
        return db.transaction((tx) => work(onTransaction(tx)));
      }),
    listen,
    hearsOtherProcesses: true,
    // One server process for everything: no other process hands work to this one's workers.
    listenerPid: async () => undefined,
    close: async () => {
      await onClose?.();
    },
  };
}
