import { isDefaultJsonContentType, sortHeaders } from './secret-headers.js';
import type { ImportedAction } from './types.js';

/**
 * A `curl …` command line (already split into words) as an http-request. Read: the URL
 * (anywhere, or `--url`), `-X/--request`, `-H/--header` (repeatable), `-d/--data`,
 * `--data-ascii`, `--data-binary`, `--data-raw` (repeatable, joined with `&` as curl does),
 * `--json`, `-G/--get`, `-u/--user name:password` (as a Basic authorization header),
 * `-A/--user-agent`; short options may be bundled (`-fsSL`, `-XPOST`). Output and progress
 * options (`-s -S -f -L -v --fail --silent --show-error --location --compressed -w`,
 * `-o /dev/null`) change nothing the job does; `-m/--max-time`, `--connect-timeout` and
 * `--retry` are noted, not carried over. Anything else (a file upload or `@file` data, `-k`,
 * `-o somefile`, a second URL, a method the http-request type lacks) means it is not a plain
 * request, and the reason says which.
 */
export type CurlRequest = { kind: 'request'; action: Extract<ImportedAction, { kind: 'http-request' }>; notes: string[] } | { kind: 'not-plain'; reason: string };

/** Options that change only what curl prints or how it follows redirects (fetch follows them too). */
const IGNORED_FLAGS = new Set(['-s', '--silent', '-S', '--show-error', '-f', '--fail', '--fail-with-body', '-L', '--location', '-v', '--verbose', '--compressed', '--no-progress-meter', '-#', '--progress-bar', '-N', '--no-buffer']);
/** Options taking a value that concerns only curl's output. */
const IGNORED_WITH_VALUE = new Set(['-w', '--write-out']);
const TIMEOUT_OPTIONS = new Set(['-m', '--max-time', '--connect-timeout']);
const RETRY_OPTIONS = new Set(['--retry', '--retry-delay', '--retry-max-time']);
const DATA_OPTIONS = new Set(['-d', '--data', '--data-ascii', '--data-binary', '--data-raw', '--json']);
const OTHER_WITH_VALUE = new Set(['-X', '--request', '-H', '--header', '-o', '--output', '-u', '--user', '-A', '--user-agent', '--url']);
/** Short options that take a value, for reading bundles such as `-sSXPOST`. */
const SHORT_WITH_VALUE = new Set(['X', 'H', 'd', 'o', 'm', 'u', 'A', 'w']);
const SHORT_FLAGS = new Set(['s', 'S', 'f', 'L', 'v', '#', 'N', 'G']);
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
type Method = (typeof METHODS)[number];

function takesValue(option: string): boolean {
  return IGNORED_WITH_VALUE.has(option) || TIMEOUT_OPTIONS.has(option) || RETRY_OPTIONS.has(option) || DATA_OPTIONS.has(option) || OTHER_WITH_VALUE.has(option);
}

/** Splits bundled short options: `-sSXPOST` → `-s -S -X POST`; undefined for an unknown letter. */
function unbundle(word: string): string[] | undefined {
  const out: string[] = [];
  for (let i = 1; i < word.length; i++) {
    const letter = word.charAt(i);
    if (SHORT_WITH_VALUE.has(letter)) {
      out.push(`-${letter}`);
      if (i + 1 < word.length) out.push(word.slice(i + 1));
      return out;
    }
    if (!SHORT_FLAGS.has(letter)) return undefined;
    out.push(`-${letter}`);
  }
  return out;
}

