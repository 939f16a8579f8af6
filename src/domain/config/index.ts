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
export {
  applyManager,
  configLeaves,
  fromLeaves,
  managerOfActor,
  planApply,
  planOwners,
  sameValue,
  SYSTEM_MANAGER,
  type ApplyConflict,
  type ApplyInput,
  type ApplyPlan,
  type ConfigLeaves,
  type FieldOwner,
  type FieldOwners,
} from './apply.js';
export { MAX_PAUSE_REASON_LENGTH, planPause, type PausePlan } from './pause.js';
