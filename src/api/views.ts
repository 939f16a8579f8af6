import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { type JobConfig, type JobTypeRegistry, redactConfig, REDACTED } from '../domain/config/index.js';
import { describeSchedule, nextSlots } from '../domain/schedule/index.js';
import type { ConfigOverview, ExecutionRecord, ExecutionSummary, LogLine } from '../engine/ports.js';

// ── schemas (OpenAPI documentation and response typing) ──────────────────────────────────

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      field: z.string().optional(),
      requestId: z.string().optional().openapi({ description: 'On an unexpected error (500): the id logged with it, also in the X-Request-Id header' }),
      candidates: z
        .array(z.string())
        .optional()
        .openapi({ description: 'On EXECUTION_ID_AMBIGUOUS: the whole ids the prefix starts (at most 10, in creation order)' }),
    }),
  })
  .openapi('Error');

/**
 * A job config `{ meta, payload }` as POST and PUT read it: any object, which the config
 * service validates whole (naming every failing field, with suggestions for misspelled ones).
 * The OpenAPI document describes it as `JobConfigInput` (see openapi-job-configs.ts).
 */
export const JobConfigInputSchema = z.record(z.string(), z.unknown());

/**
 * A field typed `T` in the server and shown in the OpenAPI document as the component `name`
 * (a JSON Schema built from the job-config zod schemas, openapi-job-configs.ts). Required:
 * it refuses undefined, which is what the document generator reads as "may be left out".
 */
export function componentRef<T>(name: string, options: { nullable?: boolean } = {}): z.ZodType<T> {
  const schema = { $ref: `#/components/schemas/${name}` };
  const metadata = options.nullable ? { anyOf: [schema, { type: 'null' }] } : schema;
  return z
    .unknown()
    .refine((value) => value !== undefined)
    // The metadata type does not list $ref; the generator copies it into the schema as given.
    .openapi(metadata as never) as unknown as z.ZodType<T>;
}

export const JobStatus = ['healthy', 'failing', 'running', 'disabled', 'critical'] as const;
export type JobStatus = (typeof JobStatus)[number];

const ItemsSchema = z.object({ total: z.int().nullable(), processed: z.int(), succeeded: z.int(), failed: z.int() });
/** An instant as the API writes it: ISO 8601 in UTC (`Date.toISOString()`). */
const instant = () => z.iso.datetime();

export const ExecutionSummarySchema = z
  .object({
    id: z.string(),
    status: z.string(),
    trigger: z.string(),
    attempt: z.int(),
    queuedAt: instant(),
    startedAt: instant().nullable(),
    finishedAt: instant().nullable(),
    durationMs: z.int().nullable(),
    items: ItemsSchema,
    summary: z.string().nullable(),
    error: z.object({ message: z.string() }).nullable(),
    dryRun: z.boolean().openapi({ description: 'A dry run: it changed nothing' }),
  })
  .openapi('ExecutionSummary');

export const JobSchema = z
  .object({
    meta: componentRef<JobConfig['meta']>('JobConfigMeta'),
    payload: componentRef<JobConfig['payload']>('JobPayload'),
    status: z.enum(JobStatus),
    nextRuns: z.array(instant()),
    schedule: z.object({ description: z.string(), timezone: z.string() }),
    paused: z
      .object({
        at: instant(),
        reason: z.string().nullable(),
        until: instant().nullable().openapi({ description: 'The pause ends by itself then; null: until resumed' }),
        by: z.string().nullable().openapi({ description: 'Who paused it (grove-jobs: after consecutive failures)' }),
      })
      .nullable()
      .openapi({ description: 'Paused: no slot runs, and slots in the pause are not caught up. Null: not paused.' }),
    consecutiveFailures: z.int(),
    lastExecution: ExecutionSummarySchema.nullable(),
    droppedSecrets: z
      .object({ paths: z.array(z.string()), message: z.string() })
      .optional()
      .openapi({ description: 'Only on a write that changed where secrets are sent (the URL’s or webhook URL’s host) without setting them again: the secrets it dropped.' }),
  })
  .openapi('Job', { description: 'A job config (secrets redacted) with its status, next runs and last execution.' });

