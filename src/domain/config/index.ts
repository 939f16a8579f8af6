export * from './policies.js';
export * from './errors.js';
export * from './schema.js';
export * from './job-type.js';
export { validateJobConfig, formatPath, zodIssues, type ManagedMeta } from './validate.js';
export { diffConfigs, type ConfigChange } from './diff.js';
export { applyMergePatch, patchForPath } from './merge-patch.js';
export { redactConfig, redactChanges, REDACTED } from './redact.js';
