import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SEALED_PREFIX } from '../domain/config/index.js';

/** AES-256-GCM: a 32-byte key, a fresh 12-byte nonce per value, a 16-byte tag. */
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The key file in the data folder, and the one a rotation writes before it switches (see rotate). */
export const KEY_FILE = 'secret-key';
export const NEXT_KEY_FILE = 'secret-key.next';

/** A secret that cannot be opened: no key, a key that is not the one it was sealed with, or altered data. */
export class SecretKeyError extends Error {
  override readonly name = 'SecretKeyError';
}

/** Where the key comes from: the environment, or a key file in the data folder. */
export interface SecretKeyEnv {
  GROVE_JOBS_SECRET_KEY?: string;
  GROVE_JOBS_DATA_DIR?: string;
}

/** `base64 of 32 bytes` → the key; anything else is refused with the expected format. */
export function parseSecretKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const key = Buffer.from(trimmed, /[-_]/.test(trimmed) ? 'base64url' : 'base64');
  if (key.length !== KEY_BYTES || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    throw new SecretKeyError(`${source} must be the base64 of ${KEY_BYTES} random bytes (e.g. the output of: openssl rand -base64 32)`);
  }
  return key;
}

/** A short public name for a key, carried by each sealed value so a wrong key is named, never tried. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update('grove-jobs secret key id\0').update(key).digest('hex').slice(0, 8);
}

export function newSecretKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/** Reads a key file, refusing one others may read. */
function readKeyFile(file: string): Buffer {
  const fd = openSync(file, constants.O_RDONLY);
  try {
    const mode = fstatSync(fd).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new SecretKeyError(`the secret key file ${file} may be read by other users (mode ${mode.toString(8)}): chmod 600 ${file}`);
    }
    return parseSecretKey(readFileSync(fd, 'utf8'), `the secret key file ${file}`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a new key file with mode 0600, exclusively: when two processes create it at once,
 * one writes and the other reads what the first wrote. Returns the key the file holds.
 */
function createKeyFile(file: string): Buffer {
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return waitForKeyFile(file);
    throw error;
  }
  try {
    writeSync(fd, `${newSecretKey()}\n`);
  } finally {
    closeSync(fd);
  }
  return readKeyFile(file);
}

/** Another process created the file a moment ago and may still be writing its one line. */
function waitForKeyFile(file: string): Buffer {
  for (let attempt = 0; ; attempt++) {
    try {
      return readKeyFile(file);
    } catch (error) {
      if (attempt >= 50 || !(error instanceof SecretKeyError) || /may be read/.test(error.message)) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}

/** The data folder a key file lives in: GROVE_JOBS_DATA_DIR, default ./.grove-jobs (also with DATABASE_URL). */
export function keyDir(env: SecretKeyEnv): string {
  return resolve(env.GROVE_JOBS_DATA_DIR || '.grove-jobs');
}

/**
 * Seals and opens secret values with AES-256-GCM. A sealed value is
 * `grove-sealed:v1:<key id>:<base64 nonce>:<base64 ciphertext+tag>`.
 *
 * The key is read on first use, not when the store opens (a process that never touches a
 * secret creates no key file): from GROVE_JOBS_SECRET_KEY when set, else from
 * `<data folder>/secret-key`, created (mode 0600) when missing. A value sealed under a key
 * this box does not hold makes it read the key files again once (a rotation by another
 * process), then fails with SecretKeyError naming both keys: never garbage.
 */
export class SecretBox {
  readonly #load: () => Buffer[];
  #keys: Buffer[] | undefined;

  private constructor(load: () => Buffer[]) {
    this.#load = load;
  }

  /** A box over fixed keys: the first seals, every one opens. */
  static withKeys(...keys: Buffer[]): SecretBox {
    if (keys.length === 0) throw new Error('a secret box needs a key');
    return new SecretBox(() => keys);
  }

  /** The box the environment describes (see the class comment). */
  static fromEnv(env: SecretKeyEnv): SecretBox {
    const fromEnv = env.GROVE_JOBS_SECRET_KEY;
    if (fromEnv) {
      const key = parseSecretKey(fromEnv, 'GROVE_JOBS_SECRET_KEY');
      return new SecretBox(() => [key]);
    }
    const dir = keyDir(env);
    return new SecretBox(() => {
      const file = join(dir, KEY_FILE);
      const next = join(dir, NEXT_KEY_FILE);
      let keys: Buffer[];
      if (existsSync(file)) keys = [readKeyFile(file)];
      else {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        keys = [createKeyFile(file)];
      }
      // A rotation in progress (or cut short): values may be sealed under either key.
      if (existsSync(next)) keys.push(readKeyFile(next));
      return keys;
    });
  }

  #current(): Buffer[] {
    return (this.#keys ??= this.#load());
  }

  /** The id of the key new values are sealed with. */
  get keyId(): string {
    return keyId(this.#current()[0] as Buffer);
  }

  seal(plain: string): string {
    const key = this.#current()[0] as Buffer;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${SEALED_PREFIX}${keyId(key)}:${iv.toString('base64')}:${data.toString('base64')}`;
  }

  open(sealed: string): string {
    const [id, iv, data] = sealed.slice(SEALED_PREFIX.length).split(':');
    if (!sealed.startsWith(SEALED_PREFIX) || !id || !iv || !data) throw new SecretKeyError('a stored secret is not a sealed value');
    let key = this.#current().find((k) => keyId(k) === id);
    if (!key) {
      // Rotated by another process since this one read its keys.
      this.#keys = undefined;
      key = this.#current().find((k) => keyId(k) === id);
    }
    if (!key) {
      throw new SecretKeyError(
        `a stored secret was encrypted with key ${id}, but the configured key is ${this.keyId}: set GROVE_JOBS_SECRET_KEY (or the data folder's ${KEY_FILE}) to the key in use`,
      );
    }
    return openWith(key, iv, data, id);
  }
}

function openWith(key: Buffer, ivText: string, dataText: string, id: string): string {
  const iv = Buffer.from(ivText, 'base64');
  const data = Buffer.from(dataText, 'base64');
  if (iv.length !== IV_BYTES || data.length < TAG_BYTES) throw new SecretKeyError(`a stored secret (key ${id}) is damaged`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretKeyError(`a stored secret (key ${id}) does not decrypt: it was altered, or the key file was replaced by another key with the same id`);
  }
}

/** Writes `<dir>/secret-key.next` (mode 0600) for a rotation, unless a cut-short rotation left one: then that one is reused. */
export function prepareNextKeyFile(dir: string, key?: string): Buffer {
  const next = join(dir, NEXT_KEY_FILE);
  if (existsSync(next)) {
    const existing = readKeyFile(next);
    if (key !== undefined && !parseSecretKey(key, 'the new key').equals(existing)) {
      throw new SecretKeyError(`${next} holds another key from a rotation cut short: run the rotation again without a new key to finish it`);
    }
    return existing;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const fd = openSync(next, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    writeSync(fd, `${key === undefined ? newSecretKey() : parseSecretKey(key, 'the new key').toString('base64')}\n`);
  } finally {
    closeSync(fd);
  }
  return readKeyFile(next);
}

/** Makes the next key the key (an atomic rename): the last step of a rotation. */
export function promoteNextKeyFile(dir: string): void {
  renameSync(join(dir, NEXT_KEY_FILE), join(dir, KEY_FILE));
}

/** The key a box over the data folder would use now (for a rotation's old key), created if missing. */
export function currentKeyFile(dir: string): Buffer | undefined {
  const file = join(dir, KEY_FILE);
  return existsSync(file) ? readKeyFile(file) : undefined;
}
