// Fields from config files in the console, in Debian's Chromium against `grove-jobs serve` on a
// fresh data folder, at phone (390 × 844) and desktop (1440 × 900) sizes: a config applied
// through POST /api/apply marks the fields its document stated, editing one warns of the next
// apply's conflict, and saving makes the field the console's. Run `npm run build` first.
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, type ConsolePage, createToken, useConsole } from './support.js';

interface Owner {
  manager: string;
  by: string;
  at: string;
  version: number;
}

const TEST_TIMEOUT_MS = 180_000;
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const NO_SIDEWAYS_SCROLL = 'document.documentElement.scrollWidth <= innerWidth';
const CRON = 'payload.schedule.cronExpression';
const BATCH_SIZE = 'payload.limits.batchSize';
const ID = 'nightly-files';
/** "Set by apply:files on 7 Dec 2026, 14:02 UTC, version 1". */
const SET_BY_FILES = /^Set by apply:files on \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC, version 1$/;
const available = chromiumAvailable();

describe.skipIf(!available)('fields from config files in the console', () => {
  const h = useConsole();
  let operator = '';

  /** A call to the API with the operator's token, as a pipeline running grove-jobs would make it. */
  async function asOperator<T>(method: string, path: string, body?: unknown): Promise<T> {
    operator ||= await createToken(h.env, 'operator');
    const headers: Record<string, string> = { authorization: `Bearer ${operator}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${h.base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  async function open(path: string, size: { width: number; height: number }): Promise<ConsolePage> {
    const opened = await h.open(path, operator);
    await opened.page.setViewportSize(size);
    return opened;
  }

  const field = (page: ConsolePage['page'], path: string) => page.locator(`[data-path="${path}"]`);

  it('marks the fields a config file stated, warns when one is edited, and gives it to the console once saved', async () => {
    const applied = await asOperator<{ applied: boolean; manager: string; results: Array<{ id: string; outcome: string }> }>('POST', '/api/apply', {
      documents: [{ meta: { id: ID, title: 'From files' }, payload: { jobType: 'signal-aggregation', schedule: { cronExpression: '0 3 * * *' } } }],
      message: 'release 42',
    });
    expect(applied).toMatchObject({ applied: true, manager: 'apply:files', results: [{ id: ID, outcome: 'created' }] });
    const before = (await asOperator<{ owners: Record<string, Owner> }>('GET', `/api/jobs/${ID}/owners`)).owners;
    expect(before[CRON]).toMatchObject({ manager: 'apply:files', by: 'apply:files', version: 1 });
    expect(before[BATCH_SIZE]).toBeUndefined();

    // A phone: the marker fits beside its label, and editing the field warns without sideways scrolling.
    const phone = await open(`/jobs/${ID}`, PHONE);
    const cronMark = field(phone.page, CRON).locator('.from-files');
    await cronMark.getByText('from files (files)').waitFor();
    expect(await cronMark.getAttribute('title')).toMatch(SET_BY_FILES);
    // Who and when are also read with the field, not only shown on hover.
    expect(await phone.page.getByLabel('Cron expression').getAttribute('aria-describedby')).toBeTruthy();
    const described = (await phone.page.evaluate(
      `document.querySelector('[data-path="${CRON}"] input').getAttribute('aria-describedby').split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' ')`,
    )) as string;
    expect(described).toMatch(/From config files \(apply:files\)\. Set by apply:files on .+, version 1\./);
    // The title is in the General section, closed on a phone.
    expect(await field(phone.page, 'meta.title').locator('.from-files').count()).toBe(1);
    const execution = phone.page.getByRole('button', { name: 'Execution', exact: true });
    await execution.click();
    await phone.page.getByLabel('Batch size').waitFor();
    expect(await field(phone.page, BATCH_SIZE).locator('.from-files').count()).toBe(0);
    expect(await field(phone.page, CRON).locator('.from-files-warning').count()).toBe(0);
    await phone.page.getByLabel('Cron expression').fill('0 4 * * *');
    await field(phone.page, CRON).locator('.from-files-warning').getByText(/comes from config files \(apply:files\)/).waitFor();
    expect(await phone.page.evaluate(NO_SIDEWAYS_SCROLL)).toBe(true);
    expect(phone.errors).toEqual([]);
    await phone.page.context().close();

    // A desktop: edit, see the warning by the field and by Save, save anyway.
    const { page, errors } = await open(`/jobs/${ID}`, DESKTOP);
    await field(page, CRON).locator('.from-files').getByText('from files (files)').waitFor();
    expect(await field(page, BATCH_SIZE).locator('.from-files').count()).toBe(0);
    await page.getByLabel('Cron expression').fill('0 4 * * *');
    const warning = field(page, CRON).locator('.from-files-warning');
    await warning.waitFor();
    expect(await warning.textContent()).toMatch(/If you save this change, the next grove-jobs apply stops with a conflict on it: change the file to match, or .*--force/);
    await page.locator('.form-actions').getByText(/Cron expression \(apply:files\)/).waitFor();
    // Undoing the edit takes the warning away: only a change of the files' value is one.
    await page.getByLabel('Cron expression').fill('0 3 * * *');
    await warning.waitFor({ state: 'detached' });
    await page.getByLabel('Cron expression').fill('0 4 * * *');
    await warning.waitFor();
    await page.getByRole('list', { name: 'Next runs' }).waitFor();
    await page.getByRole('button', { name: 'Save changes' }).click();
    // A schedule change shows what changes in the next runs before it is stored.
    await page.getByRole('region', { name: /Before you save/ }).getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Schedule updated' }).waitFor();

    // The console's save is recorded as the console's: the marker goes, the title keeps its own.
    await field(page, CRON).locator('.from-files').waitFor({ state: 'detached' });
    expect(await field(page, CRON).locator('.from-files-warning').count()).toBe(0);
    await field(page, 'meta.title').locator('.from-files').waitFor();
    const after = (await asOperator<{ owners: Record<string, Owner> }>('GET', `/api/jobs/${ID}/owners`)).owners;
    expect(after[CRON]?.manager).toBe('console');
    expect(after[CRON]?.by).toMatch(/^console:/);
    expect(after[CRON]?.version).toBe(2);
    expect(after['meta.title']?.manager).toBe('apply:files');

    // The version the apply stored says who stored it and why.
    const first = page.getByRole('list', { name: 'Versions' }).locator('li[data-version="1"]');
    await first.getByText('release 42').waitFor();
    expect(await first.locator('.from-files').textContent()).toBe('apply:files');
    expect(await page.getByRole('list', { name: 'Versions' }).locator('li[data-version="2"]').textContent()).toMatch(/console:console-test-operator/);
    expect(await page.evaluate(NO_SIDEWAYS_SCROLL)).toBe(true);
    expect(errors).toEqual([]);
  }, TEST_TIMEOUT_MS);
});
