import type { JobConfigInput } from '../domain/config/index.js';

const aggregation = (id: string, cronExpression: string, period: 'all_time' | 'last_7d' | 'last_30d', window: string): JobConfigInput => ({
  meta: { id, title: `Signal aggregation (${window})`, description: `Recomputes every sprout's ${window} usage signals from new events and events that left the window.` },
  payload: {
    jobType: 'signal-aggregation',
    displayName: `Signal aggregation — ${window}`,
    schedule: { cronExpression, timezone: 'UTC', isEnabled: true },
    retry: { maxAttempts: 3, backoffStrategy: 'exponential', initialDelaySeconds: 60, maxDelaySeconds: 3600 },
    limits: { batchSize: 1000, timeoutSeconds: 1800, maxConcurrent: 1 },
    parameters: { periods: [period], full: false },
  },
});

/**
 * The configs a new store starts with (SPEC §5): the daily advancement batch and three
 * signal aggregations, enabled; a digest, a cleanup and a health check, disabled, as
 * examples. Installed once per store; an operator's edits and deletions are never undone.
 */
export const DEFAULT_CONFIGS: readonly JobConfigInput[] = [
  {
    meta: { id: 'advancement-batch', title: 'Advancement batch', description: 'Evaluates every sprout against the advancement rules and moves qualifying ones up one tier.' },
    payload: {
      jobType: 'advancement-batch',
      displayName: 'Advancement batch',
      schedule: { cronExpression: '0 2 * * *', timezone: 'UTC', isEnabled: true, misfirePolicy: 'run-once', overlapPolicy: 'skip' },
      retry: { maxAttempts: 3, backoffStrategy: 'exponential', initialDelaySeconds: 60, maxDelaySeconds: 3600 },
      limits: { batchSize: 100, timeoutSeconds: 3600, maxConcurrent: 1 },
      parameters: { signalPeriod: 'all_time', dryRun: false },
    },
  },
  aggregation('signal-aggregation-all-time', '*/15 * * * *', 'all_time', 'all time'),
  aggregation('signal-aggregation-7d', '0 * * * *', 'last_7d', 'last 7 days'),
  aggregation('signal-aggregation-30d', '0 */6 * * *', 'last_30d', 'last 30 days'),
  {
    meta: { id: 'notification-digest', title: 'Notification digest', description: 'Failures, advancements and rollbacks since the last digest, to the notification channels.' },
    payload: {
      jobType: 'notification-digest',
      displayName: 'Notification digest',
      schedule: { cronExpression: '0 8 * * 1-5', timezone: 'UTC', isEnabled: false },
      retry: { maxAttempts: 3, backoffStrategy: 'exponential', initialDelaySeconds: 60, maxDelaySeconds: 3600 },
      limits: { batchSize: 100, timeoutSeconds: 600, maxConcurrent: 1 },
    },
  },
  {
    meta: { id: 'orphan-cleanup', title: 'Orphan cleanup', description: 'Archives usage events of deleted sprouts and execution history past retention.' },
    payload: {
      jobType: 'orphan-cleanup',
      displayName: 'Orphan cleanup',
      schedule: { cronExpression: '30 3 * * 0', timezone: 'UTC', isEnabled: false },
      retry: { maxAttempts: 2, backoffStrategy: 'fixed', initialDelaySeconds: 300, maxDelaySeconds: 300 },
      limits: { batchSize: 1000, timeoutSeconds: 3600, maxConcurrent: 1 },
      parameters: { orphanThresholdDays: 90, dryRun: false },
    },
  },
  {
    meta: { id: 'health-check', title: 'Health check', description: 'Database, storage, API and RAG checks with latency; alerts at the threshold.' },
    payload: {
      jobType: 'health-check',
      displayName: 'Health check',
      schedule: { cronExpression: '*/5 * * * *', timezone: 'UTC', isEnabled: false },
      retry: { maxAttempts: 1, backoffStrategy: 'fixed', initialDelaySeconds: 0, maxDelaySeconds: 0 },
      limits: { batchSize: 100, timeoutSeconds: 120, maxConcurrent: 1 },
    },
  },
];
