import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { MAX_CONFIG_DEPTH } from '../domain/config/validate.js';
import { ApiError, type ApiEnv } from './http.js';

/**
 * What every request passes before any handler (or the database) sees it. PostgreSQL text
 * and jsonb cannot hold NUL; nesting beyond a config's depth only serves to overflow a
 * recursive walker; a number outside ±(2^53 − 1) has already lost digits in JSON.parse (and
 * 1e999 became Infinity). Each is refused with 400 naming the field.
 */

/** The deepest nesting a JSON body may have: the same bound as a job config's. */
export const MAX_BODY_DEPTH = MAX_CONFIG_DEPTH;
/** Longest field path named in a refusal; the rest is cut (a path may run 65 keys deep). */
const MAX_FIELD_CHARS = 300;

const NUL = '\u0000';
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/**
 * The request headers the API reads. Node's HTTP parser refuses a NUL in any header already;
 * these are checked by name, which keeps the server's lazy headers unbuilt.
 */
const READ_HEADERS = ['if-match', 'idempotency-key', 'content-type', 'authorization', 'last-event-id', 'accept-encoding'];
/** The media types Hono's JSON validator parses (application/json, application/*+json). */
const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/;

type Key = string | number;

/** `['payload', 'items', 2, 'id']` → `payload.items[2].id`, NUL shown as \0, cut at MAX_FIELD_CHARS. */
export function fieldText(path: readonly Key[]): string {
  let text = '';
  for (const key of path) {
    text += typeof key === 'number' ? `[${key}]` : text === '' ? key : `.${key}`;
    if (text.length > MAX_FIELD_CHARS) return `${text.slice(0, MAX_FIELD_CHARS).replaceAll(NUL, '\\0')}…`;
  }
  return text.replaceAll(NUL, '\\0') || 'body';
}

function refuse(path: readonly Key[] | string, message: string): never {
  const field = typeof path === 'string' ? path : fieldText(path);
  throw new ApiError(400, 'INVALID_REQUEST', `${field}: ${message}`, field);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SAFE_LIMIT = Number.MAX_SAFE_INTEGER;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

/**
 * The path to the first object or array nested deeper than `max` levels in JSON text, found
 * by one pass over the characters that stops there: no parse, no recursion, so 10 MiB of `[`
 * costs microseconds. Text that is not JSON gives some path or none; the parse refuses it later.
 */
export function jsonPathBeyondDepth(text: string, max: number): Key[] | undefined {
  // keys[i]: the key or index of the current member of the container at depth i + 1.
  const keys: Key[] = [];
  const isArray: boolean[] = [];
  let expectingKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === QUOTE) {
      // The closing quote: the next one not escaped (preceded by an even number of backslashes).
      let end = text.indexOf('"', i + 1);
      for (;;) {
        if (end < 0) {
          end = text.length;
          break;
        }
        let backslashes = 0;
        while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
        if (backslashes % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      if (expectingKey) {
        const raw = text.slice(i, end + 1);
        let key: string;
        try {
          key = JSON.parse(raw) as string;
        } catch {
          key = raw.slice(1, -1);
        }
        keys[keys.length - 1] = key;
        expectingKey = false;
      }
      i = end;
    } else if (ch === OPEN_OBJECT || ch === OPEN_ARRAY) {
      if (keys.length >= max) return keys.slice();
      keys.push(0);
      isArray.push(ch === OPEN_ARRAY);
      expectingKey = ch === OPEN_OBJECT;
    } else if (ch === CLOSE_OBJECT || ch === CLOSE_ARRAY) {
      keys.pop();
      isArray.pop();
      expectingKey = false;
    } else if (ch === COMMA && keys.length > 0) {
      const top = keys.length - 1;
      if (isArray[top]) keys[top] = (keys[top] as number) + 1;
      else expectingKey = true;
    }
  }
  return undefined;
}

/** Why a parsed JSON value is refused and where: a NUL in a key or string, or an unsafe number. */
export function jsonViolation(value: unknown): { path: Key[]; message: string } | undefined {
  /** A container to look into, with the way back to the root for naming a path. */
  interface Frame {
    value: object;
    parent: Frame | undefined;
    key: Key;
  }
  const pathOf = (frame: Frame | undefined, key: Key | undefined): Key[] => {
    const path: Key[] = key === undefined ? [] : [key];
    for (let at = frame; at?.parent; at = at.parent) path.push(at.key);
    return path.reverse();
  };
  const nul = { message: 'must not contain the NUL character' };
  const unsafe = { message: `must be a number from ${-SAFE_LIMIT} to ${SAFE_LIMIT}` };
  /** What is wrong with a leaf, if anything. */
  const leaf = (item: unknown) =>
    typeof item === 'string' ? (item.includes(NUL) ? nul : undefined) : typeof item === 'number' && !(Math.abs(item) <= SAFE_LIMIT) ? unsafe : undefined;

  if (typeof value !== 'object' || value === null) {
    const wrong = leaf(value);
    return wrong && { path: [], message: wrong.message };
  }
  const stack: Frame[] = [{ value, parent: undefined, key: '' }];
  // Depth first; leaves are checked as their container is, containers pushed last to first.
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    const container = frame.value;
    const pending: Frame[] = [];
    if (Array.isArray(container)) {
      for (let i = 0; i < container.length; i++) {
        const item: unknown = container[i];
        if (typeof item === 'object' && item !== null) pending.push({ value: item, parent: frame, key: i });
        else {
          const wrong = leaf(item);
          if (wrong) return { path: pathOf(frame, i), message: wrong.message };
        }
      }
    } else {
      for (const key in container) {
        if (key.includes(NUL)) return { path: pathOf(frame, key), message: 'must not have a key with the NUL character' };
        const item: unknown = (container as Record<string, unknown>)[key];
        if (typeof item === 'object' && item !== null) pending.push({ value: item, parent: frame, key });
        else {
          const wrong = leaf(item);
          if (wrong) return { path: pathOf(frame, key), message: wrong.message };
        }
      }
    }
    for (let i = pending.length - 1; i >= 0; i--) stack.push(pending[i] as Frame);
  }
  return undefined;
}

