import { statfs } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { JobContext, JobOutcome, LogLevel } from '../../domain/config/job-type.js';
import {
  assessMigrations,
  CLOCK_SKEW_CRITICAL_MS,
  CLOCK_SKEW_WARNING_MS,
  DB_LATENCY_CRITICAL_MS,
  DB_LATENCY_WARNING_MS,
  describeHealth,
  estimateClockSkewMs,
  gradeAtLeast,
  gradeFreeSpace,
  gradeHttpProbe,
  HEALTH_CHECKS,
  type HealthCheckName,
  type HealthCheckResult,
  HealthStatus,
  planHealthOutcome,
  worseStatus,
} from '../../domain/grove/index.js';
import type { AnyNotification, MaintenanceStore, Notifier } from '../../engine/ports.js';
import type { HealthCheckParameters } from './parameters.js';

export interface HealthCheckDeps {
  maintenance: MaintenanceStore;
  /** Must handle health alerts: the notify/ channels do. */
  notifier: Notifier<AnyNotification>;
  /** The embedded store's data folder; undefined when the store is a PostgreSQL server (storage is skipped). */
  dataDir?: string;
}

type Context = JobContext<HealthCheckParameters>;

const round = (ms: number) => Math.round(ms * 10) / 10;

const skipped = (name: HealthCheckName, message: string, details: Record<string, unknown> = {}): HealthCheckResult => ({
  name,
  status: HealthStatus.Skipped,
  latencyMs: null,
  message,
  details,
});

/**
 * Aborts after `ms`, or with the run's abort; `expired` rejects then. Its timer is its own and
 * holds it until `done()`: the timer of AbortSignal.timeout holds its signal only weakly, so
 * under memory pressure the signal could be collected before it fired, and a request that waited
 * on it hung (seen once in a full test run: a probe of an address that never answers).
 */
function deadline(ms: number, signal: AbortSignal): { signal: AbortSignal; expired: Promise<never>; done(): void } {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  const timer = setTimeout(() => controller.abort(new Error(`no answer within ${ms} ms`)), ms);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  const expired = new Promise<never>((_resolve, reject) => {
    // The run's abort reason, or the timeout's error: what the controller was aborted with.
    const fail = () => reject(controller.signal.reason);
    if (controller.signal.aborted) fail();
    else controller.signal.addEventListener('abort', fail, { once: true });
  });
  // Only observed when it wins a race; never an unhandled rejection.
  expired.catch(() => undefined);
  return {
    signal: controller.signal,
    expired,
    done: () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    },
  };
}

/** fetch says only "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND) is in its cause. */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'timed out';
  const cause = error.cause;
  if (cause instanceof Error) return `${error.message} (${'code' in cause && typeof cause.code === 'string' ? cause.code : cause.message})`;
  return error.message;
}

/** Origin and path only: a query string or user info may carry a key. */
function shownUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

async function checkDatabase(deps: HealthCheckDeps, context: Context): Promise<HealthCheckResult> {
  const { timeoutMs } = context.parameters;
  const limit = deadline(timeoutMs, context.signal);
  const processBefore = context.now().getTime();
  const started = performance.now();
  try {
    const probe = await Promise.race([deps.maintenance.probeDatabase(), limit.expired]);
    const latencyMs = round(performance.now() - started);
    const skewMs = Math.round(estimateClockSkewMs({ processBefore, processAfter: context.now().getTime(), databaseNow: probe.databaseNow.getTime() }));
    const migrations = assessMigrations(probe.migrations);
    const latencyStatus = gradeAtLeast(latencyMs, DB_LATENCY_WARNING_MS, DB_LATENCY_CRITICAL_MS);
    const skewStatus = gradeAtLeast(Math.abs(skewMs), CLOCK_SKEW_WARNING_MS, CLOCK_SKEW_CRITICAL_MS);
    const status = [latencyStatus, skewStatus, migrations.status].reduce(worseStatus);
    const problems = [
      latencyStatus !== 'ok' ? `round trip ${latencyMs} ms` : undefined,
      skewStatus !== 'ok' ? `clock skew ${skewMs} ms (database ${skewMs > 0 ? 'ahead' : 'behind'})` : undefined,
      migrations.pending.length > 0 ? `${migrations.pending.length} pending migration(s)` : undefined,
      migrations.changed.length > 0 ? `changed migration(s) ${migrations.changed.join(', ')}` : undefined,
      migrations.unknown.length > 0 ? `migration(s) unknown to this process ${migrations.unknown.join(', ')}` : undefined,
    ].filter((problem) => problem !== undefined);
    return {
      name: 'database',
      status,
      latencyMs,
      message: problems.length === 0 ? `round trip ${latencyMs} ms, migrations at ${migrations.current}, clock skew ${skewMs} ms` : problems.join('; '),
      details: {
        roundTripMs: latencyMs,
        clockSkewMs: skewMs,
        databaseNow: probe.databaseNow.toISOString(),
        migrations: { current: migrations.current, latest: migrations.latest, pending: migrations.pending, unknown: migrations.unknown, changed: migrations.changed },
      },
    };
  } catch (error) {
    if (context.signal.aborted) throw context.signal.reason;
    const latencyMs = round(performance.now() - started);
    return { name: 'database', status: HealthStatus.Critical, latencyMs, message: `database did not answer: ${describeFailure(error)}`, details: {} };
  } finally {
    limit.done();
  }
}

