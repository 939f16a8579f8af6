import { z } from 'zod';
import {
  type AnyJobType,
  configIdSchema,
  type JobTypeRegistry,
  limitsSchema,
  metaSchema,
  notificationsSchema,
  payloadSchema,
  REDACTED,
  retrySchema,
  scheduleSchema,
} from '../domain/config/index.js';

/**
 * Job configs in the OpenAPI document, typed per job type from the zod schemas the server
 * validates with (domain/config/schema.ts and each type's `parameters`), as JSON Schema
 * 2020-12 (the dialect of OpenAPI 3.1). Three shapes, each a union over the job types
 * discriminated by `payload.jobType`:
 * - `JobConfig`: as the API shows it (every field present, secrets read as REDACTED);
 * - `JobConfigInput`: as POST and PUT take it (only `meta.id` and `payload.jobType` required;
 *   a secret sent back as REDACTED keeps the stored one);
 * - `JobConfigPatch`: as PATCH takes it (a JSON Merge Patch: every field optional, `null` removes).
 * Every object refuses unknown keys, as the server does, so a misspelled field fails in a
 * client generated from the document.
 */

export type JsonSchema = Record<string, unknown>;

const COMPONENTS = '#/components/schemas/';
const ref = (id: string): JsonSchema => ({ $ref: `${COMPONENTS}${id}` });
/** The config sections a job type's defaults and the system's fill (SYSTEM_DEFAULTS). */
const SECTIONS = { schedule: 'Schedule', retry: 'Retry', limits: 'Limits', notifications: 'Notifications' } as const;
/** Meta fields the server sets: accepted in a write (so a job as read can be sent back) and ignored. */
const MANAGED_META = ['type', 'version', 'createdAt', 'updatedAt', 'createdBy', 'updatedBy'] as const;

/** `http-request` → `HttpRequest`: the prefix of a job type's component names. */
export function componentPrefix(jobType: string): string {
  return jobType
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/** The name of the component a schema id stands for, for schemas zod extracted as shared definitions. */
function sharedName(name: string, schema: JsonSchema): string {
  const kinds = Array.isArray(schema['anyOf']) ? (schema['anyOf'] as JsonSchema[]).map((option) => option['type']) : [];
  const isJsonValue = ['string', 'number', 'boolean', 'null', 'array', 'object'].every((kind) => kinds.includes(kind));
  return isJsonValue ? 'JsonValue' : `Shared${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

/**
 * The schemas of a zod registry as components: each schema keeps its own id, references
 * between them point into `#/components/schemas`, and a recursive schema zod extracts on its
 * own (`z.json()`) becomes a component too.
 */
function toComponents(registry: z.core.$ZodRegistry<{ id: string; description?: string }>, io: 'input' | 'output'): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(registry, { target: 'draft-2020-12', io, unrepresentable: 'any', uri: (id) => `${COMPONENTS}${id}` });
  const shared = (schemas['__shared']?.['$defs'] ?? {}) as Record<string, JsonSchema>;
  const renames = new Map(Object.entries(shared).map(([name, schema]) => [`${COMPONENTS}__shared#/$defs/${name}`, `${COMPONENTS}${sharedName(name, schema)}`]));
  const components: Record<string, JsonSchema> = {};
  const add = (name: string, schema: JsonSchema) => {
    const { $schema: _dialect, $id: _id, ...rest } = schema;
    components[name] = JSON.parse(JSON.stringify(rest), (key, value: unknown) => (key === '$ref' && typeof value === 'string' ? (renames.get(value) ?? value) : value)) as JsonSchema;
  };
  for (const [name, schema] of Object.entries(schemas)) if (name !== '__shared') add(name, schema as JsonSchema);
  for (const [name, schema] of Object.entries(shared)) {
    const component = sharedName(name, schema);
    // Said without recursion: client generators' request types recurse into a recursive
    // schema until they give up (openapi-fetch then refuses every value of the field).
    add(component, component === 'JsonValue' ? { description: 'Any JSON value: a string, number, boolean, null, array or object' } : schema);
  }
  if (io === 'input') for (const schema of Object.values(components)) defaultsToDescriptions(schema);
  return components;
}

/**
 * In what a write takes, a default is said in the description instead of the `default`
 * keyword: client generators (openapi-typescript among them) make a field with a default
 * required, while a write may leave it out.
 */
function defaultsToDescriptions(schema: unknown): void {
  if (Array.isArray(schema)) {
    for (const item of schema) defaultsToDescriptions(item);
    return;
  }
  if (!isSchema(schema)) return;
  if ('default' in schema) {
    const said = `Default: ${JSON.stringify(schema['default'])}`;
    schema['description'] = typeof schema['description'] === 'string' ? `${schema['description']}. ${said}` : said;
    delete schema['default'];
  }
  for (const value of Object.values(schema)) defaultsToDescriptions(value);
}

const nullable = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: 'null' }] });

/**
 * A schema as a JSON Merge Patch (RFC 7396) of it: objects merge key by key, so every key is
 * optional and may be `null` (removed: its default applies again); arrays and scalars replace.
 */
