// Grove Jobs inside another application: one call opens the store, applies the configs the
// code declares, starts the loops, and hands back the system with its HTTP API to mount.
import { getRequestListener } from '@hono/node-server';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createApi } from './api/app.js';
import type { CallerHook } from './api/caller.js';
import { builtInJobTypes, extendSystem } from './app.js';
import { openGroveJobs, type OpenedGroveJobs } from './open.js';
import type { AnyJobType, ApplyConflict, JobConfigInputFor } from './domain/config/index.js';
import type { ApplyOptions, ApplyResult } from './engine/config-apply.js';
import type { Clock, Notifier } from './engine/ports.js';
import type { PostgresConnection } from './store/drivers/postgres.js';

export interface StartGroveJobsOptions<Types extends readonly AnyJobType[]> {
  /** The PostgreSQL server (`postgres://…`). Without it (or `pool`), the embedded store in `dataDir`. */
  connectionString?: string;
  /**
   * Your application's pg pool: Grove Jobs connects with its settings (host, credentials, TLS)
   * through a pool of its own (`maxConnections`), so that its schema setting never reaches
   * your connections.
   */
  pool?: { options: PostgresConnection };
  /** The embedded store's folder (default ./.grove-jobs), when there is no connection string. */
  dataDir?: string;
  /** The schema of Grove Jobs' tables (default grove_jobs): beside your own, never among them. */
  schema?: string;
  /** Connections in this process's pool (default 10). */
  maxConnections?: number;
  /** Your job types (defineJobType); the built-in `http-request` is always there. */
  jobTypes: Types;
  /**
   * The Grove domain too (default false): sprouts, usage signals and tier advancement, with
   * their tables in their own schema (`grove`, or `<schema>_grove`), their job types and routes.
   */
  grove?: boolean;
  /**
   * Configs declared in code, applied at start: created when missing (switched on unless they
   * say otherwise), their declared fields updated when the code changed them; applying the
   * same declarations again stores nothing. A field an operator changed since keeps the
   * operator's value and is reported in `conflicts` (`force` takes it back).
   */
  configs?: ReadonlyArray<JobConfigInputFor<Types[number] | (typeof builtInJobTypes)[number]>>;
  /** Takes declared fields back from operators' edits (default false). */
  force?: boolean;
  /** Runs a scheduler in this process (default true). */
  scheduler?: boolean;
  /** Runs a worker in this process (default: 4 at once); false for none. */
  worker?: false | { concurrency?: number };
  /** Encrypts secret values at rest: the base64 of 32 random bytes (default: a key file in dataDir or ./.grove-jobs). */
  secretKey?: string;
  /** Where declared fields kept at an operator's value are told (default: one warning line each on stderr). */
  onConflict?: (config: string, conflict: ApplyConflict) => void;
  clock?: Clock;
  notifier?: Notifier;
}

export interface HttpOptions {
  /**
   * Your application's authentication, asked first: the caller a request carries and the role
   * to give it (viewer, operator, admin); undefined falls back to Grove Jobs' bearer tokens.
   */
  caller?: CallerHook;
  /** Serve the web console too (default false: only the API). */
  console?: boolean;
  /**
   * The path prefix you mount the app at, as your server strips it (`'/jobs'` for
   * `app.mount('/jobs', …)` or `app.use('/jobs', …)`); default '' (the root). The console's
   * page takes its addresses from it: without it, a console mounted under a prefix loads nothing.
   */
  basePath?: string;
}

/** A Fetch-API handler and a Node listener of the same app: mount whichever your server takes. */
export interface GroveJobsHttp {
  /** For Hono (`app.mount('/jobs', http.fetch)`), Bun, Deno or any Fetch-API server. */
  fetch(request: Request): Response | Promise<Response>;
  /** For Express (`app.use('/jobs', http.listener)`) or `node:http`. */
  listener(request: IncomingMessage, response: ServerResponse): Promise<void>;
}

export interface EmbeddedGroveJobs extends OpenedGroveJobs {
  /** What applying `configs` did, per config. */
  readonly applied: readonly ApplyResult[];
  /** The HTTP API (with its OpenAPI document at /api/openapi.json), to mount in your server. */
  http(options?: HttpOptions): GroveJobsHttp;
  /**
   * Applies declared configs as `grove-jobs apply` applies files: by field ownership, all or
   * nothing, new configs switched off unless they say otherwise, and on a conflict nothing
   * applied (the results list the conflicts) unless `force`. Defaults: manager `files`,
   * `onConflict: 'stop'`, `enableNew: false`.
   */
  apply(documents: readonly unknown[], options?: ApplyOptions): Promise<ApplyResult[]>;
}

/**
 * Opens the store (migrating its schema), applies the declared configs and starts a scheduler
 * and a worker in this process. `close()` stops them (a running execution gets `graceMs`) and
 * closes the pool.
 */
export async function startGroveJobs<const Types extends readonly AnyJobType[]>(options: StartGroveJobsOptions<Types>): Promise<EmbeddedGroveJobs> {
  const env = {
    ...(options.connectionString ? { DATABASE_URL: options.connectionString } : {}),
    ...(options.dataDir ? { GROVE_JOBS_DATA_DIR: options.dataDir } : {}),
    ...(options.schema ? { GROVE_JOBS_SCHEMA: options.schema } : {}),
    ...(options.secretKey ? { GROVE_JOBS_SECRET_KEY: options.secretKey } : {}),
  };
  const system = await openGroveJobs({
    env,
    domain: options.grove ?? false,
    ensureDefaults: false,
    addJobTypes: options.jobTypes,
    ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}),
    ...(options.pool && !options.connectionString ? { connection: options.pool.options } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.notifier ? { notifier: options.notifier } : {}),
  });
  try {
    const applied = options.configs?.length ? await system.configs.apply(options.configs, { manager: 'code', force: options.force ?? false }) : [];
    const tell =
      options.onConflict ??
      ((config, conflict) => {
        const by = conflict.owner ? `set by ${conflict.owner.by} at ${conflict.owner.at}` : 'changed since the last start';
        process.stderr.write(`grove-jobs: ${config}: ${conflict.path} kept at ${JSON.stringify(conflict.live)} (${by}); the code says ${JSON.stringify(conflict.declared)}\n`);
      });
    for (const result of applied) for (const conflict of result.conflicts) tell(result.id, conflict);
    if (options.worker !== false) await system.startWorker({ concurrency: options.worker?.concurrency ?? 4 });
    if (options.scheduler !== false) await system.startScheduler();
    return extendSystem(system, {
      applied,
      apply: (documents: readonly unknown[], applyOptions: ApplyOptions = {}) =>
        system.configs.apply(documents, { manager: 'files', onConflict: 'stop', enableNew: false, ...applyOptions }),
      http: (httpOptions: HttpOptions = {}): GroveJobsHttp => {
        const app = createApi({
          system,
          tokens: system.tokens,
          readiness: () => system.readiness(),
          grove: options.grove ?? false,
          consoleDir: httpOptions.console ? undefined : null,
          ...(httpOptions.basePath ? { basePath: httpOptions.basePath } : {}),
          ...(httpOptions.caller ? { auth: { caller: httpOptions.caller } } : {}),
        });
        const listener = getRequestListener(app.fetch);
        return { fetch: app.fetch, listener: async (request, response) => listener(request, response) };
      },
    });
  } catch (error) {
    await system.close();
    throw error;
  }
}
