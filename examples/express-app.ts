// The same application in Express: Grove Jobs' API under /jobs.
//   DATABASE_URL=postgres://… PORT=3000 npx tsx examples/express-app.ts
import express from 'express';
import { z } from 'zod';
import { defineJobType, startGroveJobs } from 'grove-jobs';

const sendReport = defineJobType({
  name: 'send-report',
  description: 'Sends the daily report',
  parameters: z.strictObject({ recipients: z.array(z.email()).default([]) }),
  execute: async () => ({ summary: 'sent' }),
});

const jobs = await startGroveJobs({
  connectionString: process.env['DATABASE_URL'],
  jobTypes: [sendReport],
  configs: [{ meta: { id: 'daily-report' }, payload: { jobType: 'send-report', schedule: { cronExpression: '0 7 * * *' } } }],
});

const app = express();
app.get('/', (_request, response) => void response.send('my app'));
app.use('/jobs', jobs.http({ caller: (request) => (request.headers.get('x-user') ? { role: 'operator', name: request.headers.get('x-user') ?? '' } : undefined) }).listener);

const server = app.listen(Number(process.env['PORT'] ?? 3000), '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${(server.address() as { port: number }).port}`));
process.once('SIGTERM', () => server.close(() => void jobs.close()));
