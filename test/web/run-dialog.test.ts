// Run now asks first, and dry runs are marked wherever a run is shown: in Debian's Chromium
// against `grove-jobs serve` on a fresh data folder (the demo data), at desktop (1440 × 900) and
// phone (390 × 844) sizes. Run `npm run build` first (dist/ and web/dist/).
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, type ConsolePage, useConsole, finishedExecution } from './support.js';

interface Execution {
  id: string;
  status: string;
  dryRun: boolean;
  batchSize: number | null;
  items: { processed: number; succeeded: number };
}

interface Job {
  lastExecution: { id: string; status: string; dryRun: boolean } | null;
}

const TEST_TIMEOUT_MS = 180_000;
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
/** Whether the open dialog lies wholly inside the viewport (run in the page). */
const DIALOG_INSIDE = `(() => {
  const box = document.querySelector('dialog[open]').getBoundingClientRect();
  return box.left >= 0 && box.top >= 0 && box.right <= innerWidth && box.bottom <= innerHeight && document.documentElement.scrollWidth <= innerWidth;
})()`;
const available = chromiumAvailable();

describe.skipIf(!available)('Run now and dry runs', () => {
  const h = useConsole();

  async function open(path: string, size = DESKTOP): Promise<ConsolePage> {
    const opened = await h.open(path);
    await opened.page.setViewportSize(size);
    return opened;
  }

  const executions = (configId: string) => h.api<{ items: Execution[] }>('GET', `/api/jobs/${configId}/executions?limit=30`).then((r) => r.items);
  const advancedSprouts = () => h.api<{ items: unknown[] }>('GET', '/api/advancement-events?limit=1000').then((r) => r.items.length);

  const finished = (executionId: string) => finishedExecution<Execution>(h, executionId);

  it("the job card's Run now asks: a dry run with its own batch size changes nothing and is marked on the card", async () => {
    const before = await executions('advancement-batch');
    const events = await advancedSprouts();
    const { page, errors } = await open('/');
    const card = page.locator('article[data-job-id="advancement-batch"]');
    await card.getByRole('button', { name: 'Run Advancement batch now' }).click();
    const dialog = page.getByRole('dialog', { name: 'Run Advancement batch now' });
    await dialog.waitFor();
    // A real run of a type that changes data waits for a confirmation.
    await dialog.getByLabel('Batch size').waitFor();
    expect(await dialog.getByLabel('Dry run', { exact: true }).isChecked()).toBe(false);
    expect(await dialog.getByRole('button', { name: 'Start run' }).isDisabled()).toBe(true);
    await dialog.getByLabel(/Run it for real/).waitFor();
    // Escape closes it, and nothing ran.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect((await executions('advancement-batch')).length).toBe(before.length);

    await card.getByRole('button', { name: 'Run Advancement batch now' }).click();
    await dialog.getByLabel('Dry run', { exact: true }).check();
    expect(await dialog.getByLabel(/Run it for real/).count()).toBe(0);
    await dialog.getByLabel('Batch size').fill('7');
    await dialog.getByRole('button', { name: 'Start dry run' }).click();
    await dialog.waitFor({ state: 'detached' });
    await card.getByRole('status').filter({ hasText: 'Dry run queued' }).waitFor();

    const [run] = await executions('advancement-batch');
    expect(run).toMatchObject({ dryRun: true, batchSize: 7 });
    const ended = await finished(run?.id ?? '');
    expect(ended.status).toBe('success');
    expect(await advancedSprouts()).toBe(events);
    // The grid follows the run's end: the card's last run says it was a dry run.
    // …in the words of its type: sprouts evaluated and advanced, not "processed".
    await card.getByText(/^Last: Success \(dry run, \d+ evaluated, \d+ advanced, /).waitFor();
    expect(await card.locator('.last-run[data-dry-run="true"]').count()).toBe(1);
    expect((await h.api<Job>('GET', '/api/jobs/advancement-batch')).lastExecution).toMatchObject({ id: run?.id, dryRun: true });
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('the Execution Status tab marks a dry run in its status card, history and chart, and names the counters as the type does', async () => {
    const { page, errors } = await open('/jobs/advancement-batch?tab=status');
    const panel = page.locator('#panel-status');
    await panel.locator('[data-live="live"]').waitFor();
    await panel.getByRole('button', { name: 'Run now' }).click();
    const dialog = page.getByRole('dialog', { name: 'Run Advancement batch now' });
    await dialog.getByLabel('Dry run', { exact: true }).check();
    await dialog.getByRole('button', { name: 'Start dry run' }).click();
    await dialog.waitFor({ state: 'detached' });

    await panel.locator('[data-phase="success"]').waitFor();
    const [run] = await executions('advancement-batch');
    expect(run?.dryRun).toBe(true);
    // The editor's header follows the run's end and says it was a dry run.
    await page.locator('.editor-header').getByText(/Last: Success \(dry run, \d+ evaluated, \d+ advanced, /).waitFor();
    await panel.locator('.gj-phase').getByText('Dry run', { exact: true }).waitFor();
    await panel.getByRole('heading', { name: 'Execution status: dry run' }).waitFor();
    // advancement-batch's counters: sprouts evaluated, and (would be) advanced; not "Succeeded".
    await panel.locator('[data-metric="succeeded"] dt').getByText('Advanced (dry run)').waitFor();
    expect(await panel.locator('[data-metric="processed"] dt').textContent()).toBe('Evaluated');
    expect(await panel.locator('.gj-metrics').getByText('Succeeded', { exact: true }).count()).toBe(0);
    const row = panel.getByRole('list', { name: 'Last 10 runs' }).locator(`li[data-execution-id="${run?.id}"]`);
    await row.and(page.locator('[data-dry-run="true"]')).waitFor();
    expect(await row.getByText('Dry run', { exact: true }).count()).toBe(1);
    await panel.locator('.gj-chart__plot:not([data-dry-runs="0"])').waitFor();
    expect(await panel.locator('figcaption').textContent()).toMatch(/\d+ dry runs? \(changed nothing\)/);
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('a real run of a type that changes data starts only once confirmed; a type without batches asks neither', async () => {
    const { page, errors } = await open('/jobs/orphan-cleanup?tab=status');
    const panel = page.locator('#panel-status');
    await panel.locator('[data-live="live"]').waitFor();
    await panel.getByRole('button', { name: 'Run now' }).click();
    const dialog = page.getByRole('dialog', { name: 'Run Orphan cleanup now' });
    const start = dialog.getByRole('button', { name: 'Start run' });
    await start.waitFor();
    expect(await start.isDisabled()).toBe(true);
    await dialog.getByLabel(/Run it for real/).check();
    expect(await start.isDisabled()).toBe(false);
    await start.click();
    await dialog.waitFor({ state: 'detached' });
    await panel.locator('[data-phase="success"]').waitFor();
    const [run] = await executions('orphan-cleanup');
    expect(run).toMatchObject({ dryRun: false, batchSize: null });
    await panel.locator('[data-metric="succeeded"] dt').getByText('Archived', { exact: true }).waitFor();

    await h.api('POST', '/api/jobs', { meta: { id: 'hook', title: 'Hook' }, payload: { jobType: 'http-request', schedule: { cronExpression: '0 4 * * *' }, parameters: { url: 'http://127.0.0.1:9/hook' } } });
    const hook = await open('/jobs/hook?tab=status');
    await hook.page.locator('#panel-status').getByRole('button', { name: 'Run now' }).click();
    const hookDialog = hook.page.getByRole('dialog', { name: 'Run Hook now' });
    await hookDialog.getByRole('button', { name: 'Start run' }).waitFor();
    expect(await hookDialog.getByLabel('Batch size').count()).toBe(0);
    expect(await hookDialog.getByLabel(/Run it for real/).count()).toBe(0);
    await hookDialog.getByRole('button', { name: 'Cancel' }).click();
    await hookDialog.waitFor({ state: 'detached' });
    expect(await executions('hook')).toEqual([]);
    expect([...errors, ...hook.errors]).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('fits a phone: the dialog stays inside the screen and its controls are large enough to touch', async () => {
    const { page, errors } = await open('/', PHONE);
    const card = page.locator('article[data-job-id="advancement-batch"]');
    await card.getByRole('button', { name: 'Run Advancement batch now' }).click();
    const dialog = page.getByRole('dialog', { name: 'Run Advancement batch now' });
    await dialog.getByLabel('Batch size').waitFor();
    expect(await page.evaluate(DIALOG_INSIDE)).toBe(true);
    for (const button of await dialog.getByRole('button').all()) expect((await button.boundingBox())?.height ?? 0).toBeGreaterThanOrEqual(44);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);
});
