import { z } from 'zod';
import { HEALTH_CHECKS, HEALTH_SEVERITIES } from '../../domain/grove/index.js';

const probeUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .refine((url) => !/^[a-z]+:\/\/[^/?#]*@/i.test(url), 'must not contain user:password');

export const healthCheckParameters = z.strictObject({
  /** The checks to run (default all); the others are reported as skipped. */
  checks: z
    .array(z.enum(HEALTH_CHECKS))
    .min(1, 'must name at least one of database, storage, api, rag')
    .refine((checks) => new Set(checks).size === checks.length, 'must not repeat a check')
    .default([...HEALTH_CHECKS]),
  /** Checks at or above this status are sent to the notification channels. */
  alertThreshold: z.enum(HEALTH_SEVERITIES).default('critical'),
  /** The API server's own health endpoint (e.g. http://127.0.0.1:8080/healthz); unset: the api check is skipped. */
  apiUrl: probeUrl.optional(),
  /** The RAG service's health endpoint; unset: the rag check is skipped. */
  ragUrl: probeUrl.optional(),
  /** Per check: a check that has not answered by then is critical. */
  timeoutMs: z.int('must be a whole number of milliseconds').min(100).max(60_000).default(5_000),
});

export type HealthCheckParameters = z.output<typeof healthCheckParameters>;
