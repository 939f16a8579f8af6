// The console's rough edges of issue 20 in Debian's Chromium against `grove-jobs serve` on a fresh
// data folder, at desktop (1440 × 900) and phone (390 × 844) sizes: signing in from an address
// opened in a tab already showing Sign in, save feedback where Save is, the editor following
// live events, asking before unsaved changes are dropped, and wording and layout.
// Run `npm run build` first (dist/ and web/dist/).
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, type ConsolePage, createToken, inputValueIs, until, useConsole } from './support.js';

interface Job {
  meta: { id: string; version: number; title: string };
  payload: { schedule: { isEnabled: boolean }; limits: { batchSize: number } };
  nextRuns: string[];
}

const TEST_TIMEOUT_MS = 180_000;
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const available = chromiumAvailable();

// Code run in the page is written as text: the test program is type-checked without the DOM library.
/** The focused element is (inside) the first match of `selector`. */
const focusIn = (selector: string) => `document.activeElement?.closest(${JSON.stringify(selector)}) !== null`;
/** Where an element is in the viewport: its box, and whether all of it is on screen. */
const boxOf = (selector: string) => `(() => {
  const el = document.querySelector(${JSON.stringify(selector)});
  if (!el) return null;
  const box = el.getBoundingClientRect();
  return { top: box.top, bottom: box.bottom, left: box.left, right: box.right, onScreen: box.top >= 0 && box.bottom <= innerHeight && box.height > 0 };
})()`;
/** The timeline's job names: text, whether clipped, the dot's colour, and the box. */
const TIMELINE_NAMES = `[...document.querySelectorAll('.timeline-names li')].map((li) => {
  const name = li.querySelector('.timeline-name');
  const box = name.getBoundingClientRect();
  return {
    id: li.dataset.jobId,
    text: name.textContent,
    clipped: name.scrollWidth > name.clientWidth + 1 || name.scrollHeight > li.clientHeight + 1,
    colour: getComputedStyle(li.querySelector('.timeline-dot')).backgroundColor,
    right: box.right,
  };
})`;

interface Box {
  top: number;
  bottom: number;
  left: number;
  right: number;
  onScreen: boolean;
}

