import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { describeSchedule, nextSlots, ScheduleError } from '../../domain/schedule/index.js';
import type { ApiEnv } from '../http.js';
import { validationHook } from '../validation.js';
import { jsonResponse } from '../openapi-routes.js';
import { bearer, readErrors } from '../views.js';

/** Slots a preview may ask for. */
const MAX_PREVIEW = 100;
const COUNT_MESSAGE = `must be a whole number from 1 to ${MAX_PREVIEW}`;

const Preview = z
  .union([
    z.object({ valid: z.literal(true), description: z.string(), nextRuns: z.array(z.iso.datetime()) }),
    z.object({ valid: z.literal(false), error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }) }),
  ])
  .openapi('SchedulePreview');

/** The cron helper: a reading and the next runs of an expression in a zone, or why it is refused. */
export function scheduleRoutes(deps: { now: () => Date }): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  app.openapi(
    createRoute({
      method: 'get',
      path: '/schedule/preview',
      operationId: 'previewSchedule',
      summary: 'Describe a cron expression in a zone and list its next runs (a refused one answers 200 with valid: false)',
      tags: ['schedule'],
      security: bearer,
      request: {
        query: z.object({
          cron: z.string().max(500).openapi({ example: '0 2 * * *' }),
          tz: z.string().max(100).optional().openapi({ description: 'IANA zone (default UTC)', example: 'Europe/Berlin' }),
          count: z.coerce
            .number({ error: COUNT_MESSAGE })
            .int(COUNT_MESSAGE)
            .min(1, COUNT_MESSAGE)
            .max(MAX_PREVIEW, COUNT_MESSAGE)
            .optional()
            .openapi({ description: 'Next runs to list (default 5)' }),
          from: z.iso.datetime({ offset: true }).optional().openapi({ description: 'List runs after this instant (default now)' }),
        }),
      },
      responses: { 200: jsonResponse(Preview, 'The reading'), ...readErrors },
    }),
    (c) => {
      const { cron, tz, count, from } = c.req.valid('query');
      const n = count ?? 5;
      const zone = tz ?? 'UTC';
      try {
        const description = describeSchedule(cron, zone);
        const nextRuns = nextSlots(cron, zone, from ? new Date(from) : deps.now(), n).map((d) => d.toISOString());
        return c.json({ valid: true as const, description, nextRuns }, 200);
      } catch (error) {
        if (!(error instanceof ScheduleError)) throw error;
        const body = error.field ? { code: error.code, message: error.message, field: error.field } : { code: error.code, message: error.message };
        return c.json({ valid: false as const, error: body }, 200);
      }
    },
  );
  return app;
}
