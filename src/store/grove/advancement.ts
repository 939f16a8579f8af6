import {
  type AdvancementEvent,
  advancementEventFilterInput,
  type AdvancementRule,
  checkRuleAgainstModel,
  checkTierOverride,
  type CriterionResult,
  GroveError,
  GroveErrorCode,
  parseAdvancementInput,
  parseAdvancementRule,
  planRollback,
  type RollbackCandidate,
  rollbackFilterInput,
  rollbackInput,
  type RollbackPlan,
  readSignalSnapshot,
  type TieredModel,
  tierOverrideInput,
} from '../../domain/grove/index.js';
import type { AdvancementRun, AdvancementScope, AdvancementStore } from '../../engine/ports.js';
import {
  type AdvancePageRow,
  advancePageQuery,
  type CandidatePageRow,
  type CompiledAdvancement,
  compileAdvancement,
  type PageSprouts,
  readCandidates,
} from './advancement-sql.js';
import type { Sql, SqlQuery } from '../sql.js';

// Rows never leave this file: everything returned is camelCase.

interface RuleRow {
  id: string;
  title: string;
  version: number;
  lifecycle_model_id: string;
  from_tier: string;
  to_tier: string;
  criteria: AdvancementRule['payload']['criteria'];
  logic_operator: 'AND' | 'OR';
  is_enabled: boolean;
  sort_order: number;
  created_at: Date;
  updated_at: Date;
}

interface EventRow {
  id: string;
  sprout_id: string;
  rule_id: string | null;
  from_tier: string;
  to_tier: string;
  event_type: AdvancementEvent['eventType'];
  execution_id: string | null;
  criteria_met: CriterionResult[] | null;
  signal_values: unknown;
  operator_id: string | null;
  reason: string | null;
  rolled_back: boolean;
  rolled_back_by: string | null;
  rollback_of: string | null;
  created_at: Date;
}

interface RollbackCandidateRow {
  id: string;
  sprout_id: string;
  rule_id: string | null;
  execution_id: string | null;
  from_tier: string;
  to_tier: string;
  created_at: Date;
  current_tier: string | null;
}

const iso = (value: Date | string) => new Date(value).toISOString();

function toRule(row: RuleRow): AdvancementRule {
  return {
    meta: { id: row.id, title: row.title, version: row.version, createdAt: iso(row.created_at), updatedAt: iso(row.updated_at) },
    payload: {
      lifecycleModelId: row.lifecycle_model_id,
      fromTier: row.from_tier,
      toTier: row.to_tier,
      criteria: row.criteria,
      logicOperator: row.logic_operator,
      isEnabled: row.is_enabled,
      order: row.sort_order,
    },
  };
}

function toEvent(row: EventRow): AdvancementEvent {
  return {
    id: row.id,
    sproutId: row.sprout_id,
    ruleId: row.rule_id,
    fromTier: row.from_tier,
    toTier: row.to_tier,
    eventType: row.event_type,
    executionId: row.execution_id,
    criteriaMet: row.criteria_met,
    signalValues: readSignalSnapshot(row.signal_values),
    operatorId: row.operator_id,
    reason: row.reason,
    rolledBack: row.rolled_back,
    rolledBackBy: row.rolled_back_by,
    rollbackOf: row.rollback_of,
    timestamp: iso(row.created_at),
  };
}

function toRollbackCandidate(row: RollbackCandidateRow): RollbackCandidate {
  return {
    eventId: row.id,
    sproutId: row.sprout_id,
    ruleId: row.rule_id,
    executionId: row.execution_id,
    fromTier: row.from_tier,
    toTier: row.to_tier,
    advancedAt: iso(row.created_at),
    currentTier: row.current_tier,
  };
}

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

const RULE_COLUMNS = 'id, title, version, lifecycle_model_id, from_tier, to_tier, criteria, logic_operator, is_enabled, sort_order, created_at, updated_at';
const EVENT_COLUMNS =
  'id::text, sprout_id, rule_id, from_tier, to_tier, event_type, execution_id::text, criteria_met, signal_values, operator_id, reason, rolled_back, rolled_back_by::text, rollback_of::text, created_at';

export const listRules = (lifecycleModelId: string | null, enabledOnly: boolean): SqlQuery => ({
  name: 'grove-adv-rules-list',
  text: `select ${RULE_COLUMNS} from advancement_rules
          where ($1::text is null or lifecycle_model_id = $1) and (not $2::boolean or is_enabled)
          order by lifecycle_model_id, sort_order, id`,
  values: [lifecycleModelId, enabledOnly],
});

