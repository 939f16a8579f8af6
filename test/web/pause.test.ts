// Pause and Resume in the console: the job card's and the editor's, in Debian's Chromium against
// `grove-jobs serve` on a fresh data folder (the demo data), at desktop (1440 × 900) and phone
// (390 × 844) sizes. Run `npm run build` first (dist/ and web/dist/).
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, type ConsolePage, useConsole } from './support.js';

interface Job {
  paused: { at: string; reason: string | null; until: string | null; by: string | null } | null;
  payload: { schedule: { isEnabled: boolean } };
}

const TEST_TIMEOUT_MS = 180_000;
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
/** Whether the page is no wider than the viewport (run in the page). */
const NO_OVERFLOW = 'document.documentElement.scrollWidth <= innerWidth';
/** Whether the open dialog lies wholly inside the viewport, and the page no wider than it. */
const DIALOG_INSIDE = `(() => {
  const box = document.querySelector('dialog[open]').getBoundingClientRect();
  return box.left >= 0 && box.top >= 0 && box.right <= innerWidth && box.bottom <= innerHeight && ${NO_OVERFLOW};
})()`;
const available = chromiumAvailable();

describe.skipIf(!available)('Pause and Resume', () => {
  const h = useConsole();

  async function open(path: string, size: { width: number; height: number }): Promise<ConsolePage> {
    const opened = await h.open(path);
    await opened.page.setViewportSize(size);
    return opened;
  }
  const job = (id: string) => h.api<Job>('GET', `/api/jobs/${id}`);

  it("the job card's Pause asks for a reason and an end in UTC, shows who paused it, and Resume ends it", async () => {
    const { page, errors } = await open('/', DESKTOP);
    const card = page.locator('article[data-job-id="advancement-batch"]');
    await card.getByRole('button', { name: 'Pause Advancement batch' }).click();
    const dialog = page.getByRole('dialog', { name: 'Pause Advancement batch' });
    await dialog.waitFor();
    // The reason is required: Pause waits for one.
    expect(await dialog.getByRole('button', { name: 'Pause', exact: true }).isDisabled()).toBe(true);
    await dialog.getByText('Ends at (UTC, optional)').waitFor();
    // Escape closes it, and nothing was paused.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect((await job('advancement-batch')).paused).toBeNull();

    await card.getByRole('button', { name: 'Pause Advancement batch' }).click();
    await dialog.getByLabel('Reason').fill('Warehouse migration');
    // An end already past is refused at the field, in words, and Pause waits.
    await dialog.getByLabel('Ends at (UTC, optional)').fill('2020-01-01T00:00');
    await dialog.getByRole('alert').filter({ hasText: 'Ends at must be in the future' }).waitFor();
    expect(await dialog.getByRole('button', { name: 'Pause', exact: true }).isDisabled()).toBe(true);
    // Two days from now, whole minutes, as the datetime-local field takes it (read as UTC).
    const end = new Date(Math.ceil((Date.now() + 2 * 86_400_000) / 60_000) * 60_000);
    await dialog.getByLabel('Ends at (UTC, optional)').fill(end.toISOString().slice(0, 16));
    await dialog.getByRole('button', { name: 'Pause', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await card.getByRole('status').filter({ hasText: 'Paused' }).waitFor();
    await card.getByText(/^Paused by console:[^:]+: Warehouse migration \(until .+ UTC\)$/).waitFor();

    const paused = await job('advancement-batch');
    expect(paused.paused).toMatchObject({ reason: 'Warehouse migration', until: end.toISOString(), by: expect.stringMatching(/^console:/) });
    // The schedule stays switched on.
    expect(paused.payload.schedule.isEnabled).toBe(true);
    expect(await card.getByRole('switch').isChecked()).toBe(true);

    await card.getByRole('button', { name: 'Resume Advancement batch' }).click();
    await card.getByRole('status').filter({ hasText: 'Resumed' }).waitFor();
    await card.locator('.pause-note').waitFor({ state: 'detached' });
    await card.getByRole('button', { name: 'Pause Advancement batch' }).waitFor();
    expect((await job('advancement-batch')).paused).toBeNull();
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('a paused job\'s card on a phone shows who paused it and until when, and Resume, with no horizontal overflow', async () => {
    const until = new Date(Math.ceil((Date.now() + 86_400_000) / 60_000) * 60_000).toISOString();
    await h.api('POST', '/api/jobs/advancement-batch/pause', { reason: 'Quarter-end freeze', until });
    const { page, errors } = await open('/', PHONE);
    const card = page.locator('article[data-job-id="advancement-batch"]');
    await card.getByText(/^Paused by api:[^:]+: Quarter-end freeze \(until .+ UTC\)$/).waitFor();
    await card.getByRole('button', { name: 'Resume Advancement batch' }).waitFor();
    expect(await page.evaluate(NO_OVERFLOW)).toBe(true);
    await card.getByRole('button', { name: 'Resume Advancement batch' }).click();
    await card.getByRole('button', { name: 'Pause Advancement batch' }).waitFor();
    expect((await job('advancement-batch')).paused).toBeNull();
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it("the editor's Pause and Resume on a phone, with no horizontal overflow", async () => {
    const { page, errors } = await open('/jobs/advancement-batch', PHONE);
    await page.getByRole('heading', { name: 'Advancement batch', level: 1 }).waitFor();
    expect(await page.evaluate(NO_OVERFLOW)).toBe(true);
    await page.getByRole('button', { name: 'Pause Advancement batch' }).click();
    const dialog = page.getByRole('dialog', { name: 'Pause Advancement batch' });
    await dialog.waitFor();
    expect(await page.evaluate(DIALOG_INSIDE)).toBe(true);
    // A long reason without spaces must wrap rather than widen the page.
    const reason = `Supplier-maintenance-window-${'x'.repeat(80)}`;
    await dialog.getByLabel('Reason').fill(reason);
    await dialog.getByRole('button', { name: 'Pause', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });

    const note = page.locator('.editor-header .pause-note');
    await note.waitFor();
    expect(await note.textContent()).toMatch(new RegExp(`^Paused by console:[^:]+: ${reason}$`));
    expect((await job('advancement-batch')).paused).toMatchObject({ reason, until: null });
    expect(await page.evaluate(NO_OVERFLOW)).toBe(true);

    await page.getByRole('button', { name: 'Resume Advancement batch' }).click();
    await note.waitFor({ state: 'detached' });
    expect((await job('advancement-batch')).paused).toBeNull();
    expect(await page.evaluate(NO_OVERFLOW)).toBe(true);
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);
});
