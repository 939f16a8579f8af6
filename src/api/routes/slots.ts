import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { SlotFate } from '../../domain/schedule/ledger.js';
import { BackfillOverlapValues } from '../../domain/schedule/slot-requests.js';
import type { ApiSystem } from '../system.js';
import { type ApiEnv, apiActor, requireRole } from '../http.js';
import { validationHook } from '../validation.js';
import { bearer, errorResponses, readErrors, writeErrors } from '../views.js';
import { jsonResponse as json } from '../openapi-routes.js';
import { DstDate } from './preview.js';

const IdParam = z.object({ id: z.string().min(1).max(200).openapi({ param: { name: 'id', in: 'path' }, example: 'advancement-batch' }) });
const INSTANT = 'an ISO 8601 date-time with a zone, such as 2026-03-08T07:00:00Z';

const Fate = z.enum(Object.values(SlotFate) as [SlotFate, ...SlotFate[]]).openapi({
  description:
    '`ran`, `running`, `queued`: claimed on time (its execution\'s latest attempt); `caught-up`: missed and run late by the misfire policy; `missed`: not run at its time, and the policy ran nothing; `skipped-overlap`: the config already had `maxConcurrent` runs; `backfilled`: run afterwards by a backfill; `disabled`, `paused`: the schedule was switched off or paused then; `before-created`; `due`: past, not decided yet; `unclaimed`: past, and no scheduler will decide it (created or switched on while none ran); `upcoming`',
});

const LedgerExecution = z
  .object({
    id: z.string(),
    status: z.string(),
    trigger: z.string(),
    attempts: z.number().int(),
    queuedAt: z.iso.datetime(),
    startedAt: z.iso.datetime().nullable(),
    finishedAt: z.iso.datetime().nullable(),
    durationMs: z.number().int().nullable(),
    requestedBy: z.string().nullable(),
    firstStartedAt: z.iso.datetime().nullable().openapi({ description: 'When the first attempt started' }),
    lagMs: z.number().int().nullable().optional().openapi({ description: 'From the slot to the first attempt\'s start' }),
  })
  .openapi('LedgerExecution');

const LedgerSlot = z
  .object({
    at: z.iso.datetime().openapi({ example: '2026-03-08T07:00:00.000Z' }),
    wallClock: z.string().openapi({ description: 'Wall clock with offset in the zone of the version in force', example: '2026-03-08T03:00:00-04:00' }),
    timezone: z.string(),
    fate: Fate,
    version: z.number().int().nullable().openapi({ description: 'The config version in force at the slot; null before the config existed' }),
    execution: LedgerExecution.optional(),
    claim: z.object({ at: z.iso.datetime(), by: z.string().nullable(), decision: z.string() }).optional().openapi({ description: 'When and by which scheduler the slot was claimed' }),
    missed: z.object({ misfirePolicy: z.string(), recordId: z.string().nullable(), folded: z.boolean() }).optional(),
    overlap: z.object({ active: z.array(z.string()) }).optional().openapi({ description: 'The executions queued or running when a slot was skipped' }),
    switchedOff: z.object({ version: z.number().int(), by: z.string(), at: z.iso.datetime() }).optional(),
    pause: z.object({ reason: z.string().nullable(), by: z.string().nullable(), since: z.iso.datetime(), until: z.iso.datetime().nullable(), endedAt: z.iso.datetime().nullable() }).optional(),
    dst: z
      .object({ date: z.string(), wallClock: z.string(), rule: z.enum(['gap-runs-after', 'gap-skipped', 'doubled-runs-once', 'doubled-runs-twice']), occurrence: z.enum(['first', 'second']).optional() })
      .optional()
      .openapi({ description: 'A slot daylight saving moved or doubled: the wall time asked for and the rule (docs/scheduling.md)' }),
    phrase: z.string().openapi({ description: 'What became of the slot, in words', example: 'ran at 2026-03-08 03:00 EDT (07:00 UTC) as execution 01a2b3c4… (success, 4.1 s)' }),
  })
  .openapi('LedgerSlot');

const SlotLedgerSchema = z
  .object({
    configId: z.string(),
    from: z.iso.datetime(),
    until: z.iso.datetime().openapi({ description: 'The end asked for, or the last slot listed when `truncated`' }),
    now: z.iso.datetime(),
    slots: z.array(LedgerSlot),
    manual: z.array(LedgerExecution.extend({ at: z.iso.datetime().openapi({ description: 'When it was queued' }), wallClock: z.string().openapi({ description: 'When it was queued, on the job\'s wall clock' }) })).openapi({ description: 'Runs in the range that no slot started (manual, API)' }),
    dst: z.array(DstDate.extend({ timezone: z.string() })).openapi({ description: 'Wall times of the range that daylight saving made vanish or happen twice' }),
    truncated: z.boolean().openapi({ description: 'The range holds more slots than the limit; the ledger stops at `until`' }),
  })
  .openapi('SlotLedger');

