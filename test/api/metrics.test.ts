import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroveJobs } from '../../src/app.js';
import { metricsRoute } from '../../src/api/metrics.js';
import { finishedCount, makeScenario, scenarioConfig } from '../support/engine.js';
import { pgliteFactory } from '../support/test-store.js';

describe('GET /metrics', () => {
  const factory = pgliteFactory();
  let system: GroveJobs;

  beforeAll(async () => {
    system = makeScenario(await factory.make()).system;
  });
  afterAll(async () => {
    await system?.close({ graceMs: 0 });
    await factory.dispose();
  });

  it('serves Prometheus text with executions by type and status, durations, queue depth and busy workers after a run', async () => {
    const app = metricsRoute({ system });
    await system.configs.create(scenarioConfig('metrics-job', { cronExpression: '0 0 1 1 *', isEnabled: false }), { actor: 'test' });
    const waiting = await system.executions.trigger('metrics-job', { requestedBy: 'test' });
    await system.executions.trigger('metrics-job', { requestedBy: 'test', idempotencyKey: 'second' });

    const before = await (await app.request('/metrics')).text();
    expect(before).toMatch(/^grove_jobs_queue_depth 2$/m);
    expect(before).toMatch(/^grove_jobs_executions_active\{job_type="scenario-job",status="queued"\} 2$/m);
    expect(before).toMatch(/^grove_jobs_busy_workers 0$/m);

    const done = finishedCount(system, 2);
    await system.startWorker({ concurrency: 1 });
    await done;

    const response = await app.request('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/^grove_jobs_executions_finished_total\{job_type="scenario-job",status="success"\} 2$/m);
    expect(text).toMatch(/^grove_jobs_execution_duration_seconds_count\{job_type="scenario-job",status="success"\} 2$/m);
    expect(text).toMatch(/^# TYPE grove_jobs_slot_start_lag_seconds histogram$/m);
    expect(text).toMatch(/^grove_jobs_queue_depth 0$/m);
    expect(text).toMatch(/^grove_jobs_busy_workers 0$/m);
    expect(text).toMatch(/^grove_jobs_database_up 1$/m);
    expect(text).not.toContain(waiting.execution.config.payload.jobType + '",status="queued"} 2');
  });
});
