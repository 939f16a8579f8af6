// The HTTP server of `grove-jobs serve` (API, console, metrics) and a worker's metrics server.
import { createApi } from './api/app.js';
import { metricsRoute } from './api/metrics.js';
import { clientAddressOf, TrustedProxies } from './api/client-address.js';
import { serve as serveHttp } from '@hono/node-server';
import type { GroveJobs, ProcessLog } from './app.js';
import type { OpenedGroveJobs } from './open.js';

export interface ServeOptions {
  host: string;
  /** 0: any free port. */
  port: number;
  env?: Record<string, string | undefined>;
  /** `--trust-proxy`: the proxies whose X-Forwarded-For names the client; without, the socket's peer is the client. */
  trustProxy?: TrustedProxies;
  /** Event streams open at once per process and per token (`--max-streams`, `--max-streams-per-token`). */
  maxStreams?: number;
  maxStreamsPerToken?: number;
  /** How long a client may take to send a request's headers, and the whole request with its body (default REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number;
  /** Where each request (access log) and each unexpected error go; without it, requests are not logged and errors go to standard error. */
  log?: ProcessLog;
}

/**
 * A request's headers and body must arrive within this (Node answers 408 and closes the
 * connection): a client sending slowly cannot hold a connection for minutes. Responses are not
 * limited by it, so event streams stay open. A 10 MiB body needs about 3 Mbit/s to arrive in time.
 */
export const REQUEST_TIMEOUT_MS = 30_000;

export interface RunningServer {
  /** `http://host:port` as bound. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Builds the HTTP API around the system and listens; `close` stops accepting and ends open connections. */
export async function serve(system: OpenedGroveJobs, options: ServeOptions): Promise<RunningServer> {
  const env = options.env ?? {};
  const stopping = new AbortController();
  const app = createApi({
    system,
    tokens: system.tokens,
    adminToken: env['GROVE_JOBS_ADMIN_TOKEN'],
    readiness: () => system.readiness(),
    signal: stopping.signal,
    auth: { clientAddress: clientAddressOf(options.trustProxy) },
    streams: {
      ...(options.maxStreams !== undefined ? { maxStreams: options.maxStreams } : {}),
      ...(options.maxStreamsPerToken !== undefined ? { maxStreamsPerToken: options.maxStreamsPerToken } : {}),
    },
    metrics: { places: () => system.places() },
    ...(options.log ? { accessLog: options.log, errorLog: errorLogOf(options.log) } : {}),
  });
  return listen(app.fetch, options.host, options.port, options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS, () => stopping.abort());
}

/**
 * Listens with `fetch` on host:port. A request's headers and body must arrive within
 * `requestTimeout`; `close` stops accepting (calling `onClose` first) and ends the connections
 * still open (event streams never end by themselves).
 */
function listen(fetch: (request: Request) => Response | Promise<Response>, hostname: string, port: number, requestTimeout: number, onClose: () => void = () => undefined): Promise<RunningServer> {
  const serverOptions = {
    headersTimeout: requestTimeout,
    requestTimeout,
    // Node looks for overdue requests this often (its default, 30 s, would double the limit).
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(requestTimeout / 4))),
  };
  return new Promise((resolve, reject) => {
    const server = serveHttp({ fetch, hostname, port, serverOptions }, (info) => {
      const host = hostname.includes(':') ? `[${hostname}]` : hostname;
      resolve({
        url: `http://${host}:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            onClose();
            server.close(() => done());
            (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
    server.once('error', reject);
  });
}

/** An unexpected API error's line (request id, route, stack) as an entry of a ProcessLog. */
function errorLogOf(log: ProcessLog): (line: string) => void {
  return (line) => log.error({ event: 'request:failed' }, line);
}

/**
 * `worker --metrics-port`: only `GET /metrics` (no auth, as in `serve`), the same registry as
 * `serve`'s, for a process that runs executions without the API.
 */
export async function serveMetrics(system: GroveJobs, options: { host: string; port: number }): Promise<RunningServer> {
  const app = metricsRoute({ system, places: () => system.places() });
  return listen(app.fetch, options.host, options.port, REQUEST_TIMEOUT_MS);
}