async function checkStorage(deps: HealthCheckDeps, context: Context): Promise<HealthCheckResult> {
  if (deps.dataDir === undefined) {
    return skipped('storage', 'no data folder: the store is a PostgreSQL server, whose disk is not visible from here');
  }
  const started = performance.now();
  const limit = deadline(context.parameters.timeoutMs, context.signal);
  try {
    const stats = await Promise.race([statfs(deps.dataDir), limit.expired]);
    const latencyMs = round(performance.now() - started);
    // bavail, not bfree: the blocks this (unprivileged) process may actually use.
    const freeBytes = Number(stats.bavail) * Number(stats.bsize);
    const totalBytes = Number(stats.blocks) * Number(stats.bsize);
    const status = gradeFreeSpace(freeBytes, totalBytes);
    const freePercent = totalBytes > 0 ? Math.round((freeBytes / totalBytes) * 1000) / 10 : 0;
    return {
      name: 'storage',
      status,
      latencyMs,
      message: `${freePercent}% free (${Math.round(freeBytes / 1024 / 1024)} MiB) on the data folder's volume`,
      details: { path: deps.dataDir, freeBytes, totalBytes, freePercent },
    };
  } catch (error) {
    if (context.signal.aborted) throw context.signal.reason;
    const latencyMs = round(performance.now() - started);
    return { name: 'storage', status: HealthStatus.Critical, latencyMs, message: `data folder not readable: ${describeFailure(error)}`, details: { path: deps.dataDir } };
  } finally {
    limit.done();
  }
}

async function checkHttp(name: 'api' | 'rag', url: string | undefined, context: Context): Promise<HealthCheckResult> {
  const parameter = name === 'api' ? 'apiUrl' : 'ragUrl';
  if (url === undefined) return skipped(name, `not configured: set the '${parameter}' parameter`);
  const { timeoutMs } = context.parameters;
  const shown = shownUrl(url);
  const limit = deadline(timeoutMs, context.signal);
  const started = performance.now();
  let status: number | undefined;
  let failure: string | undefined;
  try {
    const response = await fetch(url, { method: 'GET', signal: limit.signal, redirect: 'manual', headers: { 'User-Agent': 'grove-jobs health-check' } });
    status = response.status;
    // The body is never used; cancelling frees the connection.
    await response.body?.cancel().catch(() => undefined);
  } catch (error) {
    if (context.signal.aborted) throw context.signal.reason;
    failure = limit.signal.aborted ? `no answer within ${timeoutMs} ms` : describeFailure(error);
  } finally {
    limit.done();
  }
  const latencyMs = round(performance.now() - started);
  const grade = gradeHttpProbe({ status, latencyMs, timeoutMs });
  const message =
    failure !== undefined
      ? `GET ${shown} failed: ${failure}`
      : grade === HealthStatus.Critical
        ? `GET ${shown} → ${status}, expected 2xx`
        : grade === HealthStatus.Warning
          ? `GET ${shown} → ${status} in ${latencyMs} ms, over half the ${timeoutMs} ms timeout`
          : `GET ${shown} → ${status} in ${latencyMs} ms`;
  return { name, status: grade, latencyMs, message, details: { url: shown, status: status ?? null } };
}

const LOG_LEVEL: Record<HealthStatus, LogLevel> = { ok: 'info', skipped: 'info', warning: 'warn', critical: 'error' };

/**
 * Runs the selected checks side by side; the others are reported as skipped, never as passed.
 * Checks at or above `alertThreshold` go to the config's channels in one alert. The execution
 * records every check in its result; each check that ran is one item and a critical one a
 * failed item, so some critical checks make the run `partial` and all of them `failed`.
 */
export async function executeHealthCheck(deps: HealthCheckDeps, context: Context): Promise<JobOutcome> {
  const { parameters, config } = context;
  const selected = new Set(parameters.checks);
  const run = (name: HealthCheckName): Promise<HealthCheckResult> => {
    if (!selected.has(name)) return Promise.resolve(skipped(name, "not selected in the 'checks' parameter"));
    switch (name) {
      case 'database':
        return checkDatabase(deps, context);
      case 'storage':
        return checkStorage(deps, context);
      case 'api':
        return checkHttp('api', parameters.apiUrl, context);
      case 'rag':
        return checkHttp('rag', parameters.ragUrl, context);
    }
  };
  const results = await Promise.all(HEALTH_CHECKS.map(run));
  for (const result of results) context.log(LOG_LEVEL[result.status], `${result.name} ${result.status}: ${result.message}`, { latencyMs: result.latencyMs });

  const plan = planHealthOutcome(results, parameters.alertThreshold);
  context.progress(plan.items);
  const { channels, webhookUrl, webhookSecret } = config.payload.notifications;
  const alert = plan.alerts.length > 0 && channels.length > 0 && !context.dryRun;
  if (alert) {
    deps.notifier.notify({
      kind: 'health.alert',
      at: context.now().toISOString(),
      configId: config.meta.id,
      configVersion: config.meta.version,
      displayName: config.payload.displayName,
      executionId: context.executionId,
      threshold: parameters.alertThreshold,
      worst: plan.worst,
      checks: plan.alerts,
      channels,
      ...(webhookUrl === undefined ? {} : { webhookUrl }),
      ...(webhookSecret === undefined ? {} : { webhookSecret }),
    });
    context.log('warn', `alerted ${channels.join(' and ')}: ${plan.alerts.map((a) => `${a.name} ${a.status}`).join(', ')}`);
  } else if (plan.alerts.length > 0) {
    context.log('warn', context.dryRun ? 'dry run: alert not sent' : 'checks at or above the threshold, but the config has no notification channels');
  }

  return {
    summary: describeHealth(results),
    result: { worst: plan.worst, counts: plan.counts, threshold: parameters.alertThreshold, alerted: alert, checks: results },
    items: plan.items,
  };
}
