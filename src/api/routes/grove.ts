import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiSystem } from '../system.js';
import {
  ADVANCEMENT_EVENT_TYPES,
  type AdvancementEvent,
  type AdvancementRule,
  GroveError,
  planRollback,
  RULE_LOGIC_OPERATORS,
  RULE_OPERATORS,
  RULE_SIGNALS,
  type RollbackItem,
  type SignalPeriod,
  type Sprout,
  type SproutSignals,
  USAGE_EVENT_TYPES,
} from '../../domain/grove/index.js';
import { MAX_EVENTS_PER_REQUEST, SPROUT_PAGE } from '../../engine/grove/sprout-service.js';
import { ApiError, type ApiEnv, apiActor, requireRole } from '../http.js';
import { validationHook } from '../validation.js';
import { emptyResponse, jsonResponse as json } from '../openapi-routes.js';
import { bearer, errorResponses, etag, parseIfMatch, readErrors, responseHeaders, writeErrors } from '../views.js';

// Request schemas check JSON types only, for the OpenAPI document and early 400s naming the
// field; the services check everything else (tiers of the model, ids that exist, instants
// not in the future) and name the failing field themselves. Objects inside the envelopes are
// loose, so an unknown key reaches the service, which refuses it by name.

const body = <S extends z.ZodType>(schema: S) => ({ body: { required: true, content: { 'application/json': { schema } } } });

const SproutIdParam = z.object({ id: z.string().min(1).max(200).openapi({ param: { name: 'id', in: 'path' }, example: 'sprout-0001' }) });
const RuleIdParam = z.object({ id: z.string().min(1).max(100).openapi({ param: { name: 'id', in: 'path' }, example: 'seed-to-sprout' }) });
/** An instant as the API writes it (ISO 8601, UTC). */
const instant = () => z.iso.datetime();
/** An instant as a request gives it, checked by the service (which names the field): ISO 8601 with an offset. */
const instantInput = (description: string) => z.string().openapi({ format: 'date-time', description });
const SPROUT_LIMIT_MESSAGE = `must be a whole number from 1 to ${SPROUT_PAGE}`;

const IfMatch = z.object({ 'if-match': z.string().optional().openapi({ description: 'The rule version the delete is based on; a stale one gets 409.' }) });

// ── rules ─────────────────────────────────────────────────────────────────────────────

const CriterionSchema = z
  .looseObject({ signal: z.enum(RULE_SIGNALS), operator: z.enum(RULE_OPERATORS), threshold: z.number() })
  .openapi('AdvancementCriterion');

const RuleInputSchema = z
  .strictObject({
    meta: z.looseObject({
      id: z.string().optional().openapi({ description: 'Required on create; on update it must equal the id in the path (or be left out).' }),
      title: z.string().optional(),
      version: z.number().optional().openapi({ description: 'On update: the version the edit is based on (a stale one gets 409).' }),
    }),
    payload: z.looseObject({
      lifecycleModelId: z.string().optional().openapi({ description: 'Default `botanical`.' }),
      fromTier: z.string(),
      toTier: z.string(),
      criteria: z.array(CriterionSchema).optional().openapi({ description: 'All must hold (AND) or one (OR); none: the rule never advances.' }),
      logicOperator: z.enum(RULE_LOGIC_OPERATORS).optional(),
      isEnabled: z.boolean().optional(),
      order: z.number().optional().openapi({ description: 'Rules of a tier are tried in this order; the first match wins.' }),
    }),
  })
  .openapi('AdvancementRuleInput');

const RuleSchema = z
  .object({
    meta: z.object({ id: z.string(), title: z.string(), version: z.int(), createdAt: instant(), updatedAt: instant() }),
    payload: z.object({
      lifecycleModelId: z.string(),
      fromTier: z.string(),
      toTier: z.string(),
      criteria: z.array(z.object({ signal: z.enum(RULE_SIGNALS), operator: z.enum(RULE_OPERATORS), threshold: z.number() })),
      logicOperator: z.enum(RULE_LOGIC_OPERATORS),
      isEnabled: z.boolean(),
      order: z.number(),
    }),
    problem: z
      .object({ field: z.string(), message: z.string() })
      .optional()
      .openapi({ description: 'In lists: a stored rule that does not move a sprout to the next tier of its model, which advancement-batch skips; fix it (PUT) or delete it.' }),
  })
  .openapi('AdvancementRule');

