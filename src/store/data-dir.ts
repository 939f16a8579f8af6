import { chmodSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { PGLiteSocketHandler } from '@electric-sql/pglite-socket';
import { createPgliteSql, openPgliteSession, type PgliteSession } from './drivers/pglite.js';
import { GatedSocketQueue } from './drivers/pglite-session.js';
import { loadPgliteSocket } from './drivers/pglite-load.js';
import { DEFAULT_SCHEMA } from './schemas.js';
import { createPostgresSql } from './drivers/postgres.js';
import type { Sql } from './sql.js';

/**
 * An embedded store may be opened by one process at a time. The first `grove-jobs` process
 * to open a data folder owns it: it writes `grove-jobs.lock` (pid, start instant, then the
 * folder of its Unix socket) and serves the store on that socket, so that every other
 * `grove-jobs` process on the folder reaches it there instead of opening the files a second
 * time. The socket's folder is 0700 and the socket 0600: only the owner's user can connect
 * (PGlite itself checks no password). A lock whose process is gone is stale and taken over.
 */
export const LOCK_FILE = 'grove-jobs.lock';
const PGDATA = 'pgdata';
/** The socket's folder inside the data folder. */
const SOCKET_DIR = 'socket';
/**
 * The `pg` driver and psql look for `<host folder>/.s.PGSQL.<port>`; the default port's name
 * lets `psql -h <data folder>/socket -U postgres` reach the store too.
 */
const SOCKET_PORT = 5432;
const SOCKET_NAME = `.s.PGSQL.${SOCKET_PORT}`;
/** sun_path holds 108 bytes on Linux and 104 on macOS, with its terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 103;
/** A data folder whose path is too long for its socket gets one in the temporary folder, named so. */
const TEMPORARY_SOCKET_PREFIX = 'grove-jobs-';

/** How long a client waits for a starting owner to advertise its socket (first start: a few seconds). */
const OWNER_START_TIMEOUT_MS = 60_000;
const POLL_MS = 50;
/**
 * How often a following client checks that its owner's process is alive and its lock still
 * in place: the owner's death is seen within this even when no query is under way.
 */
const FOLLOW_CHECK_MS = 250;
/** How long a probe of an owner's socket waits for it to accept. */
const SOCKET_PROBE_MS = 1_000;
/** How long a stale lock's link may stay before it counts as abandoned by a process that died while making it. */
const ABANDONED_LINK_MS = 10_000;
/** How long a lost connection waits for its owner's process to be seen gone (an exit takes milliseconds). */
const EXIT_GRACE_MS = 500;

export interface DataDirLock {
  pid: number;
  startedAt: string;
  /** The folder holding the owner's socket, once it serves. */
  socketDir?: string;
}

/** The engine's schema and the Grove domain's (undefined: the default for the engine's; null: none). */
export interface StoreSchemas {
  schema: string;
  domainSchema?: string | null | undefined;
}

export interface OpenDataDirOptions {
  schema?: string;
  domainSchema?: string | null;
  /**
   * Long-running commands follow the lock: when the owner they reach goes away, they connect
   * to the next owner or become it. Short commands do not: their query fails with a one-line
   * error and they are run again.
   */
  follow?: boolean;
  /** Told once per change of owner a following client makes. */
  log?: (line: string) => void;
}

export interface OpenedDataDir {
  sql: Sql;
  /** `owner` opened the files; `client` reaches the owner's socket (as first opened). */
  role: 'owner' | 'client';
  /** The Unix socket other processes reach the store through (as first opened). */
  socket: string;
}

/** A query failed because the owner of the embedded store it reached went away. */
export class StoreOwnerGoneError extends Error {
  override readonly name = 'StoreOwnerGoneError';
  constructor(
    readonly ownerPid: number,
    following: boolean,
    options?: { cause?: unknown },
  ) {
    super(`the embedded store's owner (pid ${ownerPid}) went away; ${following ? 'reaching its next owner' : 'run the command again'}`, options);
  }
}

function readLock(path: string): DataDirLock | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as DataDirLock;
    return typeof parsed.pid === 'number' && typeof parsed.startedAt === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

const sameLock = (a: DataDirLock, b: DataDirLock) => a.pid === b.pid && a.startedAt === b.startedAt;

/** Locks this process holds, as `pid start-instant`. */
const heldHere = new Set<string>();
const lockKey = (lock: DataDirLock) => `${lock.pid} ${lock.startedAt}`;

/**
 * Whether the lock's owner is gone. A lock naming this process that it does not hold was left
 * by an earlier process with the same pid: after a container restarts, its first process
 * often has the pid the killed one had.
 */
function ownerGone(lock: DataDirLock): boolean {
  if (lock.pid === process.pid) return !heldHere.has(lockKey(lock));
  return !processAlive(lock.pid);
}

/**
 * Whether a process runs. A killed process stays a zombie until its parent reaps it, and
 * signal 0 still reaches a zombie; on Linux its state in /proc tells it has exited (its files,
 * sockets and PGlite are gone already).
 */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (command) state …": the command may hold spaces and parentheses, so read after the last ')'.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // No /proc (not Linux): signal 0 is all there is.
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** The owner rewrites its own lock (adding its socket); no other process writes a live owner's lock. */
function rewriteOwnLock(path: string, lock: DataDirLock): void {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, JSON.stringify(lock), { mode: 0o600 });
  renameSync(temporary, path);
}

