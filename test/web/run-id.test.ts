// The status view's Run chip names its execution by a prefix the CLI and the API take, in
// Debian's Chromium against `grove-jobs serve`. Run `npm run build` first (dist/ and web/dist/).
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, useConsole, finishedExecution } from './support.js';


describe.skipIf(!chromiumAvailable())('the Run chip of the Execution Status tab', () => {
  const h = useConsole();

  const finished = (executionId: string) => finishedExecution(h, executionId);

  it('shows a prefix that names the run shown, unique although runs of the same minute share 8 digits, with the whole id on hover', async () => {
    // An http-request job at a port nothing listens on ends at once.
    await h.api('POST', '/api/jobs', {
      meta: { id: 'quick-hook', title: 'Quick hook' },
      payload: { jobType: 'http-request', schedule: { cronExpression: '0 4 * * *' }, retry: { maxAttempts: 1 }, parameters: { url: 'http://127.0.0.1:9/hook' } },
    });
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { executionId } = await h.api<{ executionId: string }>('POST', '/api/jobs/quick-hook/run', {});
      await finished(executionId);
      ids.push(executionId);
    }
    const [older, newer] = ids as [string, string];

    const { page, errors } = await h.open('/jobs/quick-hook?tab=status');
    const panel = page.locator('#panel-status');
    const chip = panel.locator('[data-metric="run-id"] dd');
    const history = panel.getByRole('list', { name: 'Last 10 runs' });
    for (const id of [newer, older]) {
      await history.locator(`li[data-execution-id="${id}"]`).getByRole('button', { name: 'Show status' }).click();
      await panel.locator(`[data-metric="run-id"] dd[title="${id}"]`).waitFor();
      const shown = (await chip.textContent()) ?? '';
      expect(id.startsWith(shown)).toBe(true);
      expect(shown.replaceAll('-', '').length).toBeGreaterThanOrEqual(8);
      // What the chip shows is what the API (and grove-jobs logs) takes for this run.
      expect(await h.api<{ id: string }>('GET', `/api/executions/${shown}`)).toMatchObject({ id });
    }
    expect(errors).toEqual([]);
  }, 180_000);
});
