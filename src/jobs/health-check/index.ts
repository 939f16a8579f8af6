import { defineJobType } from '../../domain/config/job-type.js';
import { executeHealthCheck, type HealthCheckDeps } from './handler.js';
import { healthCheckParameters } from './parameters.js';

export { executeHealthCheck, type HealthCheckDeps } from './handler.js';
export { healthCheckParameters, type HealthCheckParameters } from './parameters.js';

/**
 * System validation: database (round trip, migrations applied vs available, process-vs-database
 * clock skew), storage (free space of the embedded store's data folder), api and rag (GET with a
 * timeout). Outcome: every check that ran is an item, a critical check a failed item, so the run
 * is `partial` when some checks are critical and `failed` when all that ran are; skipped checks
 * never count as passed.
 */
export function healthCheckJobType(deps: HealthCheckDeps) {
  return defineJobType({
    name: 'health-check',
    description:
      'Checks the database (latency, migrations, clock skew), the data folder\'s free space, and the API and RAG endpoints when ' +
      'configured; records status (ok, warning, critical, skipped), latency and details per check, and sends the checks at or above ' +
      'alertThreshold to the notification channels. Some critical checks make the run partial, all of them failed.',
    parameters: healthCheckParameters,
    defaults: {
      schedule: { cronExpression: '*/5 * * * *' },
      // The next scheduled run is the retry; an unhealthy system must never pause its own health check.
      retry: { maxAttempts: 1 },
      limits: { timeoutSeconds: 120 },
      notifications: { pauseAfterConsecutiveFailures: 0 },
    },
    // Each check that ran is an item; a critical check is a failed one.
    counterLabels: { processed: 'Checks', succeeded: 'Passed', failed: 'Critical' },
    execute: (context) => executeHealthCheck(deps, context),
  });
}
