// The job grid and the editor's Configuration tab in Debian's Chromium, at desktop and phone
// widths, on a fresh data folder with demo data: they render without errors, and these are the
// README's screenshots (docs/screenshots/ with GROVE_JOBS_REFRESH_SCREENSHOTS=1). Run `npm run
// build` first (dist/ and web/dist/).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, screenshotFolder, type ScreenshotFolder, useConsole } from './support.js';

const TEST_TIMEOUT_MS = 120_000;
const VIEWPORTS = [
  { name: 'desktop', width: 1440, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;
const available = chromiumAvailable();

describe.skipIf(!available)('the console at desktop and phone widths', () => {
  const h = useConsole();
  let screenshots: ScreenshotFolder;

  beforeAll(async () => {
    screenshots = screenshotFolder();
  }, 120_000);
  afterAll(async () => {
    screenshots?.remove();
  }, 60_000);

  for (const viewport of VIEWPORTS) {
    it(`shows the job grid and the editor on a ${viewport.name} (${viewport.width}×${viewport.height}) without errors`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const { page, errors } = await h.open('/');
      await page.setViewportSize({ width: viewport.width, height: viewport.height });
      await page.locator('article.card--job-config[data-job-id="advancement-batch"]').waitFor();
      expect(await page.locator('article.card--job-config').count()).toBe(7);
      // The timeline (loaded apart from the grid) with a name per enabled job.
      await page.locator('[data-testid="timeline-summary"]').waitFor();
      expect(await page.locator('.timeline-names li').count()).toBe(4);
      // No page wider than the screen.
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(viewport.width);
      await page.screenshot({ path: `${screenshots.dir}/grid-${viewport.name}.png`, fullPage: viewport.name === 'desktop' });

      await page.locator('article.card--job-config[data-job-id="advancement-batch"]').getByRole('link').first().click();
      await page.locator('form.config-form').waitFor();
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(viewport.width);
      await page.evaluate('window.scrollTo(0, 0)');
      await page.screenshot({ path: `${screenshots.dir}/editor-configuration-${viewport.name}.png`, fullPage: viewport.name === 'desktop' });
      expect(errors).toEqual([]);
      await page.context().close();
    });
  }
});
