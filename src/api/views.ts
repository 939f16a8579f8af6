import { z } from '@hono/zod-openapi';
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

/** A job config `{ meta, payload }` as written; the server validates it whole (see the job-config schema). */
export const JobConfigInputSchema = z
  .record(z.string(), z.unknown())
  .openapi('JobConfigInput', { description: 'A job config `{ meta, payload }`; only meta.id and payload.jobType are required, the rest takes defaults.' });

export const JobStatus = ['healthy', 'failing', 'running', 'disabled', 'critical'] as const;
export type JobStatus = (typeof JobStatus)[number];

const ItemsSchema = z.object({ total: z.number().nullable(), processed: z.number(), succeeded: z.number(), failed: z.number() });

export const ExecutionSummarySchema = z
  .object({
    id: z.string(),
    status: z.string(),
    trigger: z.string(),
    attempt: z.number(),
    queuedAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
    items: ItemsSchema,
    summary: z.string().nullable(),
    error: z.object({ message: z.string() }).nullable(),
    dryRun: z.boolean().openapi({ description: 'A dry run: it changed nothing' }),
  })
  .openapi('ExecutionSummary');

export const JobSchema = z
  .object({
    meta: z.record(z.string(), z.unknown()),
    payload: z.record(z.string(), z.unknown()),
    status: z.enum(JobStatus),
    nextRuns: z.array(z.string()),
    schedule: z.object({ description: z.string(), timezone: z.string() }),
    paused: z.object({ at: z.string(), reason: z.string().nullable() }).nullable(),
    consecutiveFailures: z.number(),
    lastExecution: ExecutionSummarySchema.nullable(),
    droppedSecrets: z
      .object({ paths: z.array(z.string()), message: z.string() })
      .optional()
      .openapi({ description: 'Only on a write that changed where secrets are sent (the URL’s or webhook URL’s host) without setting them again: the secrets it dropped.' }),
  })
  .openapi('Job', { description: 'A job config (secrets redacted) with its status, next runs and last execution.' });

export const ExecutionSchema = ExecutionSummarySchema.extend({
  configId: z.string(),
  configVersion: z.number(),
  slot: z.string().nullable(),
  runId: z.string(),
  retryOf: z.string().nullable(),
  requestedBy: z.string().nullable(),
  dryRun: z.boolean(),
  batchSize: z.number().nullable(),
  runAfter: z.string(),
  workerId: z.string().nullable(),
  cancelRequestedAt: z.string().nullable(),
  result: z.unknown(),
  error: z.object({ message: z.string(), code: z.string().optional() }).nullable(),
  shortId: z.string().optional().openapi({
    description: 'The fewest leading hex digits (at least 8; the newest execution: 12) that no other execution starts with, as `grove-jobs history` prints it; the execution routes take it as `{id}`',
  }),
}).openapi('Execution');

export const LogLineSchema = z
  .object({ id: z.number(), at: z.string(), level: z.string(), message: z.string(), data: z.unknown() })
  .openapi('LogLine');

export const errorResponses = {
  400: { description: 'Invalid input; `error.field` names the failing field', content: { 'application/json': { schema: ErrorSchema } } },
  401: { description: 'No valid bearer token', content: { 'application/json': { schema: ErrorSchema } } },
  403: { description: 'The token’s role may not do this', content: { 'application/json': { schema: ErrorSchema } } },
  404: { description: 'Not found', content: { 'application/json': { schema: ErrorSchema } } },
  409: { description: 'Conflict (stale If-Match, state does not allow it)', content: { 'application/json': { schema: ErrorSchema } } },
} as const;

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
    // A switched-off config has no next runs.
    nextRuns: config.payload.schedule.isEnabled ? reading.nextRuns.map((d) => d.toISOString()) : [],
    schedule: { description: reading.description, timezone: config.payload.schedule.timezone },
    paused: overview.pausedAt ? { at: overview.pausedAt.toISOString(), reason: overview.pausedReason } : null,
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