/** The name of the path parameter at segment `index` of the route that matched, if any. */
function pathParameterName(c: Context, index: number): string | undefined {
  for (const route of matchedRoutes(c).reverse()) {
    const segment = route.path.split('/')[index];
    if (segment?.startsWith(':')) return segment.slice(1).replace(/\{.*$/, '');
  }
  return undefined;
}

/** Whether a path segment or query part holds a NUL, encoded or not (also beside a malformed escape). */
function holdsNul(raw: string): boolean {
  if (raw.includes('%00') || raw.includes(NUL)) return true;
  return decoded(raw).includes(NUL);
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text;
  }
}

/** Refuses a NUL in the path (naming its parameter), in a query key or value, or in a header the API reads. */
function checkUrlAndHeaders(c: Context): void {
  const url = c.req.url;
  if (url.includes('%00') || url.includes(NUL)) {
    const queryStart = url.indexOf('?');
    const pathname = new URL(url).pathname;
    const segments = pathname.split('/');
    const at = segments.findIndex(holdsNul);
    if (at >= 0) refuse(pathParameterName(c, at) ?? 'path', 'must not contain the NUL character');
    if (queryStart >= 0) {
      for (const pair of url.slice(queryStart + 1).split('&')) {
        const equals = pair.indexOf('=');
        const name = equals < 0 ? pair : pair.slice(0, equals);
        if (holdsNul(pair)) refuse([decoded(name)], 'must not contain the NUL character');
      }
    }
  }
  for (const name of READ_HEADERS) {
    if (c.req.header(name)?.includes(NUL)) refuse(name, 'must not contain the NUL character');
  }
}

/** A JSON body's text is checked for depth before it is parsed, and its values after. */
async function checkJsonBody(c: Context): Promise<void> {
  const contentType = c.req.header('content-type');
  if (contentType === undefined || !JSON_MEDIA_TYPE.test(contentType.split(';')[0]?.trim().toLowerCase() ?? '')) return;
  const text = await c.req.text();
  const tooDeep = jsonPathBeyondDepth(text, MAX_BODY_DEPTH);
  if (tooDeep) refuse(tooDeep, `nests deeper than ${MAX_BODY_DEPTH} levels of objects and arrays`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Not JSON: the route's validator answers that (400), or the route reads no body.
    return;
  }
  const violation = jsonViolation(value);
  if (violation) refuse(violation.path, violation.message);
  // The route's validator asks for the parsed body: hand it this one rather than parse the
  // text again (Hono would re-parse a cached text: 25-50 ms more on a 10 MiB body).
  c.req.bodyCache.json = Promise.resolve(value);
}

/**
 * The input guard: after auth and the body limit (so an oversized body stays 413), before
 * every route. The body is read and parsed once here; Hono keeps both for the route's validator.
 */
export function inputGuard(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    checkUrlAndHeaders(c);
    if (BODY_METHODS.has(c.req.method)) await checkJsonBody(c);
    await next();
  };
}