/**
 * Creates the lock with its content in one step (a hard link fails when the name exists), so
 * no process ever reads a half-written lock. Undefined when another process holds it.
 */
function tryCreateLock(path: string): DataDirLock | undefined {
  const lock: DataDirLock = { pid: process.pid, startedAt: new Date().toISOString() };
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.new`;
  writeFileSync(temporary, JSON.stringify(lock), { mode: 0o600 });
  try {
    linkSync(temporary, path);
    heldHere.add(lockKey(lock));
    return lock;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return undefined;
    throw error;
  } finally {
    unlinkSync(temporary);
  }
}

/**
 * Removes a lock whose process is gone, when it is still the lock that was read. Several
 * processes see the same dead owner at once (its socket closes for all of them): each links
 * the lock to a name made of the dead owner's identity, and only the one whose link succeeds
 * may remove it. The race it closes: a process that read the stale lock before another one
 * replaced it must not remove the replacement, so the winner checks, through its link, that
 * the file it is about to remove is still the stale one. A slow process that links after the
 * winner cleaned up links the new lock instead, sees a live owner's identity, and leaves it.
 */
function removeStaleLock(path: string, stale: DataDirLock): void {
  const aside = `${path}.stale.${stale.pid}.${Date.parse(stale.startedAt)}`;
  try {
    linkSync(path, aside);
  } catch (error) {
    // ENOENT: gone already. EEXIST: another process is removing it, unless that process died
    // between its link and its cleanup: its link is then left, unchanged for long.
    if (errorCode(error) === 'EEXIST') removeAbandonedLink(aside);
    return;
  }
  try {
    const linked = readLock(aside);
    if (!linked || !sameLock(linked, stale)) return;
    unlinkSync(path);
    removeTemporarySocketDir(stale.socketDir);
  } finally {
    rmSync(aside, { force: true });
  }
}

/**
 * Removes a stale lock's link whose maker died before cleaning it up. A link or unlink sets the
 * file's change time, and the removal it guards takes microseconds, so one unchanged for
 * ABANDONED_LINK_MS was abandoned; the next attempt to remove the stale lock then proceeds.
 */
function removeAbandonedLink(aside: string): void {
  try {
    if (Date.now() - lstatSync(aside).ctimeMs > ABANDONED_LINK_MS) rmSync(aside, { force: true });
  } catch {
    // Gone already.
  }
}

/** A socket folder made in the temporary folder is removed with its lock (only such a folder). */
function removeTemporarySocketDir(socketDir: string | undefined): void {
  if (socketDir && dirname(socketDir) === tmpdir() && basename(socketDir).startsWith(TEMPORARY_SOCKET_PREFIX)) {
    rmSync(socketDir, { recursive: true, force: true });
  }
}

/**
 * The folder for the owner's socket, readable by the owner's user only: `socket/` in the data
 * folder, or a new 0700 folder in the temporary folder when that path is too long for a socket.
 */
function prepareSocketDir(dir: string): string {
  const inFolder = join(dir, SOCKET_DIR);
  if (Buffer.byteLength(join(inFolder, SOCKET_NAME)) <= MAX_SOCKET_PATH_BYTES) {
    mkdirSync(inFolder, { recursive: true, mode: 0o700 });
    if (!lstatSync(inFolder).isDirectory()) throw new Error(`${inFolder} must be a folder (it holds the store's socket)`);
    chmodSync(inFolder, 0o700);
    return inFolder;
  }
  const temporary = mkdtempSync(join(tmpdir(), TEMPORARY_SOCKET_PREFIX));
  if (Buffer.byteLength(join(temporary, SOCKET_NAME)) > MAX_SOCKET_PATH_BYTES) {
    rmSync(temporary, { recursive: true, force: true });
    throw new Error(`no folder for the embedded store's socket: both ${inFolder} and ${temporary} are too long for a Unix socket path`);
  }
  return temporary;
}