// ── sprouts and usage events ─────────────────────────────────────────────────────────

const SproutInputSchema = z
  .looseObject({ id: z.string().optional(), title: z.string(), tier: z.string(), lifecycleModelId: z.string().optional() })
  .openapi('SproutInput');

const SproutSchema = z
  .object({ id: z.string(), title: z.string(), tier: z.string(), lifecycleModelId: z.string(), createdAt: instant(), updatedAt: instant() })
  .openapi('Sprout');

const PeriodSignalsSchema = z.record(z.string(), z.unknown());
const SignalsSchema = z
  .object({ all_time: PeriodSignalsSchema.optional(), last_30d: PeriodSignalsSchema.optional(), last_7d: PeriodSignalsSchema.optional() })
  .openapi('SproutSignalsByPeriod', { description: 'The stored signals per period (`all_time`, `last_30d`, `last_7d`) that have been computed.' });

const UsageEventSchema = z
  .looseObject({
    eventType: z.enum(USAGE_EVENT_TYPES),
    sproutId: z.string(),
    sessionId: z.string(),
    userId: z.string().optional(),
    provenance: z.looseObject({ lensId: z.string().optional(), hubId: z.string().optional(), queryHash: z.string().optional() }).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    createdAt: z.string().openapi({ format: 'date-time', description: 'ISO 8601 with an offset; may be in the past, not in the future.', example: '2026-01-01T12:00:00Z' }),
  })
  .openapi('UsageEventInput');

// ── advancement events and rollback ──────────────────────────────────────────────────

const CriterionResultSchema = z.object({
  signal: z.string(),
  operator: z.string(),
  threshold: z.number(),
  value: z.number().nullable(),
  met: z.boolean().nullable(),
});

const AdvancementEventSchema = z
  .object({
    id: z.string(),
    sproutId: z.string(),
    ruleId: z.string().nullable(),
    fromTier: z.string(),
    toTier: z.string(),
    eventType: z.enum(ADVANCEMENT_EVENT_TYPES),
    executionId: z.string().nullable(),
    criteriaMet: z.array(CriterionResultSchema).nullable(),
    signalValues: z
      .object({
        period: z.string(),
        computedAt: instant(),
        ruleSignals: z.record(z.string(), z.number().nullable()),
        aggregation: z.record(z.string(), z.unknown()),
      })
      .nullable()
      .openapi({
        description:
          'Auto-advancements: `ruleSignals` are exactly the values the rules were evaluated on (utilityScore in 0…1), so each criterion result is its criterion applied to one of them; ' +
          '`aggregation` is the period\'s signal row as read (utilityScore in −1…1). Null on manual overrides and rollbacks (no rule was evaluated: see operatorId, reason and rollbackOf).',
      }),
    operatorId: z.string().nullable(),
    reason: z.string().nullable(),
    rolledBack: z.boolean(),
    rolledBackBy: z.string().nullable(),
    rollbackOf: z.string().nullable(),
    timestamp: instant(),
  })
  .openapi('AdvancementEvent');

const RollbackItemSchema = z.object({
  eventId: z.string(),
  sproutId: z.string(),
  ruleId: z.string().nullable(),
  executionId: z.string().nullable(),
  fromTier: z.string(),
  toTier: z.string(),
  advancedAt: instant(),
  currentTier: z.string().nullable(),
  action: z.enum(['revert', 'moved-on', 'sprout-missing']),
  stillAtAdvancedTier: z.boolean(),
});

const RollbackPlanSchema = z
  .object({
    items: z.array(RollbackItemSchema),
    sproutChanges: z.array(z.object({ sproutId: z.string(), fromTier: z.string(), toTier: z.string() })),
    reverts: z.int(),
    movedOn: z.int(),
    missing: z.int(),
  })
  .openapi('RollbackPlan');

