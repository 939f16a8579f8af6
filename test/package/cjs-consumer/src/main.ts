// A CommonJS application embedding Grove Jobs (compiled to require()): defines a job type,
// declares two configs in code (applied at each start: the same declarations again store
// nothing), runs one against PostgreSQL (DATABASE_URL) in Grove Jobs' own schema, mounts the
// API in its Express app, and prints what happened as one JSON line.
import { defineJobType, type JobConfigInputFor, startGroveJobs } from 'grove-jobs';
// How a CommonJS module without esModuleInterop imports a CommonJS package.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import express = require('express');
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

const greet = defineJobType({
  name: 'greet',
  description: 'Greets someone, a number of times.',
  parameters: z.object({ name: z.string().min(1), times: z.int().min(1).default(2) }),
  async execute({ parameters, log, progress }) {
    // Inferred from the schema: `times` is a number (its default applied), and a typo fails tsc.
    const times: number = parameters.times;
    // @ts-expect-error no such parameter
    void parameters.nmae;
    for (let i = 1; i <= times; i += 1) progress({ total: times, processed: i, succeeded: i, failed: 0 });
    log('info', `hello ${parameters.name}`);
    return { summary: `greeted ${parameters.name} ${times} times` };
  },
});

const configs: Array<JobConfigInputFor<typeof greet>> = [
  { meta: { id: 'greet-cjs' }, payload: { jobType: 'greet', parameters: { name: 'CJS' }, schedule: { cronExpression: '0 3 * * *' } } },
  { meta: { id: 'greet-weekly' }, payload: { jobType: 'greet', parameters: { name: 'week', times: 3 }, schedule: { cronExpression: '0 9 * * MON', timezone: 'Europe/Berlin' } } },
];
// @ts-expect-error batchSize is a number
export const typo: JobConfigInputFor<typeof greet> = { meta: { id: 'x' }, payload: { jobType: 'greet', parameters: { name: 'x' }, limits: { batchSize: 'fifty' } } };

async function main(): Promise<void> {
  const jobs = await startGroveJobs({ connectionString: process.env['DATABASE_URL'], jobTypes: [greet], configs, scheduler: false, worker: { concurrency: 1 } });
  try {
    const finished = jobs.events.waitFor('execution:finished', (execution) => execution.configId === 'greet-cjs');
    await jobs.executions.trigger('greet-cjs', { requestedBy: 'cjs-consumer' });
    const execution = await finished;

    const app = express();
    app.use('/jobs', jobs.http({ caller: (request) => (request.headers.get('x-user') ? { role: 'viewer', name: 'cjs' } : undefined) }).listener);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    let api: string[];
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jobs/api/jobs`, { headers: { 'x-user': 'cjs' } });
      api = ((await response.json()) as { items: Array<{ meta: { id: string } }> }).items.map((job) => job.meta.id).sort();
    } finally {
      server.close();
    }

    console.log(
      JSON.stringify({
        applied: jobs.applied.map((r) => [r.id, r.outcome, r.version]),
        status: execution.status,
        summary: execution.summary,
        items: execution.items,
        api,
      }),
    );
  } finally {
    await jobs.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
