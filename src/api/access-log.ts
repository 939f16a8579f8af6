import type { MiddlewareHandler } from 'hono';
import type { ApiEnv } from './http.js';

/** What the access log needs of a logger (pino's fits): a structured entry at a level, then its message. */
export interface RequestLog {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Probes and scrapes: they come every few seconds, so their successes go to the debug level only. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);
/** Longer paths are cut: a path is the client's text, and a log line is not the place for a megabyte of it. */
const MAX_PATH_LENGTH = 300;

/**
 * One log entry per request, written when its answer starts: `requestId` (the X-Request-Id the
 * server answers with), `method`, `path`, `status` and `durationMs` (from the request to the
 * answer's headers; an event stream's body goes on after that). Only the path is logged, never
 * the query string (`/api/events?token=…` carries a token there) nor any header. 5xx answers
 * are at warn (the unexpected error itself is logged apart, with its stack).
 */
export function accessLog(log: RequestLog, now: () => number = () => performance.now()): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const began = now();
    let status = 500;
    try {
      await next();
      status = c.res.status;
    } finally {
      const durationMs = Math.round((now() - began) * 10) / 10;
      const { method } = c.req;
      const path = printable(c.req.path);
      const level = status >= 500 ? 'warn' : status < 400 && QUIET_PATHS.has(path) ? 'debug' : 'info';
      log[level]({ event: 'request', requestId: c.get('requestId'), method, path, status, durationMs }, `${method} ${path} ${status} (${durationMs} ms)`);
    }
  };
}

function printable(path: string): string {
  const text = path.replace(/[^\x20-\x7e]/g, '?');
  return text.length > MAX_PATH_LENGTH ? `${text.slice(0, MAX_PATH_LENGTH)}…` : text;
}
