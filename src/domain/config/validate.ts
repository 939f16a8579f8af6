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

/**
 * zod issues as ConfigIssues under `prefix`; unknown keys are named one by one, each with the
 * nearest of the `known` paths when one is near enough.
 */
export function zodIssues(error: z.ZodError, prefix: ReadonlyArray<PropertyKey>, known: readonly string[] = []): ConfigIssue[] {
  return error.issues.flatMap((issue): ConfigIssue[] => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => unknownField(formatPath([...path, key]), known));
    }
    return [{ path: formatPath(path), message: issue.message }];
  });
}

/** "is not a known field", with "did you mean …?" when a known path is near. */
function unknownField(path: string, known: readonly string[]): ConfigIssue {
  const nearest = nearestPath(path, known);
  return { path, message: nearest ? `is not a known field; did you mean ${nearest}?` : 'is not a known field' };
}

/** Wrappers whose inner schema holds the fields (`.optional()`, `.default()`, …). */
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

interface SchemaDef {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
}

/**
 * Every dotted field path an object schema knows, sections and leaves alike
 * (`payload.limits`, `payload.limits.batchSize`); records and arrays end a path.
 */
export function schemaPaths(schema: z.ZodType, prefix: string): string[] {
  let def = (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
  for (let depth = 0; depth < 16 && (WRAPPERS.has(def.type) || def.type === 'pipe'); depth++) {
    const inner = def.type === 'pipe' ? def.in : def.innerType;
    if (!inner) break;
    def = (inner as unknown as { _zod: { def: SchemaDef } })._zod.def;
  }
  if (def.type !== 'object' || !def.shape) return [];
  return Object.entries(def.shape).flatMap(([key, field]) => [`${prefix}.${key}`, ...schemaPaths(field, `${prefix}.${key}`)]);
}

/**
 * Edits (insert, delete, substitute, swap two neighbours) from a to b, case-insensitive: the
 * optimal-string-alignment distance. Field names are short, so O(a·b) is fine.
 */
function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const rows: number[][] = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => rows[i]?.[j] ?? 0;
  for (let i = 1; i <= x.length; i++) {
    const row = rows[i] as number[];
    for (let j = 1; j <= y.length; j++) {
      row[j] = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (x[i - 1] === y[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) row[j] = Math.min(at(i, j), at(i - 2, j - 2) + 1);
    }
  }
  return at(x.length, y.length);
}

const lastSegment = (path: string) => path.slice(path.lastIndexOf('.') + 1);

/**
 * The known path an unknown one most likely meant: first one ending in the same field name
 * (`payload.batchSize` → `payload.limits.batchSize`), else one whose field name is a typo away
 * (at most a third of its letters differ: `payload.limits.batchsise`); among several, the
 * nearest whole path. Undefined when none is near.
 * @example nearestPath('payload.batchSize', ['payload.limits', 'payload.limits.batchSize']) // 'payload.limits.batchSize'
 */
export function nearestPath(path: string, known: readonly string[]): string | undefined {
  const field = lastSegment(path);
  const candidates = known.filter((k) => k !== path);
  const byName = candidates.filter((k) => lastSegment(k).toLowerCase() === field.toLowerCase());
  const pool =
    byName.length > 0 ? byName : candidates.filter((k) => editDistance(lastSegment(k), field) <= Math.max(1, Math.floor(field.length / 3)));
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of pool) {
    const score = editDistance(lastSegment(candidate), field) * 1000 + editDistance(candidate, path);
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
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
  const jobTypeName = isRecord(payload) ? payload['jobType'] : undefined;
  const jobType = typeof jobTypeName === 'string' ? registry.get(jobTypeName) : undefined;
  // Every path this config may hold, for suggesting the one an unknown field meant.
  const known = [
    'meta',
    ...[...ACCEPTED_META_KEYS].map((key) => `meta.${key}`),
    'payload',
    ...schemaPaths(payloadSchema, 'payload'),
    ...(jobType ? schemaPaths(jobType.parameters, 'payload.parameters') : []),
  ];
  const issues: ConfigIssue[] = Object.keys(rest).map((key) => unknownField(key, known));
  if (!isRecord(meta)) issues.push({ path: 'meta', message: 'must be an object with at least an id' });
  if (!isRecord(payload)) issues.push({ path: 'payload', message: 'must be an object with at least a jobType' });
  if (!isRecord(meta) || !isRecord(payload)) throw invalidConfig(issues);

  for (const key of Object.keys(meta)) {
    if (!ACCEPTED_META_KEYS.has(key)) issues.push(unknownField(`meta.${key}`, known));
  }
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
  if (!metaResult.success) issues.push(...zodIssues(metaResult.error, ['meta'], known));
  const payloadResult = payloadSchema.safeParse(merged);
  if (!payloadResult.success) issues.push(...zodIssues(payloadResult.error, ['payload'], known));

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
      issues.push(...zodIssues(result.error, ['payload', 'parameters'], known));
    }
  }

  if (issues.length > 0 || !metaResult.success || !payloadResult.success || !parameters) throw invalidConfig(issues);
  return { meta: metaResult.data, payload: { ...payloadResult.data, parameters } };
}
