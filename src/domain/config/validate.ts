import type { z } from 'zod';
import { parseSchedule, ScheduleError } from '../schedule/index.js';
import { type ConfigIssue, invalidConfig } from './errors.js';
import type { JobTypeRegistry } from './job-type.js';
import { findUnstorable, MAX_JSON_DEPTH } from './storable.js';
import { type JobConfig, type JobConfigMeta, metaSchema, payloadSchema, SYSTEM_DEFAULTS } from './schema.js';

/** Meta fields the system sets; callers never choose them. */
export type ManagedMeta = Pick<JobConfigMeta, 'version' | 'createdAt' | 'updatedAt' | 'createdBy' | 'updatedBy'>;

const MERGED_SECTIONS = ['schedule', 'retry', 'limits', 'notifications'] as const;
const ACCEPTED_META_KEYS = new Set(['id', 'title', 'description', 'type', 'version', 'createdAt', 'updatedAt', 'createdBy', 'updatedBy']);

/** `['payload', 'notifications', 'channels', 1]` → `payload.notifications.channels[1]`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? String(key) : `.${String(key)}`;
  }
  return text;
}

/** zod issues as ConfigIssues under `prefix`; unknown keys are named one by one. */
export function zodIssues(error: z.ZodError, prefix: ReadonlyArray<PropertyKey>): ConfigIssue[] {
  return error.issues.flatMap((issue): ConfigIssue[] => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: formatPath([...path, key]), message: 'is not a known field' }));
    }
    return [{ path: formatPath(path), message: issue.message }];
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The deepest nesting of objects and arrays a config may have (see MAX_JSON_DEPTH). */
export const MAX_CONFIG_DEPTH = MAX_JSON_DEPTH;

/**
 * Validates a whole config and fills omitted sections and fields from the job type's
 * defaults, then the system's. Returns the config with `meta` completed from `managed`.
 * @throws ConfigError (CONFIG_INVALID) listing every failing field path.
 */
export function validateJobConfig(input: unknown, registry: JobTypeRegistry, managed: ManagedMeta): JobConfig {
  if (!isRecord(input)) throw invalidConfig([{ path: '(root)', message: 'must be an object { meta, payload }' }]);
  // Before anything walks the input: zod's JSON schema and the diff recurse once per level, and
  // jsonb refuses NUL (a database error is no answer naming the field).
  const unstorable = findUnstorable(input, MAX_CONFIG_DEPTH);
  if (unstorable) throw invalidConfig([{ path: formatPath(unstorable.path) || '(root)', message: unstorable.message }]);
  const { meta, payload, ...rest } = input;
  const issues: ConfigIssue[] = Object.keys(rest).map((key) => ({ path: key, message: 'is not a known field' }));
  if (!isRecord(meta)) issues.push({ path: 'meta', message: 'must be an object with at least an id' });
  if (!isRecord(payload)) issues.push({ path: 'payload', message: 'must be an object with at least a jobType' });
  if (!isRecord(meta) || !isRecord(payload)) throw invalidConfig(issues);

  for (const key of Object.keys(meta)) {
    if (!ACCEPTED_META_KEYS.has(key)) issues.push({ path: `meta.${key}`, message: 'is not a known field' });
  }
  const jobTypeName = payload['jobType'];
  const jobType = typeof jobTypeName === 'string' ? registry.get(jobTypeName) : undefined;
  if (!jobType) {
    const known = registry.names().join(', ') || 'none registered';
    const message = typeof jobTypeName === 'string' ? `unknown job type '${jobTypeName}' (known: ${known})` : `is required (known: ${known})`;
    issues.push({ path: 'payload.jobType', message });
  }

  const typeDefaults = jobType?.defaults ?? {};
  const { lastExecution: _derived, ...payloadInput } = payload;
  const merged: Record<string, unknown> = { ...payloadInput };
  for (const section of MERGED_SECTIONS) {
    const given = payloadInput[section];
    if (given === undefined || isRecord(given)) {
      merged[section] = { ...SYSTEM_DEFAULTS[section], ...typeDefaults[section], ...(given ?? {}) };
    }
  }
  const givenParameters = payloadInput['parameters'];
  if (givenParameters === undefined || isRecord(givenParameters)) {
    merged['parameters'] = { ...typeDefaults.parameters, ...(givenParameters ?? {}) };
  }
  const title = typeof meta['title'] === 'string' ? meta['title'] : undefined;
  merged['displayName'] ??= typeDefaults.displayName ?? title ?? meta['id'];

  const candidateMeta = {
    id: meta['id'],
    type: 'job-config',
    title: title ?? merged['displayName'],
    description: meta['description'] ?? '',
    ...managed,
  };
  const metaResult = metaSchema.safeParse(candidateMeta);
  if (!metaResult.success) issues.push(...zodIssues(metaResult.error, ['meta']));
  const payloadResult = payloadSchema.safeParse(merged);
  if (!payloadResult.success) issues.push(...zodIssues(payloadResult.error, ['payload']));

  if (payloadResult.success) {
    const { cronExpression, timezone } = payloadResult.data.schedule;
    try {
      parseSchedule(cronExpression, timezone);
    } catch (error) {
      if (!(error instanceof ScheduleError)) throw error;
      const field = error.code === 'E_TZ' ? 'timezone' : 'cronExpression';
      issues.push({ path: `payload.schedule.${field}`, message: error.message, code: error.code });
    }
  }

  let parameters: Record<string, unknown> | undefined;
  if (jobType && payloadResult.success) {
    const result = jobType.parameters.safeParse(payloadResult.data.parameters);
    if (result.success) {
      parameters = isRecord(result.data) ? result.data : {};
    } else {
      issues.push(...zodIssues(result.error, ['payload', 'parameters']));
    }
  }

  if (issues.length > 0 || !metaResult.success || !payloadResult.success || !parameters) throw invalidConfig(issues);
  return { meta: metaResult.data, payload: { ...payloadResult.data, parameters } };
}
