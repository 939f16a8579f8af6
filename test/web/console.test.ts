// The operator console in Debian's Chromium against `grove-jobs serve` on a fresh data folder:
// the user stories of seeds/001 on the job grid and the editor's Configuration tab.
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, type ConsolePage, createToken, inputValueIs, until, useConsole } from './support.js';

interface Job {
  meta: { id: string; version: number };
  payload: { schedule: { cronExpression: string; isEnabled: boolean }; limits: { batchSize: number } };
  status: string;
  nextRuns: string[];
  lastExecution: { id: string; status: string } | null;
}

const TEST_TIMEOUT_MS = 180_000;

// Code run in the page is written as text: the test program is type-checked without the DOM library.
const FORM_COLUMNS = "getComputedStyle(document.querySelector('.form-grid')).gridTemplateColumns.split(' ').length";
/** Visible controls under <main> smaller than 44 px (a checkbox counts its label), without a label, or out of the tab order. */
const CONTROL_PROBLEMS = `(() => {
  const found = [];
  for (const el of document.querySelectorAll('main button, main a, main input, main select, main textarea')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    const check = el.tagName === 'INPUT' && (el.type === 'checkbox' || el.type === 'radio');
    const height = check ? (el.closest('label')?.getBoundingClientRect().height ?? 0) : box.height;
    if (height < 44) found.push('small: ' + el.outerHTML.slice(0, 60));
    const control = ['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName);
    if (control && el.labels.length === 0 && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')) found.push('unlabelled: ' + el.outerHTML.slice(0, 60));
    if (el.tabIndex < 0 && el.getAttribute('role') !== 'tab') found.push('not focusable: ' + el.outerHTML.slice(0, 60));
  }
  return found;
})()`;
const available = chromiumAvailable();

