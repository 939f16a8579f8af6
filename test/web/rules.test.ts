// The rules page's audit trail and rule editor in Debian's Chromium against `grove-jobs serve`
// on a fresh data folder with demo data: the editor offers only the next tier, a rule stored
// before that check shows why the batch skips it, and the event list shows who changed a tier
// and why, with the signal values an advancement was decided on. Run `npm run build` first.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, type ConsolePage, useConsole, finishedExecution } from './support.js';

interface Rule {
  meta: { id: string; version: number };
  payload: { fromTier: string; toTier: string };
  problem?: { field: string; message: string };
}
interface AdvancementEvent {
  id: string;
  sproutId: string;
  ruleId: string | null;
  eventType: string;
  fromTier: string;
  toTier: string;
  operatorId: string | null;
  reason: string | null;
  rollbackOf: string | null;
  criteriaMet: Array<{ signal: string; operator: string; threshold: number; value: number | null; met: boolean | null }> | null;
  signalValues: { ruleSignals: Record<string, number | null> } | null;
}

const TEST_TIMEOUT_MS = 240_000;
const NEVER = [{ signal: 'retrievals', operator: '>=', threshold: 1_000_000_000 }];
const available = chromiumAvailable();

describe.skipIf(!available)('the rules page: next-tier rules and who and why in the audit trail', () => {
  const h = useConsole();

  async function open(path = '/rules'): Promise<ConsolePage> {
    return h.open(path);
  }

  /** A statement on the serving process's embedded store, through the socket its lock names. */
  async function storeQuery(text: string): Promise<void> {
    const dataDir = h.env['GROVE_JOBS_DATA_DIR'] as string;
    const lock = JSON.parse(readFileSync(join(dataDir, 'grove-jobs.lock'), 'utf8')) as { socketDir: string };
    const client = new pg.Client({ connectionString: `postgresql://postgres@localhost:5432/postgres?host=${encodeURIComponent(lock.socketDir)}&sslmode=disable` });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  }

  const finished = (executionId: string) => finishedExecution<{ status: string }>(h, executionId);

  it('offers only the next tier in the rule editor, and the API refuses any other naming the field', async () => {
    const { page, errors } = await open();
    await page.locator('article.card--advancement-rule').first().waitFor();
    await page.getByRole('button', { name: 'New rule' }).click();
    const form = page.getByRole('form', { name: 'New rule' });
    const toTiers = () => form.getByLabel('To tier').locator('option').allTextContents();
    // Every tier but the last can start a rule; each moves to the tier after it only.
    expect(await form.getByLabel('From tier').locator('option').allTextContents()).toEqual(['seed', 'sprout', 'sapling', 'tree']);
    expect(await toTiers()).toEqual(['sprout']);
    await form.getByLabel('From tier').selectOption('sapling');
    expect(await toTiers()).toEqual(['tree']);
    expect(await form.getByLabel('To tier').inputValue()).toBe('tree');
    await form.getByLabel('Rule id').fill('sapling-up');
    await form.getByLabel('Title').fill('Sapling up');
    await form.getByLabel('Threshold 1').fill('1000000000');
    await form.getByRole('button', { name: 'Create rule' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved rule sapling-up' }).waitFor();
    const rules = (await h.api<{ items: Rule[] }>('GET', '/api/advancement-rules')).items;
    expect(rules.find((r) => r.meta.id === 'sapling-up')?.payload).toMatchObject({ fromTier: 'sapling', toTier: 'tree' });

    for (const [fromTier, toTier, field] of [
      ['seed', 'tree', 'payload.toTier'],
      ['tree', 'seed', 'payload.toTier'],
    ]) {
      const response = await fetch(`${h.base}/api/advancement-rules`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ meta: { id: `bad-${fromTier}` }, payload: { fromTier, toTier, criteria: NEVER } }),
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { field: string } }).error.field).toBe(field);
    }
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('shows why the batch skips a rule stored before the check, at its field, until it is fixed', async () => {
    await storeQuery(
      `insert into advancement_rules (id, title, lifecycle_model_id, from_tier, to_tier, criteria, logic_operator, is_enabled, sort_order, created_at, updated_at)
       values ('old-jump', 'Old jump', 'botanical', 'seed', 'tree', '${JSON.stringify(NEVER)}', 'AND', true, 99, now(), now())`,
    );
    const { page, errors } = await open();
    const card = page.locator('article[data-rule-id="old-jump"]');
    await card.getByTestId('rule-problem').getByText("'tree' is not the tier after 'seed' in botanical").waitFor();

    await card.getByRole('button', { name: 'Edit Old jump' }).click();
    const form = page.getByRole('form', { name: 'Edit rule old-jump' });
    const toTierError = form.locator('[data-path="payload.toTier"] .field-error');
    await toTierError.getByText("a rule moves a sprout to 'sprout' only").waitFor();
    expect(await form.getByLabel('To tier').locator('option').allTextContents()).toEqual(['sprout', 'tree (not the next tier)']);
    // Saving it as it is: the server's refusal, at the field.
    await form.getByRole('button', { name: 'Save rule' }).click();
    await toTierError.getByText("payload.toTier: 'tree' is not the tier after 'seed'").or(toTierError.getByText("'tree' is not the tier after 'seed'")).first().waitFor();
    expect((await h.api<{ items: Rule[] }>('GET', '/api/advancement-rules')).items.find((r) => r.meta.id === 'old-jump')?.meta.version).toBe(1);

    await form.getByLabel('To tier').selectOption('sprout');
    await form.getByRole('button', { name: 'Save rule' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved rule old-jump (version 2)' }).waitFor();
    await card.getByTestId('rule-problem').waitFor({ state: 'detached' });
    const fixed = (await h.api<{ items: Rule[] }>('GET', '/api/advancement-rules')).items.find((r) => r.meta.id === 'old-jump');
    expect(fixed?.payload).toMatchObject({ fromTier: 'seed', toTier: 'sprout' });
    expect(fixed).not.toHaveProperty('problem');
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('shows who changed a tier and why: the operator and reason of overrides and rollbacks, and the values an advancement was decided on', async () => {
    const { executionId } = await h.api<{ executionId: string }>('POST', '/api/jobs/advancement-batch/run', {});
    expect((await finished(executionId)).status).toBe('success');
    const seeds = (await h.api<{ items: Array<{ id: string }> }>('GET', '/api/sprouts?tier=seed')).items;
    const picked = seeds[0]?.id as string;
    const override = await h.api<AdvancementEvent>('POST', `/api/sprouts/${encodeURIComponent(picked)}/tier`, { tier: 'tree', reason: 'Curated for the spring showcase' });
    const now = Date.now();
    const rolledBack = await h.api<{ result: { rollbackEventIds: string[] } }>('POST', '/api/advancement-events/rollback', {
      since: new Date(now - 3_600_000).toISOString(),
      until: new Date(now + 60_000).toISOString(),
      ruleId: 'sapling-to-tree',
      reason: 'Tree bar set too low',
    });
    expect(rolledBack.result.rollbackEventIds.length).toBeGreaterThan(0);
    const events = (await h.api<{ items: AdvancementEvent[] }>('GET', '/api/advancement-events?limit=1000')).items;

    const { page, errors } = await open();
    const manual = page.locator(`li.event[data-event-id="${override.id}"]`);
    await manual.waitFor();
    expect(await manual.getByTestId('event-by').textContent()).toBe(`by ${override.operatorId}`);
    expect(override.operatorId).toBeTruthy();
    expect(await manual.getByTestId('event-why').textContent()).toContain('Reason: Curated for the spring showcase');
    expect(await manual.getByTestId('event-why').textContent()).toContain('Signal snapshot: not applicable');

    const rollbackId = rolledBack.result.rollbackEventIds[0] as string;
    const rollback = events.find((e) => e.id === rollbackId);
    const rollbackRow = page.locator(`li.event[data-event-id="${rollbackId}"]`);
    await rollbackRow.waitFor();
    const why = (await rollbackRow.getByTestId('event-why').textContent()) ?? '';
    expect(why).toContain('Reason: Tree bar set too low');
    expect(why).toContain(`Undoes the advancement sapling → tree by rule sapling-to-tree (event ${rollback?.rollbackOf})`);
    expect(why).toContain('Signal snapshot: not applicable');
    expect(await rollbackRow.getByTestId('event-by').textContent()).toBe(`by ${rollback?.operatorId}`);
    expect(await rollbackRow.locator('pre').count()).toBe(0);

    // An auto-advancement: each criterion's value is the rule signal shown beside it.
    const auto = page.locator('li.event[data-event-type="auto-advancement"]').first();
    await auto.waitFor();
    const autoId = await auto.getAttribute('data-event-id');
    const event = events.find((e) => e.id === autoId);
    expect(event?.criteriaMet?.length).toBeGreaterThan(0);
    await auto.getByText('Signal snapshot').click();
    for (const criterion of event?.criteriaMet ?? []) {
      expect(await auto.locator(`[data-testid="rule-signals"] [data-signal="${criterion.signal}"] dd`).textContent()).toBe(String(criterion.value));
      expect(event?.signalValues?.ruleSignals[criterion.signal]).toBe(criterion.value);
    }
    expect(await auto.getByTestId('event-by').textContent()).toBe(`rule ${event?.ruleId}`);
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);
});
