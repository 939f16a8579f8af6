import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiSystem } from '../system.js';
import { applyMergePatch, ConfigError, ConfigErrorCode } from '../../domain/config/index.js';
import { ApiError, type ApiEnv, apiActor, requireRole } from '../http.js';
import { validationHook } from '../validation.js';
import { bearer, errorResponses, keepRedactedSecrets, parseIfMatch, readErrors, writeErrors } from '../views.js';
import { jsonResponse as json, withDocumentedBody } from '../openapi-routes.js';

const IdParam = z.object({ id: z.string().min(1).max(200).openapi({ param: { name: 'id', in: 'path' }, example: 'advancement-batch' }) });
const IfMatch = z.object({ 'if-match': z.string().optional().openapi({ description: 'The version the change would be based on (the ETag); a stale one gets 409.' }) });

const Run = z
  .object({
    at: z.iso.datetime().openapi({ description: 'The UTC instant', example: '2027-01-04T09:00:00.000Z' }),
    wallBefore: z.string().openapi({ description: 'Wall clock with offset in the zone before the change', example: '2027-01-04T04:00:00-05:00' }),
    wallAfter: z.string().openapi({ description: 'Wall clock with offset in the zone after the change', example: '2027-01-04T09:00:00+00:00' }),
  })
  .openapi('PreviewRun');

const Side = z
  .object({
    cronExpression: z.string(),
    timezone: z.string(),
    isEnabled: z.boolean(),
    state: z.enum(['on', 'off', 'never']).openapi({ description: '`off`: switched off, no runs; `never`: every matching wall time falls in a daylight-saving gap' }),
    description: z.string().openapi({ example: 'At 09:00, every day (Europe/London)' }),
    note: z.string().optional().openapi({ description: 'Why there are no runs, when there are none', example: 'switched off: no runs' }),
  })
  .openapi('PreviewSchedule');

export const DstDate = z
  .object({
    date: z.string().openapi({ description: 'Local date, YYYY-MM-DD', example: '2027-03-14' }),
    wallClock: z.string().openapi({ description: 'The wall time asked for, HH:MM:SS', example: '02:30:00' }),
    rule: z.enum(['gap-runs-after', 'gap-skipped', 'doubled-runs-once', 'doubled-runs-twice']),
    instants: z.array(z.iso.datetime()).openapi({ description: 'The instants used (none when skipped, two when run twice)' }),
    explanation: z.string(),
  })
  .openapi('PreviewDstDate');

const Preview = z
  .object({
    before: Side,
    after: Side,
    runs: z.object({ before: z.array(Run), after: z.array(Run) }),
    moved: z.array(z.object({ from: Run, to: Run })).openapi({ description: 'Runs before the change with no equal run after it, paired in order with the new runs' }),
    vanished: z.array(Run),
    added: z.array(Run),
    dstDates: z.array(DstDate).openapi({ description: 'Daylight-saving dates of the schedule after the change in the next 12 months' }),
    firstRunUnderNewRule: Run.nullable().openapi({ description: 'The first run under a changed cron or zone; null when neither changes or it never runs' }),
    changes: z.array(z.object({ path: z.string(), from: z.unknown().optional(), to: z.unknown().optional() })).openapi({ description: 'The fields the change sets (secrets read as REDACTED)' }),
  })
  .openapi('JobChangePreview');

/**
 * `POST /api/jobs/{id}/preview`: what a PATCH with the same body would do to the schedule,
 * without storing anything. It changes nothing, so a viewer may ask; the body is validated
 * whole as PATCH validates it (the same field-named 400s).
 */
export function previewRoutes(deps: { system: ApiSystem }): OpenAPIHono<ApiEnv> {
  const { system } = deps;
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  app.openapi(
    withDocumentedBody(
      app.openAPIRegistry,
      createRoute({
        method: 'post',
        path: '/jobs/{id}/preview',
        operationId: 'previewJobChange',
        summary: 'What a change (the JSON Merge Patch PATCH takes) would do to the next runs, without storing it',
        description:
          'Validates the patched config whole as PATCH does, then answers the next runs before and after, the runs that move, vanish or are new, the daylight-saving dates of the schedule after the change in the next 12 months and the first run under a changed cron or zone. Stores nothing, so the viewer role is enough.',
        tags: ['jobs'],
        security: bearer,
        middleware: [requireRole('viewer')] as const,
        request: {
          params: IdParam,
          headers: IfMatch,
          // Loose inside, as for PATCH: the merged config is validated whole, naming every failing field.
          body: {
            required: true,
            content: {
              'application/json': {
                schema: z.strictObject({ meta: z.record(z.string(), z.unknown()).optional(), payload: z.record(z.string(), z.unknown()).optional() }),
              },
            },
          },
        },
        responses: {
          200: json(Preview, 'What the change would do; nothing stored'),
          404: errorResponses[404],
          409: errorResponses[409],
          ...readErrors,
          403: writeErrors[403],
          413: writeErrors[413],
          415: writeErrors[415],
        },
      }),
      { $ref: '#/components/schemas/JobConfigPatch' },
    ),
    async (c) => {
      const { id } = c.req.valid('param');
      const patch = c.req.valid('json');
      const pinned = parseIfMatch(c.req.header('if-match'));
      if (pinned === 'invalid') throw new ApiError(400, 'INVALID_IF_MATCH', 'If-Match: must be a version ETag such as "3"', 'If-Match');
      const current = await system.configs.get(id);
      if (pinned !== undefined && pinned !== current.meta.version) {
        throw new ConfigError(ConfigErrorCode.VersionConflict, `job config '${id}' is at version ${current.meta.version}, not ${pinned}: reload and preview again`, [
          { path: 'meta.version', message: `is ${current.meta.version}, not ${pinned}` },
        ]);
      }
      const candidate = keepRedactedSecrets(applyMergePatch(current, patch), current, system.jobTypes);
      return c.json(system.configs.preview(current, candidate, system.clock.now(), apiActor(c)), 200);
    },
  );
  return app;
}