describe.skipIf(!available)('the operator console', () => {
  const h = useConsole();

  async function open(path = '/', token?: string): Promise<ConsolePage> {
    return h.open(path, token);
  }

  const card = (page: ConsolePage['page'], id: string) => page.locator(`article[data-job-id="${id}"]`);
  const field = (page: ConsolePage['page'], path: string) => page.locator(`[data-path="${path}"]`);

  it('signs in from the address, forgets the fragment, and shows one card per config with counts', async () => {
    const { page, errors } = await open();
    const advancement = card(page, 'advancement-batch');
    await advancement.getByText(/^Next: (Today|Tomorrow) 2:00 AM UTC$/).waitFor();
    // index.html sent the first reads while the bundle loaded, and the app took their answers
    // instead of asking again (read as soon as the grid shows, before any reload).
    const firstReads = (await page.evaluate("performance.getEntriesByType('resource').map((entry) => entry.name.replace(location.origin, ''))")) as string[];
    expect(firstReads.filter((read) => read === '/api/me')).toHaveLength(1);
    expect(firstReads.filter((read) => read === '/api/jobs?sort=title&limit=200')).toHaveLength(1);
    expect(page.url()).not.toContain('token=');
    expect(await page.evaluate("window.localStorage.getItem('grove-jobs.token')")).toBe(h.token);
    expect(await advancement.locator('.badge').textContent()).toBe('Healthy');
    expect(await advancement.textContent()).toContain('Batch 100');
    expect(await advancement.textContent()).not.toContain('0 2 * * *');
    const list = await h.api<{ total: number; enabledCount: number }>('GET', '/api/jobs');
    await page.locator('[data-count="enabled"]').getByText(`${list.enabledCount} enabled`).waitFor();
    expect(await page.locator('article.card--job-config').count()).toBe(list.total);
    // The next 24 hours of every enabled job on one axis, drawn by uPlot on a canvas.
    await page.getByTestId('timeline-summary').getByText(new RegExp(`runs of ${list.enabledCount} enabled jobs`)).waitFor();
    await page.locator('.timeline-plot canvas').waitFor();
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('signs in with a pasted token, refusing a wrong one, and signs out', async () => {
    const { page, errors } = await open('/', '');
    await page.getByLabel('API token').fill('gj_not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('The server refused that token').waitFor();
    await page.getByLabel('API token').fill(h.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await card(page, 'advancement-batch').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    expect(await page.evaluate("window.localStorage.getItem('grove-jobs.token')")).toBeNull();
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('US-1: moves the advancement batch from 2 AM to 3 AM, says "Schedule updated", and the card and the API agree', async () => {
    const { page, errors } = await open();
    await card(page, 'advancement-batch').getByRole('button', { name: 'Configure Advancement batch' }).click();
    const cron = page.getByLabel('Cron expression');
    expect(await cron.inputValue()).toBe('0 2 * * *');
    await cron.fill('0 3 * * *');
    await page.getByRole('list', { name: 'Next runs' }).getByText(/3:00 AM UTC/).first().waitFor();
    await page.getByRole('button', { name: 'Save changes' }).click();
    // A schedule change shows what changes in the next runs before it is stored.
    await page.getByRole('region', { name: /Before you save/ }).getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Schedule updated' }).waitFor();

    const job = await h.api<Job>('GET', '/api/jobs/advancement-batch');
    expect(job.payload.schedule.cronExpression).toBe('0 3 * * *');
    expect(new Date(job.nextRuns[0] ?? '').getUTCHours()).toBe(3);

    await page.getByRole('link', { name: '← All jobs' }).click();
    await card(page, 'advancement-batch').getByText(/^Next: (Today|Tomorrow) 3:00 AM UTC$/).waitFor();
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('US-2: a batch size of 50 is what the next run records', async () => {
    const { page, errors } = await open('/jobs/advancement-batch');
    const batch = page.getByLabel('Batch size');
    expect(await batch.inputValue()).toBe('100');
    await batch.fill('50');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved as version' }).waitFor();
    const saved = await h.api<Job>('GET', '/api/jobs/advancement-batch');
    expect(saved.payload.limits.batchSize).toBe(50);

    await page.getByRole('button', { name: 'Run now' }).click();
    // Run now asks first: advancement-batch changes data, so a real run is confirmed.
    const dialog = page.getByRole('dialog', { name: 'Run Advancement batch now' });
    await dialog.getByLabel(/Run it for real/).check();
    await dialog.getByRole('button', { name: 'Start run' }).click();
    await page.getByRole('status').filter({ hasText: 'Run queued' }).waitFor();
    await page.getByRole('link', { name: '← All jobs' }).click();
    // The grid re-reads statuses every few seconds: wait for the run to show as finished.
    await card(page, 'advancement-batch').getByText(/^Last: (Success|Partial|Failed|Timed out)/).waitFor();

    const job = await h.api<Job>('GET', '/api/jobs/advancement-batch');
    expect(job.lastExecution?.status).toBe('success');
    const execution = await h.api<{ configVersion: number; batchSize: number | null }>('GET', `/api/executions/${job.lastExecution?.id}`);
    expect(execution.configVersion).toBe(saved.meta.version);
    // The execution keeps only an override in batchSize; the handler logs the batch size it used.
    expect(execution.batchSize ?? 50).toBe(50);
    const logs = await h.api<{ items: Array<{ data: { batchSize?: number } | null }> }>('GET', `/api/executions/${job.lastExecution?.id}/logs`);
    expect(logs.items.map((line) => line.data?.batchSize).filter((size) => size !== undefined)).toEqual([50]);
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('shows an invalid cron expression inline and keeps Save disabled', async () => {
    const { page, errors } = await open('/jobs/signal-aggregation-7d');
    await page.getByLabel('Cron expression').fill('61 * * * *');
    await field(page, 'payload.schedule.cronExpression').locator('.field-error').getByText(/61/).waitFor();
    expect(await page.getByRole('button', { name: 'Save changes' }).isDisabled()).toBe(true);
    await page.getByLabel('Cron expression').fill('0 * * * *');
    await field(page, 'payload.schedule.cronExpression').locator('.field-error').waitFor({ state: 'detached' });
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('refuses a save based on a version someone else replaced, says so, and reloads on request', async () => {
    const first = await open('/jobs/signal-aggregation-30d');
    const second = await open('/jobs/signal-aggregation-30d');
    // The first has an unsaved change when the second saves (a clean form would take the new version live).
    await first.page.getByLabel('Batch size').fill('9');
    await second.page.getByLabel('Batch size').fill('7');
    await second.page.getByRole('button', { name: 'Save changes' }).click();
    await second.page.getByRole('status').filter({ hasText: 'Saved as version' }).waitFor();

    await first.page.getByRole('button', { name: 'Save changes' }).click();
    await first.page.getByRole('alert').filter({ hasText: 'Someone else saved this job first' }).waitFor();
    expect((await h.api<Job>('GET', '/api/jobs/signal-aggregation-30d')).payload.limits.batchSize).toBe(7);
    await first.page.getByRole('button', { name: 'Reload' }).click();
    await first.page.getByRole('alert').filter({ hasText: 'Someone else saved this job first' }).waitFor({ state: 'detached' });
    await until(first.page, inputValueIs('payload.limits.batchSize', '7'));
    expect([...first.errors, ...second.errors]).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it("shows the server's refusal at the field it names, and restores an earlier version", async () => {
    const { page, errors } = await open('/jobs/signal-aggregation-30d');
    const before = await h.api<Job>('GET', '/api/jobs/signal-aggregation-30d');
    // The form does not check a webhook secret's length; the server does, naming the field.
    await page.getByLabel('Webhook secret').fill('short');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await field(page, 'payload.notifications.webhookSecret').locator('.field-error').getByText(/16 characters/).waitFor();
    expect((await h.api<Job>('GET', '/api/jobs/signal-aggregation-30d')).meta.version).toBe(before.meta.version);
    await page.getByRole('button', { name: 'Discard changes' }).click();

    await page.getByRole('button', { name: 'Restore version 1' }).click();
    await page.getByRole('status').filter({ hasText: `Restored version 1 as version ${before.meta.version + 1}` }).waitFor();
    const restored = await h.api<Job>('GET', '/api/jobs/signal-aggregation-30d');
    expect(restored.meta.version).toBe(before.meta.version + 1);
    await until(page, inputValueIs('payload.limits.batchSize', String(restored.payload.limits.batchSize)));
    expect(restored.payload.limits.batchSize).not.toBe(before.payload.limits.batchSize);
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('US-4: switching the schedule off shows "Disabled" on the card and the API has no next run', async () => {
    const { page, errors } = await open('/jobs/advancement-batch');
    await page.getByRole('switch', { name: 'Schedule active' }).uncheck();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('region', { name: /Before you save/ }).getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Schedule updated' }).waitFor();
    await page.getByRole('link', { name: '← All jobs' }).click();
    await card(page, 'advancement-batch').locator('.badge').getByText('Disabled').waitFor();
    const job = await h.api<Job>('GET', '/api/jobs/advancement-batch');
    expect(job.payload.schedule.isEnabled).toBe(false);
    expect(job.status).toBe('disabled');
    expect(job.nextRuns).toEqual([]);
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('filters by type and enabled, searches, and sorts the grid', async () => {
    const { page, errors } = await open();
    await card(page, 'advancement-batch').waitFor();
    await page.getByLabel('Search').fill('aggregation');
    await page.locator('[data-count="total"]').getByText('3 jobs').waitFor();
    expect(await page.locator('article.card--job-config').count()).toBe(3);
    await page.getByLabel('Search').fill('');
    await page.getByLabel('Type', { exact: true }).selectOption('health-check');
    await page.locator('[data-count="total"]').getByText('1 job', { exact: true }).waitFor();
    await page.getByLabel('Type', { exact: true }).selectOption('');
    await page.getByLabel('Enabled or disabled').selectOption('false');
    const disabled = await h.api<{ total: number }>('GET', '/api/jobs?enabled=false');
    await page.locator('[data-count="total"]').getByText(`${disabled.total} jobs`).waitFor();
    expect(await page.locator('article.card--job-config .badge').allTextContents()).not.toContain('Healthy');
    await page.getByLabel('Enabled or disabled').selectOption('');
    await page.getByLabel('Sort by').selectOption('nextRun');
    const sorted = await h.api<{ items: Job[] }>('GET', '/api/jobs?sort=nextRun');
    await page.locator('article.card--job-config').first().and(page.locator(`[data-job-id="${sorted.items[0]?.meta.id}"]`)).waitFor();
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it("creates a job from a type's defaults and duplicates it", async () => {
    const { page, errors } = await open();
    await page.getByLabel('New job of type').selectOption('health-check');
    await page.getByRole('button', { name: 'New job' }).click();
    await page.getByLabel('Title').fill('Nightly health');
    expect(await page.getByLabel('Id', { exact: true }).inputValue()).toBe('nightly-health');
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByRole('heading', { name: 'Nightly health' }).waitFor();
    const created = await h.api<Job & { payload: { jobType: string } }>('GET', '/api/jobs/nightly-health');
    const defaults = await h.api<Job & { payload: { jobType: string } }>('GET', '/api/jobs/health-check');
    expect(created.payload.jobType).toBe('health-check');
    expect(created.payload.schedule.isEnabled).toBe(false);
    expect(created.payload.limits.batchSize).toBe(defaults.payload.limits.batchSize);

    await page.getByRole('button', { name: 'Duplicate' }).click();
    await page.getByRole('heading', { name: 'Nightly health (copy)' }).waitFor();
    expect((await h.api<Job>('GET', '/api/jobs/nightly-health-copy')).payload.schedule.isEnabled).toBe(false);
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('lays the editor out in two columns on desktop, stacked on a tablet, as an accordion on a phone, with labels and 44 px targets', async () => {
    const { page, errors } = await open('/jobs/signal-aggregation-7d');
    await page.getByLabel('Batch size').waitFor();
    const columns = () => page.evaluate(FORM_COLUMNS);
    expect(await columns()).toBe(2);
    await page.setViewportSize({ width: 800, height: 1000 });
    await until(page, `${FORM_COLUMNS} === 1`);
    await page.setViewportSize({ width: 390, height: 844 });
    const execution = page.getByRole('button', { name: 'Execution', exact: true });
    expect(await execution.getAttribute('aria-expanded')).toBe('false');
    expect(await page.getByLabel('Batch size').isVisible()).toBe(false);
    await execution.click();
    await page.getByLabel('Batch size').waitFor({ state: 'visible' });

    const problems = await page.evaluate(CONTROL_PROBLEMS);
    expect(problems).toEqual([]);
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('shows a viewer no edit controls', async () => {
    const viewer = await createToken(h.env, 'viewer');
    const { page, errors } = await open('/', viewer);
    await card(page, 'signal-aggregation-7d').waitFor();
    await page.locator('[data-role="viewer"]').waitFor();
    expect(await page.getByRole('button', { name: /^Run .* now$/ }).count()).toBe(0);
    expect(await page.getByRole('switch').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'New job' }).count()).toBe(0);

    await card(page, 'signal-aggregation-7d').getByRole('button', { name: /^Configure/ }).click();
    await page.getByLabel('Cron expression').waitFor();
    expect(await page.getByLabel('Cron expression').isDisabled()).toBe(true);
    expect(await page.getByLabel('Batch size').isDisabled()).toBe(true);
    for (const name of ['Save changes', 'Run now', 'Duplicate', 'Delete']) expect(await page.getByRole('button', { name }).count(), name).toBe(0);
    expect(await page.getByRole('button', { name: /^Restore version/ }).count()).toBe(0);
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);
});
