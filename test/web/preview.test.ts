// The what-if before saving a schedule change, in Debian's Chromium against `grove-jobs serve`
// on a fresh data folder, at phone (390 × 844) and desktop (1440 × 900) sizes: Save shows the
// next runs before and after (moved ones highlighted), the daylight-saving dates and the first
// run under the new rule; Back to editing stores nothing, Save stores the change. Run
// `npm run build` first.
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, type ConsolePage, useConsole } from './support.js';

interface Job {
  meta: { version: number };
  payload: { schedule: { cronExpression: string; timezone: string } };
}

const TEST_TIMEOUT_MS = 180_000;
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const NO_SIDEWAYS_SCROLL = 'document.documentElement.scrollWidth <= innerWidth';
const ID = 'what-if';
const available = chromiumAvailable();

describe.skipIf(!available)('the what-if before a schedule change is saved', () => {
  const h = useConsole();

  async function open(size: { width: number; height: number }): Promise<ConsolePage> {
    const opened = await h.open(`/jobs/${ID}`);
    await opened.page.setViewportSize(size);
    return opened;
  }

  /** Changes the zone from New York to London and the time to 01:30 (in London's doubled and skipped hours), then asks to save. */
  async function editAndAskToSave(page: ConsolePage['page']) {
    await page.getByLabel('Cron expression').fill('30 1 * * *');
    await page.getByLabel('Time zone').fill('Europe/London');
    await page.getByRole('list', { name: 'Next runs' }).getByText(/1:30 AM/).first().waitFor();
    await page.getByRole('button', { name: 'Save changes' }).click();
    const panel = page.getByRole('region', { name: /Before you save/ });
    await panel.getByRole('list', { name: 'Moved runs' }).waitFor();
    return panel;
  }

  it('shows a zone change moving every run on a phone, and Back to editing stores nothing', async () => {
    await h.api('POST', '/api/jobs', {
      meta: { id: ID, title: 'What if' },
      payload: { jobType: 'signal-aggregation', schedule: { cronExpression: '0 9 * * *', timezone: 'America/New_York', isEnabled: true } },
    });
    const { page, errors } = await open(PHONE);
    const panel = await editAndAskToSave(page);
    expect(await panel.getByRole('list', { name: 'Moved runs' }).getByRole('listitem').count()).toBe(10);
    expect(await panel.getByRole('list', { name: 'Next runs before' }).getByRole('listitem').count()).toBe(10);
    expect(await panel.getByRole('list', { name: 'Next runs after' }).getByRole('listitem').count()).toBe(10);
    expect(await panel.locator('.what-if-run--moved').count()).toBe(20);
    const dst = panel.getByRole('list', { name: 'Daylight-saving dates' });
    await dst.getByText(/^\d{4}-03-\d\d 01:30 does not exist \(clocks go forward\): runs once at the first instant after the gap/).waitFor();
    await dst.getByText(/^\d{4}-10-\d\d 01:30 happens twice \(clocks go back\): runs once, at the first/).waitFor();
    await panel.getByText(/^First run under the new rule:/).waitFor();
    expect(await page.evaluate(NO_SIDEWAYS_SCROLL)).toBe(true);

    await panel.getByRole('button', { name: 'Back to editing' }).click();
    await panel.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Save changes' }).waitFor();
    expect(await page.getByLabel('Time zone').inputValue()).toBe('Europe/London');
    const stored = await h.api<Job>('GET', `/api/jobs/${ID}`);
    expect(stored.meta.version).toBe(1);
    expect(stored.payload.schedule).toMatchObject({ cronExpression: '0 9 * * *', timezone: 'America/New_York' });
    expect(errors).toEqual([]);
    await page.context().close();
  }, TEST_TIMEOUT_MS);

  it('stores the change once Save is confirmed after the what-if, on a desktop', async () => {
    const { page, errors } = await open(DESKTOP);
    const panel = await editAndAskToSave(page);
    expect(await page.evaluate(NO_SIDEWAYS_SCROLL)).toBe(true);
    await panel.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Schedule updated' }).waitFor();
    await panel.waitFor({ state: 'detached' });
    const stored = await h.api<Job>('GET', `/api/jobs/${ID}`);
    expect(stored.meta.version).toBe(2);
    expect(stored.payload.schedule).toMatchObject({ cronExpression: '30 1 * * *', timezone: 'Europe/London' });
    expect(errors).toEqual([]);
    await page.context().close();
  }, TEST_TIMEOUT_MS);
});
