import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { ExecutionRecord } from '../../engine/ports.js';
import type { ApiSystem } from '../system.js';
import { type ApiEnv, apiActor, requireRole } from '../http.js';
import { validationHook } from '../validation.js';
import { jsonResponse as json } from '../openapi-routes.js';
import { bearer, errorResponses, ExecutionSchema, executionView, LogLineSchema, logLineView, readErrors, writeErrors } from '../views.js';

/** Log lines per page, and the most a request may ask for. */
const LOG_PAGE = 1000;
const LOG_LIMIT_MESSAGE = `must be a whole number from 1 to ${LOG_PAGE}`;
/** Log line ids are bigint in the store; fifteen digits stay exact in a JSON number. */
const MAX_LOG_LINE_ID = 999_999_999_999_999;
const LOG_ID_MESSAGE = 'must be a log line id (a whole number)';
const IdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .openapi({
      param: { name: 'id', in: 'path' },
      description:
        'Execution id (UUID), or a prefix of at least 8 hex digits (hyphens optional) that no other execution starts with; ' +
        'an ambiguous prefix is 400 EXECUTION_ID_AMBIGUOUS with `error.candidates`, a malformed one 400 EXECUTION_ID_INVALID (`field`: `id`)',
    }),
});

type ExecutionView = ReturnType<typeof executionView> & { shortId?: string };

/** Executions as the API shows them, each with the prefix that names it (`shortId`): one round trip for all. */
export async function withShortIds(system: ApiSystem, executions: readonly ExecutionRecord[]): Promise<ExecutionView[]> {
  const shortIds = await system.executions.shortIds(executions.map((e) => e.id));
  return executions.map((e) => {
    const shortId = shortIds.get(e.id);
    return shortId === undefined ? executionView(e) : { ...executionView(e), shortId };
  });
}

/** One execution, its logs, retry and cancel. */
export function executionRoutes(deps: { system: ApiSystem }): OpenAPIHono<ApiEnv> {
  const { system } = deps;
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/executions/{id}',
      operationId: 'getExecution',
      summary: 'One execution',
      tags: ['executions'],
      security: bearer,
      request: { params: IdParam },
      responses: { 200: json(ExecutionSchema, 'The execution'), 404: errorResponses[404], ...readErrors },
    }),
    async (c) => c.json((await withShortIds(system, [await system.executions.get(c.req.valid('param').id, 'id')]))[0] as ExecutionView, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/executions/{id}/logs',
      operationId: 'listExecutionLogs',
      summary: 'An execution’s log lines after the line id `after` (up to 1,000)',
      tags: ['executions'],
      security: bearer,
      request: {
        params: IdParam,
        query: z.object({
          after: z.coerce
            .number({ error: LOG_ID_MESSAGE })
            .int(LOG_ID_MESSAGE)
            .min(0, LOG_ID_MESSAGE)
            .max(MAX_LOG_LINE_ID, LOG_ID_MESSAGE)
            .optional()
            // The type given outright: the generator would read "coerced null is 0" as nullable.
            .openapi({ type: 'integer', minimum: 0, maximum: MAX_LOG_LINE_ID, description: 'Only lines after this line id (the last one read)' }),
          limit: z.coerce
            .number({ error: LOG_LIMIT_MESSAGE })
            .int(LOG_LIMIT_MESSAGE)
            .min(1, LOG_LIMIT_MESSAGE)
            .max(LOG_PAGE, LOG_LIMIT_MESSAGE)
            .optional()
            .openapi({ description: `Lines to list (default ${LOG_PAGE})` }),
        }),
      },
      responses: { 200: json(z.object({ items: z.array(LogLineSchema) }), 'Log lines'), 404: errorResponses[404], ...readErrors },
    }),
    async (c) => {
      const { after, limit } = c.req.valid('query');
      const lines = await system.executions.logs(
        c.req.valid('param').id,
        {
          ...(after !== undefined ? { after } : {}),
          ...(limit !== undefined ? { limit } : {}),
        },
        'id',
      );
      return c.json({ items: lines.map(logLineView) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/executions/{id}/retry',
      operationId: 'retryExecution',
      summary: 'Run a finished execution’s job again, as a new run linked to it',
      tags: ['executions'],
      security: bearer,
      middleware: [requireRole('operator')] as const,
      request: { params: IdParam },
      responses: { 202: json(z.object({ executionId: z.string() }), 'Queued'), 404: errorResponses[404], 409: errorResponses[409], ...writeErrors },
    }),
    async (c) => {
      const execution = await system.executions.retry(c.req.valid('param').id, apiActor(c), 'id');
      return c.json({ executionId: execution.id }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/executions/{id}/cancel',
      operationId: 'cancelExecution',
      summary: 'Cancel a queued execution, or ask a running one to stop',
      tags: ['executions'],
      security: bearer,
      middleware: [requireRole('operator')] as const,
      request: { params: IdParam },
      responses: { 200: json(ExecutionSchema, 'The execution after the request'), 404: errorResponses[404], 409: errorResponses[409], ...writeErrors },
    }),
    async (c) => c.json((await withShortIds(system, [await system.executions.cancel(c.req.valid('param').id, apiActor(c), 'id')]))[0] as ExecutionView, 200),
  );

  return app;
}
