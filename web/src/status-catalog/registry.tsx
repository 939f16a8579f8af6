// The React implementation of each status catalog component. Props arrive checked by the
// catalog's schemas (the transform only makes valid trees; validateStatusSpec proves it in the
// tests), so the components only draw.
import { defineRegistry } from '@json-render/react';
import { useId } from 'react';
import { statusCatalog } from './catalog.js';

const LOCALE = 'en-US';

/** Times in the viewer's own zone (the next run is shown in the config's zone by the transform). */
function clock(iso: string): string {
  return new Intl.DateTimeFormat(LOCALE, { hour: 'numeric', minute: '2-digit', second: '2-digit' }).format(new Date(iso));
}

function dateTime(iso: string): string {
  return new Intl.DateTimeFormat(LOCALE, { dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(iso));
}

const TRIGGERS: Record<string, string> = { schedule: 'scheduled', manual: 'manual', api: 'run now', retry: 'retry', backfill: 'backfill' };

export const { registry: statusRegistry } = defineRegistry(statusCatalog, {
  components: {
    StatusPanel: ({ props, children }) => {
      const headingId = useId();
      const Heading = props.variant === 'log' ? 'h4' : 'h3';
      return (
        <section
          className={`gj-panel gj-panel--${props.variant}`}
          aria-labelledby={headingId}
          // Not aria-busy: it would hold back the phase's live announcements while a run goes on.
          data-busy={props.busy}
          {...(props.variant === 'log' ? { role: 'log' } : {})}
        >
          <Heading id={headingId}>{props.title}</Heading>
          {children}
        </section>
      );
    },

    JobPhaseIndicator: ({ props }) => (
      <div className="gj-phase" data-phase={props.phase}>
        <div className="gj-phase__head" role="status" aria-live="polite">
          <span className={`gj-phase__dot gj-tone--${props.tone}`} aria-hidden="true" />
          <span className="gj-phase__label">{props.label}</span>
          {props.dryRun ? (
            <span className="gj-dry-run" title="A dry run: it changed nothing">
              Dry run
            </span>
          ) : null}
          <span className="gj-phase__meta">
            attempt {props.attempt} · {TRIGGERS[props.trigger] ?? props.trigger}
          </span>
        </div>
        <ol className="gj-phase__steps" aria-label="Steps">
          {props.steps.map((step) => (
            <li key={step.key} data-state={step.state} aria-current={step.state === 'current' ? 'step' : undefined}>
              {step.label}
              {step.at ? (
                <>
                  {' '}
                  <time dateTime={step.at} title={dateTime(step.at)}>
                    {clock(step.at)}
                  </time>
                </>
              ) : null}
            </li>
          ))}
        </ol>
      </div>
    ),

    JobProgressBar: ({ props }) => {
      const labelId = useId();
      const percentage = props.percentage ?? 0;
      return (
        <div className={`gj-progress gj-tone--${props.tone}${props.indeterminate ? ' gj-progress--indeterminate' : ''}`}>
          <div
            className="gj-progress__track"
            role="progressbar"
            aria-labelledby={labelId}
            aria-valuemin={0}
            aria-valuemax={100}
            {...(props.indeterminate ? {} : { 'aria-valuenow': percentage, 'aria-valuetext': props.label })}
          >
            <div className="gj-progress__fill" style={props.indeterminate ? undefined : { width: `${percentage}%` }} />
          </div>
          <div className="gj-progress__text">
            <span id={labelId}>{props.label}</span>
            {props.percentage !== null && props.total !== null ? <span>{props.percentage.toFixed(1)}%</span> : null}
          </div>
        </div>
      );
    },

    JobMetricRow: ({ props }) => (
      <dl className="gj-metrics">
        {props.metrics.map((metric) => (
          <div key={metric.key} className={`gj-metric gj-tone--${metric.tone}`} data-metric={metric.key}>
            <dt>{metric.label}</dt>
            <dd {...(metric.title ? { title: metric.title } : {})}>{metric.value}</dd>
          </div>
        ))}
      </dl>
    ),

    JobLogEntry: ({ props }) => (
      <div className={`gj-log-entry gj-log-entry--${props.level}`} data-log-id={props.id}>
        <time dateTime={props.at}>{clock(props.at)}</time>
        <span>{props.level.toUpperCase()}</span>
        <span>{props.message}</span>
      </div>
    ),

    JobErrorAlert: ({ props }) => (
      <div className={`gj-alert gj-alert--${props.severity}`} role="alert">
        <p className="gj-alert__title">{props.title}</p>
        <p className="gj-alert__message">{props.message}</p>
        <p className="gj-alert__meta">
          {props.code ? `${props.code} · ` : ''}attempt {props.attempt}
          {props.retryable ? ' · Retry may help' : ''}
        </p>
      </div>
    ),

    NextRunCountdown: ({ props }) => (
      <p className="gj-next-run" data-next-run={props.nextRunAt ?? 'none'}>
        <span className="gj-next-run__label">Next run:</span>
        {props.nextRunAt ? <time dateTime={props.nextRunAt}>{props.atText}</time> : <span>{props.atText}</span>}
        {props.inText ? <span className="gj-muted">({props.inText})</span> : null}
      </p>
    ),
  },
});
