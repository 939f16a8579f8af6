import type { JobTypeRegistry } from './job-type.js';
import type { JobConfig } from './schema.js';

/** What a write-only secret reads as wherever a config is shown. */
export const REDACTED = '[secret]';

/**
 * The config as it may be shown or logged: the job type's secret parameters and the
 * webhook secret replaced by REDACTED (objects of secrets keep their keys, not their values).
 */
export function redactConfig(config: JobConfig, registry: JobTypeRegistry): JobConfig {
  const secretNames = registry.get(config.payload.jobType)?.secretParameters ?? [];
  const parameters = { ...config.payload.parameters };
  for (const name of secretNames) {
    const value = parameters[name];
    if (value === undefined) continue;
    parameters[name] =
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? Object.fromEntries(Object.keys(value).map((key) => [key, REDACTED]))
        : REDACTED;
  }
  const notifications = { ...config.payload.notifications };
  if (notifications.webhookSecret !== undefined) notifications.webhookSecret = REDACTED;
  return { meta: config.meta, payload: { ...config.payload, parameters, notifications } };
}

/** Version-history changes with secret values replaced, for showing. */
export function redactChanges<C extends { path: string; from?: unknown; to?: unknown }>(changes: readonly C[], config: JobConfig, registry: JobTypeRegistry): C[] {
  const secretPaths = [
    ...(registry.get(config.payload.jobType)?.secretParameters ?? []).map((name) => `payload.parameters.${name}`),
    'payload.notifications.webhookSecret',
  ];
  return changes.map((change) => {
    if (!secretPaths.some((path) => change.path === path || change.path.startsWith(`${path}.`))) return change;
    const shown = { ...change };
    if ('from' in shown) shown.from = REDACTED;
    if ('to' in shown) shown.to = REDACTED;
    return shown;
  });
}
