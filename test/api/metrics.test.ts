import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionRecord, GroveJobs } from '../../src/app.js';
import { metricsRoute } from '../../src/api/metrics.js';
import { finishedCount, makeScenario, scenarioConfig } from '../support/engine.js';
import { checkMetrics, PROMTOOL_MISSING, promtoolAvailable } from '../support/promtool.js';
import { pgliteFactory } from '../support/test-store.js';

const promtool = promtoolAvailable();
const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** An execution as `execution:started` carries it: only what the metrics read. */
function started(fields: { trigger: string; attempt: number; slot: string | null; queuedAt: string; startedAt: string }): ExecutionRecord {
  return {
    id: `started-${fields.trigger}-${fields.attempt}-${fields.startedAt}`,
    trigger: fields.trigger,
    attempt: fields.attempt,
    slot: fields.slot === null ? null : new Date(fields.slot),
    queuedAt: new Date(fields.queuedAt),
    startedAt: new Date(fields.startedAt),
    config: { payload: { jobType: 'lag-job' } },
  } as unknown as ExecutionRecord;
}

/** `name{labels} value` of a scrape, as a number (undefined when absent). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

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

  it('observes slot lag for the first attempts of scheduled slots only, and retry delays as their own histogram', async () => {
    const app = metricsRoute({ system });
    const slot = '2026-12-07T03:00:00.000Z';
    // A scheduled slot started 2 s late: lag.
    system.events.emit('execution:started', started({ trigger: 'schedule', attempt: 1, slot, queuedAt: slot, startedAt: '2026-12-07T03:00:02.000Z' }));
    // Its automatic retry, queued at the failure (03:00:10) and started 5 minutes later: a retry delay, not lag.
    system.events.emit('execution:started', started({ trigger: 'retry', attempt: 2, slot, queuedAt: '2026-12-07T03:00:10.000Z', startedAt: '2026-12-07T03:05:10.000Z' }));
    // An operator's retry of that slot an hour later (a new run, attempt 1): neither.
    system.events.emit('execution:started', started({ trigger: 'retry', attempt: 1, slot, queuedAt: '2026-12-07T04:00:00.000Z', startedAt: '2026-12-07T04:00:00.500Z' }));
    // A manual run: no slot, neither.
    system.events.emit('execution:started', started({ trigger: 'manual', attempt: 1, slot: null, queuedAt: slot, startedAt: slot }));

    const text = await (await app.request('/metrics')).text();
    expect(sample(text, 'grove_jobs_slot_start_lag_seconds_count{job_type="lag-job"}')).toBe(1);
    expect(sample(text, 'grove_jobs_slot_start_lag_seconds_sum{job_type="lag-job"}')).toBe(2);
    expect(sample(text, 'grove_jobs_retry_delay_seconds_count{job_type="lag-job"}')).toBe(1);
    expect(sample(text, 'grove_jobs_retry_delay_seconds_sum{job_type="lag-job"}')).toBe(300);
    expect(sample(text, 'grove_jobs_retry_delay_seconds_bucket{le="300",job_type="lag-job"}')).toBe(1);
    expect(sample(text, 'grove_jobs_retry_delay_seconds_bucket{le="120",job_type="lag-job"}')).toBe(0);
  });

  it("counts busy worker places and all places as the process's workers report them, not executions seen", async () => {
    const app = metricsRoute({ system, places: () => ({ busy: 3, total: 8 }) });
    // Executions seen starting elsewhere in the system (or never seen ending) change nothing.
    system.events.emit('execution:started', started({ trigger: 'manual', attempt: 1, slot: null, queuedAt: '2026-12-07T03:00:00Z', startedAt: '2026-12-07T03:00:00Z' }));
    const text = await (await app.request('/metrics')).text();
    expect(sample(text, 'grove_jobs_busy_workers')).toBe(3);
    expect(sample(text, 'grove_jobs_worker_places')).toBe(8);
    expect(sample(await (await metricsRoute({ system }).request('/metrics')).text(), 'grove_jobs_busy_workers')).toBe(0);
  });

  it("carries the process's own metrics (process_*, nodejs_*) and the build's version, once per process", async () => {
    const text = await (await metricsRoute({ system }).request('/metrics')).text();
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^process_start_time_seconds \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    expect(sample(text, `grove_jobs_build_info{version="${version}"}`)).toBe(1);
    // A second registry in the same process shares them rather than registering them twice.
    const again = await (await metricsRoute({ system }).request('/metrics')).text();
    expect(again.match(/^# TYPE process_cpu_user_seconds_total /gm)).toHaveLength(1);
  });

  it("counts a place busy while its handler runs and free once it ends, from the system's workers", async () => {
    const scenario = makeScenario(await factory.make());
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    scenario.setBehaviour(async () => {
      await held;
      return { summary: 'held' };
    });
    const busySystem = scenario.system;
    try {
      await busySystem.startWorker({ concurrency: 2 });
      const app = metricsRoute({ system: busySystem, places: () => busySystem.places() });
      await busySystem.configs.create(scenarioConfig('busy-job', { cronExpression: '0 0 1 1 *', isEnabled: false }), { actor: 'test' });
      const running = busySystem.events.waitFor('execution:started', (execution) => execution.configId === 'busy-job');
      const done = finishedCount(busySystem, 1, (execution) => execution.configId === 'busy-job');
      await busySystem.executions.trigger('busy-job', { requestedBy: 'test' });
      await running;
      const during = await (await app.request('/metrics')).text();
      expect(sample(during, 'grove_jobs_busy_workers')).toBe(1);
      expect(sample(during, 'grove_jobs_worker_places')).toBe(2);
      release();
      await done;
      expect(sample(await (await app.request('/metrics')).text(), 'grove_jobs_busy_workers')).toBe(0);
    } finally {
      release();
      await busySystem.close({ graceMs: 0 });
    }
  });

  it('passes promtool check metrics', async (context) => {
    if (!promtool) context.skip(PROMTOOL_MISSING);
    const text = await (await metricsRoute({ system, places: () => ({ busy: 1, total: 4 }) }).request('/metrics')).text();
    expect(checkMetrics(text)).toEqual({ code: 0, output: '' });
  });
});
