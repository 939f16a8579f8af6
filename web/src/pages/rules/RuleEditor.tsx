import { useState } from 'react';
import {
  type AdvancementRule,
  type AdvancementRuleInput,
  ApiRequestError,
  BOTANICAL_TIERS,
  createRule,
  RULE_OPERATOR_NAMES,
  RULE_SIGNAL_NAMES,
  updateRule,
} from '../../api-client';
import { Field } from '../../components/Field';
import { ErrorNotice } from '../../components/Notice';

type Criterion = AdvancementRule['payload']['criteria'][number];
/** A rule as listed: a stored one the batch skips carries the problem, naming its field. */
export type ListedRule = AdvancementRule & { problem?: { field: string; message: string } };

/** The tier after `tier` in the botanical model (the only model the console knows the tiers of). */
const nextTier = (tier: string): string | undefined => {
  const at = (BOTANICAL_TIERS as readonly string[]).indexOf(tier);
  return at < 0 ? undefined : BOTANICAL_TIERS[at + 1];
};
/** Tiers a rule can start from: every tier but the last, which has nothing after it. */
const FROM_TIERS = BOTANICAL_TIERS.slice(0, -1);

const blank = (): AdvancementRuleInput => ({
  meta: { id: '', title: '' },
  payload: { lifecycleModelId: 'botanical', fromTier: 'seed', toTier: 'sprout', criteria: [{ signal: 'retrievals', operator: '>=', threshold: 1 }], logicOperator: 'AND', isEnabled: true, order: 0 },
});

