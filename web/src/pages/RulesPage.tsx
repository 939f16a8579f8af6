import { useCallback, useEffect, useState } from 'react';
import { type AdvancementRule, deleteRule } from '../api-client';
import { LightningIcon } from '../components/Icons';
import { ErrorNotice } from '../components/Notice';
import { plural } from '../format';
import { useApi } from '../hooks/use-api';
import { useSession } from '../hooks/use-session';
import { AdvancementEvents } from './rules/AdvancementEvents';
import { BulkRollback } from './rules/BulkRollback';
import { type ListedRule, RuleEditor } from './rules/RuleEditor';

/** Advancement rules in the order they apply, their editor, recent advancement events and bulk rollback. */
export function RulesPage() {
  const api = useApi();
  const { canOperate, canDelete } = useSession();
  const [rules, setRules] = useState<AdvancementRule[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  /** null: no editor open; 'new': creating; otherwise the rule edited. */
  const [editing, setEditing] = useState<AdvancementRule | 'new' | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [eventsKey, setEventsKey] = useState(0);
  const load = useCallback(() => {
    api.rules().then(setRules, setError);
  }, [api]);
  useEffect(() => load(), [load]);

  return (
    <section className="page page--rules" aria-labelledby="rules-heading">
      <div className="page-header">
        <h1 id="rules-heading">
          <LightningIcon /> Advancement rules
        </h1>
        {canOperate && editing === null ? (
          <button type="button" className="button button--rule" onClick={() => { setSaved(null); setEditing('new'); }}>
            New rule
          </button>
        ) : null}
      </div>
      <ErrorNotice error={error} />
      {saved ? (
        <p className="notice notice--ok" role="status">
          {saved}
        </p>
      ) : null}
      {canOperate && editing !== null ? (
        <RuleEditor
          key={editing === 'new' ? 'new' : `${editing.meta.id}@${editing.meta.version}`}
          rule={editing === 'new' ? null : editing}
          onCancel={() => setEditing(null)}
          onReload={(id) => {
            api.rules().then((all) => {
              setRules(all);
              const current = all.find((r) => r.meta.id === id);
              setEditing(current ?? null);
            }, setError);
          }}
          onSaved={(rule) => {
            setEditing(null);
            setSaved(`Saved rule ${rule.meta.id} (version ${rule.meta.version}).`);
            load();
          }}
        />
      ) : null}
      {rules === null && !error ? <p className="muted">Loading rules…</p> : null}
      {rules && rules.length === 0 ? <p className="muted">No advancement rules yet.</p> : null}
      <div className="grid">
        {rules?.map((rule) => (
          <article key={rule.meta.id} className="card card--advancement-rule" aria-label={rule.meta.title} data-rule-id={rule.meta.id}>
            <header className="card-header">
              <LightningIcon />
              <div className="card-title">
                <h2>{rule.meta.title}</h2>
                <span className="muted">
                  {rule.payload.fromTier} → {rule.payload.toTier} · order {rule.payload.order}
                </span>
              </div>
              <span className="badge badge--rule">{rule.payload.isEnabled ? plural(rule.payload.criteria.length, 'condition') : 'Disabled'}</span>
            </header>
            {(rule as ListedRule).problem ? (
              <p className="notice notice--conflict" data-testid="rule-problem">
                <strong>Skipped by advancement-batch:</strong> {(rule as ListedRule).problem?.message}. Edit the rule to move sprouts to the next tier, or delete it.
              </p>
            ) : null}
            <ul className="conditions">
              {rule.payload.criteria.map((c, i) => (
                <li key={i}>
                  {i > 0 ? `${rule.payload.logicOperator} ` : ''}
                  {c.signal} {c.operator} {c.threshold}
                </li>
              ))}
            </ul>
            {canOperate ? (
              <div className="card-actions">
                <button type="button" className="button button--small" aria-label={`Edit ${rule.meta.title || rule.meta.id}`} onClick={() => { setSaved(null); setEditing(rule); }}>
                  Edit
                </button>
                {canDelete ? (
                  <button
                    type="button"
                    className="button button--small button--danger"
                    aria-label={`Delete ${rule.meta.title || rule.meta.id}`}
                    onClick={() => {
                      if (!window.confirm(`Delete rule ${rule.meta.title || rule.meta.id}? Its past advancement events stay, with its id.`)) return;
                      setSaved(null);
                      setError(null);
                      deleteRule(rule).then(
                        () => {
                          if (editing !== null && editing !== 'new' && editing.meta.id === rule.meta.id) setEditing(null);
                          setSaved(`Deleted rule ${rule.meta.id}.`);
                          load();
                        },
                        setError,
                      );
                    }}
                  >
                    Delete
                  </button>
                ) : null}
              </div>
            ) : null}
          </article>
        ))}
      </div>
      <AdvancementEvents refreshKey={eventsKey} />
      {canOperate ? <BulkRollback rules={rules ?? []} onDone={() => setEventsKey((k) => k + 1)} /> : null}
    </section>
  );
}
