// The props of every element the Execution Status tab may draw, one zod schema per component.
// A render tree (see transform.ts) is valid only when each element's props parse here, so the
// React implementations (registry.tsx) can trust what they receive.
import { z } from 'zod';
import { ExecutionStatus } from '../../../src/domain/config/policies.js';

export const EXECUTION_STATUSES = Object.values(ExecutionStatus) as [ExecutionStatus, ...ExecutionStatus[]];

/** Colour families the components share; each maps to one palette entry in status.css. */
export const TONES = ['neutral', 'blue', 'green', 'amber', 'red'] as const;
export type Tone = (typeof TONES)[number];
const tone = z.enum(TONES);

/** ISO 8601 instants, as the API sends them. */
const instant = z.iso.datetime({ offset: true });

/** Layout only: a titled group of status elements (the one catalog entry that is not a status component). */
export const StatusPanelProps = z.object({
  title: z.string().min(1),
  /** `log` marks the group as a live log region for assistive technology. */
  variant: z.enum(['section', 'log']),
  /** True while the execution is still going (drawn as data-busy, for styling and tests). */
  busy: z.boolean(),
});

export const JobPhaseIndicatorProps = z.object({
  phase: z.enum(EXECUTION_STATUSES),
  /** What the operator reads: "Running", "Failed", "Timed out". */
  label: z.string().min(1),
  tone,
  attempt: z.int().min(1),
  trigger: z.string(),
  /** A dry run changed nothing: drawn as a "Dry run" badge beside the outcome. */
  dryRun: z.boolean(),
  /** queued → running → finished, each with the instant it was reached (null: not yet). */
  steps: z
    .array(
      z.object({
        key: z.enum(['queued', 'running', 'finished']),
        label: z.string().min(1),
        at: instant.nullable(),
        state: z.enum(['done', 'current', 'pending']),
      }),
    )
    .length(3),
});

export const JobProgressBarProps = z.object({
  label: z.string().min(1),
  processed: z.int().min(0),
  /** Null while the job has not said how many items there are (an indeterminate bar). */
  total: z.int().min(0).nullable(),
  /** 0–100, one decimal; null while the run goes on with an unknown total. */
  percentage: z.number().min(0).max(100).nullable(),
  /** Still running with an unknown total: the bar moves without a value. */
  indeterminate: z.boolean(),
  tone,
});

export const JobMetricRowProps = z.object({
  metrics: z
    .array(
      z.object({
        key: z.string().min(1),
        label: z.string().min(1),
        value: z.string(),
        /** Shown on hover, e.g. the whole id of a shortened one. */
        title: z.string().optional(),
        tone,
      }),
    )
    .min(1)
    .max(8),
});

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export const JobLogEntryProps = z.object({
  id: z.int().min(0),
  at: instant,
  level: z.enum(LOG_LEVELS),
  message: z.string(),
});

export const JobErrorAlertProps = z.object({
  title: z.string().min(1),
  message: z.string(),
  code: z.string().nullable(),
  /** warning: partial or cancel pending; error: failed, timed out, cancelled; critical: failed again after a retry. */
  severity: z.enum(['warning', 'error', 'critical']),
  /** Whether Retry makes sense for this outcome. */
  retryable: z.boolean(),
  attempt: z.int().min(1),
});

export const NextRunCountdownProps = z.object({
  /** Null when the job has no next run (switched off). */
  nextRunAt: instant.nullable(),
  timezone: z.string().min(1),
  /** "Tomorrow 2:00 AM UTC" in the config's zone; "Not scheduled" without a next run. */
  atText: z.string().min(1),
  /** "in 3h 12m"; empty without a next run. */
  inText: z.string(),
  /** Whole seconds from the transform's `now`; null without a next run. */
  secondsLeft: z.int().min(0).nullable(),
});

export type StatusPanelProps = z.infer<typeof StatusPanelProps>;
export type JobPhaseIndicatorProps = z.infer<typeof JobPhaseIndicatorProps>;
export type JobProgressBarProps = z.infer<typeof JobProgressBarProps>;
export type JobMetricRowProps = z.infer<typeof JobMetricRowProps>;
export type JobLogEntryProps = z.infer<typeof JobLogEntryProps>;
export type JobErrorAlertProps = z.infer<typeof JobErrorAlertProps>;
export type NextRunCountdownProps = z.infer<typeof NextRunCountdownProps>;

/** Every component's props schema by its catalog name. */
export const STATUS_COMPONENT_PROPS = {
  StatusPanel: StatusPanelProps,
  JobPhaseIndicator: JobPhaseIndicatorProps,
  JobProgressBar: JobProgressBarProps,
  JobMetricRow: JobMetricRowProps,
  JobLogEntry: JobLogEntryProps,
  JobErrorAlert: JobErrorAlertProps,
  NextRunCountdown: NextRunCountdownProps,
} as const;

export type StatusComponentName = keyof typeof STATUS_COMPONENT_PROPS;
export type StatusComponentProps = { [K in StatusComponentName]: z.infer<(typeof STATUS_COMPONENT_PROPS)[K]> };