interface SocketService {
  socket: string;
  /** Stops listening, drops connected clients and removes the socket. */
  close(): void;
}

async function serveSession(session: PgliteSession, socketDir: string): Promise<SocketService> {
  const { PGLiteSocketHandler: SocketHandler } = await loadPgliteSocket();
  const socket = join(socketDir, SOCKET_NAME);
  // A socket left by a killed owner; this process holds the lock, so the name is its own.
  rmSync(socket, { force: true });
  const queue = new GatedSocketQueue(session.db, session.gate, session.socketNotified);
  const sockets = new Set<Socket>();
  const server = createServer((connection: Socket) => {
    sockets.add(connection);
    connection.once('close', () => sockets.delete(connection));
    const handler = new SocketHandler({
      // The handler only calls enqueue, clearQueueForHandler and clearTransactionIfNeeded.
      queryQueue: queue as unknown as ConstructorParameters<typeof PGLiteSocketHandler>[0]['queryQueue'],
      closeOnDetach: true,
    });
    handler.addEventListener('error', () => undefined);
    handler.attach(connection).catch(() => connection.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
  // The folder is 0700 already; the socket's own mode holds if the folder's is ever widened.
  chmodSync(socket, 0o600);
  return {
    socket,
    close: () => {
      server.close();
      for (const connection of sockets) connection.destroy();
      rmSync(socket, { force: true });
    },
  };
}

/** Whether something accepts connections on a Unix socket: its owner lives, somewhere. */
function socketAnswers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(socket);
    const answer = (answered: boolean) => {
      clearTimeout(timer);
      probe.destroy();
      resolve(answered);
    };
    // A listener too busy to accept at once is still there.
    const timer = setTimeout(() => answer(true), SOCKET_PROBE_MS);
    probe.once('connect', () => answer(true));
    probe.once('error', () => answer(false));
  });
}

/** One way of reaching the store: this process's own PGlite, or an owner's socket. */
interface Attachment {
  sql: Sql;
  role: 'owner' | 'client';
  /** The owner's lock (this process's own when it owns the store). */
  lock: DataDirLock;
  socket: string;
}

async function becomeOwner(dir: string, lockPath: string, lock: DataDirLock, schemas: StoreSchemas): Promise<Attachment> {
  let session: PgliteSession | undefined;
  let service: SocketService | undefined;
  let socketDir: string | undefined;
  try {
    session = await openPgliteSession(join(dir, PGDATA));
    socketDir = prepareSocketDir(dir);
    service = await serveSession(session, socketDir);
  } catch (error) {
    await session?.db.close().catch(() => undefined);
    removeTemporarySocketDir(socketDir);
    unlinkSync(lockPath);
    heldHere.delete(lockKey(lock));
    throw error;
  }
  const owned: DataDirLock = { ...lock, socketDir };
  rewriteOwnLock(lockPath, owned);

  const opened = session;
  const socketService = service;
  const ownSocketDir = socketDir;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    socketService.close();
    await opened.db.close();
    removeTemporarySocketDir(ownSocketDir);
    const current = readLock(lockPath);
    if (current && sameLock(current, owned)) unlinkSync(lockPath);
    heldHere.delete(lockKey(owned));
  };
  return { sql: createPgliteSql(opened, schemas.schema, close, schemas.domainSchema), role: 'owner', lock: owned, socket: socketService.socket };
}

