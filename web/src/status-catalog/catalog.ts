// The status catalog as json-render sees it: each component's props schema and what it is for.
// No React here (the React schema module only describes the spec's shape), so the unit tests
// and any server-side check can load it.
import { defineCatalog } from '@json-render/core';
import { schema } from '@json-render/react/schema';
import { STATUS_COMPONENT_PROPS, type StatusComponentName } from './schemas.js';

export const statusCatalog = defineCatalog(schema, {
  components: {
    StatusPanel: {
      props: STATUS_COMPONENT_PROPS.StatusPanel,
      slots: ['default'],
      description: 'Layout only: a titled group of status elements; variant "log" for log lines.',
    },
    JobPhaseIndicator: {
      props: STATUS_COMPONENT_PROPS.JobPhaseIndicator,
      slots: [],
      description: 'Where the execution is: queued, running or its outcome, with the attempt and the instants of each step.',
    },
    JobProgressBar: {
      props: STATUS_COMPONENT_PROPS.JobProgressBar,
      slots: [],
      description: 'Items processed of the total; indeterminate while the total is unknown.',
    },
    JobMetricRow: {
      props: STATUS_COMPONENT_PROPS.JobMetricRow,
      slots: [],
      description: 'A row of labelled figures (duration, processed, succeeded, failed, batch size, run).',
    },
    JobLogEntry: {
      props: STATUS_COMPONENT_PROPS.JobLogEntry,
      slots: [],
      description: 'One log line of the execution: time, level and message.',
    },
    JobErrorAlert: {
      props: STATUS_COMPONENT_PROPS.JobErrorAlert,
      slots: [],
      description: 'Why the execution failed, timed out, was cancelled or only partly succeeded.',
    },
    NextRunCountdown: {
      props: STATUS_COMPONENT_PROPS.NextRunCountdown,
      slots: [],
      description: "The job's next scheduled run in the config's zone and the time left until it.",
    },
  },
  actions: {},
});

export type StatusSpecCheck = { success: true } | { success: false; problems: string[] };

/**
 * Checks a spec against the catalog. json-render's `catalog.validate` checks the spec's shape
 * and that every type is in the catalog, but with more than one component it accepts any
 * props object; so each element's props are also parsed with its own schema here, and every
 * child key must name an element.
 */
export function validateStatusSpec(spec: unknown): StatusSpecCheck {
  const shape = statusCatalog.validate(spec);
  if (!shape.success) return { success: false, problems: shape.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) ?? ['invalid spec'] };
  const problems: string[] = [];
  const elements = (spec as { root: string; elements: Record<string, { type: string; props: unknown; children?: string[] }> }).elements;
  if (!(String((spec as { root: unknown }).root) in elements)) problems.push('root: names no element');
  for (const [key, element] of Object.entries(elements)) {
    const props = STATUS_COMPONENT_PROPS[element.type as StatusComponentName].safeParse(element.props);
    if (!props.success) problems.push(...props.error.issues.map((issue) => `${key}.props.${issue.path.join('.')}: ${issue.message}`));
    for (const child of element.children ?? []) if (!(child in elements)) problems.push(`${key}.children: no element "${child}"`);
  }
  return problems.length === 0 ? { success: true } : { success: false, problems };
}
