// New jobs from the console, in Debian's Chromium against `grove-jobs serve` on a fresh data
// folder, at desktop (1440 × 900) and phone (390 × 844) sizes: every job type can be created, the
// form asks for what the type has no default for, a new job is switched off, and a refusal names
// its field once. Run `npm run build` first (dist/ and web/dist/).
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, type ConsolePage, useConsole } from './support.js';

interface Job {
  meta: { id: string };
  payload: { jobType: string; schedule: { cronExpression: string; timezone: string; isEnabled: boolean }; parameters: Record<string, unknown> };
  nextRuns: string[];
  status: string;
}

const TEST_TIMEOUT_MS = 180_000;
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const NO_SIDEWAYS_SCROLL = 'document.documentElement.scrollWidth <= innerWidth';
const available = chromiumAvailable();

describe.skipIf(!available)('new jobs from the console', () => {
  const h = useConsole();

  async function open(path: string, size = DESKTOP): Promise<ConsolePage> {
    const opened = await h.open(path);
    await opened.page.setViewportSize(size);
    return opened;
  }

  it('creates a job of every type, switched off, asking only for what the type has no default for', async () => {
    const { items: types } = await h.api<{ items: Array<{ name: string }> }>('GET', '/api/job-types');
    expect(types.length).toBeGreaterThanOrEqual(6);
    const { page, errors } = await open('/');
    for (const { name } of types) {
      await page.getByLabel('New job of type').selectOption(name);
      await page.getByRole('button', { name: 'New job' }).click();
      await page.getByRole('heading', { name: 'New job' }).waitFor();
      await page.getByLabel('Title').fill(`Console ${name}`);
      const asksCron = ['http-request', 'signal-aggregation', 'sql', 'command'].includes(name);
      // The form settles once the type's defaults are read: wait for it rather than count at once.
      await expect.poll(() => page.getByLabel('Cron expression').count(), { message: name }).toBe(asksCron ? 1 : 0);
      await expect.poll(() => page.getByLabel('Url').count(), { message: name }).toBe(name === 'http-request' ? 1 : 0);
      if (asksCron) {
        // Without a cron expression the job cannot be created, and the form says what is missing.
        expect(await page.getByRole('button', { name: 'Create job' }).isDisabled(), name).toBe(true);
        await page.getByText(/^Still needed: a cron expression/).waitFor();
        await page.getByLabel('Cron expression').fill('0 4 * * 1-5');
        await page.getByRole('list', { name: 'Next runs' }).waitFor();
      }
      if (name === 'http-request') await page.getByLabel('Url').fill('https://example.com/hook');
      if (name === 'sql') await page.getByLabel('Statement').fill('select 1');
      await page.getByRole('button', { name: 'Create job' }).click();
      if (name === 'command') {
        // This server runs no commands (no --allow-commands): the form says so, and nothing is created.
        await page.getByText(/--allow-commands/).first().waitFor();
        const { items } = await h.api<{ items: Array<{ meta: { id: string } }> }>('GET', '/api/jobs');
        expect(items.map((item) => item.meta.id)).not.toContain(`console-${name}`);
        await page.goto(`${h.base}/`);
        continue;
      }
      await page.getByRole('heading', { name: `Console ${name}` }).waitFor();
      const job = await h.api<Job>('GET', `/api/jobs/console-${name}`);
      expect(job.payload.jobType).toBe(name);
      expect(job.payload.schedule.isEnabled, name).toBe(false);
      expect(job.nextRuns, name).toEqual([]);
      if (asksCron) expect(job.payload.schedule.cronExpression).toBe('0 4 * * 1-5');
      if (name === 'http-request') expect(job.payload.parameters['url']).toBe('https://example.com/hook');
      await page.getByText(/^Next: not scheduled/).waitFor();
      await page.getByRole('link', { name: '← All jobs' }).click();
      await page.locator(`article[data-job-id="console-${name}"]`).getByText('Next: not scheduled (disabled)').waitFor();
    }
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it("shows a refusal at its field, naming the field once, and a cron expression's reading as it is typed", async () => {
    const { page, errors } = await open('/jobs/new?type=http-request');
    await page.getByLabel('Title').fill('Partner ping');
    await page.getByLabel('Cron expression').fill('every day');
    await page.locator('[data-path="payload.schedule.cronExpression"] .field-error').waitFor();
    expect(await page.getByRole('button', { name: 'Create job' }).isDisabled()).toBe(true);
    await page.getByLabel('Cron expression').fill('*/10 * * * *');
    await page.getByText('Every 10 minutes', { exact: false }).waitFor();
    // A URL the browser takes but the server refuses: the server's message shows at the Url field.
    await page.getByLabel('Url').fill('https://user:pw@example.com/hook');
    await page.getByRole('button', { name: 'Create job' }).click();
    const refusal = page.locator('[data-path="payload.parameters.url"] .field-error');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/^must not contain user:password/);
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text.split('must not contain user:password')).toHaveLength(2);
    expect(text).not.toContain('payload.parameters.url');
    expect(text).not.toContain('CONFIG_INVALID');

    // A taken id: told at the Id field, once.
    await page.getByLabel('Url').fill('https://example.com/hook');
    await page.getByLabel('Id', { exact: true }).fill('advancement-batch');
    await page.getByRole('button', { name: 'Create job' }).click();
    const taken = page.locator('[data-path="meta.id"] .field-error');
    await taken.getByText(/already exists/).waitFor();
    const shown = (await page.locator('main').textContent()) ?? '';
    expect(shown.split('already exists')).toHaveLength(2);
    expect(shown).not.toContain('meta.id');
    expect((await h.api<Job>('GET', '/api/jobs/advancement-batch')).payload.jobType).toBe('advancement-batch');
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('fits a phone: the schedule and parameters of an http-request job are filled in and it is created switched off', async () => {
    const { page, errors } = await open('/jobs/new?type=http-request', PHONE);
    await page.getByLabel('Title').fill('Phone hook');
    await page.getByLabel('Cron expression').fill('30 6 * * *');
    await page.getByRole('list', { name: 'Next runs' }).waitFor();
    await page.getByLabel('Url').fill('https://example.com/phone');
    expect(await page.evaluate(NO_SIDEWAYS_SCROLL)).toBe(true);
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByRole('heading', { name: 'Phone hook' }).waitFor();
    const job = await h.api<Job>('GET', '/api/jobs/phone-hook');
    expect(job.payload.schedule).toMatchObject({ cronExpression: '30 6 * * *', timezone: 'UTC', isEnabled: false });
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);
});