describe.skipIf(!available)('the console: sign-in, save feedback, live editor, unsaved changes, wording and layout', () => {
  const h = useConsole();

  async function open(path: string, size: { width: number; height: number }, token?: string): Promise<ConsolePage> {
    const opened = await h.open(path, token);
    await opened.page.setViewportSize(size);
    return opened;
  }

  const card = (page: ConsolePage['page'], id: string) => page.locator(`article[data-job-id="${id}"]`);
  const field = (page: ConsolePage['page'], path: string) => page.locator(`[data-path="${path}"]`);

  it('signs in when the printed #token= address is opened in a tab already showing Sign in', async () => {
    const { page, errors } = await open('/', DESKTOP, '');
    await page.getByLabel('API token').waitFor();
    // The same page with a fragment: the browser changes only the fragment, with no reload.
    await page.goto(`${h.base}/#token=${h.token}`);
    await card(page, 'advancement-batch').waitFor();
    expect(page.url()).not.toContain('token=');
    expect(await page.evaluate("window.localStorage.getItem('grove-jobs.token')")).toBe(h.token);
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('keeps Save in view on a desktop, says "Saved" next to it and moves the focus there', async () => {
    const { page, errors } = await open('/jobs/signal-aggregation-7d', DESKTOP);
    const save = page.getByRole('button', { name: 'Save changes' });
    await save.waitFor();
    // The form is longer than the window: Save sticks to its bottom edge.
    expect(((await page.evaluate(boxOf('.form-actions button[type="submit"]'))) as Box).onScreen).toBe(true);
    const pause = page.getByLabel('Pause after failed runs in a row');
    await pause.fill('4');
    await save.click();
    const saved = page.locator('.form-actions').getByRole('status').filter({ hasText: 'Saved as version' });
    await saved.waitFor();
    const message = (await page.evaluate(boxOf('.form-actions .notice--ok'))) as Box;
    const button = (await page.evaluate(boxOf('.form-actions button[type="submit"]'))) as Box;
    expect(message.onScreen).toBe(true);
    expect(button.top - message.bottom).toBeGreaterThanOrEqual(0);
    expect(button.top - message.bottom).toBeLessThan(60);
    await until(page, focusIn('.form-actions .notice--ok'));
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('shows a conflict on a phone as an alert beside Save, focused, with Reload', async () => {
    const first = await open('/jobs/signal-aggregation-30d', PHONE);
    const second = await open('/jobs/signal-aggregation-30d', DESKTOP);
    const execution = first.page.getByRole('button', { name: 'Execution', exact: true });
    await execution.click();
    await first.page.getByLabel('Batch size').fill('11');
    await second.page.getByLabel('Batch size').fill('12');
    await second.page.getByRole('button', { name: 'Save changes' }).click();
    await second.page.locator('.form-actions').getByRole('status').filter({ hasText: 'Saved as version' }).waitFor();

    // Told live that its version is no longer the latest, while its change stays.
    await first.page.locator('.form-actions').getByText(/was saved elsewhere while you were editing/).waitFor();
    expect(await first.page.getByLabel('Batch size').inputValue()).toBe('11');
    await first.page.getByRole('button', { name: 'Save changes' }).click();
    const alert = first.page.locator('.form-actions').getByRole('alert').filter({ hasText: 'Someone else saved this job first' });
    await alert.waitFor();
    expect(((await first.page.evaluate(boxOf('.form-actions .notice--conflict'))) as Box).onScreen).toBe(true);
    await until(first.page, focusIn('.form-actions .notice--conflict'));
    await first.page.getByRole('button', { name: 'Reload', exact: true }).click();
    await alert.waitFor({ state: 'detached' });
    await until(first.page, inputValueIs('payload.limits.batchSize', '12'));
    expect([...first.errors, ...second.errors]).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('follows the live events in the editor: the header shows how a run ended, and a clean form takes a version saved elsewhere', async () => {
    await h.api('POST', '/api/jobs', {
      meta: { id: 'quick-fail', title: 'Quick fail' },
      payload: { jobType: 'http-request', schedule: { cronExpression: '0 4 * * *', isEnabled: true }, retry: { maxAttempts: 1 }, parameters: { url: 'http://127.0.0.1:9/hook' } },
    });
    const { page, errors } = await open('/jobs/quick-fail', DESKTOP);
    const header = page.locator('.editor-header .next-run');
    await header.getByText(/Last: Never run/).waitFor();
    // Run now from the header: its message points at the Execution Status tab, and the header shows how the run ended.
    await page.locator('.editor-header').getByRole('button', { name: 'Run now' }).click();
    const dialog = page.getByRole('dialog', { name: 'Run Quick fail now' });
    await dialog.getByRole('button', { name: 'Start run' }).click();
    const queued = page.getByRole('status').filter({ hasText: 'Run queued: follow it on the Execution Status tab.' });
    await queued.waitFor();
    await header.getByText(/Last: Failed/).waitFor();
    await queued.getByRole('button', { name: 'Execution Status tab' }).click();
    await queued.waitFor({ state: 'detached' });
    const panel = page.locator('#panel-status');
    await panel.locator('[data-live="live"]').waitFor();

    // A run started elsewhere shows in the header too, from queued to its end.
    const { executionId } = await h.api<{ executionId: string }>('POST', '/api/jobs/quick-fail/run', {});
    await panel.locator(`li[data-execution-id="${executionId}"][data-status="failed"]`).waitFor();
    await header.getByText(/Last: Failed/).waitFor();

    await page.getByRole('tab', { name: 'Configuration' }).click();
    await page.getByLabel('Batch size').waitFor();
    const job = await h.api<Job>('GET', '/api/jobs/quick-fail');
    await h.api('PATCH', '/api/jobs/quick-fail', { payload: { limits: { batchSize: 33 } } });
    await until(page, inputValueIs('payload.limits.batchSize', '33'));
    await page.locator('.editor-header').getByText(`version ${job.meta.version + 1}`).waitFor();
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('asks before leaving the editor with unsaved changes, keeps them across its tabs, and asks before the tab closes', async () => {
    const { page, errors } = await open('/jobs/signal-aggregation-7d', DESKTOP);
    await page.getByLabel('Title').fill('Seven days, renamed');
    // The other tab of the same job keeps the change without asking.
    await page.getByRole('tab', { name: 'Execution Status' }).click();
    await page.locator('#panel-status').waitFor();
    await page.getByRole('tab', { name: 'Configuration' }).click();
    expect(await page.getByLabel('Title').inputValue()).toBe('Seven days, renamed');

    const asked: string[] = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.dismiss();
    });
    await page.getByRole('link', { name: '← All jobs' }).click();
    expect(asked).toEqual([expect.stringMatching(/unsaved changes/)]);
    expect(new URL(page.url()).pathname).toBe('/jobs/signal-aggregation-7d');
    expect(await page.getByLabel('Title').inputValue()).toBe('Seven days, renamed');

    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.accept();
    });
    await page.getByRole('link', { name: 'Advancement rules' }).click();
    await page.waitForURL(`${h.base}/rules`);
    expect(asked).toHaveLength(2);

    // Closing the tab: the browser's own question (beforeunload).
    await page.goto(`${h.base}/jobs/signal-aggregation-7d`);
    await page.getByLabel('Title').fill('Renamed again');
    const unload = new Promise<string>((resolve) => {
      page.once('dialog', (dialog) => {
        resolve(dialog.type());
        void dialog.accept();
      });
    });
    await page.close({ runBeforeUnload: true });
    expect(await unload).toBe('beforeunload');
    expect((await h.api<Job>('GET', '/api/jobs/signal-aggregation-7d')).meta.title).not.toMatch(/renamed/i);
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('shows a bad time zone once, at the time zone, leaving the cron field valid', async () => {
    const { page, errors } = await open('/jobs/signal-aggregation-7d', DESKTOP);
    await page.getByLabel('Time zone').fill('Mars/Olympus_Mons');
    const zoneError = field(page, 'payload.schedule.timezone').locator('.field-error');
    await zoneError.waitFor();
    const text = (await zoneError.textContent()) ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(await page.locator('.field-error').count()).toBe(1);
    expect(await field(page, 'payload.schedule.cronExpression').getAttribute('class')).not.toContain('field--invalid');
    expect(await page.getByLabel('Cron expression').getAttribute('aria-invalid')).toBe('false');
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('says in words that a job or page does not exist, with a way back, on a phone', async () => {
    const { page, errors } = await open('/jobs/no-such-job', PHONE);
    await page.getByRole('heading', { name: 'Job not found' }).waitFor();
    await page.getByRole('alert').getByText('There is no job with this id').waitFor();
    expect(await page.locator('main').textContent()).not.toMatch(/[A-Z]+_[A-Z_]+/);
    await page.getByRole('link', { name: '← All jobs' }).click();
    await card(page, 'advancement-batch').waitFor();

    await page.goto(`${h.base}/rules/nowhere`);
    await page.getByRole('alert').getByText('There is no page at /rules/nowhere').waitFor();
    await page.getByRole('alert').getByRole('link', { name: '← All jobs' }).click();
    await card(page, 'advancement-batch').waitFor();
    expect(errors.filter((error) => !/404/.test(error))).toEqual([]);
  }, TEST_TIMEOUT_MS);

  for (const [name, size] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    it(`draws every timeline name whole on a ${name}, beside the plot`, async () => {
      const { page, errors } = await open('/', size);
      await page.locator('.timeline-plot canvas').waitFor();
      const list = await h.api<{ items: Job[] }>('GET', '/api/jobs?sort=title&limit=200');
      const enabled = list.items.filter((job) => job.nextRuns.length > 0);
      const names = (await page.evaluate(TIMELINE_NAMES)) as Array<{ id: string; text: string; clipped: boolean; right: number }>;
      expect(names.map((n) => n.text)).toEqual(enabled.map((job) => job.meta.title));
      expect(names.filter((n) => n.clipped)).toEqual([]);
      const plot = (await page.evaluate(boxOf('.timeline-plot canvas'))) as Box;
      for (const n of names) expect(n.right).toBeLessThanOrEqual(plot.left + 1);
      // The canvas is as tall as the rows beside it and the time axis.
      const rows = (await page.evaluate("document.querySelector('.timeline-names').getBoundingClientRect().height")) as number;
      expect(plot.bottom - plot.top).toBeGreaterThanOrEqual(rows);
      expect(errors).toEqual([]);
    }, TEST_TIMEOUT_MS);
  }

  it('keeps each job’s timeline colour when another job is switched off', async () => {
    const { page, errors } = await open('/', DESKTOP);
    await page.locator('.timeline-plot canvas').waitFor();
    const before = (await page.evaluate(TIMELINE_NAMES)) as Array<{ id: string; colour: string }>;
    const first = before[0];
    if (!first || before.length < 3) throw new Error('the demo data has too few enabled jobs');
    await h.api('PATCH', `/api/jobs/${first.id}`, { payload: { schedule: { isEnabled: false } } });
    await until(page, `document.querySelectorAll('.timeline-names li').length === ${before.length - 1}`);
    const after = (await page.evaluate(TIMELINE_NAMES)) as Array<{ id: string; colour: string }>;
    expect(after).toEqual(before.slice(1).map((row) => expect.objectContaining({ id: row.id, colour: row.colour })));
    await h.api('PATCH', `/api/jobs/${first.id}`, { payload: { schedule: { isEnabled: true } } });
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('gives a viewer the cron syntax help', async () => {
    const viewer = await createToken(h.env, 'viewer');
    const { page, errors } = await open('/jobs/signal-aggregation-7d', PHONE, viewer);
    await page.getByLabel('Cron expression').waitFor();
    expect(await page.getByLabel('Cron expression').isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Cron syntax help' }).click();
    await page.getByRole('tooltip').getByText(/every 15 minutes/).waitFor({ state: 'visible' });
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('serves an icon for the console and the API documentation, which fits a phone', async () => {
    const docs = await (await fetch(`${h.base}/api/docs`)).text();
    expect(docs).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    // Relative (the app may be mounted under a prefix): /api/docs names ../favicon.svg.
    expect(docs).toMatch(/<link rel="icon" href="\.\.\/favicon\.svg"/);
    for (const path of ['/favicon.svg', '/favicon.ico']) {
      const icon = await fetch(`${h.base}${path}`);
      expect(icon.status, path).toBe(200);
      expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    }

    for (const path of ['/api/docs', '/']) {
      const { page, errors } = await open('/', PHONE);
      const failed: string[] = [];
      page.on('response', (response) => {
        if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
      });
      const icon = page.waitForResponse((response) => new URL(response.url()).pathname === '/favicon.svg');
      await page.goto(`${h.base}${path}`);
      // The icon the page names was fetched, and nothing answered with an error.
      expect((await icon).status()).toBe(200);
      await page.waitForLoadState('load');
      expect(failed, path).toEqual([]);
      expect((await page.evaluate('document.documentElement.scrollWidth')) as number, path).toBeLessThanOrEqual(PHONE.width);
      expect(errors).toEqual([]);
    }
  }, TEST_TIMEOUT_MS);
});
