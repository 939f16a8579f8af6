import { Hono } from 'hono';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ApiSystem } from './system.js';

/** Run lengths from sub-second HTTP calls to hour-long batches, in seconds. */
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
/** Slot-to-start lag: normally well under a second; minutes mean a backlog or a missing worker. */
const LAG_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
/** Executions this process counts as running at most (guards against ends it never heard of). */
const MAX_BUSY_TRACKED = 10_000;

/**
 * `GET /metrics` (no auth), Prometheus text from a registry of its own:
 * - `grove_jobs_executions_finished_total{job_type,status}`: executions this process ended;
 * - `grove_jobs_executions_active{job_type,status}`: queued and running executions across all
 *   processes, read from the database at scrape;
 * - `grove_jobs_execution_duration_seconds{job_type,status}`: run lengths of those ended here;
 * - `grove_jobs_slot_start_lag_seconds{job_type}`: scheduled slot to actual start;
 * - `grove_jobs_queue_depth`: queued executions, all processes (due or not);
 * - `grove_jobs_busy_workers`: executions running in this process;
 * - `grove_jobs_database_up`: 1 when the scrape's database read answered.
 */
export function metricsRoute(deps: { system: ApiSystem }): Hono {
  const { system } = deps;
  const registry = new Registry();

  const finished = new Counter({
    name: 'grove_jobs_executions_finished_total',
    help: 'Executions this process ended, by job type and final status',
    labelNames: ['job_type', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'grove_jobs_execution_duration_seconds',
    help: 'How long executions ended by this process ran, in seconds',
    labelNames: ['job_type', 'status'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const lag = new Histogram({
    name: 'grove_jobs_slot_start_lag_seconds',
    help: 'From a scheduled slot to the start of its execution, in seconds',
    labelNames: ['job_type'] as const,
    buckets: LAG_BUCKETS,
    registers: [registry],
  });
  const busy = new Set<string>();
  new Gauge({
    name: 'grove_jobs_busy_workers',
    help: 'Executions running in this process now',
    registers: [registry],
    collect() {
      this.set(busy.size);
    },
  });
  const active = new Gauge({
    name: 'grove_jobs_executions_active',
    help: 'Queued and running executions across all processes, by job type and status (read at scrape)',
    labelNames: ['job_type', 'status'] as const,
    registers: [registry],
  });
  const queueDepth = new Gauge({ name: 'grove_jobs_queue_depth', help: 'Queued executions across all processes (read at scrape)', registers: [registry] });
  const databaseUp = new Gauge({ name: 'grove_jobs_database_up', help: '1 when the database answered the scrape, else 0', registers: [registry] });

  system.events.on('execution:started', (execution) => {
    if (busy.size < MAX_BUSY_TRACKED) busy.add(execution.id);
    if (execution.slot && execution.startedAt) {
      lag.observe({ job_type: execution.config.payload.jobType }, Math.max(0, execution.startedAt.getTime() - execution.slot.getTime()) / 1000);
    }
  });
  system.events.on('execution:finished', (execution) => {
    busy.delete(execution.id);
    const labels = { job_type: execution.config.payload.jobType, status: execution.status };
    finished.inc(labels);
    if (execution.durationMs !== null) duration.observe(labels, execution.durationMs / 1000);
  });

  /** Reads the cross-process numbers; a failed read keeps the rest of the scrape. */
  async function readDatabase(): Promise<void> {
    try {
      const counts = await system.store.countActiveExecutions();
      active.reset();
      let queued = 0;
      for (const row of counts) {
        active.set({ job_type: row.jobType, status: row.status }, row.count);
        if (row.status === 'queued') queued += row.count;
      }
      queueDepth.set(queued);
      databaseUp.set(1);
    } catch {
      databaseUp.set(0);
    }
  }

  const app = new Hono();
  app.get('/metrics', async (c) => {
    await readDatabase();
    c.header('Content-Type', registry.contentType);
    return c.body(await registry.metrics(), 200);
  });
  return app;
}
