// `/metrics` of `worker --metrics-port` and of `serve`: the same registry, scraped from the
// built CLI's processes, checked by promtool. Needs the build (dist/).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliProcess, exited, startCliProcess, type CliProcess } from '../support/cli.js';
import { checkMetrics, PROMTOOL_MISSING, promtoolAvailable } from '../support/promtool.js';

const READY = 'Press Ctrl-C to stop.';
const promtool = promtoolAvailable();
const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** An embedded store of its own, and no environment that would change what the process does. */
function freshEnv(): { env: Record<string, string | undefined>; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'grove-metrics-'));
  return { dir, env: { DATABASE_URL: undefined, GROVE_JOBS_DATA_DIR: dir, GROVE_JOBS_ADMIN_TOKEN: undefined, GROVE_JOBS_PORT: undefined, GROVE_JOBS_LOG_LEVEL: undefined, LOG_LEVEL: undefined } };
}

/** `name{labels} value` of a scrape, as a number (undefined when absent). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** What both processes' scrapes hold: the grove metrics, the process's and Node's, the build. */
function expectProcessRegistry(text: string): void {
  expect(sample(text, `grove_jobs_build_info{version="${version}"}`)).toBe(1);
  expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
  expect(text).toMatch(/^process_resident_memory_bytes \d/m);
  expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
  expect(text).toMatch(/^nodejs_version_info\{/m);
  for (const name of ['grove_jobs_executions_finished_total', 'grove_jobs_execution_duration_seconds', 'grove_jobs_slot_start_lag_seconds', 'grove_jobs_retry_delay_seconds', 'grove_jobs_busy_workers', 'grove_jobs_worker_places', 'grove_jobs_executions_active', 'grove_jobs_queue_depth', 'grove_jobs_database_up']) {
    expect(text, name).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
  }
  expect(sample(text, 'grove_jobs_database_up')).toBe(1);
}

describe('worker --metrics-port', () => {
  const { env, dir } = freshEnv();
  let worker: CliProcess;
  let url: string;

  beforeAll(async () => {
    worker = await startCliProcess(['worker', '--metrics-port', '0', '--concurrency', '3'], env, READY);
    const found = /Metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(worker.stdout());
    if (!found?.[1]) throw new Error(`no metrics address in:\n${worker.output()}`);
    url = found[1];
  }, 60_000);
  afterAll(async () => {
    worker?.child.kill('SIGTERM');
    if (worker) expect(await exited(worker.child)).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves the same registry as serve, with this process's places and the executions its worker ended", async () => {
    const before = await scrape(url);
    expectProcessRegistry(before);
    expect(sample(before, 'grove_jobs_worker_places')).toBe(3);
    expect(sample(before, 'grove_jobs_busy_workers')).toBe(0);

    // A run queued by another command (through the worker's embedded store) is counted by the worker that ran it.
    const queued = await cliProcess(['run', 'health-check', '--queue', '--json'], env);
    expect(queued.code, queued.stderr).toBe(0);
    let text = before;
    for (let tries = 0; tries < 300 && !/^grove_jobs_executions_finished_total\{job_type="health-check",/m.test(text); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      text = await scrape(url);
    }
    expect(text).toMatch(/^grove_jobs_executions_finished_total\{job_type="health-check",status="\w+"\} 1$/m);
    expect(text).toMatch(/^grove_jobs_execution_duration_seconds_count\{job_type="health-check",status="\w+"\} 1$/m);
    // A manual run has no slot: no lag.
    expect(text).not.toMatch(/^grove_jobs_slot_start_lag_seconds_count\{job_type="health-check"\}/m);
    expect((await fetch(url.replace(/\/metrics$/, '/api/jobs'))).status).toBe(404);
  }, 60_000);

  it('passes promtool check metrics', async (context) => {
    if (!promtool) context.skip(PROMTOOL_MISSING);
    expect(checkMetrics(await scrape(url))).toEqual({ code: 0, output: '' });
  });
});

describe('serve /metrics', () => {
  const { env, dir } = freshEnv();
  let server: CliProcess;
  let url: string;

  beforeAll(async () => {
    server = await startCliProcess(['serve', '--port', '0', '--no-demo', '--concurrency', '2'], env, READY);
    const found = /API: (http:\/\/127\.0\.0\.1:\d+)\/api/.exec(server.stdout());
    if (!found?.[1]) throw new Error(`no API address in:\n${server.output()}`);
    url = `${found[1]}/metrics`;
  }, 60_000);
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    if (server) expect(await exited(server.child)).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves the grove metrics with the process's and Node's, the build's version and its worker's places", async () => {
    const text = await scrape(url);
    expectProcessRegistry(text);
    expect(sample(text, 'grove_jobs_worker_places')).toBe(2);
  });

  it('passes promtool check metrics', async (context) => {
    if (!promtool) context.skip(PROMTOOL_MISSING);
    expect(checkMetrics(await scrape(url))).toEqual({ code: 0, output: '' });
  });
});

describe('worker --metrics-port refusals', () => {
  it('refuses a port that is not a number before opening any store', async () => {
    const refused = await cliProcess(['worker', '--metrics-port', 'nine', '--no-log-pretty'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--metrics-port: 'nine' must be a whole number from 0 to 65535");
  });
});
