// The examples/ applications type-check and run: each starts against a database of its own,
// serves its own page and Grove Jobs' API under /jobs (its users are operators), and stops on
// SIGTERM. They import the package by its name, which resolves to this checkout's dist/.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, runProcess } from '../support/cli.js';
import { assertPostgresReachable, testDatabase } from '../support/test-store.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const TSC = fileURLToPath(new URL('../../node_modules/.bin/tsc', import.meta.url));

describe('the examples', () => {
  const database = testDatabase('grove_examples');
  beforeAll(async () => {
    await assertPostgresReachable();
    await database.create();
  });
  afterAll(() => database.drop());

  it('type-check under strict settings', async () => {
    const checked = await runProcess(TSC, ['-p', 'examples/tsconfig.json'], { cwd: root });
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
  }, 60_000);

  it.each(['hono-app.ts', 'express-app.ts'])('%s serves its page and the jobs API, and stops on SIGTERM', async (file) => {
    const child = spawn(TSX, [`examples/${file}`], { cwd: root, env: { ...process.env, DATABASE_URL: database.url, PORT: '0' } });
    let output = '';
    const listening = new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (match?.[1]) resolve(match[1]);
      });
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => reject(new Error(`${file} exited with ${code}:\n${output}`)));
    });
    try {
      const base = await listening;
      expect(await (await fetch(base)).text()).toBe('my app');
      const job = await fetch(`${base}/jobs/api/jobs/daily-report`, { headers: { 'x-user': 'ana' } });
      expect(job.status, output).toBe(200);
      expect(((await job.json()) as { payload: { schedule: { isEnabled: boolean } } }).payload.schedule.isEnabled).toBe(true);
      expect((await fetch(`${base}/jobs/api/jobs`)).status).toBe(401);
    } finally {
      child.kill('SIGTERM');
      await exited(child);
    }
  }, 120_000);
});
