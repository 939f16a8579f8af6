import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { ApiTokenRecord, TokenStore } from '../engine/ports.js';
import { socketAddress } from './client-address.js';
import type { CallerHook } from './caller.js';
import { ApiError, type ApiEnv, ROLES, type Role } from './http.js';

export type { Caller, CallerHook } from './caller.js';

/** Bytes of randomness in a token: 256 bits, beyond guessing. */
const TOKEN_BYTES = 32;
/** Tokens carry a recognisable prefix so they can be spotted (and revoked) when leaked. */
const TOKEN_PREFIX = 'gj_';

/** A new random token; only its hash is ever stored. */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
}

/** SHA-256 (hex) of a token: what the store keeps and looks tokens up by. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Compares two hex digests in constant time (equal lengths: both are SHA-256). */
function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Creates and stores a token; returns it in clear, the only time it is ever available. */
export async function issueToken(tokens: TokenStore, input: { role: Role; name: string; now: Date }): Promise<{ token: string; record: ApiTokenRecord }> {
  const token = generateToken();
  const record = await tokens.insertToken({ name: input.name, role: input.role, hash: hashToken(token), createdAt: input.now });
  return { token, record };
}

export interface AuthOptions {
  tokens: TokenStore;
  /** `GROVE_JOBS_ADMIN_TOKEN`: a token with the admin role defined by the environment. */
  adminToken?: string | undefined;
  /** The caller's network address (failed attempts are counted per address): clientAddressOf (default: the socket's peer). */
  clientAddress?: (c: Context) => string;
  /** Milliseconds since the epoch; tests pass their own. */
  now?: () => number;
  /**
   * An embedding application's own authentication, asked first: the caller it recognises in a
   * request (from its session cookie, say), with the role to grant; undefined falls back to
   * bearer tokens.
   */
  caller?: CallerHook;
  /** Failed attempts per address, and per token prefix, per window before failures get 429 (default 10). */
  maxFailures?: number;
  /** The failure window in milliseconds (default 60 s). */
  windowMs?: number;
}

/**
 * Failed authentications per key (an address, a token prefix) in a fixed window. Memory is
 * bounded: at most MAX_TRACKED keys are remembered; the oldest window is forgotten first (a Map
 * keeps insertion order), which at worst lets a flood of keys reset one another's counts.
 */
export class FailureLimiter {
  static readonly MAX_TRACKED = 10_000;
  readonly #entries = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
  ) {}

  /** Milliseconds until a failure under this key is answered 401 again rather than 429; 0 when it is now. */
  blockedFor(address: string, now: number): number {
    const entry = this.#entries.get(address);
    if (!entry) return 0;
    if (now - entry.since >= this.windowMs) {
      this.#entries.delete(address);
      return 0;
    }
    return entry.count >= this.maxFailures ? entry.since + this.windowMs - now : 0;
  }

  fail(address: string, now: number): void {
    const entry = this.#entries.get(address);
    if (entry && now - entry.since < this.windowMs) {
      entry.count++;
      return;
    }
    this.#entries.delete(address);
    if (this.#entries.size >= FailureLimiter.MAX_TRACKED) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(address, { count: 1, since: now });
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** How long a looked-up token is trusted without asking the store again (tokens are never changed, only added). */
const TOKEN_CACHE_MS = 30_000;
const TOKEN_CACHE_MAX = 1000;

/**
 * Failures are also counted per token prefix (the `gj_` marker and 8 characters, 48 bits):
 * one token tried from many addresses (a revoked one in a fleet's configuration, a leaked
 * beginning guessed at) is slowed however its requests reach the server.
 */
const PREFIX_LENGTH = TOKEN_PREFIX.length + 8;

function presentedToken(c: Context): string | undefined {
  const header = c.req.header('authorization');
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1] ?? '';
  }
  // EventSource cannot send headers: the event stream alone may carry the token in the query.
  if (c.req.method === 'GET' && c.req.path === '/api/events') return c.req.query('token');
  return undefined;
}

/**
 * Bearer-token authentication for `/api/*`: sets `role`, `tokenName` and `tokenId`, or answers
 * 401. A valid token is always served: only failures are limited. Past `maxFailures` in a
 * window from one address, or with one token prefix, a failure is answered 429 with
 * `Retry-After` until the window ends — so nobody can lock others out, whatever address they
 * share (a proxy, a NAT). Tokens are compared as SHA-256 digests in constant time and never
 * written anywhere.
 */
export function authMiddleware(options: AuthOptions): MiddlewareHandler<ApiEnv> {
  const now = options.now ?? (() => Date.now());
  const addressOf = options.clientAddress ?? socketAddress;
  const limiter = new FailureLimiter(options.maxFailures ?? 10, options.windowMs ?? 60_000);
  const adminHash = options.adminToken ? hashToken(options.adminToken) : undefined;
  const cache = new Map<string, { record: ApiTokenRecord; until: number }>();

  async function lookup(hash: string, at: number): Promise<{ id: string; role: Role; name: string } | undefined> {
    if (adminHash !== undefined && sameDigest(hash, adminHash)) return { id: 'environment', role: 'admin', name: 'admin (environment)' };
    const cached = cache.get(hash);
    if (cached && cached.until > at) return cached.record;
    const found = await options.tokens.findTokenByHash(hash);
    if (!found || !sameDigest(found.hash, hash)) return undefined;
    if (cache.size >= TOKEN_CACHE_MAX) cache.clear();
    const record = { id: found.id, name: found.name, role: found.role, createdAt: found.createdAt };
    cache.set(hash, { record, until: at + TOKEN_CACHE_MS });
    return record;
  }

  return async (c, next) => {
    const caller = options.caller ? await options.caller(c.req.raw) : undefined;
    if (caller !== undefined) {
      if (!isRole(caller.role)) throw new Error(`the caller hook returned role '${String(caller.role)}': one of viewer, operator, admin`);
      c.set('role', caller.role);
      c.set('tokenName', caller.name);
      c.set('tokenId', `caller:${caller.name}`);
      return next();
    }
    const at = now();
    const token = presentedToken(c);
    if (token === undefined) throw new ApiError(401, 'UNAUTHENTICATED', 'a bearer token is required (Authorization: Bearer <token>)');
    const found = token === '' ? undefined : await lookup(hashToken(token), at);
    if (found && isRole(found.role)) {
      c.set('role', found.role);
      c.set('tokenName', found.name);
      c.set('tokenId', found.id);
      return next();
    }
    const keys = [`address ${addressOf(c)}`, `prefix ${token.slice(0, PREFIX_LENGTH)}`];
    const wait = Math.max(...keys.map((key) => limiter.blockedFor(key, at)));
    if (wait > 0) {
      c.header('Retry-After', String(Math.ceil(wait / 1000)));
      throw new ApiError(429, 'TOO_MANY_FAILED_AUTHENTICATIONS', 'too many failed authentications from this address or with this token; a valid token is still accepted, others may try again after Retry-After seconds');
    }
    for (const key of keys) limiter.fail(key, at);
    throw new ApiError(401, 'UNAUTHENTICATED', 'the bearer token is not valid');
  };
}