export const getRule = (id: string): SqlQuery => ({
  name: 'grove-adv-rules-get',
  text: `select ${RULE_COLUMNS} from advancement_rules where id = $1`,
  values: [id],
});

type RuleValues = [string, string, string, string, string, string, 'AND' | 'OR', boolean, number];
const ruleValues = (rule: AdvancementRule['payload'] & { id: string; title: string }): RuleValues => [
  rule.id,
  rule.title,
  rule.lifecycleModelId,
  rule.fromTier,
  rule.toTier,
  JSON.stringify(rule.criteria),
  rule.logicOperator,
  rule.isEnabled,
  rule.order,
];

/** Ids are unique: a concurrent create of the same id gets no row back here. */
export const insertRule = (values: RuleValues, at: Date): SqlQuery => ({
  name: 'grove-adv-rules-insert',
  text: `insert into advancement_rules (id, title, version, lifecycle_model_id, from_tier, to_tier, criteria, logic_operator, is_enabled, sort_order, created_at, updated_at)
         values ($1, $2, 1, $3, $4, $5, $6::jsonb, $7, $8, $9, $10::timestamptz, $10::timestamptz)
         on conflict (id) do nothing
         returning ${RULE_COLUMNS}`,
  values: [...values, at],
});

/** Optimistic concurrency: two edits based on the same version race here and exactly one gets a row. */
export const replaceRule = (values: RuleValues, expectedVersion: number, at: Date): SqlQuery => ({
  name: 'grove-adv-rules-replace',
  text: `update advancement_rules
            set title = $2, version = version + 1, lifecycle_model_id = $3, from_tier = $4, to_tier = $5, criteria = $6::jsonb,
                logic_operator = $7, is_enabled = $8, sort_order = $9, updated_at = $10::timestamptz
          where id = $1 and version = $11
      returning ${RULE_COLUMNS}`,
  values: [...values, at, expectedVersion],
});

export const deleteRule = (id: string, expectedVersion: number | null): SqlQuery => ({
  name: 'grove-adv-rules-delete',
  text: 'delete from advancement_rules where id = $1 and ($2::int is null or version = $2) returning id',
  values: [id, expectedVersion],
});

export const listModels = (): SqlQuery => ({
  name: 'grove-adv-models-list',
  text: 'select id, tiers from lifecycle_models order by id',
});

export const runExecutionIds = (executionId: string): SqlQuery => ({
  name: 'grove-adv-run-executions',
  // A run is its first execution (id = run_id) and its retries (attempt > 1, indexed).
  text: `with run as (select run_id from executions where id = $1::uuid)
         select e.id::text from executions e, run where e.id = run.run_id
         union
         select e.id::text from executions e, run where e.run_id = run.run_id and e.attempt > 1
         union
         select $1::uuid::text`,
  values: [executionId],
});

const groupArrays = (scope: AdvancementScope) => [scope.groups.map((g) => g.lifecycleModelId), scope.groups.map((g) => g.tier)];

export const countCandidates = (scope: AdvancementScope): SqlQuery => ({
  name: 'grove-adv-candidates-count',
  text: `select count(*)::int as n
           from unnest($1::text[], $2::text[]) as g(model, tier)
           join sprouts s on s.lifecycle_model_id = g.model and s.tier = g.tier`,
  values: groupArrays(scope),
});

export const lockSproutForOverride = (sproutId: string): SqlQuery => ({
  name: 'grove-adv-override-lock',
  text: `select s.id, s.tier, s.lifecycle_model_id, m.tiers
           from sprouts s join lifecycle_models m on m.id = s.lifecycle_model_id
          where s.id = $1
            for update of s`,
  values: [sproutId],
});

export const writeOverride = (input: { sproutId: string; fromTier: string; toTier: string; operator: string; reason: string }, at: Date): SqlQuery => ({
  name: 'grove-adv-override-write',
  text: `with moved as (
           update sprouts set tier = $3, updated_at = $6::timestamptz where id = $1 and tier = $2 returning id
         )
         insert into advancement_events (sprout_id, from_tier, to_tier, event_type, operator_id, reason, created_at)
         select $1, $2, $3, 'manual-override', $4, $5, $6::timestamptz from moved
         returning ${EVENT_COLUMNS}`,
  values: [input.sproutId, input.fromTier, input.toTier, input.operator, input.reason, at],
});

