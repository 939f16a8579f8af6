import { mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, closeSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';
import { createPgliteSql, openPgliteSession, type PgliteSession } from './drivers/pglite.js';
import { GatedSocketQueue } from './drivers/pglite-session.js';
import { createPostgresSql } from './drivers/postgres.js';
import type { Sql } from './sql.js';

/**
 * An embedded store may be opened by one process at a time. The first `grove-jobs` process
 * to open a data folder owns it: it writes `grove-jobs.lock` (pid, then the port) and serves
 * the store on 127.0.0.1 so that every other `grove-jobs` process on the folder reaches it
 * through that socket instead of opening the files a second time. A lock whose process is
 * gone, or whose port no longer answers, is stale and taken over.
 */
export const LOCK_FILE = 'grove-jobs.lock';
const PGDATA = 'pgdata';

/** How long a client waits for a starting owner to advertise its port (first start: a few seconds). */
const OWNER_START_TIMEOUT_MS = 60_000;
const POLL_MS = 50;

export interface DataDirLock {
  pid: number;
  startedAt: string;
  host?: string;
  port?: number;
}

export interface OpenedDataDir {
  sql: Sql;
  /** `owner` opened the files; `client` reaches the owner's socket. */
  role: 'owner' | 'client';
  /** Where other processes reach the store (set for both roles). */
  address: { host: string; port: number };
}

function readLock(path: string): DataDirLock | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as DataDirLock;
    return typeof parsed.pid === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function writeLockAtomically(path: string, lock: DataDirLock): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(lock));
  renameSync(temporary, path);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Takes a stale lock out of the way; only one of several racing processes wins the rename. */
function removeStaleLock(path: string): void {
  const aside = `${path}.stale.${process.pid}`;
  try {
    renameSync(path, aside);
    unlinkSync(aside);
  } catch {
    // Another process moved it first.
  }
}

function tryCreateLock(path: string): boolean {
  try {
    const fd = openSync(path, 'wx');
    writeFileSync(fd, JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() } satisfies DataDirLock));
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

interface SocketService {
  port: number;
  /** Stops listening and drops connected clients. */
  close(): void;
}

async function serveSession(session: PgliteSession): Promise<SocketService> {
  const queue = new GatedSocketQueue(session.db, session.gate, session.socketNotified);
  const sockets = new Set<Socket>();
  const server = createServer((socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const handler = new PGLiteSocketHandler({
      // The handler only calls enqueue, clearQueueForHandler and clearTransactionIfNeeded.
      queryQueue: queue as unknown as ConstructorParameters<typeof PGLiteSocketHandler>[0]['queryQueue'],
      closeOnDetach: true,
    });
    handler.addEventListener('error', () => undefined);
    handler.attach(socket).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    close: () => {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}

async function becomeOwner(dir: string, lockPath: string, schema: string): Promise<OpenedDataDir> {
  let session: PgliteSession | undefined;
  let service: SocketService | undefined;
  try {
    session = await openPgliteSession(join(dir, PGDATA));
    service = await serveSession(session);
  } catch (error) {
    await session?.db.close().catch(() => undefined);
    unlinkSync(lockPath);
    throw error;
  }
  const host = '127.0.0.1';
  const { port } = service;
  writeLockAtomically(lockPath, { pid: process.pid, startedAt: new Date().toISOString(), host, port });

  const opened = session;
  const socketService = service;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    socketService.close();
    await opened.db.close();
    if (readLock(lockPath)?.pid === process.pid) unlinkSync(lockPath);
  };
  return { sql: createPgliteSql(opened, schema, close), role: 'owner', address: { host, port } };
}

async function connectAsClient(lock: DataDirLock & { port: number }, schema: string): Promise<OpenedDataDir | undefined> {
  const host = lock.host ?? '127.0.0.1';
  const sql = createPostgresSql({
    connectionString: `postgres://postgres@${host}:${lock.port}/postgres`,
    schema,
    maxConnections: 2,
    sharedSession: true,
  });
  try {
    await sql.query({ name: 'ping', text: 'select 1' });
    return { sql, role: 'client', address: { host, port: lock.port } };
  } catch {
    await sql.close().catch(() => undefined);
    return undefined;
  }
}

/**
 * Opens the embedded store in `dir`: as its owner when no live process holds it, otherwise
 * as a client of the process that does.
 */
export async function openDataDir(dir: string, schema = 'public'): Promise<OpenedDataDir> {
  mkdirSync(dir, { recursive: true });
  const lockPath = join(dir, LOCK_FILE);
  const deadline = Date.now() + OWNER_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (tryCreateLock(lockPath)) return becomeOwner(dir, lockPath, schema);
    const lock = readLock(lockPath);
    if (lock && !processAlive(lock.pid)) {
      removeStaleLock(lockPath);
      continue;
    }
    if (lock?.port !== undefined) {
      const client = await connectAsClient({ ...lock, port: lock.port }, schema);
      if (client) return client;
      // The owner advertised a port that does not answer: it is shutting down or gone.
      if (readLock(lockPath)?.port === lock.port && !processAlive(lock.pid)) removeStaleLock(lockPath);
    }
    await delay(POLL_MS);
  }
  throw new Error(`the store in ${dir} is held by another process that did not become ready (see ${lockPath})`);
}
