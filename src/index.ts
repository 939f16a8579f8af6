/** grove-jobs: the library entry. */
export { nextSlots, parseSchedule, describeSchedule, ScheduleError, ScheduleErrorCode, SLOT_HORIZON_YEARS } from './domain/schedule/index.js';
export type { CompiledSchedule, WallTime, ScheduleKind, CronFieldName } from './domain/schedule/index.js';
export {
  defineJobType,
  JobTypeRegistry,
  ConfigError,
  ConfigErrorCode,
  MisfirePolicy,
  OverlapPolicy,
  BackoffStrategy,
  NotificationChannel,
  ExecutionStatus,
  ExecutionTrigger,
  validateJobConfig,
} from './domain/config/index.js';
export type {
  JobConfig,
  JobConfigInput,
  JobConfigMeta,
  JobConfigPayload,
  JobContext,
  JobOutcome,
  JobProgress,
  JobTypeDefinition,
  AnyJobType,
  ConfigIssue,
  ConfigChange,
  JobConfigInputFor,
  ApplyConflict,
} from './domain/config/index.js';
export { createGroveJobs, systemClock, builtInJobTypes } from './app.js';
export type { GroveJobs, GroveJobsOptions, Clock, Store } from './app.js';
export { openGroveJobs, openSql, migrateStore } from './open.js';
export type { OpenGroveJobsOptions, OpenedGroveJobs, StoreEnv } from './open.js';
export { startGroveJobs } from './embed.js';
export type { StartGroveJobsOptions, EmbeddedGroveJobs, GroveJobsHttp, HttpOptions } from './embed.js';
export type { ApplyOptions, ApplyResult } from './engine/config-apply.js';
export type { Caller, CallerHook } from './api/caller.js';
