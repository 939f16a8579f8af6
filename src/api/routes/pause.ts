import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { MAX_PAUSE_REASON_LENGTH } from '../../domain/config/index.js';
import type { ApiSystem } from '../system.js';
import { type ApiEnv, apiActor, requireRole } from '../http.js';
import { validationHook } from '../validation.js';
import { bearer, errorResponses, JobSchema, jobView, ScheduleCache, writeErrors } from '../views.js';
import { jsonResponse as json } from '../openapi-routes.js';

const IdParam = z.object({ id: z.string().min(1).max(200).openapi({ param: { name: 'id', in: 'path' }, example: 'advancement-batch' }) });

const REASON_MESSAGE = `is required: 1 to ${MAX_PAUSE_REASON_LENGTH} characters saying why the job is paused`;
const UNTIL_MESSAGE = 'must be an ISO 8601 date-time with a zone, such as 2026-03-01T06:00:00Z';

const PauseRequest = z
  .strictObject({
    reason: z
      .string({ error: REASON_MESSAGE })
      .min(1, REASON_MESSAGE)
      .max(MAX_PAUSE_REASON_LENGTH, REASON_MESSAGE)
      .openapi({ description: 'Why the job is paused; shown with who paused it', example: 'Warehouse migration' }),
    until: z.iso
      .datetime({ offset: true, error: UNTIL_MESSAGE })
      .optional()
      .openapi({ description: 'The pause ends by itself at this instant (in the future); omitted: until resumed', example: '2026-03-01T06:00:00Z' }),
  })
  .openapi('PauseRequest');

/**
 * Pause and resume. A pause keeps the schedule switched on; no slot runs while it lasts, and
 * slots that fall in it are passed, not caught up afterwards (whatever the misfire policy).
 */
export function pauseRoutes(deps: { system: ApiSystem; schedules?: ScheduleCache }): OpenAPIHono<ApiEnv> {
  const { system } = deps;
  const schedules = deps.schedules ?? new ScheduleCache();
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/jobs/{id}/pause',
      operationId: 'pauseJob',
      summary: 'Pause a job: no slot runs until it is resumed or the pause ends (a second pause replaces the first)',
      tags: ['jobs'],
      security: bearer,
      middleware: [requireRole('operator')] as const,
      request: { params: IdParam, body: { required: true, content: { 'application/json': { schema: PauseRequest } } } },
      responses: { 200: json(JobSchema, 'Paused: the job with its pause'), 404: errorResponses[404], ...writeErrors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { reason, until } = c.req.valid('json');
      const overview = await system.configs.pause(id, { reason, until }, apiActor(c));
      return c.json(jobView(overview, system.jobTypes, schedules, system.clock.now()), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/jobs/{id}/resume',
      operationId: 'resumeJob',
      summary: 'End a job’s pause at once (a pause after consecutive failures also switches its schedule on again); a job not paused is returned unchanged',
      tags: ['jobs'],
      security: bearer,
      middleware: [requireRole('operator')] as const,
      request: { params: IdParam },
      responses: { 200: json(JobSchema, 'Not paused (any more): the job'), 404: errorResponses[404], ...writeErrors },
    }),
    async (c) => {
      const { overview } = await system.configs.resume(c.req.valid('param').id, apiActor(c));
      return c.json(jobView(overview, system.jobTypes, schedules, system.clock.now()), 200);
    },
  );
  return app;
}
