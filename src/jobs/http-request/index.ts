import { defineJobType } from '../../domain/config/job-type.js';
import { executeHttpRequest } from './handler.js';
import { httpRequestParameters } from './parameters.js';

export { displayUrl, executeHttpRequest, RESPONSE_BODY_LIMIT } from './handler.js';
export { decodeStandardSecret, signBody, signStandardWebhook, standardWebhookId } from './hmac.js';
export { HTTP_METHODS, httpRequestParameters, looksSecret, type HttpRequestParameters } from './parameters.js';

/**
 * Calls an HTTP endpoint on a schedule: what the seeds did with pg_cron + net.http_post and a
 * shared secret header, with retries, timeouts and a history instead.
 */
export const httpRequestJobType = defineJobType({
  name: 'http-request',
  description:
    'Sends one HTTP request (default POST) with Grove-Execution-Id, Grove-Config-Id, Grove-Attempt, Grove-Slot, webhook-id and webhook-timestamp headers, ' +
    'optionally signed (Standard Webhooks webhook-signature, and X-Grove-Signature: sha256=<HMAC of the body>); fails unless the status is expected (default any 2xx). ' +
    'Redirects are not followed. Credentials go in secretHeaders, which is write-only.',
  parameters: httpRequestParameters,
  // No cronExpression default: when to call an endpoint is the operator's decision, never a guess.
  // The system's hour-long timeout suits batches, not one request: the seeds' calls used 120 s.
  defaults: { limits: { timeoutSeconds: 120 } },
  secretParameters: ['secret', 'secretHeaders'],
  counterLabels: { processed: 'Requests', succeeded: 'Answered as expected' },
  execute: executeHttpRequest,
});
