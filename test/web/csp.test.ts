// The console under its Content-Security-Policy in Debian's Chromium: index.html's inline
// script (the early reads) runs by its hash, the pages and their charts load with no violation,
// and a script injected into the page is refused.
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, type ConsolePage, useConsole } from './support.js';

const TEST_TIMEOUT_MS = 120_000;
const available = chromiumAvailable();

describe.skipIf(!available)('the console under its Content-Security-Policy', () => {
  const h = useConsole();

  /** Opens `path` and collects every message the browser logs about the policy, whatever its level. */
  async function open(path: string): Promise<ConsolePage & { violations: string[] }> {
    const opened = await h.open(path);
    const violations: string[] = [];
    opened.page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    return { ...opened, violations };
  }

  it('runs the early reads by hash, draws the grid and its timeline, and refuses an injected script', async () => {
    const response = await fetch(`${h.base}/`);
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(policy).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(response.headers.get('x-frame-options')).toBe('DENY');

    const { page, errors, violations } = await open('/');
    await page.locator('article[data-job-id="advancement-batch"]').waitFor();
    await page.locator('.timeline-plot canvas').waitFor();
    // The inline script ran: it left its early reads for the app.
    expect(await page.evaluate('typeof window.groveJobsEarly')).toBe('object');

    const injected = await page.evaluate(`new Promise((resolve) => {
      document.addEventListener('securitypolicyviolation', (event) => resolve(event.violatedDirective), { once: true });
      const script = document.createElement('script');
      script.textContent = 'window.injectedRan = true;';
      document.body.appendChild(script);
    })`);
    expect(injected).toMatch(/^script-src/);
    expect(await page.evaluate('window.injectedRan === true')).toBe(false);
    // The refusal above is the only one.
    expect(violations.filter((text) => !text.includes('inline script'))).toEqual([]);
    expect(violations.length).toBeLessThanOrEqual(1);
    expect(errors.filter((text) => !/inline script/.test(text))).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('shows a job editor and its Execution Status tab with its chart, with no violation', async () => {
    const { page, errors, violations } = await open('/jobs/advancement-batch?tab=status');
    await page.locator('#panel-status .gj-chart__plot canvas').waitFor();
    await page.goto(`${h.base}/jobs/advancement-batch`);
    await page.locator('[data-path="payload.schedule.cronExpression"]').waitFor();
    expect(violations).toEqual([]);
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);
});