export function readCurl(words: readonly string[]): CurlRequest {
  const notPlain = (reason: string): CurlRequest => ({ kind: 'not-plain', reason });
  const args: string[] = [];
  for (const [index, word] of words.slice(1).entries()) {
    const unbundled = /^-[^-]./.test(word) && !takesValue(word) && !takesValue(words[index] ?? '') ? unbundle(word) : undefined;
    args.push(...(unbundled ?? [word]));
  }

  const urls: string[] = [];
  const headerPairs: Array<[string, string]> = [];
  const data: string[] = [];
  const notes: string[] = [];
  let method: string | undefined;
  let json = false;
  let get = false;
  let optionsEnded = false;

  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (optionsEnded || !arg.startsWith('-') || arg === '-') {
      urls.push(arg);
      continue;
    }
    if (arg === '--') {
      optionsEnded = true;
      continue;
    }
    if (IGNORED_FLAGS.has(arg)) continue;
    if (arg === '-G' || arg === '--get') {
      get = true;
      continue;
    }
    if (!takesValue(arg)) return notPlain(`curl option '${arg}' has no http-request equivalent`);
    const value = args[++i];
    if (value === undefined) return notPlain(`curl option '${arg}' is missing its value`);

    if (IGNORED_WITH_VALUE.has(arg)) continue;
    if (TIMEOUT_OPTIONS.has(arg)) {
      notes.push(`curl's ${arg} ${value} is not carried over: the config's limits.timeoutSeconds applies`);
    } else if (RETRY_OPTIONS.has(arg)) {
      notes.push(`curl's ${arg} ${value} is not carried over: set the config's retry policy`);
    } else if (arg === '-o' || arg === '--output') {
      if (value !== '/dev/null') return notPlain(`curl writes the response to '${value}'`);
    } else if (arg === '-X' || arg === '--request') {
      method = value.toUpperCase();
    } else if (arg === '-H' || arg === '--header') {
      const header = /^([^:;\s]+)\s*(?::\s*(.*)|;\s*)$/s.exec(value);
      if (!header?.[1]) return notPlain(`curl header '${value}' is not read (expected 'Name: value')`);
      if (value.includes(':') && (header[2] ?? '').trim() === '') return notPlain(`curl header '${value}' removes a header curl would send`);
      headerPairs.push([header[1], (header[2] ?? '').trim()]);
    } else if (DATA_OPTIONS.has(arg)) {
      if (arg !== '--data-raw' && value.startsWith('@')) return notPlain(`curl reads the request body from the file '${value.slice(1)}'`);
      data.push(value);
      if (arg === '--json') json = true;
    } else if (arg === '-u' || arg === '--user') {
      if (!value.includes(':')) return notPlain('curl -u without a password asks for one');
      headerPairs.push(['Authorization', `Basic ${base64(value)}`]);
    } else if (arg === '-A' || arg === '--user-agent') {
      headerPairs.push(['User-Agent', value]);
    } else if (arg === '--url') {
      urls.push(value);
    }
  }

  if (urls.length !== 1) return notPlain(urls.length === 0 ? 'curl is given no URL' : `curl is given ${urls.length} URLs`);
  let url = urls[0] ?? '';
  if (!/^https?:\/\/[^/\s]/i.test(url)) return notPlain(`'${url}' is not an http(s) URL`);

  let body: unknown;
  const hasContentType = headerPairs.some(([name]) => name.toLowerCase() === 'content-type');
  if (data.length > 0) {
    const text = data.join('&');
    if (get) {
      url += (url.includes('?') ? '&' : '?') + text;
    } else {
      body = jsonOrText(text);
      if (json) {
        // curl --json sends these unless -H overrides them.
        if (!hasContentType) headerPairs.push(['Content-Type', 'application/json']);
        if (!headerPairs.some(([name]) => name.toLowerCase() === 'accept')) headerPairs.push(['Accept', 'application/json']);
      } else if (!hasContentType) {
        // curl's default for -d; the http-request type would otherwise send a JSON body as application/json.
        headerPairs.push(['Content-Type', 'application/x-www-form-urlencoded']);
      }
    }
  }

  const effective = method ?? (get ? 'GET' : body !== undefined ? 'POST' : 'GET');
  if (!isMethod(effective)) return notPlain(`the http-request type has no method '${effective}'`);
  if (body !== undefined && effective === 'GET') return notPlain('curl sends a body with GET, which the http-request type refuses');

  const jsonBody = body !== undefined && typeof body !== 'string';
  const { headers, secretHeaders } = sortHeaders(headerPairs.filter(([name, value]) => !(jsonBody && isDefaultJsonContentType(name, value))));
  const action: Extract<ImportedAction, { kind: 'http-request' }> = { kind: 'http-request', method: effective, url, headers, secretHeaders };
  if (body !== undefined) action.body = body;
  return { kind: 'request', action, notes };
}

function isMethod(method: string): method is Method {
  return (METHODS as readonly string[]).includes(method);
}

/**
 * A body as JSON when it is a JSON object, array, number, boolean or null, sent re-serialised;
 * otherwise the text itself. A JSON string (`"abc"`) stays text: the job would send it without its quotes.
 */
function jsonOrText(text: string): unknown {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'string' ? text : value;
  } catch {
    return text;
  }
}

/** Standard base64 of the UTF-8 bytes, as curl sends `-u name:password`. */
function base64(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

/** A name for the request: the URL's last path segment, or its host. */
export function requestName(url: string): string {
  try {
    const parsed = new URL(url);
    const segments = parsed.pathname.split('/').filter(Boolean);
    return decodeURIComponent(segments.at(-1) ?? parsed.hostname);
  } catch {
    return url;
  }
}
