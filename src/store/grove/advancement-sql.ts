import { createHash } from 'node:crypto';
import {
  type AdvancementRule,
  RULE_COMPARISON_TOLERANCE,
  type RuleCriterion,
  type RuleOperator,
  type RuleSignal,
} from '../../domain/grove/index.js';
import type { AdvancementCursor, AdvancementRun, AdvancementScope } from '../../engine/ports.js';
import type { SqlQuery } from '../sql.js';

// The advancement batch's page statements: the rules of a run compiled to SQL predicates, so
// a page is decided and written where its signals are, without sending them to the process.
// What the SQL decides is exactly what decideAdvancement decides on the same signals, and the
// events it writes hold what takeSignalSnapshot records (test/grove/advancement-sql.*).

const groupArrays = (scope: AdvancementScope) => [scope.groups.map((g) => g.lifecycleModelId), scope.groups.map((g) => g.tier)];

/**
 * One page of candidates: keyset over (group position, sprout id), never OFFSET. Each group
 * is read through sprouts_tier_idx (lifecycle_model_id, tier, id) from where the last page
 * stopped, so every page costs the same however deep into the table it is. Sprouts that an
 * execution of this run already advanced (sprouts.last_advanced_by) are passed over: paging
 * reaches a tier after the sprouts moved into it, and a sprout must not move twice in one
 * run. Only ids are read, as one row: the ids and their group positions (1-based) as array
 * literals that the page statement takes back unparsed, and the last of them (the cursor).
 */
export const readCandidates = (scope: AdvancementScope, after: AdvancementCursor | null, limit: number): SqlQuery => ({
  name: 'grove-adv-candidates-page-ids',
  text: `select coalesce(cardinality(x.ids), 0) as size, x.ids::text as ids, x.ords::text as ords,
                x.ids[cardinality(x.ids)] as last_id, x.ords[cardinality(x.ords)] as last_ord
           from (
             select array_agg(p.id order by p.ord, p.id) as ids, array_agg(p.ord order by p.ord, p.id) as ords
               from (
                 select g.ord::int as ord, c.id
                   from unnest($1::text[], $2::text[]) with ordinality as g(model, tier, ord)
                   cross join lateral (
                     select s.id
                       from sprouts s
                      where s.lifecycle_model_id = g.model and s.tier = g.tier
                        -- '' sorts before every id (ids are never empty): a later group starts at its beginning.
                        and s.id > case when g.ord = $3 then $4 else '' end
                        and (s.last_advanced_by is null or s.last_advanced_by <> all($5::uuid[]))
                      order by s.id
                      limit $6
                   ) as c
                  where g.ord >= $3
                  order by g.ord, c.id
                  limit $6
               ) as p
           ) as x`,
  values: [...groupArrays(scope), after ? after.groupIndex + 1 : 1, after ? after.sproutId : '', scope.runExecutionIds, limit],
});

/** The page row of readCandidates. */
export interface CandidatePageRow {
  size: number;
  ids: string | null;
  ords: string | null;
  last_id: string | null;
  last_ord: number | null;
}

/** What the page statement takes back: the array literals as read. */
export interface PageSprouts {
  ids: string;
  ords: string;
}

/**
 * A float column as the rules read it: null unless finite. ruleSignalValues does the same,
 * and JSON (the snapshot) has no NaN or Infinity either. PostgreSQL orders NaN above
 * Infinity, so the two comparisons leave exactly the finite values.
 */
const finite = (column: string) => `case when ${column} < 'Infinity'::float8 and ${column} > '-Infinity'::float8 then ${column} end`;

/** An instant as Date.prototype.toISOString writes it: UTC, milliseconds (truncated, as the drivers read them), Z. */
const isoText = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The rule signals (ruleSignalValues) as columns of the evaluated rows, in the rules' units. */
const SIGNAL_COLUMN: Record<RuleSignal, string> = {
  retrievals: 'v_retrievals',
  citations: 'v_citations',
  queryDiversity: 'v_query_diversity',
  utilityScore: 'v_utility_score',
};
const RULE_SIGNAL_VALUES = `a.retrieval_count::float8 as v_retrievals,
                a.reference_count::float8 as v_citations,
                ${finite('a.diversity_index')} as v_query_diversity,
                -- −1…1 to 0…1: neither the sum nor the halving can overflow or underflow.
                (${finite('a.utility_score')} + 1) / 2 as v_utility_score`;

