import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ApiSystem } from '../system.js';
import { applyMergePatch, ConfigError, ConfigErrorCode, type JobConfig, redactVersions } from '../../domain/config/index.js';
import { ExecutionStatus } from '../../domain/config/index.js';
import { ApiError, type ApiEnv, apiActor, requireRole } from '../http.js';
import { validationHook } from '../validation.js';
import {
  bearer,
  componentRef,
  errorResponses,
  etag,
  ExecutionSchema,
  JobConfigInputSchema,
  JobSchema,
  type JobView,
  jobView,
  keepRedactedSecrets,
  parseIfMatch,
  readErrors,
  responseHeaders,
  ScheduleCache,
  writeErrors,
} from '../views.js';
import { JobListCache } from '../job-list.js';
import { jobConfigComponents } from '../openapi-job-configs.js';
import { emptyResponse, jsonResponse as json, withDocumentedBody } from '../openapi-routes.js';
import { withShortIds } from './executions.js';
import { Owner } from './apply.js';

export interface JobRouteDeps {
  system: ApiSystem;
  schedules?: ScheduleCache;
  list?: JobListCache;
}

const body = <S extends z.ZodType>(schema: S, required = true) => ({ body: { required, content: { 'application/json': { schema } } } });

const IdParam = z.object({ id: z.string().min(1).max(200).openapi({ param: { name: 'id', in: 'path' }, example: 'advancement-batch' }) });
const IfMatch = z.object({ 'if-match': z.string().optional().openapi({ description: 'The version the change is based on (the ETag); a stale one gets 409.' }) });

const SORTS = ['id', 'title', 'type', 'status', 'nextRun', 'lastRun'] as const;
const SortParam = z.enum([...SORTS, ...SORTS.map((s) => `-${s}` as const)]);

/** Configs per page of the list, unless the request asks for another number (at most MAX_JOB_PAGE). */
export const JOB_PAGE = 100;
const MAX_JOB_PAGE = 1000;

const JobList = z
  .object({
    items: z.array(JobSchema),
    total: z.int().openapi({ description: 'Configs matching the filters (all pages)' }),
    enabledCount: z.int().openapi({ description: 'Enabled configs among them' }),
    failedCount: z.int().openapi({ description: 'Among them, configs whose last execution failed (status failing or critical)' }),
  })
  .openapi('JobList');
const VersionSchema = z
  .object({
    version: z.int(),
    changedBy: z.string(),
    changedAt: z.iso.datetime(),
    changes: z.array(
      z
        .object({
          path: z.string().openapi({ example: 'payload.schedule.cronExpression' }),
          from: z.unknown().openapi({ description: 'The value before; absent when the field was added' }),
          to: z.unknown().openapi({ description: 'The value after; absent when the field was removed' }),
        })
        .openapi('ConfigChange', { description: 'One changed field (secrets read as REDACTED)' }),
    ),
    restoredFrom: z.int().nullable(),
    message: z.string().nullable().openapi({ description: 'The writer’s note (grove-jobs apply --message; fields an apply took back by force)' }),
    config: componentRef<JobConfig>('JobConfig'),
  })
  .openapi('ConfigVersion');
const JobTypeSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    parameters: z.record(z.string(), z.unknown()).openapi({ description: 'The JSON Schema of the parameters as written (also in this document as `<Type>ParametersInput`)' }),
    defaults: z.record(z.string(), z.unknown()).openapi({ description: 'The type’s defaults for omitted config sections and fields' }),
    secretParameters: z.array(z.string()),
    changesData: z.boolean().openapi({ description: 'A run that is not a dry run changes records operators own: ask before running it' }),
    usesBatchSize: z.boolean().openapi({ description: 'The type works in pages of limits.batchSize, which a run may override' }),
    counterLabels: z
      .object({ processed: z.string(), succeeded: z.string(), failed: z.string() })
      .openapi({ description: "What the type calls its item counters, e.g. advancement-batch's succeeded items are Advanced" }),
  })
  .openapi('JobType');

const COUNTER_LABELS = { processed: 'Processed', succeeded: 'Succeeded', failed: 'Failed' } as const;

/** A job's executions listed unless the request asks for another number (at most MAX_EXECUTION_PAGE). */
const EXECUTION_PAGE = 20;
const MAX_EXECUTION_PAGE = 1000;
const EXECUTION_LIMIT_MESSAGE = `must be a whole number from 1 to ${MAX_EXECUTION_PAGE}`;
/** Config versions are stored as int4; nine digits keep a number in range. */
const MAX_VERSION = 999_999_999;

