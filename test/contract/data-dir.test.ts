import { spawn } from 'node:child_process';
import { chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK_FILE, openDataDir } from '../../src/store/data-dir.js';

interface Lock {
  pid: number;
  startedAt: string;
  socketDir?: string;
  port?: number;
}

const readLock = (dir: string) => JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as Lock;
const mode = (path: string) => statSync(path).mode & 0o777;

/** Tries to connect to a Unix socket from a process of another user; resolves with the error code, or 'connected'. */
function connectAs(uid: number, socket: string): Promise<string> {
  const script = `require('node:net').connect(process.argv[1]).on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(0); });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, socket], { uid, gid: uid, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('close', () => resolve(out.trim()));
  });
}

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

describe('an embedded store data folder', () => {
  it("serves the store on a Unix socket only its owner's user can reach, named in the lock", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grove-dd-'));
    const owner = await openDataDir(dir);
    try {
      expect(owner.role).toBe('owner');
      const lock = readLock(dir);
      expect(lock).toMatchObject({ pid: process.pid, socketDir: join(dir, 'socket') });
      // No TCP port: nothing on 127.0.0.1 answers for the store.
      expect(lock.port).toBeUndefined();
      expect(owner.socket).toBe(join(dir, 'socket', '.s.PGSQL.5432'));
      expect(mode(join(dir, 'socket'))).toBe(0o700);
      expect(mode(owner.socket)).toBe(0o600);
      expect(mode(join(dir, LOCK_FILE))).toBe(0o600);

      const client = await openDataDir(dir);
      try {
        expect(client.role).toBe('client');
        expect(await client.sql.query<{ answer: number }>({ name: 'answer', text: 'select 42 as answer' })).toEqual([{ answer: 42 }]);
      } finally {
        await client.sql.close();
      }
    } finally {
      await owner.sql.close();
    }
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    expect(existsSync(owner.socket)).toBe(false);
  }, 60_000);

  it.skipIf(!asRoot)('refuses a process of another user, through the folder and through the socket itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grove-dd-'));
    // Everyone may enter the data folder: only the socket's folder and the socket keep others out.
    chmodSync(dir, 0o755);
    const owner = await openDataDir(dir);
    try {
      expect(await connectAs(NOBODY, owner.socket)).toBe('EACCES');
      // With its folder opened up, the socket's own mode (0600) still refuses.
      chmodSync(dirname(owner.socket), 0o711);
      expect(await connectAs(NOBODY, owner.socket)).toBe('EACCES');
      // The check itself: with the socket opened up too, the other user connects.
      chmodSync(owner.socket, 0o666);
      expect(await connectAs(NOBODY, owner.socket)).toBe('connected');
    } finally {
      await owner.sql.close();
    }
  }, 60_000);

  it('puts the socket in a private temporary folder when the data folder path is too long for one', async () => {
    const base = mkdtempSync(join(tmpdir(), 'grove-dd-'));
    const dir = join(base, 'a-data-folder-whose-path-is-longer-than-a-unix-socket-path-may-be', 'grove-jobs');
    mkdirSync(dir, { recursive: true });
    const owner = await openDataDir(dir);
    const lock = readLock(dir);
    try {
      expect(lock.socketDir).toBeDefined();
      expect(dirname(lock.socketDir!)).toBe(tmpdir());
      expect(mode(lock.socketDir!)).toBe(0o700);
      expect(mode(owner.socket)).toBe(0o600);
      const client = await openDataDir(dir);
      expect(client.role).toBe('client');
      await client.sql.close();
    } finally {
      await owner.sql.close();
    }
    expect(existsSync(lock.socketDir!)).toBe(false);
  }, 60_000);

  it('takes over a lock this pid left in an earlier life (a restarted container), and one of a dead process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grove-dd-'));
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, startedAt: '2020-01-01T00:00:00.000Z', socketDir: join(dir, 'socket') }));
    const first = await openDataDir(dir);
    expect(first.role).toBe('owner');
    expect(readLock(dir).startedAt).not.toBe('2020-01-01T00:00:00.000Z');
    await first.sql.close();

    // A pid no process has (above the kernel's default pid_max of 4,194,304).
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 4_194_305, startedAt: '2020-01-01T00:00:00.000Z', socketDir: join(dir, 'socket') }));
    const second = await openDataDir(dir);
    expect(second.role).toBe('owner');
    expect(readLock(dir).pid).toBe(process.pid);
    await second.sql.close();
  }, 60_000);

  it('reaches an owner that answers on its socket even when its pid looks gone from here (another PID namespace)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grove-dd-'));
    const owner = await openDataDir(dir);
    try {
      // As a process in another container sees it: a pid that is no process here.
      writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ ...readLock(dir), pid: 4_194_305 }));
      const other = await openDataDir(dir);
      expect(other.role).toBe('client');
      await other.sql.close();
    } finally {
      await owner.sql.close();
    }
  }, 60_000);

  it('says at once that an older grove-jobs serving on a TCP port holds the folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grove-dd-'));
    // A live process other than this one.
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.ppid, startedAt: new Date().toISOString(), host: '127.0.0.1', port: 5 }));
    await expect(openDataDir(dir)).rejects.toThrow(`held by an older grove-jobs (pid ${process.ppid}) serving it on a TCP port`);
  });

  it('takes over a stale lock whose remover died between linking it aside and cleaning up, once that link is old', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grove-dd-'));
    const stale = { pid: 4_194_305, startedAt: '2020-01-01T00:00:00.000Z' };
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify(stale));
    linkSync(join(dir, LOCK_FILE), join(dir, `${LOCK_FILE}.stale.${stale.pid}.${Date.parse(stale.startedAt)}`));
    const started = Date.now();
    const opened = await openDataDir(dir);
    try {
      expect(opened.role).toBe('owner');
      // Not before the link counts as abandoned (10 s unchanged).
      expect(Date.now() - started).toBeGreaterThanOrEqual(9_000);
      expect(readdirSync(dir).filter((name) => name.includes('.stale.'))).toEqual([]);
    } finally {
      await opened.sql.close();
    }
  }, 60_000);
});
