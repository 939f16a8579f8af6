// The Advancement rules page in Debian's Chromium against `grove-jobs serve` on a fresh data
// folder with demo data: create a rule in the editor, run the advancement batch, see its events,
// preview a rollback of the range and confirm it. Run `npm run build` first (dist/ and web/dist/).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, type ConsolePage, createToken, screenshotFolder, type ScreenshotFolder, useConsole, finishedExecution, inputValueIs, until } from './support.js';

interface Rule {
  meta: { id: string; title: string; version: number };
  payload: { fromTier: string; toTier: string; criteria: Array<{ signal: string; operator: string; threshold: number }>; logicOperator: string; order: number; isEnabled: boolean };
}
interface AdvancementEvent {
  id: string;
  sproutId: string;
  ruleId: string | null;
  fromTier: string;
  toTier: string;
  executionId: string | null;
  rolledBack: boolean;
}

const TEST_TIMEOUT_MS = 240_000;
const RULE_ID = 'seed-fast-track';

/** Visible controls under <main> smaller than 44 px (a checkbox counts its label) or without a label. */
const CONTROL_PROBLEMS = `(() => {
  const found = [];
  for (const el of document.querySelectorAll('main button, main a, main input, main select, main textarea, main summary')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    const check = el.tagName === 'INPUT' && (el.type === 'checkbox' || el.type === 'radio');
    const height = check ? (el.closest('label')?.getBoundingClientRect().height ?? 0) : box.height;
    if (height < 44) found.push('small: ' + el.outerHTML.slice(0, 60));
    const control = ['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName);
    if (control && el.labels.length === 0 && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')) found.push('unlabelled: ' + el.outerHTML.slice(0, 60));
  }
  return found;
})()`;
const available = chromiumAvailable();

