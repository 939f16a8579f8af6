import { OpenAPIHono } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import { createGroveJobs, createGroveStores, type GroveJobs, groveJobTypes } from '../../src/app.js';
import type { AnyNotification, Notifier } from '../../src/engine/ports.js';
import { ApiError, type ApiEnv, errorResponse, requestId, ROLES, type Role } from '../../src/api/http.js';
import { inputGuard } from '../../src/api/input-guard.js';
import { validationHook } from '../../src/api/validation.js';
import type { Sql } from '../../src/store/sql.js';
import { createSqlStore } from '../../src/store/sql-store.js';
import { testJobType } from '../support/builders.js';
import type { Clock } from '../../src/engine/ports.js';

/** The header the stub auth reads the role from; tests never carry a real token. */
export const ROLE_HEADER = 'x-test-role';

const silent: Notifier<AnyNotification> = { notify: () => undefined, flush: async () => undefined };

/** A system with the Grove stores and job types (and the test job type) over `sql`. */
export function groveSystem(sql: Sql, clock: Clock): GroveJobs {
  const grove = createGroveStores(sql);
  return createGroveJobs({ clock, store: createSqlStore(sql), grove, jobTypes: [testJobType, ...groveJobTypes(grove, silent)] });
}

/**
 * A tiny API app for in-process requests: a stub auth that takes the role from ROLE_HEADER
 * (401 without it), the API's error mapping and input guard, and the given routers under `/api`.
 */
export function testApi(routers: ReadonlyArray<OpenAPIHono<ApiEnv>>): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  app.onError((error, c) =>
    errorResponse(c, error instanceof HTTPException ? new ApiError(error.status === 413 ? 413 : 400, 'HTTP_ERROR', error.message, 'body') : error),
  );
  app.use('*', requestId());
  app.use('/api/*', async (c, next) => {
    const role = c.req.header(ROLE_HEADER);
    if (!role || !(ROLES as readonly string[]).includes(role)) throw new ApiError(401, 'UNAUTHENTICATED', 'no valid token');
    c.set('role', role as Role);
    c.set('tokenName', `test-${role}`);
    await next();
  });
  app.use('/api/*', inputGuard());
  for (const router of routers) app.route('/api', router);
  return app;
}

/** Calls the app as `role` with an optional JSON body (a string is sent as it is). */
export function call(app: OpenAPIHono<ApiEnv>, method: string, path: string, options: { role?: Role | undefined; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.role) headers[ROLE_HEADER] = options.role;
  const init: RequestInit = { method, headers };
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  }
  return app.request(path, init);
}