async function connectAsClient(lock: DataDirLock & { socketDir: string }, schemas: StoreSchemas): Promise<Attachment | undefined> {
  const host = encodeURIComponent(lock.socketDir);
  const sql = createPostgresSql({
    // The host parameter is the socket's folder; sslmode keeps a PGSSLMODE setting from applying.
    connectionString: `postgresql://postgres@localhost:${SOCKET_PORT}/postgres?host=${host}&sslmode=disable`,
    ...schemas,
    maxConnections: 2,
    sharedSession: true,
  });
  try {
    await sql.query({ name: 'ping', text: 'select 1' });
    return { sql, role: 'client', lock, socket: join(lock.socketDir, SOCKET_NAME) };
  } catch {
    await sql.close().catch(() => undefined);
    return undefined;
  }
}

/** Becomes the owner when no live process holds the store, otherwise reaches the one that does. */
async function attach(dir: string, lockPath: string, schemas: StoreSchemas): Promise<Attachment> {
  const deadline = Date.now() + OWNER_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const created = tryCreateLock(lockPath);
    if (created) return becomeOwner(dir, lockPath, created, schemas);
    const lock = readLock(lockPath);
    // The socket first: an owner that answers is alive, whatever its pid says here (another
    // PID namespace sharing the folder, say).
    if (lock?.socketDir !== undefined) {
      const client = await connectAsClient({ ...lock, socketDir: lock.socketDir }, schemas);
      if (client) return client;
    }
    if (lock && ownerGone(lock)) {
      removeStaleLock(lockPath, lock);
      continue;
    }
    if (lock && lock.socketDir === undefined && 'port' in lock) {
      throw new Error(`the store in ${dir} is held by an older grove-jobs (pid ${lock.pid}) serving it on a TCP port: stop that process, then run this again`);
    }
    await delay(POLL_MS);
  }
  throw new Error(`the store in ${dir} is held by process ${readLock(lockPath)?.pid ?? '?'}, which does not answer on its socket (${lockPath}); if no grove-jobs process uses the folder, remove that file`);
}

/**
 * Opens the embedded store in `dir`: as its owner when no live process holds it, otherwise
 * as a client of the process that does.
 */
export async function openDataDir(dir: string, options: OpenDataDirOptions = {}): Promise<OpenedDataDir> {
  const schemas: StoreSchemas = { schema: options.schema ?? DEFAULT_SCHEMA, domainSchema: options.domainSchema };
  mkdirSync(dir, { recursive: true });
  const lockPath = join(dir, LOCK_FILE);
  const first = await attach(dir, lockPath, schemas);
  const sql = first.role === 'owner' ? first.sql : clientSql(first, { dir, lockPath, schemas, follow: options.follow ?? false, log: options.log });
  return { sql, role: first.role, socket: first.socket };
}

/**
 * A client's `Sql`. A query that fails while its owner is gone (its process dead, or its lock
 * removed or replaced) fails with StoreOwnerGoneError. A following client then attaches again
 * (the lock decides which one of the clients becomes the owner), as it also does when its
 * periodic check sees the owner gone; queries made meanwhile wait for the new attachment.
 * Queries under way when the owner died are not repeated: their callers retry.
 */