const LedgerQuery = z.object({
  from: z.string().optional().openapi({ description: `Start of the range, ${INSTANT}; default a day before \`until\` or now` }),
  until: z.string().optional().openapi({ description: `End of the range, ${INSTANT}; default a day after \`from\` or now` }),
  limit: z.coerce.number({ error: 'must be a whole number from 1 to 10000' }).int('must be a whole number from 1 to 10000').min(1, 'must be a whole number from 1 to 10000').max(10_000, 'must be a whole number from 1 to 10000').optional().openapi({ description: 'Most slots listed (default and most 10,000)' }),
});

const ExplainSchema = z
  .object({
    configId: z.string(),
    at: z.string(),
    timezone: z.string(),
    sentence: z.string().openapi({ example: 'At 2026-03-08 02:30 America/New_York there was no slot: that wall-clock time does not exist (clocks went 02:00 → 03:00); the 02:30 slot ran at 2026-03-08 03:00 EDT (07:00 UTC) as execution 01a2b3c4… (success, 4.1 s).' }),
    slots: z.array(LedgerSlot),
  })
  .openapi('SlotExplanation');

const BackfillRequest = z
  .strictObject({
    from: z.string({ error: `is required: ${INSTANT}` }).openapi({ description: 'First instant of the range', example: '2026-03-01T00:00:00Z' }),
    until: z.string({ error: `is required: ${INSTANT}` }).openapi({ description: 'Last instant of the range (not in the future)', example: '2026-03-02T00:00:00Z' }),
    overlap: z
      .enum(BackfillOverlapValues, { error: `must be one of ${BackfillOverlapValues.join(', ')}` })
      .optional()
      .openapi({
        description:
          '`queue` (default): every open slot gets a run, started in slot order as `maxConcurrent` allows; `skip`: only as many as the job has room for now, the rest stay open for a later backfill; `all`: as `queue`, and slots the schedule skipped for overlap are run too',
      }),
    dryRun: z.boolean().optional().openapi({ description: 'List what would be queued; change nothing' }),
  })
  .openapi('BackfillRequest');

const BackfillSchema = z
  .object({
    configId: z.string(),
    from: z.iso.datetime(),
    until: z.iso.datetime(),
    overlap: z.enum(BackfillOverlapValues),
    dryRun: z.boolean(),
    slots: z.array(
      z.object({
        at: z.iso.datetime(),
        wallClock: z.string(),
        fate: Fate.openapi({ description: 'The slot\'s fate before the backfill' }),
        outcome: z.enum(['queued', 'would-queue', 'taken', 'no-room']),
        executionId: z.string().nullable(),
      }),
    ),
    passed: z.record(z.string(), z.number().int()).openapi({ description: 'The range\'s other slots by fate (they ran, are due, …): left alone' }),
  })
  .openapi('BackfillResult');

export type SlotLedgerView = z.infer<typeof SlotLedgerSchema>;
export type LedgerSlotView = z.infer<typeof LedgerSlot>;
export type SlotExplanationView = z.infer<typeof ExplainSchema>;
export type BackfillView = z.infer<typeof BackfillSchema>;

/**
 * The slot ledger (`GET /api/jobs/{id}/slots`), one instant in words (`GET …/explain`), both
 * for viewers, and backfill of past slots that did not run (`POST …/backfill`, operators).
 */
export function slotRoutes(deps: { system: ApiSystem }): OpenAPIHono<ApiEnv> {
  const { system } = deps;
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/jobs/{id}/slots',
      operationId: 'getJobSlots',
      summary: 'Every slot of a range, past or future, and what became of it (at most 10,000)',
      tags: ['jobs'],
      security: bearer,
      request: { params: IdParam, query: LedgerQuery },
      responses: { 200: json(SlotLedgerSchema, 'The slot ledger'), 404: errorResponses[404], ...readErrors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { from, until, limit } = c.req.valid('query');
      const ledger = await system.slots.ledger(id, { from, until, ...(limit !== undefined ? { limit } : {}) });
      return c.json(ledger, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/jobs/{id}/explain',
      operationId: 'explainJobInstant',
      summary: 'One instant in words: the slot there and its fate, or why there was none and the nearest slots',
      tags: ['jobs'],
      security: bearer,
      request: {
        params: IdParam,
        query: z.object({
          at: z.string({ error: `is required: ${INSTANT}, or a wall-clock time in the job's zone such as 2026-03-08T02:30` }).openapi({ description: `${INSTANT}, or a wall-clock time in the job's zone (2026-03-08T02:30)` }),
        }),
      },
      responses: { 200: json(ExplainSchema, 'The instant explained'), 404: errorResponses[404], ...readErrors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      return c.json(await system.slots.explain(id, c.req.valid('query').at), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/jobs/{id}/backfill',
      operationId: 'backfillJob',
      summary: 'Run the past slots of a range that did not run (missed, paused, switched off); running it twice adds nothing',
      tags: ['jobs'],
      security: bearer,
      middleware: [requireRole('operator')] as const,
      request: { params: IdParam, body: { required: true, content: { 'application/json': { schema: BackfillRequest } } } },
      responses: { 200: json(BackfillSchema, 'What the backfill queued (or would queue)'), 404: errorResponses[404], ...writeErrors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      return c.json(await system.slots.backfill(id, body, apiActor(c)), 200);
    },
  );
  return app;
}
