// The editor's Execution Status tab in Debian's Chromium against `grove-jobs serve` on a fresh
// data folder: US-3 (a failed run in the history, its logs, Retry) and US-5 (Run now, followed
// live from queued to success). Run `npm run build` first (dist/ and web/dist/).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, type ConsolePage, createToken, useConsole, finishedExecution } from './support.js';

interface Execution {
  id: string;
  status: string;
  trigger: string;
  retryOf: string | null;
  error: { message: string } | null;
}

const TEST_TIMEOUT_MS = 180_000;
const FINAL = ['success', 'partial', 'failed', 'timeout', 'cancelled', 'skipped'];
const available = chromiumAvailable();

describe.skipIf(!available)('the Execution Status tab', () => {
  const h = useConsole();

  async function open(path: string, token?: string): Promise<ConsolePage> {
    return h.open(path, token);
  }

  const executions = (configId: string, limit = 10) => h.api<{ items: Execution[] }>('GET', `/api/jobs/${configId}/executions?limit=${limit}`).then((r) => r.items);

  const finished = (executionId: string) => finishedExecution<Execution>(h, executionId);

  it('US-3: shows a failed run as Failed with its error, shows its log lines, and Retry starts a new attempt', async () => {
    // An http-request job at a port nothing listens on fails at once; one attempt, no automatic retry.
    await h.api('POST', '/api/jobs', {
      meta: { id: 'unreachable-hook', title: 'Unreachable hook' },
      payload: { jobType: 'http-request', schedule: { cronExpression: '0 4 * * *', isEnabled: true }, retry: { maxAttempts: 1 }, parameters: { url: 'http://127.0.0.1:9/hook' } },
    });
    const { executionId } = await h.api<{ executionId: string }>('POST', '/api/jobs/unreachable-hook/run', {});
    const failed = await finished(executionId);
    expect(failed.status).toBe('failed');
    expect(failed.error?.message).toBeTruthy();
    const logLines = await h.api<{ items: Array<{ message: string }> }>('GET', `/api/executions/${executionId}/logs`);
    expect(logLines.items.length).toBeGreaterThan(0);

    const { page, errors } = await open('/jobs/unreachable-hook?tab=status');
    const panel = page.locator('#panel-status');
    const history = panel.getByRole('list', { name: 'Last 10 runs' });
    const row = history.locator(`li[data-execution-id="${executionId}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('failed');
    await row.locator('.gj-pill').getByText('Failed', { exact: true }).waitFor();
    await row.getByText(failed.error?.message ?? '').waitFor();
    // The status view draws the same run through the catalog: its phase and error alert.
    await panel.locator('[data-phase="failed"]').waitFor();
    await panel.getByRole('alert').filter({ hasText: 'The run failed' }).waitFor();

    // Touch targets of at least 44 × 44 px.
    for (const button of await row.getByRole('button').all()) {
      const box = await button.boundingBox();
      expect(Math.min(box?.width ?? 0, box?.height ?? 0), await button.textContent() ?? '').toBeGreaterThanOrEqual(44);
    }

    // View logs (from the keyboard): the run's lines, as the API has them.
    await row.getByRole('button', { name: 'View logs' }).focus();
    await page.keyboard.press('Enter');
    const log = row.getByRole('log');
    await log.getByText(logLines.items[0]?.message ?? '', { exact: false }).first().waitFor();
    expect(await log.locator('li').count()).toBe(logLines.items.length);
    expect(await row.getByRole('button', { name: 'Hide logs' }).getAttribute('aria-expanded')).toBe('true');

    // Retry: a new run, linked to the failed one, appears at the top of the history and fails again.
    await row.getByRole('button', { name: 'Retry' }).click();
    await panel.getByRole('status').filter({ hasText: 'Retry: the run is queued.' }).waitFor();
    const retried = (await executions('unreachable-hook')).find((e) => e.retryOf === executionId);
    expect(retried).toMatchObject({ trigger: 'retry' });
    const retryRow = history.locator(`li[data-execution-id="${retried?.id}"]`);
    await retryRow.waitFor();
    await history.locator(`li[data-execution-id="${retried?.id}"][data-status="failed"]`).waitFor();
    expect(await retryRow.textContent()).toContain('Retry');
    expect(await history.locator(':scope > li').first().getAttribute('data-execution-id')).toBe(retried?.id);
    expect(await history.locator(':scope > li').count()).toBe(2);
    // A retry that failed again is the more serious alert.
    await panel.locator('.gj-alert--critical').waitFor();
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('US-5: Run now shows queued → running → progress → success live, and the history gains the run', async () => {
    // Small pages make the demo data's advancement batch report progress many times.
    await h.api('PATCH', '/api/jobs/advancement-batch', { payload: { limits: { batchSize: 5 } } });
    const before = await executions('advancement-batch', 30);

    const { page, errors } = await open('/jobs/advancement-batch?tab=status');
    const panel = page.locator('#panel-status');
    await panel.locator('[data-live="live"]').waitFor();
    await panel.getByRole('button', { name: 'Run now' }).click();
    // Run now asks first: advancement-batch changes data, so a real run is confirmed.
    const dialog = page.getByRole('dialog', { name: 'Run Advancement batch now' });
    await dialog.getByLabel(/Run it for real/).check();
    await dialog.getByRole('button', { name: 'Start run' }).click();

    const trail = panel.getByRole('list', { name: 'Seen live' });
    await trail.locator('li[data-step="success"]').waitFor();
    const steps = await trail.locator('li').evaluateAll((items) => items.map((item) => item.getAttribute('data-step')));
    expect(steps).toEqual(['queued', 'running', 'progress', 'success']);
    expect(await trail.locator('li[data-step="progress"]').textContent()).toMatch(/^\d+ of \d+ processed$/);
    await panel.locator('[data-phase="success"]').waitFor();

    const after = await executions('advancement-batch', 30);
    expect(after.length).toBe(before.length + 1);
    const run = after[0];
    expect(run).toMatchObject({ status: 'success', trigger: 'api' });
    const history = panel.getByRole('list', { name: 'Last 10 runs' });
    await history.locator(`li[data-execution-id="${run?.id}"][data-status="success"]`).waitFor();
    expect(await history.locator(':scope > li').first().getAttribute('data-execution-id')).toBe(run?.id);
    // The chart counts the finished run.
    await panel.locator(`.gj-chart__plot[data-runs="${after.filter((e) => FINAL.includes(e.status)).length}"]`).waitFor();
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);
  it('Cancel stops a running run: the history and the status view show it cancelled', async () => {
    // A server that takes requests and never answers keeps an http-request run running.
    const hanging: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = hanging.address() as AddressInfo;
      await h.api('POST', '/api/jobs', {
        meta: { id: 'slow-hook', title: 'Slow hook' },
        payload: { jobType: 'http-request', schedule: { cronExpression: '0 5 * * *', isEnabled: true }, retry: { maxAttempts: 1 }, limits: { timeoutSeconds: 300 }, parameters: { url: `http://127.0.0.1:${port}/slow` } },
      });
      const { page, errors } = await open('/jobs/slow-hook?tab=status');
      const panel = page.locator('#panel-status');
      await panel.locator('[data-live="live"]').waitFor();
      await panel.getByRole('button', { name: 'Run now' }).click();
      await page.getByRole('dialog', { name: 'Run Slow hook now' }).getByRole('button', { name: 'Start run' }).click();
      const running = panel.getByRole('list', { name: 'Last 10 runs' }).locator('li[data-status="running"]');
      await running.waitFor();
      const executionId = await running.getAttribute('data-execution-id');
      expect(await running.getByRole('button', { name: 'Retry' }).count()).toBe(0);
      await running.getByRole('button', { name: 'Cancel' }).click();
      const row = panel.locator(`li[data-execution-id="${executionId}"]`);
      await panel.locator(`li[data-execution-id="${executionId}"][data-status="cancelled"]`).waitFor();
      await panel.locator('[data-phase="cancelled"]').waitFor();
      await panel.getByRole('alert').filter({ hasText: 'The run was cancelled' }).waitFor();
      expect(await row.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
      expect((await h.api<Execution>('GET', `/api/executions/${executionId}`)).status).toBe('cancelled');
      expect(errors).toEqual([]);
    } finally {
      hanging.closeAllConnections();
      await new Promise((resolve) => hanging.close(resolve));
    }
  }, TEST_TIMEOUT_MS);

  it('shows a viewer the status, history and logs, but no Run now, Retry or Cancel', async () => {
    await h.api('POST', '/api/jobs', {
      meta: { id: 'viewed-hook' },
      payload: { jobType: 'http-request', schedule: { cronExpression: '0 6 * * *', isEnabled: true }, retry: { maxAttempts: 1 }, parameters: { url: 'http://127.0.0.1:9/viewed' } },
    });
    await finished((await h.api<{ executionId: string }>('POST', '/api/jobs/viewed-hook/run', {})).executionId);
    const viewer = await createToken(h.env, 'viewer');
    const { page, errors } = await open('/jobs/viewed-hook?tab=status', viewer);
    const panel = page.locator('#panel-status');
    const history = panel.getByRole('list', { name: 'Last 10 runs' });
    await history.locator(':scope > li').first().waitFor();
    await panel.locator('[data-live="live"]').waitFor();
    await history.locator(':scope > li').first().getByRole('button', { name: 'View logs' }).click();
    await history.locator(':scope > li').first().getByRole('log').locator('li').first().waitFor();
    expect(await panel.getByRole('button', { name: 'Run now' }).count()).toBe(0);
    expect(await panel.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    expect(await panel.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);
});
