/**
 * Which imported request headers are secret. The name rule is the http-request job type's
 * (`looksSecret` in src/jobs/http-request/parameters.ts, which domain/ may not import): that
 * type refuses a config whose plain `headers` hold such a name, so the two must agree. Values
 * are checked too, because sources often put a credential under an innocent-looking name.
 */

/** Header names whose values are credentials: authorization, cookie, apikey, api-key, x-…-secret, x-…-token, … */
export function isSecretHeaderName(name: string): boolean {
  return /authorization|cookie|api[-_]?key|token|secret|passw(or)?d|session/i.test(name);
}

/** Values at least this long may be generated credentials; shorter ones are ordinary words or ids. */
const RANDOM_VALUE_MIN_LENGTH = 20;

/**
 * Distinct characters a value of RANDOM_VALUE_MIN_LENGTH or more needs to count as random:
 * 32 hex digits use 12 to 16 of them, a base64 key more; words, dates and versions far fewer.
 */
const RANDOM_VALUE_MIN_DISTINCT = 10;

/**
 * Whether a header value looks like a generated credential: 20 or more token characters
 * (letters, digits, `+/=_.~-`), letters and digits mixed, varied, and neither a media type
 * nor a URL. An auth scheme in front (`Bearer …`, `Basic …`) is looked through.
 * @example looksRandom('7f3c9a0e5b2d4c6f8a1e3b5d7c9f0a2b') === true
 * @example looksRandom('application/vnd.github.v3+json') === false
 */
export function looksRandom(value: string): boolean {
  const credential = value.trim().replace(/^(bearer|basic|token|digest)\s+/i, '');
  if (credential.length < RANDOM_VALUE_MIN_LENGTH) return false;
  if (!/^[A-Za-z0-9+/=_.~-]+$/.test(credential)) return false;
  if (!/[0-9]/.test(credential) || !/[A-Za-z]/.test(credential)) return false;
  // A media type (`application/vnd.api+json`) or a path: letters around a slash, few digits.
  if (/^[a-z]+\/[a-z0-9.+-]+$/i.test(credential)) return false;
  return new Set(credential).size >= RANDOM_VALUE_MIN_DISTINCT;
}

/** Whether a header belongs in `secretHeaders`: by its name or by its value. */
export function isSecretHeader(name: string, value: string): boolean {
  return isSecretHeaderName(name) || looksRandom(value);
}

/**
 * Splits headers into plain and secret ones, in the order given. A name given twice (names
 * ignore case) keeps its first spelling and joins the values with ", ", as HTTP allows.
 */
export function sortHeaders(pairs: ReadonlyArray<readonly [string, string]>): {
  headers: Record<string, string>;
  secretHeaders: Record<string, string>;
} {
  const merged = new Map<string, [string, string]>();
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    const seen = merged.get(key);
    merged.set(key, seen ? [seen[0], `${seen[1]}, ${value}`] : [name, value]);
  }
  const headers: Record<string, string> = {};
  const secretHeaders: Record<string, string> = {};
  for (const [name, value] of merged.values()) {
    if (isSecretHeader(name, value)) secretHeaders[name] = value;
    else headers[name] = value;
  }
  return { headers, secretHeaders };
}

/**
 * Whether a header is the `Content-Type: application/json` that the http-request job type
 * sets by itself for a JSON body (handler.ts sets it when the body is not a string and no
 * Content-Type is given), so an imported one adds nothing.
 */
export function isDefaultJsonContentType(name: string, value: string): boolean {
  return name.toLowerCase() === 'content-type' && /^application\/json\s*(;\s*charset=utf-8\s*)?$/i.test(value.trim());
}
