// An application that runs its jobs with Grove Jobs and serves its API under /jobs, in Hono.
//   DATABASE_URL=postgres://… PORT=3000 npx tsx examples/hono-app.ts
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { z } from 'zod';
import { defineJobType, startGroveJobs } from 'grove-jobs';

const sendReport = defineJobType({
  name: 'send-report',
  description: 'Sends the daily report',
  parameters: z.strictObject({ recipients: z.array(z.email()).default([]) }),
  execute: async ({ parameters, log }) => {
    log('info', `sending the report to ${parameters.recipients.length} recipients`);
    return { summary: 'sent' };
  },
});

const jobs = await startGroveJobs({
  connectionString: process.env['DATABASE_URL'],
  jobTypes: [sendReport],
  configs: [{ meta: { id: 'daily-report' }, payload: { jobType: 'send-report', schedule: { cronExpression: '0 7 * * *', timezone: 'Europe/Berlin' } } }],
});

const app = new Hono();
app.get('/', (c) => c.text('my app'));
// Signed-in users of the app (here: a header, for the example) are operators of its jobs.
app.mount('/jobs', jobs.http({ caller: (request) => (request.headers.get('x-user') ? { role: 'operator', name: request.headers.get('x-user') ?? '' } : undefined) }).fetch);

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env['PORT'] ?? 3000) }, (info) => console.log(`listening on http://127.0.0.1:${info.port}`));
process.once('SIGTERM', () => server.close(() => void jobs.close()));