/** The aggregation row as takeSignalSnapshot records it (toSignalValues' names, JSON's values). */
const AGGREGATION_JSON = `jsonb_build_object(
                'viewCount', c.view_count, 'retrievalCount', c.retrieval_count, 'referenceCount', c.reference_count,
                'searchCount', c.search_count, 'upvotes', c.upvotes, 'downvotes', c.downvotes, 'exportCount', c.export_count,
                'promotionCount', c.promotion_count, 'refinementCount', c.refinement_count, 'uniqueSessions', c.unique_sessions,
                'uniqueUsers', c.unique_users, 'uniqueLenses', c.unique_lenses, 'uniqueHubs', c.unique_hubs,
                'firstEventAt', ${isoText('c.first_event_at')}, 'lastEventAt', ${isoText('c.last_event_at')},
                'activeSpanDays', c.active_span_days, 'utilityScore', ${finite('c.utility_score')},
                'diversityIndex', ${finite('c.diversity_index')}, 'qualityScore', ${finite('c.quality_score')},
                'advancementEligible', c.advancement_eligible)`;

const AGGREGATION_COLUMNS = `a.view_count, a.retrieval_count, a.reference_count, a.search_count, a.upvotes, a.downvotes, a.export_count,
                a.promotion_count, a.refinement_count, a.unique_sessions, a.unique_users, a.unique_lenses, a.unique_hubs,
                a.first_event_at, a.last_event_at, a.active_span_days, a.utility_score, a.diversity_index, a.quality_score,
                a.advancement_eligible, a.computed_at`;