const ROLLBACK_SELECTION = `e.event_type = 'auto-advancement' and not e.rolled_back
            and e.created_at >= $1::timestamptz and e.created_at < $2::timestamptz
            and ($3::text is null or e.rule_id = $3) and ($4::uuid is null or e.execution_id = $4::uuid)`;

type RollbackFilterValues = [Date, Date, string | null, string | null];

export const rollbackCandidates = (values: RollbackFilterValues): SqlQuery => ({
  name: 'grove-adv-rollback-candidates',
  text: `select e.id::text, e.sprout_id, e.rule_id, e.execution_id::text, e.from_tier, e.to_tier, e.created_at, s.tier as current_tier
           from advancement_events e left join sprouts s on s.id = e.sprout_id
          where ${ROLLBACK_SELECTION}`,
  values,
});

/**
 * Locks the sprouts a rollback may touch, in id order (two rollbacks over the same sprouts
 * queue up here instead of deadlocking). The candidates are read after this statement, so
 * a rollback that waited sees what the one before it undid.
 */
export const lockRollbackSprouts = (values: RollbackFilterValues): SqlQuery => ({
  name: 'grove-adv-rollback-lock',
  text: `select s.id from sprouts s
          where s.id in (select e.sprout_id from advancement_events e where ${ROLLBACK_SELECTION})
          order by s.id
            for update`,
  values,
});

/**
 * Applies a rollback plan in one statement: each sprout back to its planned tier (guarded on
 * the tier it was planned from), one bulk-rollback event per advancement undone, and each
 * undone event marked rolled back with a link to its bulk-rollback event.
 */
export const applyRollbackPlan = (revertsJson: string, changesJson: string, operator: string, reason: string, at: Date): SqlQuery => ({
  name: 'grove-adv-rollback-apply',
  text: `with reverts as (
           select * from jsonb_to_recordset($1::jsonb) as x(event_id uuid, sprout_id text)
         ), changes as (
           select * from jsonb_to_recordset($2::jsonb) as x(sprout_id text, from_tier text, to_tier text)
         ), moved as (
           update sprouts s set tier = c.to_tier, updated_at = $5::timestamptz
             from changes c
            where s.id = c.sprout_id and s.tier = c.from_tier
           returning s.id
         ), written as (
           insert into advancement_events (sprout_id, rule_id, from_tier, to_tier, event_type, operator_id, reason, rollback_of, created_at)
           select e.sprout_id, e.rule_id, e.to_tier, e.from_tier, 'bulk-rollback', $3, $4, e.id, $5::timestamptz
             from reverts r
             join advancement_events e on e.id = r.event_id
             join moved m on m.id = r.sprout_id
           returning id, rollback_of
         )
         update advancement_events e set rolled_back = true, rolled_back_by = w.id
           from written w
          where e.id = w.rollback_of
         returning w.id::text as rollback_event_id, e.id::text as event_id`,
  values: [revertsJson, changesJson, operator, reason, at],
});

type EventFilterValues = [Date | null, Date | null, string | null, string | null, string | null, number];
const EVENT_FILTER = `($1::timestamptz is null or created_at >= $1::timestamptz) and ($2::timestamptz is null or created_at < $2::timestamptz)
            and ($3::text is null or rule_id = $3) and ($4::uuid is null or execution_id = $4::uuid) and ($5::text is null or sprout_id = $5)`;

// Three statements with the same filter, one per index: plans are generic (prepared once), and a
// generic plan cannot pick an index from which parameters happen to be null.
export const listEventsOfSprout = (values: EventFilterValues): SqlQuery => ({
  name: 'grove-adv-events-by-sprout',
  text: `select ${EVENT_COLUMNS} from advancement_events where sprout_id = $5 and ${EVENT_FILTER} order by created_at desc, id desc limit $6`,
  values,
});
export const listEventsOfExecution = (values: EventFilterValues): SqlQuery => ({
  name: 'grove-adv-events-by-execution',
  text: `select ${EVENT_COLUMNS} from advancement_events where execution_id = $4::uuid and ${EVENT_FILTER} order by created_at desc, id desc limit $6`,
  values,
});
export const listEventsByTime = (values: EventFilterValues): SqlQuery => ({
  name: 'grove-adv-events-by-time',
  text: `select ${EVENT_COLUMNS} from advancement_events where ${EVENT_FILTER} order by created_at desc, id desc limit $6`,
  values,
});

