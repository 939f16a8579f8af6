/**
 * HTTP API figures (issue 6): with 1,000 configs on PostgreSQL, GET /api/jobs and
 * GET /api/jobs/{id} requests/second and p50/p99 latency at 50 connections, POST
 * /api/jobs/{id}/run throughput, and POST /api/sprout-events events/second in batches of
 * 1,000 (when the Grove routes are mounted). autocannon on 127.0.0.1, fixed durations; the
 * bench creates its own database and drops it afterwards. Run: npx tsx bench/api.bench.ts
 */
import autocannon from 'autocannon';
import pg from 'pg';
import { openGroveJobs } from '../src/open.js';
import { createApiToken } from '../src/first-start.js';
import { serve } from '../src/server.js';

const SERVER = process.env['DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';
const CONFIGS = 1000;
const CONNECTIONS = 50;
const SECONDS = 8;
const database = `grove_api_bench_${process.pid}`;

function url(db: string): string {
  const parsed = new URL(SERVER);
  parsed.pathname = `/${db}`;
  return parsed.toString();
}

async function load(name: string, options: autocannon.Options): Promise<autocannon.Result> {
  // The load runs in a worker thread, so the server's event loop has this one to itself.
  const result = await autocannon({ connections: CONNECTIONS, duration: SECONDS, workers: 1, ...options });
  const errors = result.non2xx + result.errors;
  console.log(`${name.padEnd(34)} ${result.requests.average.toFixed(0).padStart(7)} req/s  p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms${errors ? `  (${errors} errors/non-2xx)` : ''}`);
  return result;
}

const admin = new pg.Client({ connectionString: SERVER });
await admin.connect();
await admin.query(`create database ${database}`);
try {
  const system = await openGroveJobs({ env: { DATABASE_URL: url(database) }, notifier: { notify: () => undefined, flush: async () => undefined } });
  try {
    for (let i = 0; i < CONFIGS; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, CONFIGS - i) }, (_, k) =>
          system.configs.create(
            { meta: { id: `bench-${String(i + k).padStart(4, '0')}` }, payload: { jobType: 'http-request', schedule: { cronExpression: `${(i + k) % 60} * * * *` }, parameters: { url: 'http://127.0.0.1:9/' } } },
            { actor: 'bench' },
          ),
        ),
      );
    }
    const { token } = await createApiToken(system, { role: 'operator', name: 'bench' });
    const server = await serve(system, { host: '127.0.0.1', port: 0 });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    console.log(`API bench: ${CONFIGS} configs on PostgreSQL, ${CONNECTIONS} connections, ${SECONDS} s per run (no worker: runs stay queued)`);
    try {
      // As a browser asks: with Accept-Encoding (the list is sent compressed).
      await load('GET /api/jobs', { url: `${server.url}/api/jobs`, headers: { ...headers, 'accept-encoding': 'gzip, deflate, br' } });
      await load('GET /api/jobs/{id}', { url: `${server.url}/api/jobs/bench-0500`, headers });
      await load('POST /api/jobs/{id}/run', { url: `${server.url}/api/jobs/bench-0001/run`, method: 'POST', headers, body: '{}' });
      const probe = await fetch(`${server.url}/api/sprout-events`, { method: 'POST', headers, body: JSON.stringify({ events: [] }) });
      if (probe.status === 404) {
        console.log('POST /api/sprout-events: not mounted in this build (skipped)');
      } else {
        await system.grove.sprouts.importSprouts(Array.from({ length: 100 }, (_, i) => ({ id: `s-${i}`, title: `Sprout ${i}`, tier: 'seed' })));
        const at = new Date(Date.now() - 3_600_000).toISOString();
        const events = Array.from({ length: 1000 }, (_, i) => ({ eventType: 'viewed', sproutId: `s-${i % 100}`, sessionId: `b-${i}`, createdAt: at }));
        const result = await load('POST /api/sprout-events (x1000)', { url: `${server.url}/api/sprout-events`, method: 'POST', headers, body: JSON.stringify({ events }), connections: 4 });
        console.log(`  = ${(result.requests.average * 1000).toFixed(0)} events/s`);
      }
    } finally {
      await server.close();
    }
  } finally {
    await system.close({ graceMs: 0 });
  }
} finally {
  await admin.query(`drop database if exists ${database} with (force)`);
  await admin.end();
}
