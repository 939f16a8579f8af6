/** Policies and statuses: const objects plus derived unions, reused by the API, CLI and console. */

export const MisfirePolicy = { RunOnce: 'run-once', Skip: 'skip', RunAll: 'run-all' } as const;
export type MisfirePolicy = (typeof MisfirePolicy)[keyof typeof MisfirePolicy];

export const OverlapPolicy = { Skip: 'skip', Queue: 'queue' } as const;
export type OverlapPolicy = (typeof OverlapPolicy)[keyof typeof OverlapPolicy];

export const BackoffStrategy = { Fixed: 'fixed', Exponential: 'exponential' } as const;
export type BackoffStrategy = (typeof BackoffStrategy)[keyof typeof BackoffStrategy];

export const NotificationChannel = { Log: 'log', Webhook: 'webhook' } as const;
export type NotificationChannel = (typeof NotificationChannel)[keyof typeof NotificationChannel];

export const ExecutionStatus = {
  Queued: 'queued',
  Running: 'running',
  Success: 'success',
  Partial: 'partial',
  Failed: 'failed',
  Timeout: 'timeout',
  Cancelled: 'cancelled',
  Skipped: 'skipped',
} as const;
export type ExecutionStatus = (typeof ExecutionStatus)[keyof typeof ExecutionStatus];

export const ExecutionTrigger = { Schedule: 'schedule', Manual: 'manual', Retry: 'retry', Api: 'api', Backfill: 'backfill' } as const;
export type ExecutionTrigger = (typeof ExecutionTrigger)[keyof typeof ExecutionTrigger];
