// The console after its event stream breaks: `serve` stops, the configuration changes while it is
// down (the CLI on the same data folder), and `serve` starts again on the same port. The pages'
// EventSource reconnects by itself with the last event's id; the server replays what it missed
// (or says resync), and the grid and the editor re-read what they show, with no reload. Run
// `npm run build` first (dist/ and web/dist/).
import { describe, expect, it } from 'vitest';
import { cliProcess } from '../support/cli.js';
import { chromiumAvailable, useConsole } from './support.js';

const TEST_TIMEOUT_MS = 180_000;
const available = chromiumAvailable();

describe.skipIf(!available)('the console after the event stream reconnects', () => {
  const h = useConsole();

  it('the grid and the editor show a change made while the server was down, without a reload', async () => {
    const job = await h.api<{ meta: { version: number }; payload: { limits: { batchSize: number } } }>('GET', '/api/jobs/orphan-cleanup');
    const version = job.meta.version;
    const batchSize = job.payload.limits.batchSize + 11;

    const grid = await h.open('/');
    const card = grid.page.locator('[data-job-id="orphan-cleanup"]');
    await card.getByTitle('Batch size').waitFor();
    const editor = await h.open('/jobs/orphan-cleanup');
    const header = editor.page.locator('.editor-header');
    await header.getByText(`version ${version}`).waitFor();
    let navigations = 0;
    for (const { page } of [grid, editor]) page.on('framenavigated', () => (navigations += 1));

    await h.restart(async () => {
      const set = await cliProcess(['jobs', 'set', 'orphan-cleanup', `payload.limits.batchSize=${batchSize}`], h.env);
      expect(set.code, set.stderr).toBe(0);
    });

    await card.getByTitle('Batch size').getByText(`Batch ${batchSize}`, { exact: true }).waitFor();
    await header.getByText(`version ${version + 1}`).waitFor();
    expect(navigations).toBe(0);
    expect([...grid.errors, ...editor.errors]).toEqual([]);
  }, TEST_TIMEOUT_MS);
});
