import { z } from 'zod';
import { MAX_MISFIRE_GRACE_SECONDS } from '../schedule/plan-slots.js';
import { BackoffStrategy, MisfirePolicy, NotificationChannel, OverlapPolicy } from './policies.js';

const values = <T extends Record<string, string>>(o: T) => Object.values(o) as [T[keyof T], ...T[keyof T][]];

const DAY = 86_400;

/** Config ids are slugs: lower-case words joined by hyphens, e.g. `advancement-batch`. */
export const configIdSchema = z
  .string()
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be a slug of lower-case letters, digits and single hyphens, e.g. nightly-advancement')
  .max(64, 'must be at most 64 characters');

/** A required text field: "is required" when it is missing, as when it is empty. */
const requiredText = () => z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be text') }).min(1, 'is required');

export const scheduleSchema = z.strictObject({
  /** Required: a job type without a default (http-request, signal-aggregation) leaves it to the config. */
  cronExpression: requiredText(),
  /** IANA zone in which wall-clock times are read. */
  timezone: requiredText(),
  isEnabled: z.boolean(),
  misfirePolicy: z.enum(values(MisfirePolicy)),
  /**
   * How late, in seconds, a slot may be claimed and still run on time; later, it is missed.
   * Omitted: 60, or half the shortest interval between slots when that is shorter
   * (`misfireGraceSeconds()` in domain/schedule/plan-slots.ts).
   */
  misfireGraceSeconds: z.int().min(1, 'must be at least 1 second').max(MAX_MISFIRE_GRACE_SECONDS, `must be at most ${MAX_MISFIRE_GRACE_SECONDS} seconds (a day)`).optional(),
  /** How far back, in seconds, missed slots are still caught up after downtime. */
  catchupWindowSeconds: z.int().min(0).max(31 * DAY),
  overlapPolicy: z.enum(values(OverlapPolicy)),
  /** Deterministic delay, 0..jitterSeconds, added to each slot's start. */
  jitterSeconds: z.int().min(0).max(3600).optional(),
});

export const retrySchema = z
  .strictObject({
    /** Total attempts, the first included. */
    maxAttempts: z.int().min(1).max(100),
    backoffStrategy: z.enum(values(BackoffStrategy)),
    initialDelaySeconds: z.int().min(0).max(DAY),
    maxDelaySeconds: z.int().min(0).max(7 * DAY),
  })
  .refine((retry) => retry.maxDelaySeconds >= retry.initialDelaySeconds, {
    path: ['maxDelaySeconds'],
    message: 'must be at least initialDelaySeconds',
  });

export const limitsSchema = z.strictObject({
  batchSize: z.int().min(1).max(1_000_000),
  /** Per attempt. */
  timeoutSeconds: z.int().min(1).max(7 * DAY),
  /** Executions of this config running at once, across all workers. */
  maxConcurrent: z.int().min(1).max(1000),
});

export const notificationsSchema = z
  .strictObject({
    onSuccess: z.boolean(),
    onFailure: z.boolean(),
    channels: z.array(z.enum(values(NotificationChannel))).refine((c) => new Set(c).size === c.length, 'must not repeat a channel'),
    webhookUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    /** Signs webhook bodies (X-Grove-Signature). Write-only: never shown or logged. */
    webhookSecret: z.string().min(16, 'must be at least 16 characters').max(512).optional(),
    /** Pause the config after this many failed runs in a row; 0 never pauses. */
    pauseAfterConsecutiveFailures: z.int().min(0).max(1000),
  })
  .refine((n) => !n.channels.includes('webhook') || n.webhookUrl !== undefined, {
    path: ['webhookUrl'],
    message: "is required when channels include 'webhook'",
  });

export const metaSchema = z.strictObject({
  id: configIdSchema,
  type: z.literal('job-config'),
  version: z.int().min(1),
  title: z.string().min(1, 'is required').max(200),
  description: z.string().max(4000),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  createdBy: z.string(),
  updatedBy: z.string(),
});

export const payloadSchema = z.strictObject({
  jobType: z.string().min(1, 'is required'),
  displayName: z.string().min(1, 'is required').max(200),
  schedule: scheduleSchema,
  retry: retrySchema,
  limits: limitsSchema,
  /** Checked against the job type's own schema. */
  parameters: z.record(z.string(), z.unknown()),
  notifications: notificationsSchema,
});

export type ScheduleConfig = z.output<typeof scheduleSchema>;
export type RetryConfig = z.output<typeof retrySchema>;
export type LimitsConfig = z.output<typeof limitsSchema>;
export type NotificationsConfig = z.output<typeof notificationsSchema>;
export type JobConfigMeta = z.output<typeof metaSchema>;
export type JobConfigPayload = z.output<typeof payloadSchema>;

/** A validated job config: `{ meta, payload }`. */
export interface JobConfig {
  meta: JobConfigMeta;
  payload: JobConfigPayload;
}

/** The sections a job type may give defaults for, each partial. */
export interface JobConfigSections {
  displayName: string;
  schedule: Partial<ScheduleConfig>;
  retry: Partial<RetryConfig>;
  limits: Partial<LimitsConfig>;
  parameters: Record<string, unknown>;
  notifications: Partial<NotificationsConfig>;
}

/**
 * A config as written by a person or a program: only `meta.id` and `payload.jobType` are
 * required; omitted sections and fields take the job type's defaults, then the system's.
 * Server-managed meta fields and `payload.lastExecution` are accepted and ignored.
 */
export interface JobConfigInput {
  meta: { id: string; title?: string; description?: string; [managed: string]: unknown };
  payload: { jobType: string; displayName?: string } & { [section: string]: unknown };
}

/** System defaults for omitted fields. Seeds: new configs are disabled until switched on. */
export const SYSTEM_DEFAULTS: Omit<JobConfigSections, 'displayName' | 'parameters'> = {
  schedule: {
    timezone: 'UTC',
    isEnabled: false,
    misfirePolicy: 'run-once',
    catchupWindowSeconds: 3600,
    overlapPolicy: 'skip',
  },
  retry: { maxAttempts: 3, backoffStrategy: 'exponential', initialDelaySeconds: 60, maxDelaySeconds: 3600 },
  limits: { batchSize: 100, timeoutSeconds: 3600, maxConcurrent: 1 },
  notifications: { onSuccess: false, onFailure: true, channels: ['log'], pauseAfterConsecutiveFailures: 5 },
};

/** A config's schedule as previews and plans compare it: when, in which zone, and whether it is on. */
export function scheduleShape(config: JobConfig): { cronExpression: string; timezone: string; isEnabled: boolean } {
  const { cronExpression, timezone, isEnabled } = config.payload.schedule;
  return { cronExpression, timezone, isEnabled };
}