export function mergePatchOf(schema: JsonSchema): JsonSchema {
  const { default: _default, required: _required, ...rest } = schema;
  if (Array.isArray(rest['anyOf'])) return { ...rest, anyOf: (rest['anyOf'] as JsonSchema[]).map(mergePatchOf) };
  if (rest['type'] !== 'object') return rest;
  const patched: JsonSchema = { ...rest };
  if (isSchema(rest['properties'])) {
    patched['properties'] = Object.fromEntries(Object.entries(rest['properties']).map(([key, value]) => [key, nullable(mergePatchOf(value as JsonSchema))]));
  }
  if (isSchema(rest['additionalProperties'])) patched['additionalProperties'] = nullable(mergePatchOf(rest['additionalProperties']));
  return patched;
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A secret as a write takes it: the value, or REDACTED for "keep the stored one" (per value, for an object of secrets). */
function acceptRedacted(schema: JsonSchema): JsonSchema {
  const redacted = { type: 'string', const: REDACTED, description: 'Keeps the stored secret' };
  const inner = isSchema(schema['additionalProperties']) ? { ...schema, additionalProperties: { anyOf: [schema['additionalProperties'], redacted] } } : schema;
  return { anyOf: [inner, redacted] };
}

/** A secret as the API shows it: always REDACTED (for an object of secrets, each value). */
function shownRedacted(schema: JsonSchema): JsonSchema {
  const redacted = { type: 'string', const: REDACTED };
  const { default: _default, ...rest } = schema;
  if (isSchema(rest['additionalProperties'])) return { ...rest, additionalProperties: redacted, description: 'Write-only: every value reads as REDACTED' };
  return { ...redacted, description: 'Write-only: reads as REDACTED' };
}

function mapProperty(schema: JsonSchema | undefined, key: string, change: (property: JsonSchema) => JsonSchema): void {
  const properties = schema?.['properties'];
  if (isSchema(properties) && isSchema(properties[key])) properties[key] = change(properties[key]);
}

/** A type's parameter schema as written: parameters its defaults give may be left out. */
function parametersInput(schema: JsonSchema | undefined, type: AnyJobType): void {
  if (!schema) return;
  const defaulted = new Set(Object.keys(type.defaults?.parameters ?? {}));
  if (Array.isArray(schema['required'])) {
    const required = (schema['required'] as string[]).filter((key) => !defaulted.has(key));
    if (required.length > 0) schema['required'] = required;
    else delete schema['required'];
  }
  for (const secret of type.secretParameters ?? []) mapProperty(schema, secret, acceptRedacted);
}

function discriminated(types: readonly AnyJobType[], suffix: string, description: string): JsonSchema {
  // No job type registered: no payload is valid (an empty oneOf is not a schema).
  if (types.length === 0) return { description, not: {} };
  const ids = types.map((type) => `${componentPrefix(type.name)}${suffix}`);
  return {
    description,
    oneOf: ids.map(ref),
    discriminator: { propertyName: 'jobType', mapping: Object.fromEntries(types.map((type, i) => [type.name, `${COMPONENTS}${ids[i] as string}`])) },
  };
}

const strictObject = (properties: Record<string, JsonSchema>, required: string[], description: string): JsonSchema => ({
  type: 'object',
  description,
  properties,
  ...(required.length > 0 ? { required } : {}),
  additionalProperties: false,
});

/** What the components of a set of job types depend on, in registry order. */
const typesKey = (types: readonly AnyJobType[]) => types.flatMap((type) => [type.name, type.parameters, type.defaults, type.secretParameters]);

/**
 * The last set of job types described, and its components: building them takes about 30 ms,
 * and every API a process (or a test file) creates has the same types.
 */
let described: { key: unknown[]; components: Record<string, JsonSchema> } | undefined;

/**
 * The job-config components for the job types of `registry`: `JobConfig`, `JobConfigInput`,
 * `JobConfigPatch` and what they are made of (`<Type>Payload`, `<Type>Parameters`, … per type).
 */
export function jobConfigComponents(registry: JobTypeRegistry): Record<string, JsonSchema> {
  const types = registry.list();
  const key = typesKey(types);
  if (!described || described.key.length !== key.length || described.key.some((part, i) => part !== key[i])) {
    described = { key, components: buildComponents(types) };
  }
  // A copy: each document owns its schemas.
  return structuredClone(described.components);
}

function buildComponents(types: readonly AnyJobType[]): Record<string, JsonSchema> {

  const shown = z.registry<{ id: string; description?: string }>();
  shown.add(metaSchema, { id: 'JobConfigMeta' });
  shown.add(scheduleSchema, { id: 'Schedule' });
  shown.add(retrySchema, { id: 'Retry' });
  shown.add(limitsSchema, { id: 'Limits' });
  shown.add(notificationsSchema, { id: 'Notifications' });
  const written = z.registry<{ id: string; description?: string }>();
  written.add(
    z.strictObject({
      id: configIdSchema,
      title: metaSchema.shape.title.optional().meta({ description: 'Default: the display name' }),
      description: metaSchema.shape.description.optional(),
      ...Object.fromEntries(MANAGED_META.map((key) => [key, metaSchema.shape[key].optional().meta({ description: 'Set by the server: accepted and ignored' })])),
    }),
    { id: 'JobConfigMetaInput' },
  );
  const sectionsInput = {
    schedule: z.strictObject(scheduleSchema.shape).partial(),
    retry: z.strictObject(retrySchema.shape).partial(),
    limits: z.strictObject(limitsSchema.shape).partial(),
    notifications: z.strictObject(notificationsSchema.shape).partial(),
  };
  for (const [section, schema] of Object.entries(sectionsInput)) written.add(schema, { id: `${SECTIONS[section as keyof typeof SECTIONS]}Input` });

  for (const type of types) {
    const prefix = componentPrefix(type.name);
    const jobType = z.literal(type.name);
    shown.add(type.parameters, { id: `${prefix}Parameters` });
    shown.add(z.strictObject({ ...payloadSchema.shape, jobType, parameters: type.parameters }), { id: `${prefix}Payload`, description: `A ${type.name} config's payload` });
    written.add(type.parameters, { id: `${prefix}ParametersInput` });
    written.add(
      z.strictObject({
        jobType,
        displayName: payloadSchema.shape.displayName.optional(),
        schedule: sectionsInput.schedule.optional(),
        retry: sectionsInput.retry.optional(),
        limits: sectionsInput.limits.optional(),
        parameters: type.parameters.optional(),
        notifications: sectionsInput.notifications.optional(),
      }),
      { id: `${prefix}PayloadInput`, description: `A ${type.name} config's payload as written: omitted sections and fields take the type's defaults, then the system's` },
    );
  }

  const output = toComponents(shown, 'output');
  const input = toComponents(written, 'input');
  mapProperty(output['Notifications'], 'webhookSecret', shownRedacted);
  mapProperty(input['NotificationsInput'], 'webhookSecret', acceptRedacted);
  const patches: Record<string, JsonSchema> = {};
  for (const name of Object.values(SECTIONS)) patches[`${name}Patch`] = mergePatchOf(input[`${name}Input`] ?? {});
  const metaInput = input['JobConfigMetaInput']?.['properties'] as Record<string, JsonSchema> | undefined;
  const { $schema: _dialect, ...displayName } = z.toJSONSchema(payloadSchema.shape.displayName, { target: 'draft-2020-12' });
  patches['JobConfigMetaPatch'] = mergePatchOf({
    type: 'object',
    description: 'Meta fields a patch may change',
    properties: { title: metaInput?.['title'] ?? {}, description: metaInput?.['description'] ?? {} },
    additionalProperties: false,
  });
  for (const type of types) {
    const prefix = componentPrefix(type.name);
    for (const secret of type.secretParameters ?? []) mapProperty(output[`${prefix}Parameters`], secret, shownRedacted);
    parametersInput(input[`${prefix}ParametersInput`], type);
    patches[`${prefix}ParametersPatch`] = mergePatchOf(input[`${prefix}ParametersInput`] ?? {});
  }

  const allowed = types.map((type) => type.name);
  return {
    ...output,
    ...input,
    ...patches,
    JobPayload: discriminated(types, 'Payload', 'A job config payload: the job type and its parameters, with the schedule, retry, limits and notifications'),
    JobConfig: strictObject({ meta: ref('JobConfigMeta'), payload: ref('JobPayload') }, ['meta', 'payload'], 'A stored job config (secrets read as REDACTED)'),
    JobPayloadInput: discriminated(types, 'PayloadInput', 'A job config payload as written: only jobType is required'),
    JobConfigInput: strictObject(
      { meta: ref('JobConfigMetaInput'), payload: ref('JobPayloadInput') },
      ['meta', 'payload'],
      'A job config as POST and PUT take it: only meta.id and payload.jobType are required; omitted sections and fields take the job type’s defaults, then the system’s. Secrets sent back as REDACTED keep the stored ones. (The server also takes a job as read and ignores its status fields; this schema leaves them out.)',
    ),
    JobPayloadPatch: strictObject(
      {
        jobType: { type: 'string', enum: allowed, description: 'Another job type (its parameters must fit it)' },
        displayName: nullable(displayName),
        ...Object.fromEntries(Object.entries(SECTIONS).map(([section, name]) => [section, nullable(ref(`${name}Patch`))])),
        parameters: { anyOf: [...types.map((type) => ref(`${componentPrefix(type.name)}ParametersPatch`)), { type: 'null' }] },
      },
      [],
      'Payload fields a patch changes; null removes a field (its default applies again)',
    ),
    JobConfigPatch: strictObject(
      { meta: ref('JobConfigMetaPatch'), payload: ref('JobPayloadPatch') },
      [],
      'A JSON Merge Patch (RFC 7396) of a job config: objects merge key by key, null removes a key, arrays replace; the result is validated whole',
    ),
  };
}
