import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { ConfigError, ConfigErrorCode } from '../domain/config/index.js';
import { ExecutionErrorCode, ExecutionOperationError } from '../domain/execution/index.js';
import { GroveError, GroveErrorCode } from '../domain/grove/index.js';
import { ScheduleError } from '../domain/schedule/index.js';

import { ROLES, type Role } from './caller.js';

export { ROLES, type Role };

/** What the auth middleware puts on every authenticated request. */
export interface ApiEnv {
  Variables: {
    role: Role;
    /** The token's name, recorded as the actor of changes (`api:<name>`). */
    tokenName: string;
    /** The token's identity (its record id; `environment` for GROVE_JOBS_ADMIN_TOKEN): what per-token limits count by. */
    tokenId: string;
    /** Names this request in the X-Request-Id header and in the log line of an unexpected error. */
    requestId: string;
  };
}

/**
 * Every error body: `{ error: { code, message, field?, requestId? } }` (the request id on 500s).
 * A message refusing a field's value starts with that field, once (`limit: must be …`): a client
 * showing it at the field drops the prefix, one showing it alone names the field once. A message
 * about the thing itself (not found, exists, conflict) is a sentence; `field` only places it.
 */
export interface ErrorBody {
  error: { code: string; message: string; field?: string; requestId?: string; candidates?: string[] };
}

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 503;

/** An error the API answers with its own status and code. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: ErrorStatus,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

function body(code: string, message: string, field?: string): ErrorBody {
  return { error: field ? { code, message, field } : { code, message } };
}

/** Maps any error to a status and body; unknown errors are 500 without internals. */
export function toErrorResponse(error: unknown): { status: ErrorStatus; body: ErrorBody } {
  if (error instanceof ApiError) return { status: error.status, body: body(error.code, error.message, error.field) };
  if (error instanceof ConfigError) {
    const status: ErrorStatus =
      error.code === ConfigErrorCode.NotFound || error.code === ConfigErrorCode.VersionNotFound
        ? 404
        : error.code === ConfigErrorCode.Exists || error.code === ConfigErrorCode.VersionConflict
          ? 409
          : 400;
    return { status, body: body(error.code, error.message, error.field) };
  }
  if (error instanceof GroveError) {
    const status: ErrorStatus = error.code === GroveErrorCode.NotFound ? 404 : error.code === GroveErrorCode.Exists || error.code === GroveErrorCode.Conflict ? 409 : 400;
    return { status, body: body(error.code, error.message, error.field) };
  }
  if (error instanceof ExecutionOperationError) {
    const status: ErrorStatus =
      error.code === ExecutionErrorCode.NotFound
        ? 404
        : error.code === ExecutionErrorCode.InvalidOverride || error.code === ExecutionErrorCode.InvalidId || error.code === ExecutionErrorCode.Ambiguous
          ? 400
          : 409;
    const errorBody = body(error.code, error.message, error.field);
    if (error.candidates) errorBody.error.candidates = [...error.candidates];
    return { status, body: errorBody };
  }
  if (error instanceof ScheduleError) return { status: 400, body: body(error.code, error.message, error.field) };
  return { status: 500, body: body('INTERNAL', 'internal error') };
}

export const REQUEST_ID_HEADER = 'X-Request-Id';
/** A client's request id is kept only when it is this plain: short, and safe in a log line and a header. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The client's X-Request-Id when it is short and plain, otherwise a new UUID. */
export function requestIdOf(header: string | undefined): string {
  return header !== undefined && CLIENT_REQUEST_ID.test(header) ? header : randomUUID();
}

/** Gives every request an id (the client's, or a new one) and names it in the X-Request-Id response header. */
export function requestId(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const id = requestIdOf(c.req.header(REQUEST_ID_HEADER));
    c.set('requestId', id);
    // Set before the response exists, so every response built from the context carries it
    // (set after, it would make Hono copy each finished response).
    c.header(REQUEST_ID_HEADER, id);
    await next();
  };
}

/** Where an unexpected error is reported: one line per error, with its request id and stack. */
export type ErrorLog = (line: string) => void;

const stderrLog: ErrorLog = (line) => process.stderr.write(`${line}\n`);

/**
 * Whether the request's connection closed before its body arrived whole: the server's request
 * timeout cut a slow client, or the client hung up. Reading the body then fails; that is the
 * client's doing, not an unexpected error, and no one is left to read the answer.
 */
function requestCutOff(c: Context): boolean {
  const incoming = (c.env as { incoming?: { complete?: boolean; destroyed?: boolean } } | undefined)?.incoming;
  return incoming !== undefined && incoming.complete === false && incoming.destroyed === true;
}

/**
 * Answers an error as JSON (for `app.onError`). An unexpected one (500) carries the request
 * id in the body and the X-Request-Id header, and is logged once with that id and its stack;
 * its message stays out of the answer.
 */
export function errorResponse(c: Context, error: unknown, log: ErrorLog = stderrLog): Response {
  const { status, body: errorBody } = toErrorResponse(error);
  if (status !== 500) return c.json(errorBody, status);
  if (requestCutOff(c)) return c.json({ error: { code: 'REQUEST_INCOMPLETE', message: 'the request did not arrive whole' } }, 400);
  const id = (c.get('requestId') as string | undefined) ?? requestIdOf(c.req.header(REQUEST_ID_HEADER));
  const where = `${c.req.method} ${c.req.path}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 300);
  const stack = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  log(`grove-jobs api: request ${id} (${where}) failed with an unexpected error: ${stack}`);
  c.header(REQUEST_ID_HEADER, id);
  return c.json({ error: { ...errorBody.error, requestId: id } }, status);
}

/** Lets the request through only for `minimum` or a stronger role (set by the auth middleware). */
export function requireRole(minimum: Role): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const role = c.get('role');
    if (ROLES.indexOf(role) < ROLES.indexOf(minimum)) throw new ApiError(403, 'FORBIDDEN', `this needs the ${minimum} role; the token is ${role}`);
    await next();
  };
}

/** Who the history records for a change made through the API. */
export function apiActor(c: Context<ApiEnv>): string {
  // The console says it is the console (a label for the history and field owners, not a permission).
  const via = c.req.header('x-grove-client') === 'console' ? 'console' : 'api';
  return `${via}:${c.get('tokenName')}`;
}
