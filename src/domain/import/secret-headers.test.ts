import { describe, expect, it } from 'vitest';
import { isDefaultJsonContentType, isSecretHeader, looksRandom, sortHeaders } from './secret-headers.js';

describe('isSecretHeader', () => {
  const rows: Array<{ behaviour: string; name: string; value: string; secret: boolean }> = [
    { behaviour: 'authorization is secret', name: 'Authorization', value: 'Bearer x', secret: true },
    { behaviour: 'apikey is secret', name: 'apikey', value: 'anon', secret: true },
    { behaviour: 'api-key is secret', name: 'X-API-Key', value: 'k', secret: true },
    { behaviour: 'x-…-secret is secret', name: 'x-cron-secret', value: 'abc', secret: true },
    { behaviour: 'x-…-token is secret', name: 'x-upload-token', value: 'abc', secret: true },
    { behaviour: 'cookie is secret', name: 'Cookie', value: 'a=1', secret: true },
    { behaviour: 'a random value under any name is secret', name: 'x-signature-v', value: 'Zx81kQ0pLm29vNa7TyB4cR6w', secret: true },
    { behaviour: 'a 64-hex value is secret', name: 'x-key-id', value: '4be0643f1d98573b97cdca98a65347dd5bd2b0a3f1c5e7d9b2a4c6e8f0a1b3c5', secret: true },
    { behaviour: 'a JWT after Bearer is secret', name: 'x-forwarded-auth', value: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJl', secret: true },
    { behaviour: 'a media type is not', name: 'Accept', value: 'application/vnd.github.v3+json', secret: false },
    { behaviour: 'a version date is not', name: 'x-github-api-version', value: '2022-11-28', secret: false },
    { behaviour: 'a long word without digits is not', name: 'x-client', value: 'grove-jobs-scheduler-importer', secret: false },
    { behaviour: 'a sentence is not', name: 'x-note', value: 'runs at 3 am every day in New York', secret: false },
    { behaviour: 'a URL is not', name: 'Referer', value: 'https://example.com/a/b/c/1', secret: false },
    { behaviour: 'a repetitive value is not', name: 'x-pad', value: 'a1a1a1a1a1a1a1a1a1a1a1a1', secret: false },
  ];
  it.each(rows)('$behaviour', ({ name, value, secret }) => {
    expect(isSecretHeader(name, value)).toBe(secret);
  });

  it('looks through an auth scheme only when the rest is long enough', () => {
    expect(looksRandom('Bearer abc123')).toBe(false);
  });
});

describe('sortHeaders', () => {
  it('splits plain and secret headers and joins a name given twice', () => {
    expect(sortHeaders([['Accept', 'text/csv'], ['x-cron-secret', 's1'], ['accept', 'text/plain']])).toEqual({
      headers: { Accept: 'text/csv, text/plain' },
      secretHeaders: { 'x-cron-secret': 's1' },
    });
  });
});

describe('isDefaultJsonContentType', () => {
  const rows: Array<{ name: string; value: string; expected: boolean }> = [
    { name: 'Content-Type', value: 'application/json', expected: true },
    { name: 'content-type', value: 'application/json; charset=utf-8', expected: true },
    { name: 'Content-Type', value: 'application/x-www-form-urlencoded', expected: false },
    { name: 'Accept', value: 'application/json', expected: false },
  ];
  it.each(rows)('$name: $value → $expected', ({ name, value, expected }) => {
    expect(isDefaultJsonContentType(name, value)).toBe(expected);
  });
});
