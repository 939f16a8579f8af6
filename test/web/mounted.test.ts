// The console mounted under a path prefix by an application, in Debian's Chromium: a Hono app
// mounts Grove Jobs at /jobs (the way the README's "Use it as a library" shows), its own
// authentication lets every request in, and the console finds its assets, its API and its pages
// under /jobs. Runs against the built console (web/dist): run `npm run build` first.
import { type ServerType, serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJobType, type EmbeddedGroveJobs, type JobConfigInputFor, startGroveJobs } from '../../src/index.js';
import { assertPostgresReachable, testDatabase } from '../support/test-store.js';
import { CHROMIUM, chromiumAvailable, STATE_TIMEOUT_MS } from './support.js';

const sendReport = defineJobType({
  name: 'send-report',
  description: 'Sends the daily report',
  parameters: z.strictObject({ recipients: z.array(z.string()).default([]) }),
  execute: async ({ parameters }) => ({ summary: 'sent', items: { processed: parameters.recipients.length, succeeded: parameters.recipients.length } }),
});

const configs = [
  { meta: { id: 'daily-report', title: 'Daily report' }, payload: { jobType: 'send-report', schedule: { cronExpression: '0 7 * * *', timezone: 'Europe/Berlin' } } },
  { meta: { id: 'weekly-report', title: 'Weekly report' }, payload: { jobType: 'send-report', schedule: { cronExpression: '0 7 * * MON' } } },
] satisfies Array<JobConfigInputFor<typeof sendReport>>;

const available = chromiumAvailable();

describe.skipIf(!available)('the console mounted under a path prefix', () => {
  const database = testDatabase('grove_mounted');
  let jobs: EmbeddedGroveJobs | undefined;
  let server: ServerType | undefined;
  let browser: Browser | undefined;
  let origin = '';

  beforeAll(async () => {
    await assertPostgresReachable();
    await database.create();
    jobs = await startGroveJobs({ connectionString: database.url, jobTypes: [sendReport], configs, scheduler: false, worker: false });
    // The app's session, reduced for the test: everyone is a signed-in operator, no token needed.
    const http = jobs.http({ console: true, basePath: '/jobs', caller: () => ({ role: 'operator', name: 'app-user' }) });
    const app = new Hono();
    app.get('/', (c) => c.text('the app'));
    app.mount('/jobs', http.fetch);
    const listening = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
    server = listening;
    await new Promise((resolve) => listening.once('listening', resolve));
    origin = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    // The console's event stream stays open until its connection is closed.
    if (server && 'closeAllConnections' in server) server.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await jobs?.close();
    await database.drop();
  }, 60_000);

  it('shows the grid, opens a job by its link and reloads there, every request under the prefix', async () => {
    if (!browser || !jobs) throw new Error('the app did not start (see the first error)');
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    const page = await context.newPage();
    page.setDefaultTimeout(STATE_TIMEOUT_MS);
    const errors: string[] = [];
    const outside: string[] = [];
    const failed: string[] = [];
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()}`);
    });
    page.on('request', (request) => {
      if (!request.url().startsWith(`${origin}/jobs/`)) outside.push(request.url());
    });
    page.on('response', (response) => {
      if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
    });

    await page.goto(`${origin}/jobs/`);
    const daily = page.locator('article[data-job-id="daily-report"]');
    await daily.waitFor();
    await page.locator('article[data-job-id="weekly-report"]').waitFor();
    // Signed in by the app's own authentication: no token asked for, none to sign out of.
    expect(await page.locator('.who').textContent()).toContain('app-user');
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);

    // A real link: its address is the job's page under the prefix (it opens in a new tab too).
    const link = daily.getByRole('link', { name: 'Daily report' });
    expect(await link.getAttribute('href')).toBe('jobs/daily-report');
    expect(await link.evaluate((a) => (a as unknown as { href: string }).href)).toBe(`${origin}/jobs/jobs/daily-report`);
    await link.click();
    await page.waitForURL(`${origin}/jobs/jobs/daily-report`);
    await page.locator('#editor-heading', { hasText: 'Daily report' }).waitFor();

    // The address itself answers with the console, which opens the same job.
    await page.reload();
    await page.locator('#editor-heading', { hasText: 'Daily report' }).waitFor();

    // The Execution Status tab loads its own chunk and reads the runs through the prefix too.
    const { execution } = await jobs.executions.trigger('daily-report', { requestedBy: 'test' });
    await page.getByRole('tab', { name: 'Execution Status' }).click();
    await page.waitForURL(`${origin}/jobs/jobs/daily-report?tab=status`);
    await page.locator(`#panel-status li[data-execution-id="${execution.id}"]`).waitFor();

    // Back to the grid through the console's own link.
    await page.getByRole('link', { name: '← All jobs' }).click();
    await page.waitForURL(`${origin}/jobs/`);
    await daily.waitFor();

    expect(outside).toEqual([]);
    expect(failed).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('leaves the app’s own root alone', async () => {
    expect(await (await fetch(`${origin}/`)).text()).toBe('the app');
  });
});