function clientSql(
  first: Attachment,
  context: { dir: string; lockPath: string; schemas: StoreSchemas; follow: boolean; log: ((line: string) => void) | undefined },
): Sql {
  const { dir, lockPath, schemas, follow } = context;
  let current = first;
  let switching: Promise<void> | undefined;
  let closed = false;
  const listeners = new Set<{ channel: string; callback: Parameters<Sql['listen']>[1]; unlisten: Promise<() => Promise<void>> }>();

  /**
   * Its lock was removed or replaced, or its process is gone and nothing answers on its socket
   * (an owner in another PID namespace looks gone from here, but answers).
   */
  const left = async (attachment: Attachment) => {
    const lock = readLock(lockPath);
    if (!lock || !sameLock(lock, attachment.lock)) return true;
    return ownerGone(lock) && !(await socketAnswers(attachment.socket));
  };

  const reattach = (): Promise<void> =>
    (switching ??= (async () => {
      const previous = current;
      const since = Date.now();
      // Not awaited: its pool ends once the queries under way have failed.
      void previous.sql.close().catch(() => undefined);
      const next = await attach(dir, lockPath, schemas);
      if (closed) {
        await next.sql.close();
        return;
      }
      current = next;
      for (const entry of listeners) {
        const old = entry.unlisten;
        void old.then((unlisten) => unlisten()).catch(() => undefined);
        entry.unlisten = next.sql.listen(entry.channel, entry.callback);
        entry.unlisten.catch(() => undefined);
        // As after a lost LISTEN connection: NOTIFYs sent meanwhile are lost, so it reads again.
        try {
          entry.callback(undefined);
        } catch {
          // A listener's own failure is not the store's.
        }
      }
      const now = next.role === 'owner' ? 'this process owns it now' : `reaching its new owner (pid ${next.lock.pid})`;
      context.log?.(`the embedded store's owner (pid ${previous.lock.pid}) went away; ${now} (after ${Date.now() - since} ms)`);
    })().finally(() => {
      switching = undefined;
    }));

  let checking = false;
  const check = async () => {
    if (checking || switching || closed || current.role !== 'client') return;
    checking = true;
    try {
      if ((await left(current)) && !closed) await reattach();
    } finally {
      checking = false;
    }
  };
  const monitor = follow ? setInterval(() => void check().catch(() => undefined), FOLLOW_CHECK_MS) : undefined;
  monitor?.unref();

  /**
   * Whether a failure means the owner left. A lost connection reaches the client while the
   * owner's process is still exiting (its sockets close before it ends): such a failure (one
   * without a PostgreSQL severity) is looked at again for a short while.
   */
  const leftWhenFailed = async (attachment: Attachment, error: unknown) => {
    if (await left(attachment)) return true;
    if (typeof (error as { severity?: unknown } | undefined)?.severity === 'string') return false;
    for (let waited = 0; waited < EXIT_GRACE_MS; waited += POLL_MS / 2) {
      await delay(POLL_MS / 2);
      if (await left(attachment)) return true;
    }
    return false;
  };

  const use = async <T>(work: (sql: Sql) => Promise<T>): Promise<T> => {
    if (switching) await switching;
    const attachment = current;
    try {
      return await work(attachment.sql);
    } catch (error) {
      if (attachment.role === 'owner' || !(await leftWhenFailed(attachment, error))) throw error;
      if (follow && !closed && attachment === current) reattach().catch(() => undefined);
      throw new StoreOwnerGoneError(attachment.lock.pid, follow, { cause: error });
    }
  };

  const sql: Sql = {
    schema: first.sql.schema,
    domainSchema: first.sql.domainSchema,
    get driver() {
      return current.sql.driver;
    },
    query: (query) => use((inner) => inner.query(query)),
    exec: (text) => use((inner) => inner.exec(text)),
    transaction: (work) => use((inner) => inner.transaction(work)),
    listen: async (channel, callback) => {
      const entry = { channel, callback, unlisten: current.sql.listen(channel, callback) };
      await entry.unlisten;
      listeners.add(entry);
      return async () => {
        listeners.delete(entry);
        await (await entry.unlisten)();
      };
    },
    // As first opened: a client hears no other process, and callers keep their fallbacks.
    hearsOtherProcesses: first.sql.hearsOtherProcesses,
    listenerPid: () => current.sql.listenerPid(),
    close: async () => {
      closed = true;
      if (monitor) clearInterval(monitor);
      await switching?.catch(() => undefined);
      await current.sql.close();
    },
  };
  return sql;
}
