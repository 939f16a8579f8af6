import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { jsonResponse } from './openapi-routes.js';
import { responseHeaders } from './views.js';

/** The public routes beside the API: liveness, readiness and the Prometheus scrape (no token). */
const PUBLIC: Array<Record<string, string[]>> = [];

export const ReadinessSchema = z
  .object({
    ready: z.boolean(),
    database: z.enum(['ok', 'unreachable']),
    migrations: z.object({ applied: z.int(), expected: z.int() }).optional().openapi({ description: 'Migrations the database has, and those this process knows' }),
    message: z.string().optional().openapi({ description: 'Why it is not ready' }),
  })
  .openapi('Readiness');

export const healthzRoute = createRoute({
  method: 'get',
  path: '/healthz',
  operationId: 'getHealth',
  summary: 'Liveness: the process answers (the database is not asked)',
  tags: ['system'],
  security: PUBLIC,
  responses: { 200: jsonResponse(z.object({ ok: z.literal(true) }).openapi('Health'), 'The process is up') },
});

export const readyzRoute = createRoute({
  method: 'get',
  path: '/readyz',
  operationId: 'getReadiness',
  summary: 'Readiness: the database answers and has the migrations this process knows',
  tags: ['system'],
  security: PUBLIC,
  responses: {
    200: jsonResponse(ReadinessSchema, 'Ready'),
    503: jsonResponse(ReadinessSchema, 'Not ready: the database does not answer, or its migrations differ from this process’s'),
  },
});

/** `/metrics` is served by metrics.ts (a plain Hono router): only its description is added here. */
export function registerMetricsPath(registry: OpenAPIHono['openAPIRegistry']): void {
  registry.registerPath({
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: 'Prometheus metrics of this process, and queue figures read from the database at scrape',
    description:
      'The Prometheus text format (0.0.4): `grove_jobs_executions_finished_total`, `grove_jobs_execution_duration_seconds` and `grove_jobs_slot_start_lag_seconds` ' +
      'for executions this process ran; `grove_jobs_executions_active`, `grove_jobs_queue_depth` and `grove_jobs_database_up` from the database.',
    tags: ['system'],
    security: PUBLIC,
    responses: {
      200: {
        description: 'The metrics',
        headers: { ...responseHeaders.requestId },
        content: { 'text/plain; version=0.0.4; charset=utf-8': { schema: { type: 'string' } } },
      },
    },
  });
}