/** Writes not pinned by If-Match re-read and reapply this many times when another writer got in between. */
const UNPINNED_ATTEMPTS = 3;
/** Keys of a job as the API shows it that are not part of the config: ignored when it is sent back. */
const VIEW_KEYS = ['status', 'nextRuns', 'schedule', 'paused', 'consecutiveFailures', 'lastExecution'];

function ifMatch(c: Context): number | undefined {
  const parsed = parseIfMatch(c.req.header('if-match'));
  if (parsed === 'invalid') throw new ApiError(400, 'INVALID_IF_MATCH', 'If-Match: must be a version ETag such as "3"', 'If-Match');
  return parsed;
}

function withoutViewKeys(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  return Object.fromEntries(Object.entries(input).filter(([key]) => !VIEW_KEYS.includes(key)));
}

/** A saved job as answered, saying which secrets the write dropped (its destination host changed), when it dropped any. */
function withDropped(job: JobView, dropped: readonly string[]): JobView {
  if (dropped.length === 0) return job;
  return {
    ...job,
    droppedSecrets: {
      paths: [...dropped],
      message: 'the destination host changed, so these secrets were dropped: set them again in the same change to keep sending them',
    },
  };
}

function compare(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

const STATUS_ORDER: Record<JobView['status'], number> = { critical: 0, failing: 1, running: 2, healthy: 3, disabled: 4 };

function sortKey(job: JobView, sort: (typeof SORTS)[number]): string | number | null {
  switch (sort) {
    case 'id':
      return String(job.meta['id']);
    case 'title':
      return String(job.meta['title']).toLowerCase();
    case 'type':
      return String(job.payload['jobType']);
    case 'status':
      return STATUS_ORDER[job.status];
    case 'nextRun':
      return job.nextRuns[0] ?? null;
    case 'lastRun':
      return job.lastExecution?.queuedAt ?? null;
  }
}

/** Job types, job configs (CRUD, versions, duplicate), manual runs and a config's executions. */
export function jobRoutes(deps: JobRouteDeps): OpenAPIHono<ApiEnv> {
  const { system } = deps;
  const schedules = deps.schedules ?? new ScheduleCache();
  const list = deps.list ?? new JobListCache(system, schedules);
  const registry = system.jobTypes;
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  // The job configs of the types this system knows, typed per type in the document.
  for (const [name, schema] of Object.entries(jobConfigComponents(registry))) app.openAPIRegistry.registerComponent('schemas', name, schema);

  const view = async (id: string) => jobView(await system.configs.overview(id), registry, schedules, system.clock.now());

  /**
   * Writes `build(current)` based on If-Match or, without it, on whatever is current (retried
   * on a race); `dropped` receives the secrets the write dropped (see WriteOptions.onSecretsDropped).
   */
  async function write(c: Context<ApiEnv>, id: string, build: (current: JobConfig) => unknown, dropped: string[]): Promise<JobConfig> {
    const pinned = ifMatch(c);
    for (let attempt = 1; ; attempt++) {
      const current = await system.configs.get(id);
      const candidate = keepRedactedSecrets(build(current), current, registry);
      try {
        return await system.configs.update(id, candidate, {
          actor: apiActor(c),
          expectedVersion: pinned ?? current.meta.version,
          onSecretsDropped: (paths) => dropped.push(...paths),
        });
      } catch (error) {
        const raced = error instanceof ConfigError && error.code === ConfigErrorCode.VersionConflict && pinned === undefined;
        if (!raced || attempt >= UNPINNED_ATTEMPTS) throw error;
      }
    }
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/job-types',
      operationId: 'listJobTypes',
      summary: 'Job types with their parameter JSON Schemas and defaults',
      tags: ['jobs'],
      security: bearer,
      responses: { 200: json(z.object({ items: z.array(JobTypeSchema) }), 'Job types'), ...readErrors },
    }),
    (c) => {
      const items = registry.list().map((type) => {
        let parameters: Record<string, unknown>;
        try {
          parameters = z.toJSONSchema(type.parameters, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
        } catch {
          parameters = {};
        }
        return {
          name: type.name,
          description: type.description,
          parameters,
          defaults: (type.defaults ?? {}) as Record<string, unknown>,
          secretParameters: [...(type.secretParameters ?? [])],
          changesData: type.changesData ?? false,
          usesBatchSize: type.usesBatchSize ?? false,
          counterLabels: { ...COUNTER_LABELS, ...type.counterLabels },
        };
      });
      return c.json({ items }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/jobs',
      operationId: 'listJobs',
      summary: 'List job configs with status, next runs and last execution',
      tags: ['jobs'],
      security: bearer,
      request: {
        query: z.object({
          type: z.string().optional().openapi({ description: 'Only this job type' }),
          enabled: z.enum(['true', 'false']).optional(),
          q: z.string().max(200).optional().openapi({ description: 'Text in the id, title, display name or description' }),
          sort: SortParam.optional().openapi({ description: 'Sort key; a leading - sorts descending' }),
          limit: z.coerce.number().int().min(1).max(MAX_JOB_PAGE).optional().openapi({ description: `Configs per page (default ${JOB_PAGE})` }),
          // The type given outright: the generator would read "coerced null is 0" as nullable.
          offset: z.coerce.number().int().min(0).optional().openapi({ type: 'integer', minimum: 0, description: 'Skip this many matching configs' }),
        }),
      },
      responses: { 200: json(JobList, 'Job configs (gzip-encoded when the client accepts it)'), ...readErrors },
    }),
    async (c) => {
      const { type, enabled, q, sort, limit, offset } = c.req.valid('query');
      const needle = q?.toLowerCase();
      const bytes = await list.page(new URL(c.req.url).search, ({ views, json: serialised }) => {
        // Positions into the built list, filtered, sorted, then one page of them.
        let picked = views.flatMap((job, index) => {
          const payload = job.payload as JobConfig['payload'];
          if (type !== undefined && payload.jobType !== type) return [];
          if (enabled !== undefined && payload.schedule.isEnabled !== (enabled === 'true')) return [];
          if (needle) {
            const text = `${String(job.meta['id'])}\n${String(job.meta['title'])}\n${payload.displayName}\n${String(job.meta['description'])}`.toLowerCase();
            if (!text.includes(needle)) return [];
          }
          return [index];
        });
        if (sort && sort !== 'id') {
          const descending = sort.startsWith('-');
          const key = (descending ? sort.slice(1) : sort) as (typeof SORTS)[number];
          const at = (i: number) => views[i] as JobView;
          picked = picked.sort((a, b) => (descending ? -1 : 1) * compare(sortKey(at(a), key), sortKey(at(b), key)) || compare(String(at(a).meta['id']), String(at(b).meta['id'])));
        }
        const enabledCount = picked.filter((i) => (views[i]?.payload as JobConfig['payload']).schedule.isEnabled).length;
        const failedCount = picked.filter((i) => views[i]?.status === 'failing' || views[i]?.status === 'critical').length;
        const from = offset ?? 0;
        const page = picked.slice(from, from + (limit ?? JOB_PAGE));
        // The views were serialised when the list was built: a page is a join of strings.
        return `{"items":[${page.map((i) => serialised[i]).join(',')}],"total":${picked.length},"enabledCount":${enabledCount},"failedCount":${failedCount}}`;
      });
      // The list is the largest answer the API gives: compressed once per build for clients that accept gzip.
      const gzip = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
      const headers: Record<string, string> = { 'content-type': 'application/json', vary: 'Accept-Encoding' };
      if (gzip) headers['content-encoding'] = 'gzip';
      return c.body((gzip ? bytes.gzipped : bytes.plain) as Uint8Array<ArrayBuffer>, 200, headers) as never;
    },
  );

  app.openapi(
    withDocumentedBody(
      app.openAPIRegistry,
      createRoute({
        method: 'post',
        path: '/jobs',
        operationId: 'createJob',
        summary: 'Create a job config (validated whole; omitted fields take defaults)',
        tags: ['jobs'],
        security: bearer,
        middleware: [requireRole('operator')] as const,
        request: body(JobConfigInputSchema),
        responses: { 201: json(JobSchema, 'Created', { ...responseHeaders.etag, ...responseHeaders.location }), 409: errorResponses[409], ...writeErrors },
      }),
      { $ref: '#/components/schemas/JobConfigInput' },
    ),
    async (c) => {
      const created = await system.configs.create(withoutViewKeys(c.req.valid('json')), { actor: apiActor(c) });
      c.header('ETag', etag(created.meta.version));
      c.header('Location', `/api/jobs/${created.meta.id}`);
      return c.json(await view(created.meta.id), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/jobs/{id}',
      operationId: 'getJob',
      summary: 'One job config with status, next runs and last execution',
      tags: ['jobs'],
      security: bearer,
      request: { params: IdParam },
      responses: { 200: json(JobSchema, 'The job', responseHeaders.etag), 404: errorResponses[404], ...readErrors },
    }),
    async (c) => {
      const job = await view(c.req.valid('param').id);
      c.header('ETag', etag(Number(job.meta['version'])));
      return c.json(job, 200);
    },
  );

  app.openapi(
    withDocumentedBody(
      app.openAPIRegistry,
      createRoute({
        method: 'put',
        path: '/jobs/{id}',
        operationId: 'replaceJob',
        summary: 'Replace a job config (omitted fields take their defaults again; secrets sent back redacted are kept)',
        tags: ['jobs'],
        security: bearer,
        middleware: [requireRole('operator')] as const,
        request: { params: IdParam, headers: IfMatch, ...body(JobConfigInputSchema) },
        responses: { 200: json(JobSchema, 'Saved', responseHeaders.etag), 404: errorResponses[404], 409: errorResponses[409], ...writeErrors },
      }),
      { $ref: '#/components/schemas/JobConfigInput' },
    ),
    async (c) => {
      const { id } = c.req.valid('param');
      const input = withoutViewKeys(c.req.valid('json'));
      const dropped: string[] = [];
      const saved = await write(c, id, () => input, dropped);
      c.header('ETag', etag(saved.meta.version));
      return c.json(withDropped(await view(id), dropped), 200);
    },
  );

  app.openapi(
    withDocumentedBody(
      app.openAPIRegistry,
      createRoute({
        method: 'patch',
        path: '/jobs/{id}',
        operationId: 'updateJob',
        summary: 'Change part of a job config: a JSON Merge Patch (RFC 7396) of { meta?, payload? }, then validated whole',
        tags: ['jobs'],
        security: bearer,
        middleware: [requireRole('operator')] as const,
        request: {
          params: IdParam,
          headers: IfMatch,
          // Loose inside: the merged config is validated whole, naming every failing field.
          ...body(z.strictObject({ meta: z.record(z.string(), z.unknown()).optional(), payload: z.record(z.string(), z.unknown()).optional() })),
        },
        responses: { 200: json(JobSchema, 'Saved', responseHeaders.etag), 404: errorResponses[404], 409: errorResponses[409], ...writeErrors },
      }),
      { $ref: '#/components/schemas/JobConfigPatch' },
    ),
    async (c) => {
      const { id } = c.req.valid('param');
      const patch = c.req.valid('json');
      const dropped: string[] = [];
      const saved = await write(c, id, (current) => applyMergePatch(current, patch), dropped);
      c.header('ETag', etag(saved.meta.version));
      return c.json(withDropped(await view(id), dropped), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/jobs/{id}',
      operationId: 'deleteJob',
      summary: 'Delete a job config with its history (admin; refused while an execution runs)',
      tags: ['jobs'],
      security: bearer,
      middleware: [requireRole('admin')] as const,
      request: { params: IdParam, headers: IfMatch },
      responses: { 204: emptyResponse('Deleted'), 404: errorResponses[404], 409: errorResponses[409], ...writeErrors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const pinned = ifMatch(c);
      await system.configs.delete(id, pinned === undefined ? { actor: apiActor(c) } : { actor: apiActor(c), expectedVersion: pinned });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/jobs/{id}/duplicate',
      operationId: 'duplicateJob',
      summary: 'Copy a job config under a new id (switched off)',
      tags: ['jobs'],
      security: bearer,
      middleware: [requireRole('operator')] as const,
      request: {
        params: IdParam,
        ...body(z.strictObject({ id: z.string().max(200).optional(), title: z.string().max(200).optional() }).openapi('DuplicateRequest'), false),
      },
      responses: { 201: json(JobSchema, 'The copy', { ...responseHeaders.etag, ...responseHeaders.location }), 404: errorResponses[404], 409: errorResponses[409], ...writeErrors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const options = c.req.valid('json');
      const source = await system.configs.get(id);
      const copy = {
        meta: { id: options.id ?? `${id}-copy`, title: options.title ?? `${source.meta.title} (copy)`, description: source.meta.description },
        payload: { ...source.payload, schedule: { ...source.payload.schedule, isEnabled: false } },
      };
      const created = await system.configs.create(copy, { actor: apiActor(c) });
      c.header('ETag', etag(created.meta.version));
      c.header('Location', `/api/jobs/${created.meta.id}`);
      return c.json(await view(created.meta.id), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/jobs/{id}/versions',
      operationId: 'listJobVersions',
      summary: 'Every stored version of a job config, newest first, with who changed what',
      tags: ['jobs'],
      security: bearer,
      request: { params: IdParam },
      responses: { 200: json(z.object({ items: z.array(VersionSchema) }), 'Versions'), 404: errorResponses[404], ...readErrors },
    }),
    async (c) => {
      const versions = redactVersions(await system.configs.versions(c.req.valid('param').id), registry);
      const items = versions.map((v) => ({
        version: v.version,
        changedBy: v.changedBy,
        changedAt: v.changedAt.toISOString(),
        changes: v.changes,
        restoredFrom: v.restoredFrom ?? null,
        message: v.message ?? null,
        config: v.config,
      }));
      return c.json({ items }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/jobs/{id}/owners',
      operationId: 'listJobFieldOwners',
      summary: 'Who set each field of a job config last (an operator, or the files of grove-jobs apply)',
      tags: ['jobs'],
      security: bearer,
      request: { params: IdParam },
      responses: {
        200: json(
          z.object({
            owners: z.record(z.string(), Owner).openapi({ description: 'Field path (payload.schedule.cronExpression) → its owner; fields set by no one (defaults) are absent' }),
          }),
          'Owners',
        ),
        404: errorResponses[404],
        ...readErrors,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await system.configs.get(id);
      return c.json({ owners: await system.configs.owners(id) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/jobs/{id}/versions/{version}/restore',
      operationId: 'restoreJobVersion',
      summary: 'Store an earlier version of a job config as a new version',
      tags: ['jobs'],
      security: bearer,
      middleware: [requireRole('operator')] as const,
      request: {
        params: IdParam.extend({
          version: z.coerce
            .number({ error: 'must be a version number' })
            .int('must be a version number')
            .min(1, 'must be a version number')
            .max(MAX_VERSION, 'must be a version number')
            .openapi({ param: { name: 'version', in: 'path' }, example: 1 }),
        }),
        headers: IfMatch,
      },
      responses: { 200: json(JobSchema, 'Restored as a new version', responseHeaders.etag), 404: errorResponses[404], 409: errorResponses[409], ...writeErrors },
    }),
    async (c) => {
      const { id, version } = c.req.valid('param');
      const pinned = ifMatch(c);
      const restored = await system.configs.restore(id, version, pinned === undefined ? { actor: apiActor(c) } : { actor: apiActor(c), expectedVersion: pinned });
      c.header('ETag', etag(restored.meta.version));
      return c.json(await view(id), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/jobs/{id}/run',
      operationId: 'runJob',
      summary: 'Queue a run of the job now; a repeated Idempotency-Key returns the execution it started',
      tags: ['executions'],
      security: bearer,
      middleware: [requireRole('operator')] as const,
      request: {
        params: IdParam,
        headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }),
        ...body(z.strictObject({ dryRun: z.boolean().optional(), batchSize: z.int().min(1).max(1_000_000).optional() }).openapi('RunRequest'), false),
      },
      responses: {
        202: json(
          z.object({ executionId: z.string(), created: z.boolean().openapi({ description: 'False when a repeated Idempotency-Key found the execution it started before' }) }),
          'Queued',
        ),
        404: errorResponses[404],
        ...writeErrors,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { dryRun, batchSize } = c.req.valid('json');
      const key = c.req.valid('header')['idempotency-key'];
      const { execution, created } = await system.executions.trigger(id, {
        requestedBy: apiActor(c),
        trigger: 'api',
        ...(dryRun !== undefined ? { dryRun } : {}),
        ...(batchSize !== undefined ? { batchSize } : {}),
        ...(key !== undefined ? { idempotencyKey: key } : {}),
      });
      return c.json({ executionId: execution.id, created }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/jobs/{id}/executions',
      operationId: 'listJobExecutions',
      summary: 'A job’s executions, newest first',
      tags: ['executions'],
      security: bearer,
      request: {
        params: IdParam,
        query: z.object({
          limit: z.coerce
            .number({ error: EXECUTION_LIMIT_MESSAGE })
            .int(EXECUTION_LIMIT_MESSAGE)
            .min(1, EXECUTION_LIMIT_MESSAGE)
            .max(MAX_EXECUTION_PAGE, EXECUTION_LIMIT_MESSAGE)
            .optional()
            .openapi({ description: `Executions to list (default ${EXECUTION_PAGE})` }),
          status: z.enum(Object.values(ExecutionStatus) as [ExecutionStatus, ...ExecutionStatus[]]).optional(),
        }),
      },
      responses: { 200: json(z.object({ items: z.array(ExecutionSchema) }), 'Executions'), 404: errorResponses[404], ...readErrors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { limit, status } = c.req.valid('query');
      const n = limit ?? EXECUTION_PAGE;
      const items = await system.executions.list(id, status ? { limit: n, status } : { limit: n });
      return c.json({ items: await withShortIds(system, items) }, 200);
    },
  );

  return app;
}

