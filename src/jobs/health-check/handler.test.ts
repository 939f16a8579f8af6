import { describe, expect, it } from 'vitest';
import { startHttpReceiver } from '../../../test/support/http-receiver.js';
import type { JobConfig, JobContext, LogLevel } from '../../domain/config/index.js';
import { JobTypeRegistry, validateJobConfig } from '../../domain/config/index.js';
import type { AnyNotification, MaintenanceStore, Notifier } from '../../engine/ports.js';
import { executeHealthCheck, healthCheckJobType, healthCheckParameters, type HealthCheckParameters } from './index.js';

// The database and storage checks against a real database: test/grove/maintenance.suite.ts.
const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not used in this test')) });

function aRecordingNotifier() {
  const sent: AnyNotification[] = [];
  const notifier: Notifier<AnyNotification> = { notify: (n) => void sent.push(n), flush: async () => undefined };
  return { notifier, sent };
}

function aContext(parameters: Record<string, unknown>, overrides: Partial<JobContext<HealthCheckParameters>> = {}) {
  const logs: Array<{ level: LogLevel; message: string }> = [];
  const context: JobContext<HealthCheckParameters> = {
    executionId: 'exec-7',
    config: {
      meta: { id: 'health', version: 2 },
      payload: { displayName: 'Health', notifications: { channels: ['log'], onSuccess: false, onFailure: true, pauseAfterConsecutiveFailures: 0 } },
    } as unknown as JobConfig,
    parameters: healthCheckParameters.parse(parameters),
    slot: undefined,
    attempt: 1,
    batchSize: 100,
    dryRun: false,
    signal: new AbortController().signal,
    now: () => new Date('2026-01-01T00:00:00Z'),
    log: (level, message) => void logs.push({ level, message }),
    progress: () => undefined,
    ...overrides,
  };
  return { context, logs };
}

describe('the health-check job type', () => {
  it('never pauses itself and does not retry: the next scheduled run is the retry', () => {
    const jobType = healthCheckJobType({ maintenance: unused as MaintenanceStore, notifier: unused as Notifier<AnyNotification> });
    const managed = { version: 1, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', createdBy: 't', updatedBy: 't' };
    const config = validateJobConfig({ meta: { id: 'health' }, payload: { jobType: 'health-check' } }, new JobTypeRegistry([jobType]), managed);
    expect(config.payload.parameters).toEqual({ checks: ['database', 'storage', 'api', 'rag'], alertThreshold: 'critical', timeoutMs: 5000 });
    expect(config.payload.notifications.pauseAfterConsecutiveFailures).toBe(0);
    expect(config.payload.retry.maxAttempts).toBe(1);
  });

  it.each([
    ['an unknown check', { checks: ['disk'] }, 'checks.0'],
    ['an unknown threshold', { alertThreshold: 'error' }, 'alertThreshold'],
    ['an api url that is not http(s)', { apiUrl: 'ftp://127.0.0.1/healthz' }, 'apiUrl'],
    ['user:password in the rag url', { ragUrl: 'https://user:pw@rag.example.test/health' }, 'ragUrl'],
    ['a timeout under 100 ms', { timeoutMs: 10 }, 'timeoutMs'],
  ])('refuses %s, naming the field', (_case, parameters, path) => {
    const result = healthCheckParameters.safeParse(parameters);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });
});

describe('the health-check handler', () => {
  it('passes a healthy api, skips an unconfigured rag, and sends no alert when nothing reaches the threshold', async () => {
    const api = await startHttpReceiver((_request, response) => response.writeHead(200).end('ok'));
    const { notifier, sent } = aRecordingNotifier();
    const { context } = aContext({ checks: ['api', 'rag'], apiUrl: `${api.url}/healthz` });

    const outcome = await executeHealthCheck({ maintenance: unused as MaintenanceStore, notifier }, context);

    expect(api.requests.map((r) => [r.method, r.url])).toEqual([['GET', '/healthz']]);
    expect(outcome.result?.['checks']).toEqual([
      { name: 'database', status: 'skipped', latencyMs: null, message: "not selected in the 'checks' parameter", details: {} },
      { name: 'storage', status: 'skipped', latencyMs: null, message: "not selected in the 'checks' parameter", details: {} },
      { name: 'api', status: 'ok', latencyMs: expect.any(Number), message: expect.stringMatching(/→ 200 in/), details: { url: `${api.url}/healthz`, status: 200 } },
      { name: 'rag', status: 'skipped', latencyMs: null, message: "not configured: set the 'ragUrl' parameter", details: {} },
    ]);
    expect(outcome.summary).toBe('database skipped, storage skipped, api ok, rag skipped');
    expect(outcome.items).toEqual({ total: 1, processed: 1, succeeded: 1, failed: 0 });
    expect(sent).toEqual([]);
  });

  it('reports a rag endpoint nothing listens on as critical and alerts with only that check', async () => {
    const { notifier, sent } = aRecordingNotifier();
    const { context, logs } = aContext({ checks: ['rag'], ragUrl: 'http://127.0.0.1:1/health' });

    const outcome = await executeHealthCheck({ maintenance: unused as MaintenanceStore, notifier }, context);

    expect((outcome.result?.['checks'] as Array<{ status: string }>)[3]).toMatchObject({ name: 'rag', status: 'critical', message: expect.stringContaining('GET http://127.0.0.1:1/health failed') });
    expect(outcome.items).toEqual({ total: 1, processed: 1, succeeded: 0, failed: 1 });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ kind: 'health.alert', configId: 'health', configVersion: 2, executionId: 'exec-7', threshold: 'critical', worst: 'critical', at: '2026-01-01T00:00:00.000Z', channels: ['log'] });
    expect((sent[0] as { checks: Array<{ name: string }> }).checks.map((c) => c.name)).toEqual(['rag']);
    expect(logs).toContainEqual({ level: 'error', message: expect.stringMatching(/^rag critical/) });
  });

  it('sends no alert on a dry run', async () => {
    const { notifier, sent } = aRecordingNotifier();
    const { context } = aContext({ checks: ['rag'], ragUrl: 'http://127.0.0.1:1/health' }, { dryRun: true });

    await executeHealthCheck({ maintenance: unused as MaintenanceStore, notifier }, context);

    expect(sent).toEqual([]);
  });

  it('rejects with the abort reason when the run is cancelled while a probe waits', async () => {
    const api = await startHttpReceiver(() => undefined);
    const controller = new AbortController();
    const { context } = aContext({ checks: ['api'], apiUrl: api.url, timeoutMs: 60_000 }, { signal: controller.signal });
    const reason = new Error('cancelled');

    const outcome = executeHealthCheck({ maintenance: unused as MaintenanceStore, notifier: aRecordingNotifier().notifier }, context);
    await api.received(1);
    controller.abort(reason);

    await expect(outcome).rejects.toBe(reason);
  });
});
