import { useEffect, useRef } from 'react';
import type { JobChangePreview, PreviewRun } from '../api-client';
import { formatInstantUtc, formatRunTime } from '../format';
import { ErrorNotice } from './Notice';

interface Props {
  /** The preview, or null while it is asked for (or when asking failed: see `error`). */
  preview: JobChangePreview | null;
  error: unknown;
  saving: boolean;
  onSave: () => void;
  onBack: () => void;
}

const DST_RULES: Record<string, string> = {
  'gap-runs-after': 'does not exist (clocks go forward): runs once at the first instant after the gap',
  'gap-skipped': 'does not exist (clocks go forward): skipped',
  'doubled-runs-once': 'happens twice (clocks go back): runs once, at the first',
  'doubled-runs-twice': 'happens twice (clocks go back): runs at both',
};

function RunList({ label, runs, zone, marked, now }: { label: string; runs: PreviewRun[]; zone: string; marked: Set<string>; now: Date }) {
  return (
    <ol className="what-if-runs" aria-label={label}>
      {runs.map((run) => (
        <li key={run.at} className={marked.has(run.at) ? 'what-if-run--moved' : undefined}>
          <time dateTime={run.at}>{formatRunTime(run.at, zone, now)}</time>
          {marked.has(run.at) ? <span className="visually-hidden"> (changes)</span> : null}
        </li>
      ))}
    </ol>
  );
}

/**
 * Shown by Save when the schedule (cron, zone, on/off) changed: the next runs before and after
 * side by side, the runs that move highlighted, the daylight-saving dates, the first run under
 * the new rule; then Save or Back to editing. Nothing is stored until Save.
 */
export function WhatIfPanel({ preview, error, saving, onSave, onBack }: Props) {
  const heading = useRef<HTMLHeadingElement>(null);
  // The panel takes the focus, so that keyboard and screen-reader users are told what opened.
  useEffect(() => heading.current?.focus(), []);
  const now = new Date();
  const changedBefore = new Set([...(preview?.moved.map((m) => m.from.at) ?? []), ...(preview?.vanished.map((r) => r.at) ?? [])]);
  const changedAfter = new Set([...(preview?.moved.map((m) => m.to.at) ?? []), ...(preview?.added.map((r) => r.at) ?? [])]);
  return (
    <section className="what-if" role="region" aria-labelledby="what-if-heading">
      <h2 id="what-if-heading" tabIndex={-1} ref={heading}>
        Before you save: what changes in the schedule
      </h2>
      {error ? <ErrorNotice error={error} /> : null}
      {!preview && !error ? <p className="muted">Working out the next runs…</p> : null}
      {preview ? (
        <>
          <div className="what-if-columns">
            <div>
              <h3>Before</h3>
              <p className="muted">{preview.before.description}</p>
              {preview.before.note ? <p>{preview.before.note}</p> : null}
              <RunList label="Next runs before" runs={preview.runs.before} zone={preview.before.timezone} marked={changedBefore} now={now} />
            </div>
            <div>
              <h3>After</h3>
              <p className="muted">{preview.after.description}</p>
              {preview.after.note ? <p>{preview.after.note}</p> : null}
              <RunList label="Next runs after" runs={preview.runs.after} zone={preview.after.timezone} marked={changedAfter} now={now} />
            </div>
          </div>
          {preview.moved.length > 0 ? (
            <>
              <h3>Moved runs</h3>
              <ul className="what-if-moved" aria-label="Moved runs">
                {preview.moved.map((m) => (
                  <li key={m.from.at}>
                    {formatRunTime(m.from.at, preview.before.timezone, now)} → <strong>{formatRunTime(m.to.at, preview.after.timezone, now)}</strong>
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          {preview.vanished.length > 0 ? (
            <p>
              No longer run: {preview.vanished.map((r) => formatRunTime(r.at, preview.before.timezone, now)).join(', ')}
            </p>
          ) : null}
          {preview.added.length > 0 ? <p>New runs: {preview.added.map((r) => formatRunTime(r.at, preview.after.timezone, now)).join(', ')}</p> : null}
          <h3>Daylight-saving dates in the next 12 months</h3>
          {preview.dstDates.length === 0 ? (
            <p className="muted">None: no run falls in an hour the clocks skip or repeat.</p>
          ) : (
            <ul className="what-if-dst" aria-label="Daylight-saving dates">
              {preview.dstDates.map((d) => (
                <li key={`${d.date} ${d.wallClock}`}>
                  {d.date} {d.wallClock.slice(0, 5)} {DST_RULES[d.rule] ?? d.rule}
                  {d.instants.length > 0 ? ` (${d.instants.map(formatInstantUtc).join(' and ')})` : ''}
                </li>
              ))}
            </ul>
          )}
          {preview.firstRunUnderNewRule ? (
            <p className="what-if-first">
              First run under the new rule: <strong>{formatRunTime(preview.firstRunUnderNewRule.at, preview.after.timezone, now)}</strong>
            </p>
          ) : null}
        </>
      ) : null}
      <div className="form-buttons">
        <button type="button" className="button button--primary" disabled={saving || (!preview && !error)} onClick={onSave}>
          {saving ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="button" disabled={saving} onClick={onBack}>
          Back to editing
        </button>
      </div>
    </section>
  );
}
