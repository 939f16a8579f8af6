import { useState } from 'react';
import { type AdvancementRule, type RollbackAnswer, type RollbackItem, rollbackAdvancements } from '../../api-client';
import { Field } from '../../components/Field';
import { ErrorNotice } from '../../components/Notice';
import { plural } from '../../format';

const pad = (n: number) => String(n).padStart(2, '0');
/** A Date as a datetime-local value, in the browser's zone. */
const localValue = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;

function PlanItems({ items }: { items: RollbackItem[] }) {
  return (
    <ul className="plan-items">
      {items.map((item) => (
        <li key={item.eventId} data-action={item.action}>
          <strong>{item.sproutId}</strong> {item.fromTier} → {item.toTier} (now {item.currentTier ?? 'missing'}):{' '}
          {item.action === 'revert' ? `back to ${item.fromTier}` : item.action === 'moved-on' ? 'moved on, left alone' : 'sprout missing, left alone'}
        </li>
      ))}
    </ul>
  );
}

/** Bulk rollback of a time range (optionally of one rule): preview first, then confirm with a reason. */
export function BulkRollback({ rules, onDone }: { rules: AdvancementRule[]; onDone: () => void }) {
  const [since, setSince] = useState(() => localValue(new Date(Date.now() - 24 * 3600_000)));
  const [until, setUntil] = useState(() => localValue(new Date()));
  /** Until left as opened means "now", when the preview or rollback is asked for. */
  const [untilTouched, setUntilTouched] = useState(false);
  const [ruleId, setRuleId] = useState('');
  const [executionId, setExecutionId] = useState('');
  const [reason, setReason] = useState('');
  const [preview, setPreview] = useState<RollbackAnswer | null>(null);
  const [previewed, setPreviewed] = useState<ReturnType<typeof request> | null>(null);
  const [done, setDone] = useState<RollbackAnswer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [reasonMissing, setReasonMissing] = useState(false);

  const request = () => ({ since: new Date(since).toISOString(), until: untilTouched ? new Date(until).toISOString() : new Date().toISOString(), ...(ruleId ? { ruleId } : {}), ...(executionId.trim() ? { executionId: executionId.trim() } : {}) });
  const changed = () => {
    setPreview(null);
    setDone(null);
  };

  async function run(confirm: boolean) {
    if (confirm && !reason.trim()) {
      setReasonMissing(true);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const asked = confirm && previewed ? previewed : request();
      const answer = await rollbackAdvancements(confirm ? { ...asked, reason: reason.trim() } : { ...asked, preview: true });
      if (!confirm) setPreviewed(asked);
      if (confirm) {
        setDone(answer);
        setPreview(null);
        setReason('');
        onDone();
      } else {
        setPreview(answer);
        setDone(null);
      }
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="rules-panel" aria-labelledby="rollback-heading">
      <h2 id="rollback-heading">Bulk rollback</h2>
      <div className="rollback-range">
        <Field label="Since" path="since">
          {(a) => <input {...a} type="datetime-local" value={since} onChange={(e) => { setSince(e.target.value); changed(); }} />}
        </Field>
        <Field label="Until" path="until">
          {(a) => <input {...a} type="datetime-local" value={until} onChange={(e) => { setUntil(e.target.value); setUntilTouched(true); changed(); }} />}
        </Field>
        <Field label="Rule (optional)" path="ruleId">
          {(a) => (
            <select {...a} value={ruleId} onChange={(e) => { setRuleId(e.target.value); changed(); }}>
              <option value="">Any rule</option>
              {rules.map((r) => <option key={r.meta.id} value={r.meta.id}>{r.meta.title || r.meta.id}</option>)}
            </select>
          )}
        </Field>
        <Field label="Run id (optional)" path="executionId">
          {(a) => <input {...a} value={executionId} onChange={(e) => { setExecutionId(e.target.value); changed(); }} />}
        </Field>
        <button type="button" className="button" disabled={busy} onClick={() => void run(false)}>
          Preview rollback
        </button>
      </div>
      <ErrorNotice error={error} />
      {preview ? (
        <div className="rollback-preview" data-testid="rollback-preview">
          <p>
            <strong>Preview:</strong> <span data-count="reverts">{preview.plan.reverts} to revert</span>, <span data-count="moved-on">{preview.plan.movedOn} moved on</span>,{' '}
            <span data-count="missing">{preview.plan.missing} missing</span> ({plural(preview.plan.items.length, 'event')}).
          </p>
          <PlanItems items={preview.plan.items} />
          <Field label="Reason (required)" path="reason" error={reasonMissing ? 'Give a reason for the rollback.' : undefined}>
            {(a) => <input {...a} value={reason} onChange={(e) => { setReason(e.target.value); setReasonMissing(false); }} />}
          </Field>
          <button type="button" className="button button--danger" disabled={busy || preview.plan.items.length === 0} onClick={() => void run(true)}>
            Confirm rollback
          </button>
        </div>
      ) : null}
      {done?.result ? (
        <div className="notice notice--ok" role="status" data-testid="rollback-result">
          <p>
            Rolled back {done.result.reverted.length} {done.result.reverted.length === 1 ? 'advancement' : 'advancements'}; left {done.result.leftAlone.length} alone.
          </p>
          {done.result.leftAlone.length ? <PlanItems items={done.result.leftAlone} /> : null}
        </div>
      ) : null}
    </section>
  );
}
