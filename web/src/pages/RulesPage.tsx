import { useEffect, useState } from 'react';
import type { AdvancementRule } from '../api-client';
import { LightningIcon } from '../components/Icons';
import { ErrorNotice } from '../components/Notice';
import { useApi } from '../hooks/use-api';

const OPERATORS: Record<string, string> = { gte: '≥', gt: '>', lte: '≤', lt: '<', eq: '=' };

/** Advancement rules, in the order they apply (a list only: the rule editor and rollback are still to come). */
export function RulesPage() {
  const api = useApi();
  const [rules, setRules] = useState<AdvancementRule[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.rules().then(setRules, setError);
  }, [api]);
  return (
    <section className="page page--rules" aria-labelledby="rules-heading">
      <h1 id="rules-heading">Advancement rules</h1>
      <ErrorNotice error={error} />
      {rules === null && !error ? <p className="muted">Loading rules…</p> : null}
      {rules && rules.length === 0 ? <p className="muted">No advancement rules yet.</p> : null}
      <div className="grid">
        {rules?.map((rule) => (
          <article key={rule.meta.id} className="card card--advancement-rule" aria-label={rule.meta.title}>
            <header className="card-header">
              <LightningIcon />
              <div className="card-title">
                <h2>{rule.meta.title}</h2>
                <span className="muted">
                  {rule.payload.fromTier} → {rule.payload.toTier} · order {rule.payload.order}
                </span>
              </div>
              <span className="badge badge--rule">{rule.payload.isEnabled ? `${rule.payload.criteria.length} conditions` : 'Disabled'}</span>
            </header>
            <ul className="conditions">
              {rule.payload.criteria.map((c, i) => (
                <li key={i}>
                  {i > 0 ? `${rule.payload.logicOperator} ` : ''}
                  {c.signal} {OPERATORS[c.operator] ?? c.operator} {c.threshold}
                </li>
              ))}
            </ul>
          </article>
        ))}
      </div>
    </section>
  );
}
