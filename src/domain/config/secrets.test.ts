import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJobType, JobTypeRegistry } from './job-type.js';
import { redactChanges, redactVersions } from './redact.js';
import { mapSecretLeaves, maskSealed, REDACTED, SEALED_PREFIX, SecretMasker, secretPathsOf } from './secrets.js';
import type { JobConfig } from './schema.js';

const typeWith = (name: string, secretParameters: string[]) =>
  defineJobType({ name, description: name, parameters: z.record(z.string(), z.unknown()), secretParameters, execute: async () => undefined });
const registry = new JobTypeRegistry([typeWith('pinger', ['secret', 'secretHeaders']), typeWith('plain', [])]);

describe('SecretMasker', () => {
  it.each([
    ['a value as it is', ['s3cret-value'], 'got s3cret-value back', `got ${REDACTED} back`],
    ['a value JSON-escaped', ['q"uo\\te-secret'], '{"h":"q\\"uo\\\\te-secret"}', `{"h":"${REDACTED}"}`],
    ['a value URL-encoded', ['a b&c=secret'], 'x?k=a%20b%26c%3Dsecret', `x?k=${REDACTED}`],
    ['the token of a bearer credential', ['Bearer tok-abcdefgh'], 'token tok-abcdefgh seen', `token ${REDACTED} seen`],
    ['a short value (4 characters)', ['k7Q!'], 'h=k7Q!;', `h=${REDACTED};`],
    ['the start of a value where the text is cut', ['cut-secret-0123456789'], 'body ... cut-secre', `body ... ${REDACTED}`],
    ['the start of an escaped value where the text is cut', ['ab"cdefghij'], '"x":"ab\\"cd', `"x":"${REDACTED}`],
    ['nothing shorter than 4 characters at a cut', ['cut-secret-0123456789'], 'body ... cut', 'body ... cut'],
    ['nothing of a value under 4 characters', ['abc'], 'abc abc', 'abc abc'],
  ])('masks %s', (_case, secrets, text, shown) => {
    expect(new SecretMasker(secrets).text(text)).toBe(shown);
  });

  it('masks every string of a value, keys included, and shares what it leaves unchanged', () => {
    const masker = new SecretMasker(['s3cret-value']);
    const untouched = { n: 1 };
    const value = { body: 'is s3cret-value', 's3cret-value': true, list: ['s3cret-value'], untouched };
    const shown = masker.value(value);
    expect(shown).toEqual({ body: `is ${REDACTED}`, [REDACTED]: true, list: [REDACTED], untouched });
    expect(shown.untouched).toBe(untouched);
  });
});

describe('redaction by secret paths', () => {
  const config = (jobType: string, parameters: Record<string, unknown>) =>
    ({ meta: { id: 'c', version: 1 }, payload: { jobType, parameters, notifications: { webhookSecret: 'whk-secret-0123456789' } } }) as unknown as JobConfig;

  it('takes the secret paths of every type named, and the webhook secret', () => {
    expect(secretPathsOf(['plain', 'pinger', 'unknown'], registry)).toEqual([
      ['payload', 'parameters', 'secret'],
      ['payload', 'parameters', 'secretHeaders'],
      ['payload', 'notifications', 'webhookSecret'],
    ]);
  });

  it("keeps a secret of an earlier job type out of the history after the config's type changed", () => {
    const before = config('pinger', { secret: 'sig-secret-0123456789', secretHeaders: { 'x-a': 'hdr-secret' } });
    const after = config('plain', { note: 'x' });
    const versions = [
      { version: 2, config: after, changes: [{ path: 'payload.jobType', from: 'pinger', to: 'plain' }, { path: 'payload.parameters', from: before.payload.parameters, to: after.payload.parameters }] },
      { version: 1, config: before, changes: [{ path: 'payload', to: before.payload }] },
    ];
    const shown = JSON.stringify(redactVersions(versions, registry));
    for (const secret of ['sig-secret-0123456789', 'hdr-secret', 'whk-secret-0123456789']) expect(shown).not.toContain(secret);
    expect(shown).toContain('"x-a":"[secret]"');
  });

  it('redacts a change at or below a secret path whole', () => {
    const changes = [{ path: 'payload.parameters.secretHeaders.x-a', from: 'old-secret', to: 'new-secret' }];
    expect(redactChanges(changes, ['pinger'], registry)).toEqual([{ path: 'payload.parameters.secretHeaders.x-a', from: REDACTED, to: REDACTED }]);
  });

  it('shows a sealed value anywhere as REDACTED', () => {
    expect(maskSealed({ a: [`${SEALED_PREFIX}0011aabb:iv:data`], b: 'plain' })).toEqual({ a: [REDACTED], b: 'plain' });
  });

  it('maps only the leaves below the paths, copying only what changed', () => {
    const value = config('pinger', { secret: 'sig-secret-0123456789', secretHeaders: {}, url: 'https://x.test' });
    expect(mapSecretLeaves(value, [['payload', 'parameters', 'secretHeaders']], (leaf) => leaf.toUpperCase())).toBe(value);
    const sealed = mapSecretLeaves(value, secretPathsOf(['pinger'], registry), (leaf) => `sealed(${leaf})`);
    expect(sealed.payload.parameters).toEqual({ secret: 'sealed(sig-secret-0123456789)', secretHeaders: {}, url: 'https://x.test' });
    expect(sealed.payload.notifications.webhookSecret).toBe('sealed(whk-secret-0123456789)');
  });
});
