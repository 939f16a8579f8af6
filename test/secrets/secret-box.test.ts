import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SEALED_PREFIX } from '../../src/domain/config/index.js';
import { keyId, prepareNextKeyFile, promoteNextKeyFile, SecretBox, SecretKeyError } from '../../src/store/secret-box.js';

const dirs: string[] = [];
function aDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'grove-box-'));
  dirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('SecretBox', () => {
  it('seals each value with a fresh nonce under the key id and opens it again', () => {
    const key = randomBytes(32);
    const box = SecretBox.withKeys(key);
    const value = 'sk-"quoted"\\-é-secret';
    const [first, second] = [box.seal(value), box.seal(value)];
    expect(first.startsWith(`${SEALED_PREFIX}${keyId(key)}:`)).toBe(true);
    expect(first).not.toBe(second);
    expect(first).not.toContain('quoted');
    expect(box.open(first)).toBe(value);
  });

  it('refuses a value sealed with another key, naming both key ids, and an altered value', () => {
    const sealed = SecretBox.withKeys(randomBytes(32)).seal('a secret value');
    const other = SecretBox.withKeys(randomBytes(32));
    expect(() => other.open(sealed)).toThrow(SecretKeyError);
    expect(() => other.open(sealed)).toThrow(/encrypted with key [0-9a-f]{8}, but the configured key is [0-9a-f]{8}/);
    const key = randomBytes(32);
    const box = SecretBox.withKeys(key);
    const good = box.seal('a secret value');
    const altered = `${good.slice(0, -6)}${good.slice(-6) === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA'}`;
    expect(() => box.open(altered)).toThrow(/does not decrypt|damaged/);
  });

  it('creates the key file in the data folder on first use only, with mode 0600, and refuses one others may read', () => {
    const dir = aDir();
    const box = SecretBox.fromEnv({ GROVE_JOBS_DATA_DIR: dir });
    expect(() => statSync(join(dir, 'secret-key'))).toThrow();
    const sealed = box.seal('value-1234');
    expect(statSync(join(dir, 'secret-key')).mode & 0o777).toBe(0o600);
    // Another process over the same folder reads the same key.
    expect(SecretBox.fromEnv({ GROVE_JOBS_DATA_DIR: dir }).open(sealed)).toBe('value-1234');
    chmodSync(join(dir, 'secret-key'), 0o644);
    expect(() => SecretBox.fromEnv({ GROVE_JOBS_DATA_DIR: dir }).open(sealed)).toThrow(/may be read by other users/);
  });

  it('takes GROVE_JOBS_SECRET_KEY as the base64 of 32 bytes and refuses anything else with the format', () => {
    const key = randomBytes(32).toString('base64');
    expect(SecretBox.fromEnv({ GROVE_JOBS_SECRET_KEY: key }).open(SecretBox.fromEnv({ GROVE_JOBS_SECRET_KEY: key }).seal('v-1234'))).toBe('v-1234');
    expect(() => SecretBox.fromEnv({ GROVE_JOBS_SECRET_KEY: 'too-short' })).toThrow(/base64 of 32 random bytes/);
  });

  it('opens values under both keys while a rotation is under way, and reads a rotated key file when it meets the new key', () => {
    const dir = aDir();
    const running = SecretBox.fromEnv({ GROVE_JOBS_DATA_DIR: dir });
    const old = running.seal('old-value');
    const next = prepareNextKeyFile(dir);
    expect(statSync(join(dir, 'secret-key.next')).mode & 0o777).toBe(0o600);
    const fresh = SecretBox.withKeys(next).seal('new-value');
    expect(SecretBox.fromEnv({ GROVE_JOBS_DATA_DIR: dir }).open(old)).toBe('old-value');
    expect(SecretBox.fromEnv({ GROVE_JOBS_DATA_DIR: dir }).open(fresh)).toBe('new-value');
    // Run again after a cut-short rotation: the same next key.
    expect(prepareNextKeyFile(dir).equals(next)).toBe(true);
    promoteNextKeyFile(dir);
    expect(readFileSync(join(dir, 'secret-key'), 'utf8').trim()).toBe(next.toString('base64'));
    // A process that read the old key before the rotation picks up the new one.
    expect(running.open(fresh)).toBe('new-value');
  });

  it('refuses a new key that differs from a cut-short rotation’s', () => {
    const dir = aDir();
    writeFileSync(join(dir, 'secret-key.next'), `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    expect(() => prepareNextKeyFile(dir, randomBytes(32).toString('base64'))).toThrow(/rotation cut short/);
  });
});
