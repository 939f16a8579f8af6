import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ApiSystem } from './system.js';

/** Run lengths from sub-second HTTP calls to hour-long batches, in seconds. */
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
/** Slot-to-start lag: normally well under a second; minutes mean a backlog or a missing worker. */
const LAG_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
/** Retry delays: the retry policy's backoff (seconds to hours, `maxDelaySeconds`) plus the wait for a worker. */
const RETRY_DELAY_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21_600, 86_400];

/** What the metrics read of the process besides the system's events. */
export interface MetricsOptions {
  /**
   * The places of this process's workers, read at scrape: `busy` running a handler now, `total`
   * their concurrency. Without it (an API-only process) both are 0.
   */
  places?: () => { busy: number; total: number };
}

/** The package's version, from package.json two folders up (src/api and dist/api alike). */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** prom-client default metrics left out (see processMetrics). */
const TOTAL_NAMED_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

let processRegistry: Registry | undefined;

/**
 * prom-client's process and Node metrics (`process_*`, `nodejs_*`) and `grove_jobs_build_info`:
 * made once per process, because they describe the process, not a system, and each
 * collectDefaultMetrics call sets up its own event-loop and GC observers.
 */
function processMetrics(): Registry {
  if (processRegistry) return processRegistry;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Gauges named like counters, which `promtool check metrics` rejects; each is the sum of the
  // gauge of the same name without `_total`, by type, which stays.
  for (const name of TOTAL_NAMED_GAUGES) registry.removeSingleMetric(name);
  new Gauge({
    name: 'grove_jobs_build_info',
    help: 'Always 1; the version label names the grove-jobs release this process runs',
    labelNames: ['version'] as const,
    registers: [registry],
  }).set({ version: packageVersion() }, 1);
  processRegistry = registry;
  return registry;
}

/**
 * The registry `/metrics` serves, in `serve` and in `worker --metrics-port` alike: the process's
 * own metrics (see processMetrics) and these, from the system's events and the database:
 * - `grove_jobs_executions_finished_total{job_type,status}`: executions this process ended;
 * - `grove_jobs_executions_active{job_type,status}`: queued and running executions across all
 *   processes, read from the database at scrape;
 * - `grove_jobs_execution_duration_seconds{job_type,status}`: run lengths of those ended here;
 * - `grove_jobs_slot_start_lag_seconds{job_type}`: scheduled slot to the start of its first
 *   attempt (a retry's wait is not lag: it is the retry policy at work);
 * - `grove_jobs_retry_delay_seconds{job_type}`: a failed attempt's end to the start of its
 *   automatic retry (the backoff plus any wait for a worker);
 * - `grove_jobs_queue_depth`: queued executions, all processes (due or not);
 * - `grove_jobs_busy_workers`: worker places of this process running a handler now, and
 *   `grove_jobs_worker_places`: its workers' places in all;
 * - `grove_jobs_database_up`: 1 when the scrape's database read answered.
 */
export function metricsRegistry(deps: { system: ApiSystem } & MetricsOptions): { registry: Registry; scrape(): Promise<string> } {
  const { system, places } = deps;
  const own = new Registry();

  const finished = new Counter({
    name: 'grove_jobs_executions_finished_total',
    help: 'Executions this process ended, by job type and final status',
    labelNames: ['job_type', 'status'] as const,
    registers: [own],
  });
  const duration = new Histogram({
    name: 'grove_jobs_execution_duration_seconds',
    help: 'How long executions ended by this process ran, in seconds',
    labelNames: ['job_type', 'status'] as const,
    buckets: DURATION_BUCKETS,
    registers: [own],
  });
  const lag = new Histogram({
    name: 'grove_jobs_slot_start_lag_seconds',
    help: 'From a scheduled slot to the start of its first attempt, in seconds',
    labelNames: ['job_type'] as const,
    buckets: LAG_BUCKETS,
    registers: [own],
  });
  const retryDelay = new Histogram({
    name: 'grove_jobs_retry_delay_seconds',
    help: "From a failed attempt's end to the start of its automatic retry, in seconds",
    labelNames: ['job_type'] as const,
    buckets: RETRY_DELAY_BUCKETS,
    registers: [own],
  });
  new Gauge({
    name: 'grove_jobs_busy_workers',
    help: "Places of this process's workers running an execution's handler now",
    registers: [own],
    collect() {
      this.set(places?.().busy ?? 0);
    },
  });
  new Gauge({
    name: 'grove_jobs_worker_places',
    help: "Places of this process's workers in all (the sum of their concurrency)",
    registers: [own],
    collect() {
      this.set(places?.().total ?? 0);
    },
  });
  const active = new Gauge({
    name: 'grove_jobs_executions_active',
    help: 'Queued and running executions across all processes, by job type and status (read at scrape)',
    labelNames: ['job_type', 'status'] as const,
    registers: [own],
  });
  const queueDepth = new Gauge({ name: 'grove_jobs_queue_depth', help: 'Queued executions across all processes (read at scrape)', registers: [own] });
  const databaseUp = new Gauge({ name: 'grove_jobs_database_up', help: '1 when the database answered the scrape, else 0', registers: [own] });

  system.events.on('execution:started', (execution) => {
    if (!execution.startedAt) return;
    const labels = { job_type: execution.config.payload.jobType };
    if (execution.attempt > 1) {
      // An automatic retry is queued when the attempt before it fails.
      retryDelay.observe(labels, Math.max(0, execution.startedAt.getTime() - execution.queuedAt.getTime()) / 1000);
    } else if (execution.slot && execution.trigger === 'schedule') {
      // First attempts of scheduled slots only: a manual retry of a slot keeps the slot but
      // starts whenever someone asks for it.
      lag.observe(labels, Math.max(0, execution.startedAt.getTime() - execution.slot.getTime()) / 1000);
    }
  });
  system.events.on('execution:finished', (execution) => {
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

  const registry = Registry.merge([processMetrics(), own]);
  return {
    registry,
    async scrape() {
      await readDatabase();
      return registry.metrics();
    },
  };
}

/** `GET /metrics` (no auth): the Prometheus text of metricsRegistry. */
export function metricsRoute(deps: { system: ApiSystem } & MetricsOptions): Hono {
  const { registry, scrape } = metricsRegistry(deps);
  const app = new Hono();
  app.get('/metrics', async (c) => {
    const text = await scrape();
    c.header('Content-Type', registry.contentType);
    return c.body(text, 200);
  });
  return app;
}
