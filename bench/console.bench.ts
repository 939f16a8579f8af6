/**
 * Console figures (issue 7): the first load's size (gzip) and the time to a rendered grid of
 * 200 configs and to a rendered editor, in Debian's Chromium, with the Performance API (time
 * since navigation start), median of 5 loads. Needs `npm run build` (dist/ and web/dist/).
 * Run: npx tsx bench/console.bench.ts
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { startConsole } from '../test/web/support.js';

const LOADS = 5;
const CONFIGS = 200;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

const html = readFileSync('web/dist/index.html', 'utf8');
// What the first load fetches: the page and the scripts, preloads and styles it names (lazy chunks load later).
const assets = [...new Set([...html.matchAll(/(?:src|href)="\/?(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1] as string))];
const gzipBytes = (text: Buffer | string) => gzipSync(text, { level: 9 }).length;
const firstLoad = gzipBytes(html) + assets.reduce((sum, asset) => sum + gzipBytes(readFileSync(`web/dist/${asset}`)), 0);

const h = await startConsole();
try {
  const existing = (await h.api<{ total: number }>('GET', '/api/jobs?limit=1')).total;
  for (let i = existing; i < CONFIGS; i++) {
    await h.api('POST', '/api/jobs', {
      meta: { id: `load-${String(i).padStart(3, '0')}` },
      payload: { jobType: 'http-request', schedule: { cronExpression: `${i % 60} ${i % 24} * * *`, isEnabled: i % 3 !== 0 }, parameters: { url: 'http://127.0.0.1:9/' } },
    });
  }
  const grid: number[] = [];
  const editor: number[] = [];
  for (let load = 0; load < LOADS; load++) {
    const { page } = await h.open('/');
    await page.locator('article.card--job-config').nth(CONFIGS - 1).waitFor();
    grid.push(await page.evaluate(() => performance.now()));
    await page.context().close();
    const opened = await h.open('/jobs/advancement-batch');
    await opened.page.getByText(/next five runs|Next runs/i).first().waitFor();
    editor.push(await opened.page.evaluate(() => performance.now()));
    await opened.page.context().close();
  }
  console.log(`Console (Chromium ${LOADS} loads, median): first load ${(firstLoad / 1024).toFixed(1)} KB gzip (${assets.length} assets + index.html)`);
  console.log(`  grid of ${CONFIGS} configs rendered: ${median(grid).toFixed(0)} ms (${grid.map((v) => v.toFixed(0)).join(', ')})`);
  console.log(`  editor rendered with its next runs: ${median(editor).toFixed(0)} ms (${editor.map((v) => v.toFixed(0)).join(', ')})`);
} finally {
  await h.close();
}
