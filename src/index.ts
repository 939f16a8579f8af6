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
} from './domain/config/index.js';
export { createGroveJobs, openGroveJobs, openSql, migrateStore, systemClock, builtInJobTypes } from './app.js';
export type { GroveJobs, GroveJobsOptions, OpenGroveJobsOptions, StoreEnv, Clock, Store } from './app.js';
