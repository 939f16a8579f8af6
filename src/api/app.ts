import { readFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { ApiSystem } from './system.js';
import type { TokenStore } from '../engine/ports.js';
import { type AuthOptions, authMiddleware } from './auth.js';
import { ApiError, type ApiEnv, type ErrorLog, errorResponse, requestId, ROLES } from './http.js';
import { inputGuard } from './input-guard.js';
import { PagePolicies, securityHeaders } from './security-headers.js';
import { executionRoutes } from './routes/executions.js';
import { eventsRoute } from './events.js';
import { type MetricsOptions, metricsRoute } from './metrics.js';
import { accessLog, type RequestLog } from './access-log.js';
import { groveRoutes } from './routes/grove.js';
import { jobRoutes } from './routes/jobs.js';
import { applyRoutes } from './routes/apply.js';
import { previewRoutes } from './routes/preview.js';
import { scheduleRoutes } from './routes/schedule.js';
import { pauseRoutes } from './routes/pause.js';
import { slotRoutes } from './routes/slots.js';
import { validationHook } from './validation.js';
import { healthzRoute, readyzRoute, registerMetricsPath } from './openapi-system.js';
import { jsonResponse } from './openapi-routes.js';
import { registerWebhooks } from './openapi-webhooks.js';
import { bearer, readErrors, registerResponseComponents, ScheduleCache } from './views.js';
import type { Readiness } from './readiness.js';

export type { Readiness } from './readiness.js';

export interface ApiOptions {
  system: ApiSystem;
  tokens: TokenStore;
  /** `GROVE_JOBS_ADMIN_TOKEN`. */
  adminToken?: string | undefined;
  /** Checks the database for `/readyz`; without it readiness is only the process being up. */
  readiness?: () => Promise<Readiness>;
  /** Largest request body accepted, in bytes (default 10 MiB: 10,000 usage events fit). */
  bodyLimitBytes?: number;
  /** Routers mounted under `/api` besides the built-in ones (Grove routes, events). */
  extraApiRoutes?: ReadonlyArray<OpenAPIHono<ApiEnv>>;
  auth?: Pick<AuthOptions, 'clientAddress' | 'now' | 'maxFailures' | 'windowMs' | 'caller'>;
  /** The Grove domain's routes (sprouts, rules, advancement events); default true. An engine-only system passes false. */
  grove?: boolean;
  /** Aborted when the server stops: open event streams end. */
  signal?: AbortSignal;
  /** Event streams open at once, per process and per token (defaults: MAX_STREAMS, MAX_STREAMS_PER_TOKEN). */
  streams?: { maxStreams?: number; maxStreamsPerToken?: number };
  /** The built web console (default: web/dist of this package); null serves the placeholder page. */
  consoleDir?: string | null;
  /**
   * The path prefix the app is mounted at ('/jobs'), without a final slash; default '' (the
   * root of its server). The console's index gets `<base href="<basePath>/">`, so its relative
   * URLs (assets, API calls, its own pages) resolve under the prefix.
   */
  basePath?: string;
  /** Where unexpected errors (500) are logged, one line each with the request id and stack (default: stderr). */
  errorLog?: ErrorLog;
  /** Where each request is logged (access-log.ts); without it, nowhere. */
  accessLog?: RequestLog;
  /** What `/metrics` reads of the process (its workers' places). */
  metrics?: MetricsOptions;
}

const DEFAULT_BODY_LIMIT = 10 * 1024 * 1024;
const PUBLIC_API_PATHS = new Set(['/api/openapi.json', '/api/docs']);
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function isJson(contentType: string): boolean {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

function hasBody(c: Context): boolean {
  const length = c.req.header('content-length');
  return (length !== undefined && length !== '0') || c.req.header('transfer-encoding') !== undefined;
}

/** Hono's own refusals (malformed JSON, media type, size) in the API's error shape. */
function fromHttpException(error: HTTPException): ApiError {
  if (error.status === 413) return new ApiError(413, 'PAYLOAD_TOO_LARGE', 'body: is too large', 'body');
  if (error.status === 415) return new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type: send the body as application/json', 'Content-Type');
  // Hono's own wording ("Malformed JSON in request body") would name the body twice.
  if (error.status === 400) return new ApiError(400, 'INVALID_JSON', 'body: is not valid JSON', 'body');
  return new ApiError(error.status === 401 ? 401 : error.status === 403 ? 403 : error.status === 404 ? 404 : 400, 'HTTP_ERROR', error.message);
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** The hourglass of the console's header, orange: the icon of every page the server gives. */
const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path fill="#E65100" d="M6 2h12v6l-4 4 4 4v6H6v-6l4-4-4-4V2zm2 2v3.2l4 4 4-4V4H8zm4 8.8-4 4V20h8v-3.2l-4-4z"/></svg>`;
/**
 * What every page's head holds besides its title: the icon (a browser asks /favicon.ico of a page
 * naming none) and a phone's width. `icon` is relative, so that the page works where the app is
 * mounted under a path prefix.
 */
const pageHead = (icon: string) => `<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="${icon}" type="image/svg+xml">`;

const CONSOLE_PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><base href="/">${pageHead('favicon.svg')}<title>Grove Jobs</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;color:#222}h1{color:#E65100}a{color:#1976D2}</style></head>
<body><h1>&#x231B; Grove Jobs</h1>
<p>The web console is coming. Meanwhile the HTTP API is up: see <a href="api/docs">the API documentation</a> or the <a href="api/openapi.json">OpenAPI document</a>.</p>
<p>API calls take the token from this page's address (<code>#token=…</code>) as <code>Authorization: Bearer &lt;token&gt;</code>.</p>
</body></html>`;

/**
 * The console as `vite build` leaves it. This module runs as src/api/app.ts (tsx) and as
 * dist/api/app.js (built): both are two folders below the package root.
 */
export const CONSOLE_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));
/** The console's own client-side routes: these answer with its index.html (other unknown paths stay 404). */
const CONSOLE_ROUTES = ['/jobs', '/jobs/*', '/rules', '/rules/*'];
const MEDIA_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  json: 'application/json',
  map: 'application/json',
  woff2: 'font/woff2',
  txt: 'text/plain; charset=utf-8',
};
/** Asset names carry a content hash, so a browser may keep them for a year. */
const ASSET_CACHE = 'public, max-age=31536000, immutable';
const gzipAsync = promisify(gzip);