/** Creates a rule (no `rule`) or edits one; the server's errors are shown at their field, a stale version as a conflict. */
export function RuleEditor({
  rule,
  onSaved,
  onCancel,
  onReload,
}: {
  rule: ListedRule | null;
  onSaved: (rule: AdvancementRule) => void;
  onCancel: () => void;
  /** Opens the rule's current version (after a conflict). */
  onReload: (id: string) => void;
}) {
  const [draft, setDraft] = useState<AdvancementRuleInput>(() =>
    rule ? { meta: { id: rule.meta.id, title: rule.meta.title, version: rule.meta.version }, payload: { ...rule.payload, criteria: rule.payload.criteria.map((c) => ({ ...c })) } } : blank(),
  );
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const editing = rule !== null;
  const p = draft.payload;
  const setPayload = (change: Partial<AdvancementRuleInput['payload']>) => setDraft({ ...draft, payload: { ...p, ...change } });
  const setCriterion = (i: number, change: Partial<Criterion>) => setPayload({ criteria: p.criteria.map((c, j) => (j === i ? { ...c, ...change } : c)) });

  const apiError = error instanceof ApiRequestError ? error : null;
  const conflict = apiError?.status === 409;
  const f = apiError?.field;
  const candidates = f && !conflict ? [f, `payload.${f}`, `meta.${f}`] : [];
  // Before any save, a stored rule the batch skips shows why at its field.
  const stored = !error && rule?.problem ? rule.problem : undefined;
  const errorAt = (path: string): string | undefined => (apiError && candidates.includes(path) ? apiError.message : stored?.field === path ? stored.message : undefined);
  const next = nextTier(p.fromTier);
  // A rule moves a sprout to the next tier only: that is the one choice, plus a stored rule's own (refused on save).
  const toTiers = [...(next ? [next] : []), ...(p.toTier !== next ? [p.toTier] : [])];
  const fromTiers = (FROM_TIERS as readonly string[]).includes(p.fromTier) ? FROM_TIERS : [...FROM_TIERS, p.fromTier];
  const known = ['meta.id', 'meta.title', 'payload.lifecycleModelId', 'payload.fromTier', 'payload.toTier', 'payload.order', 'payload.logicOperator'];
  p.criteria.forEach((_, i) => known.push(`payload.criteria.${i}.signal`, `payload.criteria.${i}.operator`, `payload.criteria.${i}.threshold`));
  const placed = candidates.some((c) => known.includes(c));

  async function save(event: { preventDefault(): void }) {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      onSaved(editing ? await updateRule(draft) : await createRule(draft));
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  }

  const fields = (
    <>
      <div className="rule-form-grid">
        <Field label="Rule id" path="meta.id" error={errorAt('meta.id')}>
          {(a) => <input {...a} required readOnly={editing} value={draft.meta.id} onChange={(e) => setDraft({ ...draft, meta: { ...draft.meta, id: e.target.value } })} />}
        </Field>
        <Field label="Title" path="meta.title" error={errorAt('meta.title')}>
          {(a) => <input {...a} value={draft.meta.title} onChange={(e) => setDraft({ ...draft, meta: { ...draft.meta, title: e.target.value } })} />}
        </Field>
        <Field label="Lifecycle model" path="payload.lifecycleModelId" error={errorAt('payload.lifecycleModelId')}>
          {(a) => <input {...a} value={p.lifecycleModelId} onChange={(e) => setPayload({ lifecycleModelId: e.target.value })} />}
        </Field>
        <Field label="From tier" path="payload.fromTier" error={errorAt('payload.fromTier')}>
          {(a) => (
            <select {...a} value={p.fromTier} onChange={(e) => setPayload({ fromTier: e.target.value, toTier: nextTier(e.target.value) ?? p.toTier })}>
              {fromTiers.map((t) => <option key={t} value={t}>{t}</option>)}
            </select>
          )}
        </Field>
        <Field label="To tier" path="payload.toTier" error={errorAt('payload.toTier')} hint="The next tier: a rule moves a sprout one tier up.">
          {(a) => (
            <select {...a} value={p.toTier} onChange={(e) => setPayload({ toTier: e.target.value })}>
              {toTiers.map((t) => (
                <option key={t} value={t}>
                  {t === next ? t : `${t} (not the next tier)`}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Order" path="payload.order" error={errorAt('payload.order')}>
          {(a) => <input {...a} type="number" step="1" value={p.order} onChange={(e) => setPayload({ order: Number(e.target.value) })} />}
        </Field>
        <Field label="Criteria must" path="payload.logicOperator" error={errorAt('payload.logicOperator')}>
          {(a) => (
            <select {...a} value={p.logicOperator} onChange={(e) => setPayload({ logicOperator: e.target.value })}>
              <option value="AND">all hold (AND)</option>
              <option value="OR">any hold (OR)</option>
            </select>
          )}
        </Field>
        <div className="field field--check" data-path="payload.isEnabled">
          <label>
            <input type="checkbox" name="payload.isEnabled" checked={p.isEnabled} onChange={(e) => setPayload({ isEnabled: e.target.checked })} /> Enabled
          </label>
        </div>
      </div>
      <fieldset className="criteria" data-path="payload.criteria">
        <legend>Criteria</legend>
        {p.criteria.map((c, i) => (
          <div className="criterion-row" key={i} data-criterion={i}>
            <Field label={`Signal ${i + 1}`} path={`payload.criteria.${i}.signal`} error={errorAt(`payload.criteria.${i}.signal`)}>
              {(a) => (
                <select {...a} value={c.signal} onChange={(e) => setCriterion(i, { signal: e.target.value })}>
                  {RULE_SIGNAL_NAMES.map((s) => <option key={s} value={s}>{s}</option>)}
                </select>
              )}
            </Field>
            <Field label={`Operator ${i + 1}`} path={`payload.criteria.${i}.operator`} error={errorAt(`payload.criteria.${i}.operator`)}>
              {(a) => (
                <select {...a} value={c.operator} onChange={(e) => setCriterion(i, { operator: e.target.value })}>
                  {RULE_OPERATOR_NAMES.map((o) => <option key={o} value={o}>{o}</option>)}
                </select>
              )}
            </Field>
            <Field label={`Threshold ${i + 1}`} path={`payload.criteria.${i}.threshold`} error={errorAt(`payload.criteria.${i}.threshold`)}>
              {(a) => <input {...a} type="number" step="any" value={c.threshold} onChange={(e) => setCriterion(i, { threshold: Number(e.target.value) })} />}
            </Field>
            <button type="button" className="button button--small button--danger" aria-label={`Remove criterion ${i + 1}`} onClick={() => setPayload({ criteria: p.criteria.filter((_, j) => j !== i) })}>
              Remove
            </button>
          </div>
        ))}
        <button type="button" className="button button--small" onClick={() => setPayload({ criteria: [...p.criteria, { signal: 'retrievals', operator: '>=', threshold: 1 }] })}>
          Add criterion
        </button>
      </fieldset>
    </>
  );
  const unplaced = Boolean(error) && !conflict && !placed;

  return (
    <form className="rule-editor" aria-label={editing ? `Edit rule ${rule.meta.id}` : 'New rule'} onSubmit={save} noValidate>
      <h2>{editing ? `Edit ${rule.meta.title || rule.meta.id}` : 'New advancement rule'}</h2>
      {conflict ? (
        <div className="notice notice--conflict" role="alert">
          <p>
            <strong>Conflict:</strong> someone changed this rule since you opened it (version {draft.meta.version}). Load the current version and make your change again.
          </p>
          <button type="button" className="button button--small" onClick={() => onReload(draft.meta.id)}>
            Load the current version
          </button>
        </div>
      ) : null}
      {unplaced ? <ErrorNotice error={error} /> : null}
      {fields}
      <div className="card-actions">
        <button type="submit" className="button button--rule" disabled={saving}>
          {saving ? 'Saving…' : editing ? 'Save rule' : 'Create rule'}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