// ---------------------------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------------------------

async function modelOf(sql: Sql, id: string): Promise<TieredModel | undefined> {
  const rows = await sql.query<{ id: string; tiers: string[] }>(listModels());
  const row = rows.find((r) => r.id === id);
  return row && { id: row.id, tiers: [...row.tiers] };
}

async function validRule(sql: Sql, input: unknown) {
  const draft = parseAdvancementRule(input);
  checkRuleAgainstModel(draft, await modelOf(sql, draft.payload.lifecycleModelId));
  return { draft, values: ruleValues({ id: draft.meta.id, title: draft.meta.title ?? draft.meta.id, ...draft.payload }) };
}

const filterValues = (f: { since: Date; until: Date; ruleId?: string | undefined; executionId?: string | undefined }): RollbackFilterValues => [
  f.since,
  f.until,
  f.ruleId ?? null,
  f.executionId ?? null,
];

/** The advancement part of the Grove store in SQL: one SQL for PGlite and PostgreSQL. */
export function createAdvancementStore(sql: Sql): AdvancementStore {
  // Each run's page statement, compiled at its first page.
  const compiledRuns = new WeakMap<AdvancementRun, CompiledAdvancement>();
  return {
    listRules: async (filter = {}) =>
      (await sql.query<RuleRow>(listRules(filter.lifecycleModelId ?? null, filter.enabledOnly ?? false))).map(toRule),

    getRule: async (id) => {
      const [row] = await sql.query<RuleRow>(getRule(id));
      return row && toRule(row);
    },

    createRule: async (input, at) => {
      const { draft, values } = await validRule(sql, input);
      const [row] = await sql.query<RuleRow>(insertRule(values, at));
      if (!row) throw new GroveError(GroveErrorCode.Exists, `rule '${draft.meta.id}' exists already`, 'meta.id');
      return toRule(row);
    },

    updateRule: async (input, at) => {
      const { draft, values } = await validRule(sql, input);
      const expected = draft.meta.version;
      if (expected === undefined) {
        throw new GroveError(GroveErrorCode.Invalid, 'is required: the version this edit is based on', 'meta.version');
      }
      const [row] = await sql.query<RuleRow>(replaceRule(values, expected, at));
      if (row) return toRule(row);
      const [current] = await sql.query<RuleRow>(getRule(draft.meta.id));
      if (!current) throw new GroveError(GroveErrorCode.NotFound, `no rule '${draft.meta.id}'`, 'meta.id');
      throw new GroveError(
        GroveErrorCode.Conflict,
        `rule '${draft.meta.id}' is at version ${current.version}, not ${expected}: reload it and apply the edit again`,
        'meta.version',
      );
    },

    deleteRule: async (id, expectedVersion) => {
      const [row] = await sql.query<{ id: string }>(deleteRule(id, expectedVersion ?? null));
      if (row) return;
      const [current] = await sql.query<RuleRow>(getRule(id));
      if (!current) throw new GroveError(GroveErrorCode.NotFound, `no rule '${id}'`, 'id');
      throw new GroveError(GroveErrorCode.Conflict, `rule '${id}' is at version ${current.version}, not ${expectedVersion}`, 'version');
    },

    listLifecycleModels: async () =>
      (await sql.query<{ id: string; tiers: string[] }>(listModels())).map((row) => ({ id: row.id, tiers: [...row.tiers] })),

    runExecutionIds: async (executionId) => (await sql.query<{ id: string }>(runExecutionIds(executionId))).map((row) => row.id),

    countCandidates: async (scope) => (await sql.query<{ n: number }>(countCandidates(scope)))[0]?.n ?? 0,

    readCandidates: async (scope, after, limit) => {
      const [row] = await sql.query<CandidatePageRow>(readCandidates(scope, after, limit));
      if (!row || row.size === 0 || row.ids === null || row.ords === null || row.last_id === null || row.last_ord === null) {
        return { size: 0, last: null, sprouts: null };
      }
      const sprouts: PageSprouts = { ids: row.ids, ords: row.ords };
      return { size: row.size, last: { groupIndex: row.last_ord - 1, sproutId: row.last_id }, sprouts };
    },

    advancePage: async (run, page, at, sampleLimit) => {
      let compiled = compiledRuns.get(run);
      if (!compiled) {
        compiled = compileAdvancement(run);
        compiledRuns.set(run, compiled);
      }
      const empty = { evaluated: 0, matched: 0, advanced: 0, byRule: {}, sample: [] };
      if (page.size === 0) return empty;
      const [row] = await sql.query<AdvancePageRow>(advancePageQuery(compiled, page.sprouts as PageSprouts, at, sampleLimit));
      if (!row) return empty;
      const ruleAt = (index: number) => compiled.rules[index - 1];
      const byRule: Record<string, number> = {};
      for (const [index, n] of row.by_rule) {
        const rule = ruleAt(index);
        if (rule) byRule[rule.meta.id] = (byRule[rule.meta.id] ?? 0) + n;
      }
      const sample = row.sample.flatMap(([sproutId, index, ord]) => {
        const rule = ruleAt(index);
        const group = run.scope.groups[ord - 1];
        return rule && group ? [{ sproutId, fromTier: group.tier, toTier: rule.payload.toTier, ruleId: rule.meta.id }] : [];
      });
      return { evaluated: row.evaluated, matched: row.matched, advanced: row.advanced, byRule, sample };
    },

    overrideTier: async (input, at) => {
      const checked = parseAdvancementInput(tierOverrideInput, input);
      return sql.transaction(async (tx) => {
        const [sprout] = await tx.query<{ id: string; tier: string; lifecycle_model_id: string; tiers: string[] }>(lockSproutForOverride(checked.sproutId));
        if (!sprout) throw new GroveError(GroveErrorCode.NotFound, `no sprout '${checked.sproutId}'`, 'sproutId');
        checkTierOverride({ id: sprout.id, tier: sprout.tier, lifecycleModelId: sprout.lifecycle_model_id }, { id: sprout.lifecycle_model_id, tiers: sprout.tiers }, checked.toTier);
        const [row] = await tx.query<EventRow>(writeOverride({ ...checked, fromTier: sprout.tier }, at));
        // The row is locked, so the guarded update cannot miss; if it ever did, nothing is written.
        if (!row) throw new GroveError(GroveErrorCode.Conflict, `sprout '${checked.sproutId}' changed while it was being set`, 'sproutId');
        return toEvent(row);
      });
    },

    previewRollback: async (filter) => {
      const checked = parseAdvancementInput(rollbackFilterInput, filter);
      return planRollback((await sql.query<RollbackCandidateRow>(rollbackCandidates(filterValues(checked)))).map(toRollbackCandidate));
    },

    applyRollback: async (input, at) => {
      const checked = parseAdvancementInput(rollbackInput, input);
      const values = filterValues(checked);
      return sql.transaction(async (tx) => {
        await tx.query(lockRollbackSprouts(values));
        const plan: RollbackPlan = planRollback((await tx.query<RollbackCandidateRow>(rollbackCandidates(values))).map(toRollbackCandidate));
        const reverted = plan.items.filter((item) => item.action === 'revert');
        const leftAlone = plan.items.filter((item) => item.action !== 'revert');
        if (reverted.length === 0) return { rollbackEventIds: [], reverted, leftAlone };
        const rows = await tx.query<{ rollback_event_id: string; event_id: string }>(
          applyRollbackPlan(
            JSON.stringify(reverted.map((item) => ({ event_id: item.eventId, sprout_id: item.sproutId }))),
            JSON.stringify(plan.sproutChanges.map((c) => ({ sprout_id: c.sproutId, from_tier: c.fromTier, to_tier: c.toTier }))),
            checked.operator,
            checked.reason,
            at,
          ),
        );
        // The sprouts are locked, so this holds; if it ever did not, the whole rollback is undone.
        if (rows.length !== reverted.length) {
          throw new GroveError(GroveErrorCode.Conflict, `rollback planned ${reverted.length} changes but could make ${rows.length}; nothing was changed`);
        }
        const byEvent = new Map(rows.map((row) => [row.event_id, row.rollback_event_id]));
        return { rollbackEventIds: reverted.map((item) => byEvent.get(item.eventId) ?? ''), reverted, leftAlone };
      });
    },

    listEvents: async (filter) => {
      const f = parseAdvancementInput(advancementEventFilterInput, filter);
      const values: EventFilterValues = [f.since ?? null, f.until ?? null, f.ruleId ?? null, f.executionId ?? null, f.sproutId ?? null, f.limit];
      const query = f.sproutId !== undefined ? listEventsOfSprout(values) : f.executionId !== undefined ? listEventsOfExecution(values) : listEventsByTime(values);
      return (await sql.query<EventRow>(query)).map(toEvent);
    },
  };
}