const RollbackRequestSchema = z
  .strictObject({
    since: instantInput('From this instant (inclusive), ISO 8601 with an offset.'),
    until: instantInput('To this instant (exclusive).'),
    ruleId: z.string().optional(),
    executionId: z.string().optional(),
    reason: z.string().optional().openapi({ description: 'Why (recorded); required unless `preview`.' }),
    preview: z.boolean().optional().openapi({ description: 'Show what would change, change nothing.' }),
  })
  .openapi('RollbackRequest');

const RollbackResponseSchema = z
  .object({
    preview: z.boolean(),
    plan: RollbackPlanSchema,
    result: z
      .object({ rollbackEventIds: z.array(z.string()), reverted: z.array(RollbackItemSchema), leftAlone: z.array(RollbackItemSchema) })
      .optional()
      .openapi({ description: 'Without `preview`: what the rollback did.' }),
  })
  .openapi('RollbackResponse');

// ── views ────────────────────────────────────────────────────────────────────────────

/** Advancements shown with one sprout, newest first. */
export const SPROUT_ADVANCEMENTS_SHOWN = 100;

function sproutView(sprout: Sprout): z.infer<typeof SproutSchema> {
  return {
    id: sprout.id,
    title: sprout.title,
    tier: sprout.tier,
    lifecycleModelId: sprout.lifecycleModelId,
    createdAt: sprout.createdAt.toISOString(),
    updatedAt: sprout.updatedAt.toISOString(),
  };
}

/** Signals keyed by period, without the row keys repeated inside (as `grove-jobs sprouts show --json`). */
function signalsByPeriod(rows: readonly SproutSignals[]): Partial<Record<SignalPeriod, Record<string, unknown>>> {
  return Object.fromEntries(rows.map(({ sproutId: _id, period, ...values }) => [period, values]));
}

function ruleView(rule: AdvancementRule): z.infer<typeof RuleSchema> {
  return { meta: { ...rule.meta }, payload: { ...rule.payload, criteria: rule.payload.criteria.map((c) => ({ ...c })) } };
}

function eventView(event: AdvancementEvent): z.infer<typeof AdvancementEventSchema> {
  return { ...event, signalValues: event.signalValues ? { ...event.signalValues, ruleSignals: { ...event.signalValues.ruleSignals }, aggregation: { ...event.signalValues.aggregation } } : null };
}

/** A GroveError naming a service's field (`toTier`) renamed to the API's (`tier`). */
function renameField(error: unknown, fields: Record<string, string>): unknown {
  if (!(error instanceof GroveError) || error.field === undefined || !(error.field in fields)) return error;
  const field = fields[error.field] ?? error.field;
  const message = error.message.startsWith(`${error.field}: `) ? error.message.slice(error.field.length + 2) : error.message;
  return new GroveError(error.code, message, field);
}

async function renamingFields<T>(work: Promise<T>, fields: Record<string, string>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw renameField(error, fields);
  }
}

/** A whole number query parameter, or the raw text so the service refuses it by name. */
const wholeNumber = (text: string | undefined): number | string | undefined => (text === undefined ? undefined : /^\d{1,9}$/.test(text) ? Number(text) : text);

/**
 * The Grove domain over HTTP: advancement rules, sprouts and their usage events, the
 * advancement audit trail and bulk rollback. Reads need the viewer role, writes operator,
 * deleting a rule admin.
 */