/** Collects a statement's bound values; each placeholder carries its type, so no parameter's type is left to inference. */
class Bindings {
  readonly values: unknown[] = [];
  add(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
}

/**
 * compareRuleValue in SQL, for a value column `v` that is null when the signal is missing
 * (then the result is null: the criterion is skipped). "Equal" is |v − t| ≤ tolerance in
 * float8, as in JavaScript; it is computed only for v within [t − 1, t + 1], where the
 * subtraction cannot overflow (PostgreSQL raises on an overflowing float8 difference where
 * JavaScript gives Infinity, which is not equal either). Any v that JavaScript finds equal
 * lies in that range, since the tolerance is far below 1.
 */
function criterionSql(v: string, operator: RuleOperator, t: string, tolerance: string): string {
  const equal = `(case when ${v} between ${t} - 1::float8 and ${t} + 1::float8 then abs(${v} - ${t}) <= ${tolerance} when ${v} is not null then false end)`;
  switch (operator) {
    case '==':
      return equal;
    case '>=':
      return `(${equal} or ${v} > ${t})`;
    case '<=':
      return `(${equal} or ${v} < ${t})`;
    case '>':
      return `(not ${equal} and ${v} > ${t})`;
    case '<':
      return `(not ${equal} and ${v} < ${t})`;
  }
}

interface CompiledCriterion {
  /** Column of the evaluated rows holding whether it held (null: skipped). */
  column: string;
  criterion: RuleCriterion;
  met: string;
  /** Its CriterionResult as jsonb, for a row of its group (binds the names: call it only for a statement that writes events). */
  json: () => string;
}

interface CompiledRule {
  /** 1-based position in the run's rule list: what the statement returns for a match. */
  index: number;
  rule: Pick<AdvancementRule, 'meta' | 'payload'>;
  groupIndex: number;
  criteria: CompiledCriterion[];
}

/** A run's page statement, compiled once: the text, its bound values after the page's own, and what its rule numbers stand for. */
export interface CompiledAdvancement {
  name: string;
  text: string;
  /** Values of $4 onwards (written runs) or $3 onwards (dry runs): the page's ids, groups and clock time come first. */
  staticValues: unknown[];
  dryRun: boolean;
  /** Rule number (1-based) → the rule. */
  rules: ReadonlyArray<Pick<AdvancementRule, 'meta' | 'payload'>>;
}

/**
 * Whether rule `r` matched, from its criteria columns (evaluateRule): criteria whose signal
 * is missing are null and skipped; AND needs no false and at least one true, OR at least
 * one true, so a rule whose every criterion was skipped never matches.
 */
function ruleMatchSql(rule: CompiledRule): string {
  const columns = rule.criteria.map((c) => `j.${c.column}`);
  const any = `coalesce(${columns.join(' or ')}, false)`;
  if (rule.rule.payload.logicOperator === 'OR') return any;
  return `(${[...columns.map((c) => `${c} is not false`), any].join(' and ')})`;
}

/**
 * Compiles a run's rules into its page statement. Every value from a rule (thresholds, rule
 * ids, tiers, signal and operator names) and the tolerance go in as bound parameters; the
 * text holds only column names and operators from the fixed tables above, so the statement
 * is the same for the same rule shapes and is prepared once per connection.
 *
 * The statement takes the page's sprout ids ($1) with their group positions ($2, 1-based),
 * joins each to its aggregation row for the period (no row: not evaluated), tries the
 * group's rules in order and keeps the first match. Unless dry, it then moves each matched
 * sprout one tier, guarded on the tier it was read at (the group's tier), and writes one
 * event per sprout moved, with the criteria results and the snapshot built from the same row.
 */
export function compileAdvancement(run: AdvancementRun): CompiledAdvancement {
  const b = new Bindings();
  b.add(null, 'text[]');
  b.add(null, 'int[]');
  const at = run.dryRun ? '' : b.add(null, 'timestamptz');
  const period = b.add(run.scope.period, 'text');
  // Bound at its first use: a statement whose rules have no criteria does not mention it, and an unmentioned parameter has no type.
  let toleranceParameter: string | undefined;
  const tolerance = () => (toleranceParameter ??= b.add(RULE_COMPARISON_TOLERANCE, 'float8'));

  const compiled: CompiledRule[] = [];
  run.scope.groups.forEach((_, groupIndex) => {
    for (const rule of run.groupRules[groupIndex] ?? []) {
      // A rule with no criteria never matches: leaving it out changes no decision.
      if (rule.payload.criteria.length === 0) continue;
      const index = compiled.length + 1;
      const criteria = rule.payload.criteria.map((criterion, k): CompiledCriterion => {
        const column = `c_${index}_${k + 1}`;
        const v = `e.${SIGNAL_COLUMN[criterion.signal]}`;
        const t = b.add(criterion.threshold, 'float8');
        const json = () =>
          `jsonb_build_object('signal', ${b.add(criterion.signal, 'text')}, 'operator', ${b.add(criterion.operator, 'text')}, 'threshold', ${t}, 'value', c.${SIGNAL_COLUMN[criterion.signal]}, 'met', c.${column})`;
        return { column, criterion, met: criterionSql(v, criterion.operator, t, tolerance()), json };
      });
      compiled.push({ index, rule, groupIndex, criteria });
    }
  });

  const criteriaColumns = compiled.flatMap((r) => r.criteria.map((c) => `case when e.ord = ${r.groupIndex + 1} then ${c.met} end as ${c.column}`));
  const branches = run.scope.groups
    .map((_, groupIndex) => {
      const rules = compiled.filter((r) => r.groupIndex === groupIndex);
      if (rules.length === 0) return '';
      return `when ${groupIndex + 1} then case ${rules.map((r) => `when ${ruleMatchSql(r)} then ${r.index}`).join(' ')} end`;
    })
    .filter((branch) => branch !== '');
  const ruleIndex = branches.length === 0 ? 'null::int' : `case j.ord ${branches.join(' ')} end`;

  const decide = `with page as (
           select x.id, x.ord, x.pos from unnest($1::text[], $2::int[]) with ordinality as x(id, ord, pos)
         ), evaluated as (
           -- A sprout without an aggregation row for the period is not evaluated (skippedNoSignals).
           select p.id, p.ord, p.pos, ${AGGREGATION_COLUMNS},
                ${RULE_SIGNAL_VALUES}
             from page p join sprout_signal_aggregations a on a.sprout_id = p.id and a.period = ${period}
         ), judged as (
           select e.*${criteriaColumns.map((c) => `,\n                  ${c}`).join('')}
             from evaluated e
         ), decided as (
           -- First match wins: the group's rules in the order they are tried.
           select j.*, ${ruleIndex} as rule_index from judged j
         ), chosen as (
           select * from decided where rule_index is not null
         )`;

  let text: string;
  if (run.dryRun) {
    text = `${decide}
         select (select count(*) from decided)::int as evaluated,
                (select count(*) from chosen)::int as matched,
                (select count(*) from chosen)::int as advanced,
                (select coalesce(jsonb_agg(jsonb_build_array(rule_index, n) order by first), '[]'::jsonb) from (select rule_index, count(*)::int as n, min(pos) as first from chosen group by rule_index) r) as by_rule,
                (select coalesce(jsonb_agg(jsonb_build_array(s.id, s.rule_index, s.ord) order by s.pos), '[]'::jsonb)
                   from (select id, rule_index, ord, pos from chosen order by pos limit ${b.add(null, 'int')}) s) as sample`;
  } else {
    const executionId = b.add(run.executionId, 'uuid');
    const groupTiers = b.add(
      run.scope.groups.map((g) => g.tier),
      'text[]',
    );
    const ruleIds = b.add(
      compiled.map((r) => r.rule.meta.id),
      'text[]',
    );
    const toTiers = b.add(
      compiled.map((r) => r.rule.payload.toTier),
      'text[]',
    );
    const criteriaJson = compiled.length === 0 ? 'null::jsonb' : `case c.rule_index ${compiled.map((r) => `when ${r.index} then jsonb_build_array(${r.criteria.map((c) => c.json()).join(', ')})`).join(' ')} end`;
    text = `${decide}, moved as (
           -- The guard: a sprout whose tier changed since the page was read (an override, another
           -- run) fails it, also when that change commits while this statement waits for its row,
           -- and keeps its tier; it gets no event.
           update sprouts s set tier = (${toTiers})[c.rule_index], updated_at = ${at}, last_advanced_by = ${executionId}
             from chosen c
            where s.id = c.id and s.tier = (${groupTiers})[c.ord]
           returning s.id
         ), written as (
           insert into advancement_events (sprout_id, rule_id, from_tier, to_tier, event_type, execution_id, criteria_met, signal_values, created_at)
           select c.id, (${ruleIds})[c.rule_index], (${groupTiers})[c.ord], (${toTiers})[c.rule_index], 'auto-advancement', ${executionId},
                  ${criteriaJson},
                  jsonb_build_object('period', ${period}, 'computedAt', ${isoText('c.computed_at')},
                    'ruleSignals', jsonb_build_object('retrievals', c.v_retrievals, 'citations', c.v_citations,
                                                      'queryDiversity', c.v_query_diversity, 'utilityScore', c.v_utility_score),
                    'aggregation', ${AGGREGATION_JSON}),
                  ${at}
             from chosen c join moved m on m.id = c.id
           returning sprout_id
         ), done as (
           -- One event per sprout moved (the insert reads the same join).
           select c.id, c.rule_index, c.ord, c.pos from chosen c join written w on w.sprout_id = c.id
         )
         select (select count(*) from decided)::int as evaluated,
                (select count(*) from chosen)::int as matched,
                (select count(*) from done)::int as advanced,
                (select coalesce(jsonb_agg(jsonb_build_array(rule_index, n) order by first), '[]'::jsonb) from (select rule_index, count(*)::int as n, min(pos) as first from done group by rule_index) r) as by_rule,
                (select coalesce(jsonb_agg(jsonb_build_array(s.id, s.rule_index, s.ord) order by s.pos), '[]'::jsonb)
                   from (select id, rule_index, ord, pos from done order by pos limit ${b.add(null, 'int')}) s) as sample,
                -- This page's commit does not wait for its WAL to reach disk (SET LOCAL: this
                -- statement's own transaction only). A page is still all or nothing; a crash may
                -- lose the last pages committed before it (under a second of them), and a re-run
                -- moves those sprouts then. When the engine records the execution's outcome, that
                -- commit waits for the WAL, which flushes every page before it: a finished run's
                -- pages are durable. Waiting for the disk at every page (2–3 ms here) would cost more
                -- than evaluating and writing a page of 1,000.
                set_config('synchronous_commit', 'off', true) as commit_mode`;
  }
  const pageValues = run.dryRun ? 2 : 3;
  const name = `grove-adv-page-${createHash('sha256').update(text).digest('hex').slice(0, 20)}`;
  return { name, text, staticValues: b.values.slice(pageValues, -1), dryRun: run.dryRun, rules: compiled.map((r) => r.rule) };
}

/** The page statement's row. */
export interface AdvancePageRow {
  evaluated: number;
  matched: number;
  advanced: number;
  /** [rule number, moves], in the order of each rule's first move in the page (the order the result's byRule lists them). */
  by_rule: Array<[number, number]>;
  /** [sprout id, rule number, group position] in page order. */
  sample: Array<[string, number, number]>;
}

/** The page statement for one page; the sample limit is the statement's last value. */
export function advancePageQuery(compiled: CompiledAdvancement, page: PageSprouts, at: Date, sampleLimit: number): SqlQuery {
  const pageValues = compiled.dryRun ? [page.ids, page.ords] : [page.ids, page.ords, at];
  return { name: compiled.name, text: compiled.text, values: [...pageValues, ...compiled.staticValues, sampleLimit] };
}
