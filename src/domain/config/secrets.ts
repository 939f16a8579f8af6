import type { JobTypeRegistry } from './job-type.js';
import type { JobConfig } from './schema.js';

/** What a write-only secret reads as wherever a config, a result or a log line is shown. */
export const REDACTED = '[secret]';

/**
 * How an encrypted secret value starts in stored configs (`grove-sealed:v1:<key id>:<iv>:<data>`).
 * The domain only recognises it: sealing and opening are the store's (node:crypto).
 */
export const SEALED_PREFIX = 'grove-sealed:v1:';

export function isSealed(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith(SEALED_PREFIX);
}

/**
 * Secret values shorter than this cannot be masked by value (a 3-character value would mask
 * ordinary words in every response body), so the job types refuse them when written.
 */
export const MIN_SECRET_LENGTH = 4;

/** A path into a config, as segments: `['payload', 'parameters', 'secretHeaders']`. */
export type SecretPath = readonly string[];

const WEBHOOK_SECRET: SecretPath = ['payload', 'notifications', 'webhookSecret'];

/**
 * The secret paths of every job type named (a config's types over all its versions: a
 * parameter secret under an earlier type stays secret in that version's record), and the
 * webhook secret. A type this process does not know contributes none.
 */
export function secretPathsOf(jobTypes: Iterable<string>, registry: JobTypeRegistry): SecretPath[] {
  const names = new Set<string>();
  for (const type of jobTypes) for (const name of registry.get(type)?.secretParameters ?? []) names.add(name);
  return [...[...names].sort().map((name) => ['payload', 'parameters', name]), WEBHOOK_SECRET];
}

/** The secret paths of one config's own job type. */
export function configSecretPaths(config: JobConfig, registry: JobTypeRegistry): SecretPath[] {
  return secretPathsOf([config.payload.jobType], registry);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Replaces each secret leaf below `paths` with `replace(leaf, where)` (dropped when it returns
 * undefined): a string at a path, or each string value of an object at a path (secret
 * headers are one object of secrets). Copies only what it changes; `where` is the dotted path.
 */
export function mapSecretLeaves<T>(value: T, paths: readonly SecretPath[], replace: (leaf: string, where: string) => string | undefined): T {
  let out: unknown = value;
  for (const path of paths) out = mapBelow(out, path, 0, replace);
  return out as T;
}

function mapBelow(value: unknown, path: SecretPath, at: number, replace: (leaf: string, where: string) => string | undefined): unknown {
  if (!isRecord(value)) return value;
  const head = path[at] as string;
  if (!Object.hasOwn(value, head)) return value;
  const inner = value[head];
  const where = path.slice(0, at + 1).join('.');
  let next: unknown;
  if (at + 1 < path.length) next = mapBelow(inner, path, at + 1, replace);
  else if (typeof inner === 'string') next = replace(inner, where);
  else if (isRecord(inner)) {
    const entries: Array<[string, unknown]> = [];
    let changed = false;
    for (const [key, leaf] of Object.entries(inner)) {
      const replaced = typeof leaf === 'string' ? replace(leaf, `${where}.${key}`) : leaf;
      if (replaced !== leaf) changed = true;
      if (replaced !== undefined) entries.push([key, replaced]);
    }
    next = changed ? Object.fromEntries(entries) : inner;
  } else next = inner;
  if (next === inner) return value;
  const copy = { ...value };
  if (next === undefined) delete copy[head];
  else copy[head] = next;
  return copy;
}

/** The secret values a config holds at `paths` (as stored: sealed ones stay sealed). */
export function secretValues(config: unknown, paths: readonly SecretPath[]): string[] {
  const values: string[] = [];
  mapSecretLeaves(config, paths, (leaf) => {
    values.push(leaf);
    return leaf;
  });
  return values;
}

/** Deeper than this, a shown value is cut (configs are validated far shallower). */
const MAX_SHOWN_DEPTH = 100;

/** Every string that is a sealed secret, anywhere in `value`, replaced by REDACTED. */
export function maskSealed<T>(value: T): T {
  return mapStrings(value, (text) => (isSealed(text) ? REDACTED : text), 0) as T;
}

function mapStrings(value: unknown, map: (text: string) => string, depth: number): unknown {
  if (typeof value === 'string') return map(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_SHOWN_DEPTH) return REDACTED;
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((item) => {
      const mapped = mapStrings(item, map, depth + 1);
      if (mapped !== item) changed = true;
      return mapped;
    });
    return changed ? out : value;
  }
  if (value instanceof Date) return value;
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const shownKey = map(key);
    const mapped = mapStrings(item, map, depth + 1);
    if (mapped !== item || shownKey !== key) changed = true;
    out[shownKey] = mapped;
  }
  return changed ? out : value;
}

/** Whitespace-separated parts at least this long are masked on their own (the token of `Bearer <token>`). */
const MIN_PART_LENGTH = 8;

/**
 * Masks secret values wherever they appear in text a run produced (results, logs, errors,
 * summaries): each value as it is, JSON-escaped (a value with `"` or `\` echoed inside JSON),
 * URL-encoded, and its long whitespace-separated parts; and a string that ends in the first
 * MIN_SECRET_LENGTH or more characters of one of those (a body cut at a size limit).
 *
 * @example
 * new SecretMasker(['s3cr3t-"token"']).text('{"h":"s3cr3t-\\"token\\""}') // '{"h":"[secret]"}'
 * new SecretMasker(['abcdefgh']).text('…, "x": "abcde')                   // '…, "x": "[secret]'
 */
export class SecretMasker {
  static readonly none = new SecretMasker([]);
  /** Longest first, so a whole `Bearer <token>` goes before its token alone. */
  readonly #needles: string[];

  constructor(values: Iterable<string>) {
    const needles = new Set<string>();
    for (const value of values) {
      if (value.length < MIN_SECRET_LENGTH || isSealed(value)) continue;
      needles.add(value);
      needles.add(JSON.stringify(value).slice(1, -1));
      needles.add(encodeURIComponent(value));
      for (const part of value.split(/\s+/)) if (part.length >= MIN_PART_LENGTH) needles.add(part);
    }
    this.#needles = [...needles].sort((a, b) => b.length - a.length);
  }

  get empty(): boolean {
    return this.#needles.length === 0;
  }

  text(text: string): string {
    if (this.#needles.length === 0) return text;
    let out = text;
    for (const needle of this.#needles) if (out.includes(needle)) out = out.split(needle).join(REDACTED);
    return this.#maskCut(out);
  }

  /** `value` with every string in it (keys included) masked; unchanged parts are shared. */
  value<T>(value: T): T {
    if (this.#needles.length === 0) return value;
    return mapStrings(value, (text) => this.text(text), 0) as T;
  }

  /** A tail that is the start of a needle, MIN_SECRET_LENGTH characters or more. */
  #maskCut(text: string): string {
    for (const needle of this.#needles) {
      for (let length = Math.min(needle.length - 1, text.length); length >= MIN_SECRET_LENGTH; length--) {
        if (text.charCodeAt(text.length - 1) !== needle.charCodeAt(length - 1)) continue;
        if (text.endsWith(needle.slice(0, length))) return text.slice(0, text.length - length) + REDACTED;
      }
    }
    return text;
  }
}
