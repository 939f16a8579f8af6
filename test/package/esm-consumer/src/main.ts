// An ESM application embedding Grove Jobs: defines a job type, declares two configs in code
// (applied at each start: the same declarations again store nothing), runs one against
// PostgreSQL (DATABASE_URL) in Grove Jobs' own schema, mounts the API in its Hono app, and
// prints what happened as one JSON line.
import { defineJobType, type JobConfigInputFor, startGroveJobs } from 'grove-jobs';
import { Hono } from 'hono';
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
  { meta: { id: 'greet-esm' }, payload: { jobType: 'greet', parameters: { name: 'ESM' }, schedule: { cronExpression: '0 3 * * *' } } },
  { meta: { id: 'greet-weekly' }, payload: { jobType: 'greet', parameters: { name: 'week', times: 3 }, schedule: { cronExpression: '0 9 * * MON', timezone: 'Europe/Berlin' } } },
];
// @ts-expect-error a misspelled schedule field fails tsc
export const typo: JobConfigInputFor<typeof greet> = { meta: { id: 'x' }, payload: { jobType: 'greet', parameters: { name: 'x' }, schedule: { cronExpresion: '0 3 * * *' } } };

const jobs = await startGroveJobs({ connectionString: process.env['DATABASE_URL'], jobTypes: [greet], configs, scheduler: false, worker: { concurrency: 1 } });
try {
  const finished = jobs.events.waitFor('execution:finished', (execution) => execution.configId === 'greet-esm');
  await jobs.executions.trigger('greet-esm', { requestedBy: 'esm-consumer' });
  const execution = await finished;

  const app = new Hono();
  app.mount('/jobs', jobs.http({ caller: (request) => (request.headers.get('x-user') ? { role: 'viewer', name: 'esm' } : undefined) }).fetch);
  const listed = (await (await app.request('/jobs/api/jobs', { headers: { 'x-user': 'esm' } })).json()) as { items: Array<{ meta: { id: string } }> };

  console.log(
    JSON.stringify({
      applied: jobs.applied.map((r) => [r.id, r.outcome, r.version]),
      status: execution.status,
      summary: execution.summary,
      items: execution.items,
      api: listed.items.map((job) => job.meta.id).sort(),
    }),
  );
} finally {
  await jobs.close();
}