describe.skipIf(!available)('the Advancement rules page', () => {
  const h = useConsole();
  /** docs/screenshots/ only with GROVE_JOBS_REFRESH_SCREENSHOTS=1, else a temporary folder. */
  let screenshots: ScreenshotFolder;

  beforeAll(async () => {
    screenshots = screenshotFolder();
  }, 120_000);
  afterAll(async () => {
    screenshots?.remove();
  }, 60_000);

  async function open(path = '/rules', token?: string): Promise<ConsolePage> {
    return h.open(path, token);
  }

  const finished = (executionId: string) => finishedExecution<{ status: string }>(h, executionId);

  it('creates a rule, runs advancement, shows its events, and rolls the range back after a preview', async () => {
    const { page, errors } = await open();
    await page.locator('article.card--advancement-rule').first().waitFor();

    // The editor: a new rule that every seed meets, tried before the demo data's seed rule.
    await page.getByRole('button', { name: 'New rule' }).click();
    const form = page.getByRole('form', { name: 'New rule' });
    await form.getByLabel('Rule id').fill(RULE_ID);
    await form.getByLabel('Title').fill('Seed fast track');
    await form.getByLabel('From tier').selectOption('seed');
    // A server refusal is shown at its field: a rule id with spaces.
    await form.getByLabel('Rule id').fill('seed fast track');
    await form.getByRole('button', { name: 'Create rule' }).click();
    await form.locator('[data-path="meta.id"] .field-error').getByText('must start with a letter or digit').waitFor();
    await form.getByLabel('Rule id').fill(RULE_ID);
    // The next tier is the only one offered.
    expect(await form.getByLabel('To tier').locator('option').allTextContents()).toEqual(['sprout']);
    await form.getByLabel('Order').fill('1');
    await form.getByRole('button', { name: 'Add criterion' }).click();
    await form.getByLabel('Signal 2').selectOption('citations');
    await form.getByLabel('Threshold 2').fill('0');
    await form.getByLabel('Criteria must').selectOption('OR');
    await form.getByLabel('Signal 1').selectOption('retrievals');
    await form.getByLabel('Operator 1').selectOption('>=');
    await form.getByLabel('Threshold 1').fill('0');
    expect(await page.evaluate(CONTROL_PROBLEMS)).toEqual([]);
    await form.getByRole('button', { name: 'Create rule' }).click();
    await page.getByRole('status').filter({ hasText: `Saved rule ${RULE_ID}` }).waitFor();
    await page.locator(`article[data-rule-id="${RULE_ID}"]`).waitFor();
    const rule = (await h.api<{ items: Rule[] }>('GET', '/api/advancement-rules')).items.find((x) => x.meta.id === RULE_ID);
    expect(rule?.payload).toMatchObject({ fromTier: 'seed', toTier: 'sprout', logicOperator: 'OR', order: 1, isEnabled: true });
    expect(rule?.payload.criteria).toEqual([
      { signal: 'retrievals', operator: '>=', threshold: 0 },
      { signal: 'citations', operator: '>=', threshold: 0 },
    ]);

    // Run the advancement batch (Run now through the API) and wait for it to end.
    const { executionId } = await h.api<{ executionId: string }>('POST', '/api/jobs/advancement-batch/run', {});
    expect((await finished(executionId)).status).toBe('success');
    const events = (await h.api<{ items: AdvancementEvent[] }>('GET', `/api/advancement-events?ruleId=${RULE_ID}&limit=10000`)).items;
    expect(events.length).toBeGreaterThan(0);

    // The page shows the events (newest first) with their signal snapshots.
    await page.reload();
    const row = page.locator('li.event').filter({ hasText: `rule ${RULE_ID}` }).first();
    await row.waitFor();
    expect(events.map((e) => e.id)).toContain(await row.getAttribute('data-event-id'));
    expect(await row.textContent()).toContain(`seed → sprout`);
    expect(await row.textContent()).toContain(`rule ${RULE_ID}`);
    await row.getByText('Signal snapshot').click();
    await row.locator('pre').waitFor();
    const times = await page.locator('li.event time').evaluateAll((items) => items.map((item) => item.getAttribute('datetime') ?? ''));
    expect([...times].sort().reverse()).toEqual(times);

    // Screenshots of the page, on a desktop and on a phone.
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: `${screenshots.dir}/rules-desktop.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: `${screenshots.dir}/rules-phone.png` });
    expect(await page.evaluate(CONTROL_PROBLEMS)).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 900 });

    // Bulk rollback of the last 24 hours, of the new rule: preview, a reason, confirm.
    const rollback = page.locator('section[aria-labelledby="rollback-heading"]');
    await rollback.getByLabel('Rule (optional)').selectOption(RULE_ID);
    await rollback.getByRole('button', { name: 'Preview rollback' }).click();
    const preview = page.getByTestId('rollback-preview');
    await preview.waitFor();
    const items = preview.locator('.plan-items li');
    expect(await page.evaluate(CONTROL_PROBLEMS)).toEqual([]);
    expect(await items.count()).toBe(events.length);
    const reverts = await preview.locator('li[data-action="revert"]').count();
    expect(await preview.locator('[data-count="reverts"]').textContent()).toBe(`${reverts} to revert`);
    await preview.getByRole('button', { name: 'Confirm rollback' }).click();
    await preview.getByText('Give a reason for the rollback.').waitFor();
    await preview.getByLabel('Reason (required)').fill('Fast track was too lenient');
    await preview.getByRole('button', { name: 'Confirm rollback' }).click();
    const result = page.getByTestId('rollback-result');
    await result.waitFor();
    expect(await result.textContent()).toContain(`Rolled back ${reverts} `);

    // The API has the sprouts back at their tiers and the events marked rolled back.
    const after = (await h.api<{ items: AdvancementEvent[] }>('GET', `/api/advancement-events?ruleId=${RULE_ID}&limit=10000`)).items;
    const advanced = after.filter((e) => events.some((x) => x.id === e.id));
    expect(advanced.filter((e) => e.rolledBack).length).toBe(reverts);
    for (const event of advanced.filter((e) => e.rolledBack).slice(0, 20)) {
      const sprout = await h.api<{ tier: string }>('GET', `/api/sprouts/${encodeURIComponent(event.sproutId)}`);
      expect(sprout.tier).toBe(event.fromTier);
    }
    expect(reverts).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('shows a conflict when the rule changed since the editor opened', async () => {
    const { page, errors } = await open();
    await page.getByRole('button', { name: 'Edit Seed fast track' }).click();
    const form = page.getByRole('form', { name: `Edit rule ${RULE_ID}` });
    await form.getByLabel('Title').fill('Seed fast track (edited)');
    const rules = (await h.api<{ items: Rule[] }>('GET', '/api/advancement-rules')).items;
    const current = rules.find((r) => r.meta.id === RULE_ID);
    if (!current) throw new Error('rule missing');
    await h.api('PUT', `/api/advancement-rules/${RULE_ID}`, { meta: { id: RULE_ID, title: 'Changed elsewhere', version: current.meta.version }, payload: current.payload });
    await form.getByRole('button', { name: 'Save rule' }).click();
    await form.getByRole('alert').filter({ hasText: 'Conflict' }).waitFor();
    await form.getByRole('button', { name: 'Load the current version' }).click();
    const reloaded = page.getByRole('form', { name: `Edit rule ${RULE_ID}` });
    await until(page, inputValueIs('meta.title', 'Changed elsewhere'));
    expect(await reloaded.getByRole('alert').count()).toBe(0);
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('deletes a rule after a confirmation, for an admin only', async () => {
    await h.api('POST', '/api/advancement-rules', {
      meta: { id: 'short-lived', title: 'Short lived' },
      payload: {
        lifecycleModelId: 'botanical',
        fromTier: 'tree',
        toTier: 'grove',
        criteria: [{ signal: 'retrievals', operator: '>=', threshold: 1_000_000 }],
        logicOperator: 'AND',
        isEnabled: false,
        order: 99,
      },
    });
    const { page, errors } = await open();
    const card = page.locator('article[data-rule-id="short-lived"]');
    await card.waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete Short lived' }).click();
    await page.getByRole('status').filter({ hasText: 'Deleted rule short-lived.' }).waitFor();
    await card.waitFor({ state: 'detached' });
    const rules = (await h.api<{ items: Rule[] }>('GET', '/api/advancement-rules')).items;
    expect(rules.map((r) => r.meta.id)).not.toContain('short-lived');
    expect(rules.map((r) => r.meta.id)).toContain(RULE_ID);

    // An operator edits rules but does not delete them.
    const operator = await open('/rules', await createToken(h.env, 'operator'));
    await operator.page.locator(`article[data-rule-id="${RULE_ID}"]`).waitFor();
    expect(await operator.page.getByRole('button', { name: /^Edit / }).count()).toBeGreaterThan(0);
    expect(await operator.page.getByRole('button', { name: /^Delete / }).count()).toBe(0);
    expect(errors).toEqual([]);
    expect(operator.errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('shows a viewer the rules and events without edit controls', async () => {
    const viewer = await createToken(h.env, 'viewer');
    const { page, errors } = await open('/rules', viewer);
    await page.locator(`article[data-rule-id="${RULE_ID}"]`).waitFor();
    await page.locator('li.event').first().waitFor();
    expect(await page.getByRole('button', { name: 'New rule' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Edit / }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Preview rollback' }).count()).toBe(0);
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('shows the advancement batch run on the Execution Status tab, at desktop and phone widths', async () => {
    const { page, errors } = await open('/jobs/advancement-batch?tab=status');
    const panel = page.locator('#panel-status');
    await panel.locator('[data-phase="success"]').waitFor();
    await page.screenshot({ path: `${screenshots.dir}/editor-status-desktop.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await panel.locator('[data-phase="success"]').waitFor();
    await page.screenshot({ path: `${screenshots.dir}/editor-status-phone.png` });
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);
});
