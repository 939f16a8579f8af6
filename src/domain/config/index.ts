export * from './policies.js';
export * from './errors.js';
export * from './schema.js';
export * from './job-type.js';
export { validateJobConfig, formatPath, zodIssues, type ManagedMeta } from './validate.js';
export { diffConfigs, type ConfigChange } from './diff.js';
export { applyMergePatch, patchForPath } from './merge-patch.js';
export { redactConfig, redactChanges, redactVersions, REDACTED } from './redact.js';
export {
  configSecretPaths,
  isSealed,
  mapSecretLeaves,
  maskSealed,
  MIN_SECRET_LENGTH,
  SEALED_PREFIX,
  SecretMasker,
  secretPathsOf,
  type SecretPath,
  secretValues,
} from './secrets.js';
export { configLeaves, fromLeaves, planApply, sameValue, type ApplyConflict, type ApplyInput, type ApplyPlan, type ConfigLeaves } from './apply.js';