export const ExecutionSchema = ExecutionSummarySchema.extend({
  configId: z.string(),
  configVersion: z.int(),
  slot: instant().nullable(),
  runId: z.string(),
  retryOf: z.string().nullable(),
  requestedBy: z.string().nullable(),
  dryRun: z.boolean(),
  batchSize: z.int().nullable(),
  runAfter: instant(),
  workerId: z.string().nullable(),
  cancelRequestedAt: instant().nullable(),
  result: z.unknown(),
  error: z.object({ message: z.string(), code: z.string().optional() }).nullable(),
  shortId: z.string().optional().openapi({
    description: 'The fewest leading hex digits (at least 8; the newest execution: 12) that no other execution starts with, as `grove-jobs history` prints it; the execution routes take it as `{id}`',
  }),
}).openapi('Execution');

export const LogLineSchema = z
  .object({ id: z.int(), at: instant(), level: z.string(), message: z.string(), data: z.unknown() })
  .openapi('LogLine');

type OpenApiRegistry = OpenAPIHono['openAPIRegistry'];

const responseRef = (name: string) => ({ $ref: `#/components/responses/${name}` }) as const;
const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` }) as const;

/** Response headers, by the components registerResponseComponents adds. */
export const responseHeaders = {
  /** On every response. */
  requestId: { 'X-Request-Id': headerRef('RequestId') },
  etag: { ETag: headerRef('ETag') },
  location: { Location: headerRef('Location') },
} as const;

/** Every error the API answers, each a response component (registerResponseComponents). */
export const errorResponses = {
  400: responseRef('BadRequest'),
  401: responseRef('Unauthenticated'),
  403: responseRef('Forbidden'),
  404: responseRef('NotFound'),
  409: responseRef('Conflict'),
  413: responseRef('PayloadTooLarge'),
  415: responseRef('UnsupportedMediaType'),
  429: responseRef('TooManyFailedAuthentications'),
  500: responseRef('InternalError'),
} as const;

/**
 * What any authenticated call may get: 400 (the input guard reads every path, query and
 * header), 401 and 429 (auth), 500.
 */
export const readErrors = { 400: errorResponses[400], 401: errorResponses[401], 429: errorResponses[429], 500: errorResponses[500] } as const;
/** What a write may get besides: 403 (role), 413 and 415 (the body checks on POST, PUT, PATCH, DELETE). */
export const writeErrors = { ...readErrors, 403: errorResponses[403], 413: errorResponses[413], 415: errorResponses[415] } as const;

/** The response and header components the references above name: once, on the app that serves the document. */
export function registerResponseComponents(registry: OpenApiRegistry): void {
  registry.register('Error', ErrorSchema);
  registry.registerComponent('headers', 'RequestId', {
    description: 'Names the request: the client’s own X-Request-Id when it is 1 to 64 plain characters (letters, digits, `._:-`), else a new UUID. An unexpected error is logged with it.',
    schema: { type: 'string' },
  });
  registry.registerComponent('headers', 'ETag', { description: 'The version written or read, as a quoted number (`"3"`): send it back as If-Match.', schema: { type: 'string', example: '"3"' } });
  registry.registerComponent('headers', 'Location', { description: 'Where the created job config is read', schema: { type: 'string', example: '/api/jobs/nightly-advancement' } });
  registry.registerComponent('headers', 'RetryAfter', { description: 'Seconds to wait before trying again', schema: { type: 'integer', minimum: 0 } });
  const error = (description: string, extraHeaders: Record<string, { $ref: string }> = {}) => ({
    description,
    headers: { ...responseHeaders.requestId, ...extraHeaders },
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  const responses: Record<string, ReturnType<typeof error>> = {
    BadRequest: error('Invalid input: `error.field` names the failing field (a body field by its path, a query or path parameter or header by its name)'),
    Unauthenticated: error('No bearer token, or not a valid one'),
    Forbidden: error('The token’s role may not do this (viewer reads; operator edits, runs, cancels and retries; admin also deletes)'),
    NotFound: error('Not found'),
    Conflict: error('Conflict: a stale If-Match or version, an id that exists already, or a state that does not allow it'),
    PayloadTooLarge: error('The body is larger than the server takes (default 10 MiB)'),
    UnsupportedMediaType: error('A body that is not application/json'),
    TooManyFailedAuthentications: error('Too many failed authentications from this address or with this token prefix: a valid token is still served; others may try again after Retry-After', {
      'Retry-After': headerRef('RetryAfter'),
    }),
    InternalError: error('An unexpected error: `error.requestId` (also in X-Request-Id) names it in the server log'),
  };
  for (const [name, response] of Object.entries(responses)) registry.registerComponent('responses', name, response);
}

/** Both routers' OpenAPI security requirement. */
export const bearer = [{ bearer: [] }];

// ── views ───────────────────────────────────────────────────────────────────────────────

/** Next runs shown per job. */
export const NEXT_RUNS = 5;
/** Failed runs in a row that make a job critical before auto-pause does. */
export const CRITICAL_STREAK = 3;

const iso = (date: Date | null) => (date === null ? null : date.toISOString());

export type JobView = z.infer<typeof JobSchema>;
export type ExecutionView = z.infer<typeof ExecutionSchema>;

/**
 * disabled when switched off (critical instead when auto-pause switched it off); critical
 * when CRITICAL_STREAK runs in a row failed; running while an execution runs; failing when
 * the last execution failed or timed out; otherwise healthy.
 */
export function jobStatus(overview: ConfigOverview): JobStatus {
  const enabled = overview.config.payload.schedule.isEnabled;
  if (!enabled) return overview.pausedAt !== null ? 'critical' : 'disabled';
  if (overview.consecutiveFailures >= CRITICAL_STREAK) return 'critical';
  if (overview.running > 0) return 'running';
  const last = overview.lastExecution?.status;
  if (last === 'failed' || last === 'timeout') return 'failing';
  return 'healthy';
}

export function executionSummaryView(e: ExecutionSummary): z.infer<typeof ExecutionSummarySchema> {
  return {
    id: e.id,
    status: e.status,
    trigger: e.trigger,
    attempt: e.attempt,
    queuedAt: e.queuedAt.toISOString(),
    startedAt: iso(e.startedAt),
    finishedAt: iso(e.finishedAt),
    durationMs: e.durationMs,
    items: e.items,
    summary: e.summary,
    error: e.error ? { message: e.error.message } : null,
    dryRun: e.dryRun,
  };
}

/** An execution without its config snapshot (which may hold secrets). */
export function executionView(e: ExecutionRecord): ExecutionView {
  return {
    ...executionSummaryView(e),
    configId: e.configId,
    configVersion: e.configVersion,
    slot: iso(e.slot),
    runId: e.runId,
    retryOf: e.retryOf,
    requestedBy: e.requestedBy,
    // As the worker runs it: the per-run override, or the dryRun parameter of the config version it ran.
    dryRun: e.dryRun || e.config.payload.parameters['dryRun'] === true,
    batchSize: e.batchSize,
    runAfter: e.runAfter.toISOString(),
    workerId: e.workerId,
    cancelRequestedAt: iso(e.cancelRequestedAt),
    result: e.result ?? null,
    error: e.error ? { message: e.error.message, ...(e.error.code ? { code: e.error.code } : {}) } : null,
  };
}

export function logLineView(line: LogLine): z.infer<typeof LogLineSchema> {
  return { id: line.id, at: line.at.toISOString(), level: line.level, message: line.message, data: line.data ?? null };
}

/**
 * Schedule readings per config version: the description never changes for a version, and
 * the next runs only once the first of them has passed. Bounded: cleared when full.
 */
export class ScheduleCache {
  static readonly MAX = 20_000;
  readonly #entries = new Map<string, { description: string; slots: Date[] }>();

  read(config: JobConfig, now: Date): { description: string; nextRuns: Date[] } {
    const { cronExpression, timezone } = config.payload.schedule;
    const key = `${config.meta.id}\u0000${config.meta.version}\u0000${cronExpression}\u0000${timezone}`;
    let entry = this.#entries.get(key);
    if (!entry || (entry.slots[0] !== undefined && entry.slots[0] <= now)) {
      if (this.#entries.size >= ScheduleCache.MAX) this.#entries.clear();
      let description: string;
      let slots: Date[];
      try {
        description = entry?.description ?? describeSchedule(cronExpression, timezone);
        slots = nextSlots(cronExpression, timezone, now, NEXT_RUNS);
      } catch {
        // Stored configs were validated; a zone database change could still refuse one.
        description = 'invalid schedule';
        slots = [];
      }
      entry = { description, slots };
      this.#entries.set(key, entry);
    }
    return { description: entry.description, nextRuns: entry.slots };
  }
}

export function jobView(overview: ConfigOverview, registry: JobTypeRegistry, schedules: ScheduleCache, now: Date): JobView {
  const config = redactConfig(overview.config, registry);
  const status = jobStatus(overview);
  const reading = schedules.read(overview.config, now);
  return {
    meta: config.meta,
    payload: config.payload,
    status,
    // A switched-off config has no next runs; a paused one none before its pause ends.
    nextRuns: config.payload.schedule.isEnabled
      ? reading.nextRuns.filter((d) => !overview.pausedAt || (overview.pausedUntil !== null && d >= overview.pausedUntil)).map((d) => d.toISOString())
      : [],
    schedule: { description: reading.description, timezone: config.payload.schedule.timezone },
    paused: overview.pausedAt
      ? { at: overview.pausedAt.toISOString(), reason: overview.pausedReason, until: overview.pausedUntil?.toISOString() ?? null, by: overview.pausedBy }
      : null,
    consecutiveFailures: overview.consecutiveFailures,
    lastExecution: overview.lastExecution ? executionSummaryView(overview.lastExecution) : null,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Secrets are write-only, so a client edits a config it read with secrets shown as
 * REDACTED: wherever the candidate still holds REDACTED, the stored secret is kept.
 */
export function keepRedactedSecrets(candidate: unknown, current: JobConfig, registry: JobTypeRegistry): unknown {
  if (!isRecord(candidate) || !isRecord(candidate['payload'])) return candidate;
  const payload = { ...candidate['payload'] };
  const jobType = typeof payload['jobType'] === 'string' ? payload['jobType'] : current.payload.jobType;
  if (isRecord(payload['parameters'])) {
    const parameters = { ...payload['parameters'] };
    for (const name of registry.get(jobType)?.secretParameters ?? []) {
      const sent = parameters[name];
      const stored = current.payload.parameters[name];
      if (sent === REDACTED) parameters[name] = stored;
      else if (isRecord(sent) && isRecord(stored)) {
        parameters[name] = Object.fromEntries(Object.entries(sent).map(([key, value]) => [key, value === REDACTED ? stored[key] : value]));
      }
      if (parameters[name] === undefined) delete parameters[name];
    }
    payload['parameters'] = parameters;
  }
  if (isRecord(payload['notifications']) && payload['notifications']['webhookSecret'] === REDACTED) {
    const notifications = { ...payload['notifications'], webhookSecret: current.payload.notifications.webhookSecret };
    if (notifications.webhookSecret === undefined) delete notifications.webhookSecret;
    payload['notifications'] = notifications;
  }
  return { ...candidate, payload };
}

/** `If-Match: "7"` (or `7`, `W/"7"`) → 7; `*` or absent → undefined. */
export function parseIfMatch(header: string | undefined): number | undefined | 'invalid' {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  return match ? Number(match[1]) : 'invalid';
}

export const etag = (version: number) => `"${version}"`;
