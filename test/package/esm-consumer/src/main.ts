// An ESM application embedding Grove Jobs: defines a job type, runs it once against PostgreSQL
// (DATABASE_URL) and prints the execution as one JSON line.
import { defineJobType, openGroveJobs } from 'grove-jobs';
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

const grove = await openGroveJobs({ env: { DATABASE_URL: process.env['DATABASE_URL'] }, jobTypes: [greet] });
try {
  await grove.configs.create(
    { meta: { id: 'greet-esm' }, payload: { jobType: 'greet', parameters: { name: 'ESM' }, schedule: { cronExpression: '0 3 * * *' } } },
    { actor: 'esm-consumer' },
  );
  await grove.startWorker({ concurrency: 1 });
  const finished = grove.events.waitFor('execution:finished', (execution) => execution.configId === 'greet-esm');
  await grove.executions.trigger('greet-esm', { requestedBy: 'esm-consumer' });
  const execution = await finished;
  console.log(JSON.stringify({ status: execution.status, summary: execution.summary, items: execution.items }));
} finally {
  await grove.close();
}
