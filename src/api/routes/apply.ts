import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiSystem } from '../system.js';
import { ApiError, type ApiEnv, apiActor, requireRole } from '../http.js';
import { validationHook } from '../validation.js';
import { bearer, writeErrors } from '../views.js';
import { jsonResponse as json } from '../openapi-routes.js';

/** Documents one apply takes: a repository's worth of configs, bounded like every body. */
const MAX_DOCUMENTS = 1000;
/** The manager of an apply that names none: the same as `grove-jobs apply`, so that a pipeline may use either. */
const DEFAULT_MANAGER = 'files';

export const Owner = z
  .object({
    manager: z.string().openapi({ description: '`console`, `api`, `cli`, `apply:<name>`, or `system` (installed by Grove Jobs)', example: 'apply:files' }),
    by: z.string().openapi({ description: 'The actor recorded with the version', example: 'apply:files' }),
    at: z.iso.datetime(),
    version: z.int(),
  })
  .openapi('FieldOwner', { description: 'Who set a field of a stored config last' });

const Conflict = z
  .object({
    path: z.string().openapi({ example: 'payload.schedule.cronExpression' }),
    declared: z.unknown().openapi({ description: 'What the document states (secrets read as REDACTED)' }),
    live: z.unknown().openapi({ description: 'What is stored' }),
    owner: Owner.optional().openapi({ description: 'Who set the stored value; absent for a value stored before owners were recorded' }),
  })
  .openapi('ApplyConflict');

const Schedule = z.object({ cronExpression: z.string(), timezone: z.string(), isEnabled: z.boolean() });

const Result = z
  .object({
    id: z.string(),
    outcome: z.enum(['created', 'updated', 'unchanged', 'deleted']),
    version: z.int(),
    set: z.array(z.string()).openapi({ description: 'Fields the document sets' }),
    reverted: z.array(z.string()).openapi({ description: 'Fields it stated before and no longer does: back to their defaults' }),
    conflicts: z.array(Conflict),
    changes: z.array(
      z.object({ path: z.string(), from: z.unknown().optional(), to: z.unknown().optional(), owner: Owner.optional().openapi({ description: 'Who had set it' }) }),
    ),
    schedule: z.object({ before: Schedule.optional(), after: Schedule }).optional(),
    nextRuns: z.object({ timezone: z.string(), before: z.array(z.iso.datetime()).optional(), after: z.array(z.iso.datetime()) }).optional(),
    source: z.string().optional(),
  })
  .openapi('ApplyResult');

const Report = z
  .object({
    applied: z.boolean().openapi({ description: 'False for a dry run and when conflicts stopped the apply' }),
    dryRun: z.boolean(),
    manager: z.string().openapi({ example: 'apply:files' }),
    conflicts: z.int().openapi({ description: 'Conflicting fields; any stops the apply (nothing changes) unless `force`' }),
    changes: z.int().openapi({ description: 'Configs created, updated or deleted (or that would be)' }),
    results: z.array(Result),
  })
  .openapi('ApplyReport');

const ApplyRequest = z
  .strictObject({
    documents: z
      .array(z.record(z.string(), z.unknown()))
      .min(1)
      .max(MAX_DOCUMENTS)
      .openapi({ description: 'Configs as `{ meta, payload }`; only `meta.id` and `payload.jobType` are required, and each states only the fields it manages' }),
    manager: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/i, "must be 1-63 letters, digits, '.', '_' or '-'")
      .optional()
      .openapi({ description: `Whose documents these are: their fields are owned by apply:<manager> (default ${DEFAULT_MANAGER})` }),
    force: z.boolean().optional().openapi({ description: 'Take back fields someone else set (the new versions record it)' }),
    prune: z.boolean().optional().openapi({ description: 'Delete the configs wholly owned by this manager that no document names' }),
    dryRun: z.boolean().optional().openapi({ description: 'Only report what would change' }),
    message: z.string().max(500).optional().openapi({ description: 'A note kept with each version stored' }),
  })
  .openapi('ApplyRequest');

/** `{ fromEnv }` is read from the environment of `grove-jobs apply`; the server's own environment is never handed out. */
function refuseEnvReferences(value: unknown, path: string): void {
  if (typeof value !== 'object' || value === null) return;
  if (!Array.isArray(value) && Object.keys(value).length === 1 && 'fromEnv' in value) {
    throw new ApiError(400, 'CONFIG_INVALID', `${path}: { fromEnv } is resolved by grove-jobs apply from its own environment; send the value itself`, path);
  }
  for (const [key, child] of Object.entries(value)) refuseEnvReferences(child, `${path}.${key}`);
}

/** `POST /api/apply`: the documents `grove-jobs apply` reads from files, merged by field ownership in one transaction. */
export function applyRoutes(deps: { system: ApiSystem }): OpenAPIHono<ApiEnv> {
  const { system } = deps;
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  app.openapi(
    createRoute({
      method: 'post',
      path: '/apply',
      operationId: 'applyConfigs',
      summary: 'Apply declared configs by field ownership, all or nothing (as grove-jobs apply does with files)',
      description:
        'A field the documents state that someone else set since (an operator, another manager) is a conflict: nothing is applied and the answer is 409 with each conflict, unless `force`. Applying the same documents again stores no new version.',
      tags: ['jobs'],
      security: bearer,
      middleware: [requireRole('operator')] as const,
      request: { body: { required: true, content: { 'application/json': { schema: ApplyRequest } } } },
      responses: {
        200: json(Report, 'Applied (or, with dryRun, what would be)'),
        409: json(Report.extend({ error: z.object({ code: z.literal('CONFIG_APPLY_CONFLICT'), message: z.string() }) }).openapi('ApplyConflictReport'), 'Conflicts: nothing applied'),
        ...writeErrors,
      },
    }),
    async (c) => {
      const request = c.req.valid('json');
      request.documents.forEach((document, index) => refuseEnvReferences(document, `documents[${index}]`));
      const name = request.manager ?? DEFAULT_MANAGER;
      const dryRun = request.dryRun ?? false;
      const results = await system.configs.apply(request.documents, {
        manager: name,
        actor: `apply:${name}`,
        onConflict: 'stop',
        enableNew: false,
        force: request.force ?? false,
        prune: request.prune ?? false,
        dryRun,
        sources: request.documents.map((_, index) => `documents[${index}]`),
        message: request.message ?? `via ${apiActor(c)}`,
      });
      const conflicts = results.reduce((sum, result) => sum + result.conflicts.length, 0);
      const report = {
        applied: !dryRun && conflicts === 0,
        dryRun,
        manager: `apply:${name}`,
        conflicts,
        changes: results.filter((result) => result.outcome !== 'unchanged').length,
        results,
      };
      if (conflicts > 0) {
        const message = `${conflicts} field${conflicts === 1 ? '' : 's'} changed by someone else since: nothing applied; match the documents to them, or send force: true`;
        return c.json({ ...report, error: { code: 'CONFIG_APPLY_CONFLICT' as const, message } }, 409);
      }
      return c.json(report, 200);
    },
  );
  return app;
}
