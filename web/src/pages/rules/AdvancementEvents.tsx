import { useCallback, useEffect, useState } from 'react';
import { type AdvancementEvent, advancementEvents } from '../../api-client';
import { ErrorNotice } from '../../components/Notice';

const SHOWN = 20;

/** The most recent advancement events, newest first, each with its signal snapshot behind a disclosure. */
export function AdvancementEvents({ refreshKey }: { refreshKey: number }) {
  const [events, setEvents] = useState<AdvancementEvent[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(() => {
    advancementEvents({ limit: 1000 }).then(
      (items) => {
        setTotal(items.length);
        setEvents([...items].sort((a, b) => b.timestamp.localeCompare(a.timestamp)).slice(0, SHOWN));
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
          <li key={e.id} className={`event${e.rolledBack ? ' event--rolled-back' : ''}`} data-event-id={e.id} data-sprout-id={e.sproutId}>
            <div className="event-line">
              <strong>{e.sproutId}</strong>
              <span className="tier-move">
                {e.fromTier} → {e.toTier}
              </span>
              <span className="muted">rule {e.ruleId ?? '—'}</span>
              <time dateTime={e.timestamp}>{new Date(e.timestamp).toLocaleString()}</time>
              {e.eventType !== 'auto-advancement' ? <span className="badge badge--rule">{e.eventType}</span> : null}
              {e.rolledBack ? <span className="badge badge--disabled">rolled back</span> : null}
            </div>
            <details className="snapshot">
              <summary>Signal snapshot</summary>
              {e.criteriaMet?.length ? (
                <ul className="conditions">
                  {e.criteriaMet.map((c, i) => (
                    <li key={i}>
                      {c.signal} {c.operator} {c.threshold}: {c.value ?? '—'} {c.met === null ? '' : c.met ? '✓' : '✗'}
                    </li>
                  ))}
                </ul>
              ) : null}
              <pre>{JSON.stringify(e.signalValues ?? {}, null, 2)}</pre>
            </details>
          </li>
        ))}
      </ul>
    </section>
  );
}
