import { useCallback, useEffect, useState } from 'react';
import { type AdvancementEvent, advancementEvents } from '../../api-client';
import { ErrorNotice } from '../../components/Notice';

const SHOWN = 20;

/** An event as the API lists it: who and why for manual changes, and the snapshot the rules were evaluated on. */
type AuditEvent = Omit<AdvancementEvent, 'signalValues'> & {
  operatorId?: string | null;
  reason?: string | null;
  rollbackOf?: string | null;
  signalValues: { period: string; computedAt: string; ruleSignals?: Record<string, number | null>; aggregation?: Record<string, unknown> } | null;
};

/** The criteria of an auto-advancement and the values they were evaluated on, behind a disclosure. */
function Snapshot({ event }: { event: AuditEvent }) {
  const snapshot = event.signalValues;
  return (
    <details className="snapshot">
      <summary>Signal snapshot</summary>
      {event.criteriaMet?.length ? (
        <ul className="conditions" aria-label="Criteria">
          {event.criteriaMet.map((c, i) => (
            <li key={i}>
              {c.signal} {c.operator} {c.threshold}: {c.value ?? '—'} {c.met === null ? '(skipped: no value)' : c.met ? '✓' : '✗'}
            </li>
          ))}
        </ul>
      ) : null}
      {snapshot ? (
        <>
          <p className="muted">
            The values the rules were evaluated on ({snapshot.period}, computed {new Date(snapshot.computedAt).toLocaleString()}):
          </p>
          <dl className="rule-signals" data-testid="rule-signals">
            {Object.entries(snapshot.ruleSignals ?? {}).map(([name, value]) => (
              <div key={name} data-signal={name}>
                <dt>{name}</dt>
                <dd>{value ?? '—'}</dd>
              </div>
            ))}
          </dl>
          <p className="muted">The aggregation row as read (its utilityScore runs from −1 to 1; the rules read it as (utilityScore + 1) / 2):</p>
          <pre>{JSON.stringify(snapshot.aggregation ?? {}, null, 2)}</pre>
        </>
      ) : (
        <p className="muted">No signal snapshot was recorded.</p>
      )}
    </details>
  );
}

/** Who made a manual change and why; a rollback also names the advancement it undid. No rule was evaluated, so there is no snapshot. */
function Why({ event }: { event: AuditEvent }) {
  return (
    <div className="event-why" data-testid="event-why">
      <p>
        <strong>Reason:</strong> {event.reason || '—'}
      </p>
      {event.eventType === 'bulk-rollback' && event.rollbackOf ? (
        <p className="muted">
          Undoes the advancement {event.toTier} → {event.fromTier}
          {event.ruleId ? ` by rule ${event.ruleId}` : ''} (event <code>{event.rollbackOf}</code>).
        </p>
      ) : null}
      <p className="muted">Signal snapshot: not applicable ({event.eventType === 'bulk-rollback' ? 'a rollback' : 'a manual change'}; no rule was evaluated).</p>
    </div>
  );
}

/** The most recent advancement events, newest first, each with its signal snapshot behind a disclosure. */
export function AdvancementEvents({ refreshKey }: { refreshKey: number }) {
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(() => {
    advancementEvents({ limit: 1000 }).then(
      (items) => {
        setTotal(items.length);
        setEvents([...(items as AuditEvent[])].sort((a, b) => b.timestamp.localeCompare(a.timestamp)).slice(0, SHOWN));
        setError(null);
      },
      setError,
    );
  }, []);
  useEffect(() => load(), [load, refreshKey]);
  return (
    <section className="rules-panel" aria-labelledby="events-heading">
      <div className="panel-header">
        <h2 id="events-heading">Recent advancement events</h2>
        <button type="button" className="button button--small" onClick={load}>
          Refresh events
        </button>
      </div>
      <ErrorNotice error={error} />
      {events === null && !error ? <p className="muted">Loading events…</p> : null}
      {events?.length === 0 ? <p className="muted">No advancement events yet.</p> : null}
      {events && total > events.length ? <p className="muted">The {events.length} newest of {total >= 1000 ? 'at least 1,000' : total} events.</p> : null}
      <ul className="events">
        {events?.map((e) => (
          <li key={e.id} className={`event${e.rolledBack ? ' event--rolled-back' : ''}`} data-event-id={e.id} data-sprout-id={e.sproutId} data-event-type={e.eventType}>
            <div className="event-line">
              <strong>{e.sproutId}</strong>
              <span className="tier-move">
                {e.fromTier} → {e.toTier}
              </span>
              <span className="muted" data-testid="event-by">
                {e.eventType === 'auto-advancement' ? `rule ${e.ruleId ?? '—'}` : `by ${e.operatorId ?? 'unknown'}`}
              </span>
              <time dateTime={e.timestamp}>{new Date(e.timestamp).toLocaleString()}</time>
              {e.eventType !== 'auto-advancement' ? <span className="badge badge--rule">{e.eventType}</span> : null}
              {e.rolledBack ? <span className="badge badge--disabled">rolled back</span> : null}
            </div>
            {e.eventType === 'auto-advancement' ? <Snapshot event={e} /> : <Why event={e} />}
          </li>
        ))}
      </ul>
    </section>
  );
}