async function readIfPresent(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
    throw error;
  }
}

/**
 * index.html with its `<base href>` at `basePath` + '/' (the built one has `<base href="/">`;
 * one is added first in the head when there is none): every URL of the console is relative to it.
 */
function withBase(html: string, basePath: string): string {
  const base = `<base href="${escapeHtml(basePath)}/">`;
  if (/<base\b[^>]*>/i.test(html)) return html.replace(/<base\b[^>]*>/i, base);
  return html.replace(/<head\b[^>]*>/i, (head) => `${head}${base}`);
}

/**
 * Serves web/dist: index.html for the console's routes (the placeholder while it is not built)
 * and /assets/*. `basePath` is where the app is mounted (see ApiOptions.basePath).
 */
function mountConsole(app: OpenAPIHono<ApiEnv>, dir: string | null, policies: PagePolicies, basePath: string): void {
  if (basePath !== '' && (!basePath.startsWith('/') || basePath.endsWith('/'))) throw new Error(`basePath '${basePath}': a path like '/jobs' (a leading slash, none at the end), or '' for the root`);
  const index = async (c: Context) => {
    const file = dir === null ? undefined : await readIfPresent(join(dir, 'index.html'));
    if (file === undefined) {
      const placeholder = withBase(CONSOLE_PLACEHOLDER, basePath);
      return c.html(placeholder, 200, { 'content-security-policy': policies.for(placeholder) });
    }
    const html = withBase(file.toString('utf8'), basePath);
    // The index's inline script (the early reads) runs by its hash, whatever build is served.
    return c.body(html, 200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', 'content-security-policy': policies.for(html) });
  };
  const assets = new AssetCache();
  app.get('/', index);
  for (const route of CONSOLE_ROUTES) app.get(route, index);
  // /favicon.ico too: the path a browser asks of a page that names no icon (a JSON answer opened on its own).
  const favicon = (c: Context) => c.body(FAVICON_SVG, 200, { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=86400' });
  app.get('/favicon.svg', favicon);
  app.get('/favicon.ico', favicon);
  app.get('/assets/*', async (c) => {
    const path = c.req.path;
    // Only plain hashed file names under assets/: no traversal, no encoded characters.
    if (dir === null || !/^\/assets\/[A-Za-z0-9._-]+$/.test(path) || path.includes('..')) return c.notFound();
    const file = join(dir, ...path.slice(1).split('/'));
    if (!file.startsWith(dir.endsWith(sep) ? dir : dir + sep)) return c.notFound();
    const asset = await assets.get(file);
    if (asset === undefined) return c.notFound();
    const type = MEDIA_TYPES[path.slice(path.lastIndexOf('.') + 1).toLowerCase()] ?? 'application/octet-stream';
    const headers: Record<string, string> = { 'content-type': type, 'cache-control': ASSET_CACHE, vary: 'accept-encoding' };
    // Compressed when the browser accepts it (about a third of the size): once per file, not per request.
    if (asset.gzip && /\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) {
      return c.body(asset.gzip as Uint8Array<ArrayBuffer>, 200, { ...headers, 'content-encoding': 'gzip' });
    }
    return c.body(asset.bytes as Uint8Array<ArrayBuffer>, 200, headers);
  });
}

/** Files under assets/ never change under one name (their names carry a content hash). */
interface Asset {
  bytes: Buffer;
  /** Gzipped, for types worth compressing. */
  gzip?: Buffer;
}

/** The console's assets as read (and gzipped) once per process. */
class AssetCache {
  static readonly MAX_FILES = 64;
  readonly #files = new Map<string, Promise<Asset | undefined>>();

  get(file: string): Promise<Asset | undefined> {
    let asset = this.#files.get(file);
    if (!asset) {
      asset = readIfPresent(file).then(async (bytes) => {
        if (bytes === undefined) return undefined;
        const compressible = /\.(js|css|svg|json|html|map)$/.test(file) && bytes.length > 1024;
        return compressible ? { bytes, gzip: await gzipAsync(bytes, { level: 9 }) } : { bytes };
      });
      asset.then((found) => found ?? this.#files.delete(file)).catch(() => this.#files.delete(file));
      if (this.#files.size >= AssetCache.MAX_FILES) this.#files.delete(this.#files.keys().next().value as string);
      this.#files.set(file, asset);
    }
    return asset;
  }
}

/** The document's tags, in the order the docs page and generated references show them. */
const OPENAPI_TAGS = [
  { name: 'jobs', description: 'Job types and job configs: create, edit, version history, run' },
  { name: 'executions', description: 'Runs of a job: status, logs, retry, cancel' },
  { name: 'schedule', description: 'The cron helper' },
  { name: 'grove', description: 'The Grove domain: advancement rules, sprouts, usage events, the advancement audit trail and rollback' },
  { name: 'events', description: 'Live changes as server-sent events' },
  { name: 'auth', description: 'The calling token' },
  { name: 'system', description: 'Liveness, readiness and metrics (no token)' },
  { name: 'webhooks', description: 'Notifications Grove Jobs sends to a config’s webhook URL' },
];

const MeSchema = z.object({ role: z.enum(ROLES), name: z.string() }).openapi('Me');

function docsPage(document: { info: { title: string; version: string }; paths?: Record<string, Record<string, { summary?: string; security?: unknown[] }>> }): string {
  const rows = Object.entries(document.paths ?? {}).flatMap(([path, operations]) =>
    Object.entries(operations).map(
      ([method, operation]) =>
        `<tr><td class="m">${escapeHtml(method.toUpperCase())}</td><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(operation.summary ?? '')}</td><td>${operation.security && operation.security.length > 0 ? 'bearer' : 'public'}</td></tr>`,
    ),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">${pageHead('../favicon.svg')}<title>${escapeHtml(document.info.title)} API</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}@media (max-width:600px){body{margin:1rem}}.table{overflow-x:auto}table{border-collapse:collapse}td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:left}td code{overflow-wrap:anywhere}.m{font-weight:600;color:#E65100}</style></head>
<body><h1>${escapeHtml(document.info.title)} API ${escapeHtml(document.info.version)}</h1>
<p>JSON over HTTP. Send <code>Authorization: Bearer &lt;token&gt;</code>; roles: <b>viewer</b> reads, <b>operator</b> edits, runs, cancels and retries, <b>admin</b> also deletes.
Errors are <code>{ "error": { "code", "message", "field"? } }</code>. The full description is the <a href="openapi.json">OpenAPI 3.1 document</a>.</p>
<div class="table"><table><thead><tr><th>method</th><th>path</th><th>what</th><th>auth</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table></div></body></html>`;
}

/**
 * The HTTP API: bearer-token auth on `/api/*` (the OpenAPI document and docs page are
 * public), JSON bodies only (415), a body size limit (413), errors as `{ error }`, and the
 * public `/`, `/healthz` and `/readyz`.
 */
export function createApi(options: ApiOptions): OpenAPIHono<ApiEnv> {
  const { system } = options;
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  const limit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;

  app.onError((error, c) => errorResponse(c, error instanceof HTTPException ? fromHttpException(error) : error, options.errorLog));
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}` } }, 404));
  app.use('*', requestId());
  if (options.accessLog) app.use('*', accessLog(options.accessLog));
  app.use('*', securityHeaders());

  const pages = new PagePolicies();
  mountConsole(app, options.consoleDir === undefined ? CONSOLE_DIR : options.consoleDir, pages, options.basePath ?? '');
  app.openapi(healthzRoute, (c) => c.json({ ok: true as const }, 200));
  app.route('/', metricsRoute({ system, ...options.metrics }));
  registerMetricsPath(app.openAPIRegistry);
  app.openapi(readyzRoute, async (c) => {
    const readiness = options.readiness ? await options.readiness() : { ready: true, database: 'ok' as const };
    return readiness.ready ? c.json(readiness, 200) : c.json(readiness, 503);
  });

  const authenticate = authMiddleware({ tokens: options.tokens, adminToken: options.adminToken, ...options.auth });
  app.use('/api/*', async (c, next) => (PUBLIC_API_PATHS.has(c.req.path) ? next() : authenticate(c, next)));
  app.use('/api/*', async (c, next) => {
    if (!BODY_METHODS.has(c.req.method) || !hasBody(c)) return next();
    const contentType = c.req.header('content-type');
    if (contentType === undefined || !isJson(contentType)) throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type: send the body as application/json', 'Content-Type');
    return next();
  });
  const limitBody = bodyLimit({
    maxSize: limit,
    onError: () => {
      throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `body: is larger than ${limit} bytes`, 'body');
    },
  });
  // Only where a body is read: the limiter touches the request body, which makes the server
  // build a full Request (with its AbortSignal) for every GET as well.
  app.use('/api/*', async (c, next) => (BODY_METHODS.has(c.req.method) ? limitBody(c, next) : next()));
  // NUL, deep nesting and unsafe numbers in the path, query, headers or body: 400 before any route.
  app.use('/api/*', inputGuard());

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/me',
      operationId: 'getMe',
      summary: 'The role and name of the calling token (the console shows the actions this role may take)',
      tags: ['auth'],
      security: bearer,
      responses: { 200: jsonResponse(MeSchema, 'The caller'), ...readErrors },
    }),
    (c) => c.json({ role: c.get('role'), name: c.get('tokenName') }, 200),
  );

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'An API token (grove-jobs token create)' });
  registerResponseComponents(app.openAPIRegistry);
  registerWebhooks(app.openAPIRegistry);
  app.route('/api', jobRoutes({ system, schedules: new ScheduleCache() }));
  app.route('/api', applyRoutes({ system }));
  app.route('/api', previewRoutes({ system }));
  app.route('/api', pauseRoutes({ system }));
  app.route('/api', slotRoutes({ system }));
  app.route('/api', executionRoutes({ system }));
  app.route('/api', scheduleRoutes({ now: () => system.clock.now() }));
  if (options.grove !== false) app.route('/api', groveRoutes({ system }));
  app.route('/api', eventsRoute({ system, ...(options.signal ? { signal: options.signal } : {}), ...options.streams }));
  for (const routes of options.extraApiRoutes ?? []) app.route('/api', routes);

  const documentConfig = {
    openapi: '3.1.0',
    info: {
      title: 'Grove Jobs',
      version: '0.1.0',
      description: 'Declarative job scheduling on PostgreSQL: job configs, executions, the Grove domain.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/', description: 'The server this document came from' }],
    tags: OPENAPI_TAGS,
  };
  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  const openApiDocument = () => (document ??= app.getOpenAPI31Document(documentConfig));
  app.get('/api/openapi.json', (c) => c.json(openApiDocument()));
  app.get('/api/docs', (c) => {
    const page = docsPage(openApiDocument() as Parameters<typeof docsPage>[0]);
    return c.html(page, 200, { 'content-security-policy': pages.for(page) });
  });
  return app;
}