export function groveRoutes(deps: { system: ApiSystem }): OpenAPIHono<ApiEnv> {
  const { system } = deps;
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  const grove = () => system.grove;

  // ── rules ──

  app.openapi(
    createRoute({
      method: 'get',
      path: '/advancement-rules',
      operationId: 'listAdvancementRules',
      summary: 'Every advancement rule, in the order they apply',
      tags: ['grove'],
      security: bearer,
      middleware: [requireRole('viewer')] as const,
      request: { query: z.object({ lifecycleModelId: z.string().optional(), enabled: z.enum(['true', 'false']).optional() }) },
      responses: { 200: json(z.object({ items: z.array(RuleSchema) }), 'The rules'), ...readErrors },
    }),
    async (c) => {
      const { lifecycleModelId, enabled } = c.req.valid('query');
      const rules = await grove().advancement.rules({ ...(lifecycleModelId ? { lifecycleModelId } : {}), ...(enabled === 'true' ? { enabledOnly: true } : {}) });
      const listed = rules.filter((r) => enabled !== 'false' || !r.payload.isEnabled);
      const problems = await grove().advancement.ruleProblems(listed);
      const items = listed.map((r) => {
        const problem = problems.get(r.meta.id);
        return problem ? { ...ruleView(r), problem: { ...problem } } : ruleView(r);
      });
      return c.json({ items }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/advancement-rules',
      operationId: 'createAdvancementRule',
      summary: 'Create an advancement rule (version 1)',
      tags: ['grove'],
      security: bearer,
      middleware: [requireRole('operator')] as const,
      request: body(RuleInputSchema),
      responses: { 201: json(RuleSchema, 'The stored rule', responseHeaders.etag), 409: errorResponses[409], ...writeErrors },
    }),
    async (c) => {
      const rule = await grove().advancement.createRule(c.req.valid('json'));
      c.header('ETag', etag(rule.meta.version));
      return c.json(ruleView(rule), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/advancement-rules/{id}',
      operationId: 'replaceAdvancementRule',
      summary: 'Replace an advancement rule; meta.version is the version the edit is based on (stale: 409)',
      tags: ['grove'],
      security: bearer,
      middleware: [requireRole('operator')] as const,
      request: { params: RuleIdParam, ...body(RuleInputSchema) },
      responses: { 200: json(RuleSchema, 'The stored rule', responseHeaders.etag), 404: errorResponses[404], 409: errorResponses[409], ...writeErrors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const input = c.req.valid('json');
      const metaId = input.meta['id'];
      if (metaId !== undefined && metaId !== id) {
        throw new ApiError(400, 'INVALID_REQUEST', `meta.id: '${metaId}' differs from the rule id '${id}' in the path`, 'meta.id');
      }
      const rule = await grove().advancement.updateRule({ ...input, meta: { ...input.meta, id } });
      c.header('ETag', etag(rule.meta.version));
      return c.json(ruleView(rule), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/advancement-rules/{id}',
      operationId: 'deleteAdvancementRule',
      summary: 'Delete an advancement rule (admin); its past events keep its id',
      tags: ['grove'],
      security: bearer,
      middleware: [requireRole('admin')] as const,
      request: { params: RuleIdParam, headers: IfMatch },
      responses: { 204: emptyResponse('Deleted'), 404: errorResponses[404], 409: errorResponses[409], ...writeErrors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const pinned = parseIfMatch(c.req.header('if-match'));
      if (pinned === 'invalid') throw new ApiError(400, 'INVALID_IF_MATCH', 'If-Match: must be a version ETag such as "3"', 'If-Match');
      await renamingFields(grove().advancement.deleteRule(id, pinned), { version: 'If-Match' });
      return c.body(null, 204);
    },
  );

  // ── sprouts ──

  app.openapi(
    createRoute({
      method: 'get',
      path: '/sprouts',
      operationId: 'listSprouts',
      summary: 'Sprouts by id, optionally of one tier; every one, or one page with `after`/`limit`',
      tags: ['grove'],
      security: bearer,
      middleware: [requireRole('viewer')] as const,
      request: {
        query: z.object({
          tier: z.string().optional(),
          after: z.string().optional().openapi({ description: 'Only sprouts whose id sorts after this one (keyset paging).' }),
          limit: z.coerce
            .number({ error: SPROUT_LIMIT_MESSAGE })
            .int(SPROUT_LIMIT_MESSAGE)
            .min(1, SPROUT_LIMIT_MESSAGE)
            .max(SPROUT_PAGE, SPROUT_LIMIT_MESSAGE)
            .optional()
            .openapi({ description: `Sprouts per page (default ${SPROUT_PAGE} once \`after\` is given)` }),
          signals: z.enum(['true', 'false']).optional().openapi({ description: "With each sprout's signals, keyed by period." }),
        }),
      },
      responses: {
        200: json(
          z.object({
            items: z.array(SproutSchema.extend({ signals: SignalsSchema.optional() })),
            nextAfter: z.string().optional().openapi({ description: 'With `limit`: pass as `after` for the next page (absent on the last page).' }),
          }),
          'The sprouts',
        ),
        ...readErrors,
      },
    }),
    async (c) => {
      const { tier, after, limit, signals } = c.req.valid('query');
      const withSignals = signals === 'true';
      const filter = tier ? { tier } : {};
      let sprouts: Sprout[];
      let nextAfter: string | undefined;
      if (limit !== undefined || after !== undefined) {
        const size = limit ?? SPROUT_PAGE;
        sprouts = await grove().sprouts.page({ ...filter, ...(after !== undefined ? { after } : {}), limit: size });
        if (sprouts.length === size) nextAfter = sprouts[sprouts.length - 1]?.id;
      } else {
        sprouts = [];
        for await (const page of grove().sprouts.all(filter)) sprouts.push(...page);
      }
      const bySprout = new Map<string, SproutSignals[]>();
      if (withSignals) {
        for (let i = 0; i < sprouts.length; i += SPROUT_PAGE) {
          for (const row of await grove().signals.getSignals(sprouts.slice(i, i + SPROUT_PAGE).map((s) => s.id))) {
            const list = bySprout.get(row.sproutId) ?? [];
            list.push(row);
            bySprout.set(row.sproutId, list);
          }
        }
      }
      const items = sprouts.map((s) => (withSignals ? { ...sproutView(s), signals: signalsByPeriod(bySprout.get(s.id) ?? []) } : sproutView(s)));
      return c.json(nextAfter === undefined ? { items } : { items, nextAfter }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/sprouts',
      operationId: 'createSprouts',
      summary: 'Create sprouts, all or none (ids generated where missing)',
      tags: ['grove'],
      security: bearer,
      middleware: [requireRole('operator')] as const,
      request: body(z.strictObject({ sprouts: z.array(SproutInputSchema) }).openapi('SproutImport')),
      responses: { 201: json(z.object({ ids: z.array(z.string()) }), 'The ids, in input order'), 409: errorResponses[409], ...writeErrors },
    }),
    async (c) => {
      const ids = await grove().sprouts.importSprouts(c.req.valid('json').sprouts);
      return c.json({ ids }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/sprouts/{id}',
      operationId: 'getSprout',
      summary: 'One sprout with its signals per period and its advancements (newest first)',
      tags: ['grove'],
      security: bearer,
      middleware: [requireRole('viewer')] as const,
      request: { params: SproutIdParam },
      responses: {
        200: json(SproutSchema.extend({ signals: SignalsSchema, advancements: z.array(AdvancementEventSchema) }).openapi('SproutDetail'), 'The sprout'),
        404: errorResponses[404],
        ...readErrors,
      },
    }),
    async (c) => {
      const sprout = await renamingFields(grove().sprouts.get(c.req.valid('param').id), { sproutId: 'id' });
      const signals = signalsByPeriod(await grove().signals.getSignals([sprout.id]));
      const advancements = await grove().advancement.events({ sproutId: sprout.id, limit: SPROUT_ADVANCEMENTS_SHOWN });
      return c.json({ ...sproutView(sprout), signals, advancements: advancements.map(eventView) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/sprouts/{id}/tier',
      operationId: 'setSproutTier',
      summary: "Set a sprout's tier by hand: a manual-override event with the reason",
      tags: ['grove'],
      security: bearer,
      middleware: [requireRole('operator')] as const,
      request: { params: SproutIdParam, ...body(z.strictObject({ tier: z.string(), reason: z.string() }).openapi('TierOverride')) },
      responses: { 200: json(AdvancementEventSchema, 'The manual-override event'), 404: errorResponses[404], 409: errorResponses[409], ...writeErrors },
    }),
    async (c) => {
      const { tier, reason } = c.req.valid('json');
      const event = await renamingFields(
        grove().advancement.overrideTier({ sproutId: c.req.valid('param').id, toTier: tier, operator: apiActor(c), reason }),
        { toTier: 'tier', sproutId: 'id' },
      );
      return c.json(eventView(event), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/sprout-events',
      operationId: 'recordUsageEvents',
      summary: `Record usage events, all or none (up to ${MAX_EVENTS_PER_REQUEST.toLocaleString('en')} per request; createdAt may be past, not future)`,
      tags: ['grove'],
      security: bearer,
      middleware: [requireRole('operator')] as const,
      request: body(z.strictObject({ events: z.array(UsageEventSchema) }).openapi('UsageEventImport')),
      responses: { 201: json(z.object({ inserted: z.int() }), 'How many were recorded'), ...writeErrors },
    }),
    async (c) => {
      const inserted = await grove().sprouts.importEvents(c.req.valid('json').events, { maxEvents: MAX_EVENTS_PER_REQUEST });
      return c.json({ inserted }, 201);
    },
  );

  // ── advancement events and rollback ──

  app.openapi(
    createRoute({
      method: 'get',
      path: '/advancement-events',
      operationId: 'listAdvancementEvents',
      summary: 'The advancement audit trail, newest first',
      tags: ['grove'],
      security: bearer,
      middleware: [requireRole('viewer')] as const,
      request: {
        query: z.object({
          since: instantInput('From this instant (inclusive), ISO 8601 with an offset.').optional(),
          until: instantInput('To this instant (exclusive).').optional(),
          ruleId: z.string().optional(),
          executionId: z.string().optional(),
          sproutId: z.string().optional(),
          // Text to the route: the service refuses a number out of range by name.
          limit: z.string().optional().openapi({ type: 'integer', minimum: 1, maximum: 10_000, default: 100, description: 'At most this many, newest first' }),
        }),
      },
      responses: { 200: json(z.object({ items: z.array(AdvancementEventSchema) }), 'The events'), ...readErrors },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const limit = wholeNumber(q.limit);
      const filter = Object.fromEntries(
        Object.entries({ since: q.since, until: q.until, ruleId: q.ruleId, executionId: q.executionId, sproutId: q.sproutId, limit }).filter(([, v]) => v !== undefined),
      );
      const events = await grove().advancement.events(filter);
      return c.json({ items: events.map(eventView) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/advancement-events/rollback',
      operationId: 'rollbackAdvancements',
      summary: 'Roll back the auto-advancements of a time range (optionally one rule or one execution); `preview` changes nothing',
      tags: ['grove'],
      security: bearer,
      middleware: [requireRole('operator')] as const,
      request: body(RollbackRequestSchema),
      responses: { 200: json(RollbackResponseSchema, 'The plan and, without preview, what was done'), 409: errorResponses[409], ...writeErrors },
    }),
    async (c) => {
      const { preview, reason, ...rest } = c.req.valid('json');
      const filter = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as { since: string; until: string; ruleId?: string; executionId?: string };
      const advancement = grove().advancement;
      if (preview) return c.json({ preview: true, plan: await advancement.previewRollback(filter) }, 200);
      if (reason === undefined || reason.trim() === '') throw new ApiError(400, 'INVALID_REQUEST', 'reason: is required: say why (or preview)', 'reason');
      const result = await advancement.applyRollback({ ...filter, operator: apiActor(c), reason });
      // The plan the apply acted on, rebuilt from its own items: planRollback is pure, so this
      // is exactly what a preview at that moment would have shown.
      const candidates = [...result.reverted, ...result.leftAlone].map(({ action: _a, stillAtAdvancedTier: _s, ...candidate }: RollbackItem) => candidate);
      return c.json({ preview: false, plan: planRollback(candidates), result }, 200);
    },
  );

  return app;
}
