/**
 * Health checks: what each check measured and how bad it is. Pure decisions; the job does
 * the measuring.
 */

export const HEALTH_CHECKS = ['database', 'storage', 'api', 'rag'] as const;
export type HealthCheckName = (typeof HEALTH_CHECKS)[number];

/** A check's result. `skipped` means "not checked" (not configured, not applicable): never a pass. */
export const HealthStatus = { Ok: 'ok', Warning: 'warning', Critical: 'critical', Skipped: 'skipped' } as const;
export type HealthStatus = (typeof HealthStatus)[keyof typeof HealthStatus];

/** The statuses an alert threshold can name. */
export const HEALTH_SEVERITIES = ['warning', 'critical'] as const;
export type HealthSeverity = (typeof HEALTH_SEVERITIES)[number];

const RANK: Record<HealthStatus, number> = { skipped: -1, ok: 0, warning: 1, critical: 2 };

/** Whether `status` is at or above `threshold`; `skipped` and `ok` never are. */
export function isAtOrAbove(status: HealthStatus, threshold: HealthSeverity): boolean {
  return RANK[status] >= RANK[threshold];
}

/** The worse of two statuses; `skipped` is below `ok` so one real result outranks it. */
export function worseStatus(a: HealthStatus, b: HealthStatus): HealthStatus {
  return RANK[a] >= RANK[b] ? a : b;
}

export interface HealthCheckResult {
  name: HealthCheckName;
  status: HealthStatus;
  /** Wall time the check took, in milliseconds; null when it was skipped. */
  latencyMs: number | null;
  /** One sentence: why this status. */
  message: string;
  details: Record<string, unknown>;
}

/** A round trip slower than this is a warning: every engine statement pays it. */
export const DB_LATENCY_WARNING_MS = 250;
/** Slower than this, claims and heartbeats risk their leases: critical. */
export const DB_LATENCY_CRITICAL_MS = 2_000;
/**
 * Process-vs-database clock skew. The engine passes its clock into queries, so skew does not
 * corrupt schedules, but anything the database stamps itself (defaults, now()) disagrees with
 * the engine by this much; a second is noticeable, a minute misleads operators.
 */
export const CLOCK_SKEW_WARNING_MS = 1_000;
export const CLOCK_SKEW_CRITICAL_MS = 60_000;
/** Free space of the data folder, as a share of the volume. */
export const STORAGE_WARNING_FREE_RATIO = 0.15;
export const STORAGE_CRITICAL_FREE_RATIO = 0.05;
/** Whatever the share, less than this many bytes free is critical: one bulk import fills it. */
export const STORAGE_CRITICAL_FREE_BYTES = 256 * 1024 * 1024;

/** Applied (in the database) versus available (this process's migration files). */
export interface MigrationState {
  applied: ReadonlyArray<{ version: number; name: string; checksum: string }>;
  available: ReadonlyArray<{ version: number; name: string; checksum: string }>;
}

export interface MigrationAssessment {
  status: HealthStatus;
  current: number;
  latest: number;
  /** Files this process has that the database has not applied. */
  pending: string[];
  /** Versions applied by a newer process that this one does not know. */
  unknown: string[];
  /** Applied files whose text differs from this process's file. */
  changed: string[];
}

/**
 * Pending migrations are critical (this process's queries expect tables that are not there);
 * unknown ones are a warning (a newer process migrated; old code usually still works), and a
 * changed file is critical (the schema is not what the code was written for).
 */
export function assessMigrations(state: MigrationState): MigrationAssessment {
  const applied = new Map(state.applied.map((m) => [m.version, m]));
  const available = new Map(state.available.map((m) => [m.version, m]));
  const pending = state.available.filter((m) => !applied.has(m.version)).map((m) => m.name);
  const unknown = state.applied.filter((m) => !available.has(m.version)).map((m) => m.name);
  const changed = state.available.filter((m) => applied.has(m.version) && applied.get(m.version)?.checksum !== m.checksum).map((m) => m.name);
  const status = pending.length > 0 || changed.length > 0 ? HealthStatus.Critical : unknown.length > 0 ? HealthStatus.Warning : HealthStatus.Ok;
  return {
    status,
    current: Math.max(0, ...state.applied.map((m) => m.version)),
    latest: Math.max(0, ...state.available.map((m) => m.version)),
    pending,
    unknown,
    changed,
  };
}

/** Grades a measurement against a warning and a critical limit (inclusive). */
export function gradeAtLeast(value: number, warning: number, critical: number): HealthStatus {
  if (value >= critical) return HealthStatus.Critical;
  if (value >= warning) return HealthStatus.Warning;
  return HealthStatus.Ok;
}

/**
 * Clock skew between the process and the database, with the round trip taken into account:
 * the database read its clock somewhere between sending and receiving, so the middle of the
 * round trip is the best guess for the process time it corresponds to.
 *
 * @example
 * estimateClockSkewMs({ processBefore: 1000, processAfter: 1100, databaseNow: 1250 }) // → 200
 */
export function estimateClockSkewMs(input: { processBefore: number; processAfter: number; databaseNow: number }): number {
  return input.databaseNow - (input.processBefore + input.processAfter) / 2;
}

/** Free space of a volume: the smaller share of the two limits decides. */
export function gradeFreeSpace(freeBytes: number, totalBytes: number): HealthStatus {
  if (totalBytes <= 0) return HealthStatus.Critical;
  const ratio = freeBytes / totalBytes;
  if (ratio < STORAGE_CRITICAL_FREE_RATIO || freeBytes < STORAGE_CRITICAL_FREE_BYTES) return HealthStatus.Critical;
  if (ratio < STORAGE_WARNING_FREE_RATIO) return HealthStatus.Warning;
  return HealthStatus.Ok;
}

/**
 * An HTTP probe: a non-2xx answer or no answer is critical; an answer that took at least half
 * the timeout is a warning (the next one may not make it).
 */
export function gradeHttpProbe(input: { status: number | undefined; latencyMs: number; timeoutMs: number }): HealthStatus {
  if (input.status === undefined || input.status < 200 || input.status >= 300) return HealthStatus.Critical;
  return input.latencyMs >= input.timeoutMs / 2 ? HealthStatus.Warning : HealthStatus.Ok;
}

export interface HealthOutcomePlan {
  /** Checks at or above the alert threshold, in the order run. */
  alerts: HealthCheckResult[];
  worst: HealthStatus;
  counts: Record<HealthStatus, number>;
  /**
   * Engine items: each check that ran is one item; critical ones count as failed. So some
   * critical checks make the execution `partial`, all of them `failed`; skipped checks are
   * neither, and a run where every check was skipped succeeds with nothing checked.
   */
  items: { total: number; processed: number; succeeded: number; failed: number };
}

export function planHealthOutcome(results: readonly HealthCheckResult[], threshold: HealthSeverity): HealthOutcomePlan {
  const counts: Record<HealthStatus, number> = { ok: 0, warning: 0, critical: 0, skipped: 0 };
  for (const result of results) counts[result.status] += 1;
  const ran = results.length - counts.skipped;
  return {
    alerts: results.filter((result) => isAtOrAbove(result.status, threshold)),
    worst: results.reduce<HealthStatus>((worst, result) => worseStatus(worst, result.status), HealthStatus.Skipped),
    counts,
    items: { total: ran, processed: ran, succeeded: ran - counts.critical, failed: counts.critical },
  };
}

/** e.g. `database ok, storage skipped, api critical` */
export function describeHealth(results: readonly HealthCheckResult[]): string {
  return results.map((result) => `${result.name} ${result.status}`).join(', ');
}
