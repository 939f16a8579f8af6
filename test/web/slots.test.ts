// The Slots view of the Execution Status tab, in Debian's Chromium against `grove-jobs serve` on
// a fresh data folder, at phone (390 × 844, touch) and desktop (1440 × 900) sizes: each slot of
// a day or week a mark named by its fate, the legend, the explanation on hover, focus and tap,
// a mark that ran opens its execution, manual runs on their own row, daylight-saving days
// marked, the empty and error states, and no sideways scroll. Run `npm run build` first.
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, type ConsolePage, finishedExecution, useConsole } from './support.js';

interface LedgerSlot {
  at: string;
  wallClock: string;
  fate: string;
  phrase: string;
  execution?: { id: string; status: string };
  dst?: { rule: string };
}

interface Ledger {
  slots: LedgerSlot[];
  manual: Array<{ id: string; at: string; status: string }>;
  dst: Array<{ date: string; explanation: string }>;
}

const TEST_TIMEOUT_MS = 180_000;
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const NO_SIDEWAYS_SCROLL = 'document.documentElement.scrollWidth <= innerWidth';
const DAILY = 'slots-daily';
const DST = 'slots-dst';
const HOURLY = 'slots-hourly';
/** The daily job's slot comes this long after the test starts: long enough to open nothing before it. */
const SLOT_LEAD_MS = 12_000;
/** A folder to keep screenshots in for a look (none by default: a plain run writes nothing). */
const SCREENSHOTS = process.env['GROVE_JOBS_SLOTS_SCREENSHOTS'];
const available = chromiumAvailable();

async function screenshot(page: ConsolePage['page'], name: string): Promise<void> {
  if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
}

/** "17:05" or "17:05:09" of an ISO instant in UTC, as the marks show times. */
const utcClock = (iso: string) => {
  const time = iso.slice(11, 19);
  return time.endsWith(':00') ? time.slice(0, 5) : time;
};

describe.skipIf(!available)('the Slots view of the Execution Status tab', () => {
  const h = useConsole();
  /** The daily job's slot that ran, and the manual runs made before it. */
  let slotAt = '';
  const manualIds: string[] = [];

  const ledger = (id: string, from: string, until: string) => h.api<Ledger>('GET', `/api/jobs/${id}/slots?from=${from}&until=${until}`);

  /** A phone: a touch screen, signed in through the address fragment as `h.open` does. */
  async function openPhone(path: string): Promise<ConsolePage> {
    const desktop = await h.open('/');
    const browser = desktop.page.context().browser();
    await desktop.page.context().close();
    if (!browser) throw new Error('no browser behind the console page');
    const context = await browser.newContext({ viewport: PHONE, hasTouch: true, isMobile: true, locale: 'en-US', timezoneId: 'UTC' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(`console: ${message.text()}`);
    });
    await page.goto(`${h.base}${path}#token=${h.token}`);
    return { page, errors };
  }

  async function openDesktop(path: string): Promise<ConsolePage> {
    const opened = await h.open(path);
    await opened.page.setViewportSize(DESKTOP);
    return opened;
  }

  /** Switches the tab to Slots and the strip to `day`; waits for that day's ledger. */
  async function showSlots(page: ConsolePage['page'], day: string) {
    const panel = page.locator('#panel-status');
    await panel.getByRole('group', { name: 'Show' }).getByRole('button', { name: 'Slots' }).click();
    const view = panel.getByRole('region', { name: 'Slots' });
    await view.getByLabel('Go to').fill(day);
    // Days are drawn once their ledger is read.
    await view.locator(`li[data-day="${day}"]`).waitFor();
    return { panel, view };
  }

  it('names each slot of a day by its fate, explains it on hover and focus, and opens its run, on a desktop', async () => {
    // An http-request job at a port nothing listens on fails at once: one attempt each.
    const at = new Date(Math.ceil((Date.now() + SLOT_LEAD_MS) / 1000) * 1000);
    await h.api('POST', '/api/jobs', {
      meta: { id: DAILY, title: 'Slots daily' },
      payload: {
        jobType: 'http-request',
        schedule: { cronExpression: `${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} * * *`, timezone: 'UTC', isEnabled: true },
        retry: { maxAttempts: 1 },
        parameters: { url: 'http://127.0.0.1:9/slots' },
      },
    });
    for (let i = 0; i < 2; i++) {
      const { executionId } = await h.api<{ executionId: string }>('POST', `/api/jobs/${DAILY}/run`, {});
      await finishedExecution(h, executionId);
      manualIds.push(executionId);
    }
    slotAt = at.toISOString();
    const day = slotAt.slice(0, 10);
    // The scheduler claims the slot and the worker runs it.
    let ran: LedgerSlot | undefined;
    for (let polls = 0; polls < 600 && !ran; polls++) {
      const read = await ledger(DAILY, `${day}T00:00:00Z`, `${day}T23:59:59Z`);
      ran = read.slots.find((s) => s.at === slotAt && s.fate === 'ran' && ['failed', 'success'].includes(s.execution?.status ?? ''));
      if (!ran) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(ran, `the slot at ${slotAt} did not run`).toBeDefined();
    // Paused for three days from its slot: the next two days' slots are paused.
    await h.api('POST', `/api/jobs/${DAILY}/pause`, { reason: 'Slots test', until: new Date(at.getTime() + 3 * 86_400_000 - 1000).toISOString() });

    const { page, errors } = await openDesktop(`/jobs/${DAILY}?tab=status`);
    const { panel, view } = await showSlots(page, day);
    const from = await view.getAttribute('data-from');
    const until = await view.getAttribute('data-until');
    expect(from).toBe(`${day}T00:00:00.000Z`);
    expect(until).toBe(`${day}T23:59:59.999Z`);
    const expected = await ledger(DAILY, from ?? '', until ?? '');
    const marks = view.getByRole('group', { name: /^Slots of / }).getByRole('button');
    expect(await marks.count()).toBe(expected.slots.length);
    const mark = view.locator(`button[data-at="${slotAt}"]`);
    const status = ran?.execution?.status ?? '';
    expect(await mark.getAttribute('aria-label')).toBe(`${utcClock(slotAt)} UTC — ran (${status})`);
    expect(await mark.getAttribute('data-fate')).toBe('ran');

    // Manual runs on their own row, named by time and outcome.
    const manual = view.getByRole('group', { name: /^Manual runs of / }).getByRole('button');
    expect(await manual.count()).toBe(2);
    for (const name of await manual.evaluateAll((buttons) => buttons.map((b) => b.getAttribute('aria-label')))) {
      expect(name).toMatch(/^\d\d:\d\d(:\d\d)? UTC — manual run \((failed|success)\)$/);
    }

    // The legend names what is drawn.
    const legend = view.getByRole('list', { name: 'Legend' });
    await legend.getByText(status === 'failed' ? 'Its run failed or timed out' : 'Ran', { exact: true }).waitFor();
    await legend.getByText('Manual run (not started by a slot)').waitFor();

    // Hover explains a slot (its phrase, with the wall clock and UTC); focus does too.
    const details = view.locator('.gj-slots__details');
    await mark.hover();
    await details.getByText(ran?.phrase ?? '', { exact: false }).waitFor();
    expect(await details.textContent()).toContain(`, ${utcClock(slotAt)} UTC This slot ran at`);
    await page.mouse.move(0, 0);
    await manual.first().focus();
    await details.getByText(/A run started by hand/).waitFor();

    // A manual run opens in the status view; so does the slot's run.
    await manual.first().click();
    await panel.getByText('Showing a selected run.').waitFor();
    await panel.locator(`.gj-status__current dd[title="${manualIds[0]}"]`).waitFor();
    await mark.click();
    await panel.locator(`.gj-status__current dd[title="${ran?.execution?.id}"]`).waitFor();
    expect(await mark.getAttribute('aria-current')).toBe('true');
    expect(await page.evaluate(NO_SIDEWAYS_SCROLL)).toBe(true);
    await screenshot(page, 'slots-day-desktop');

    // The week: before the job existed, the slot that ran, two paused days, then upcoming.
    await view.getByRole('group', { name: 'Range' }).getByRole('button', { name: 'Week' }).click();
    await view.locator('li[data-day]').nth(6).waitFor();
    expect(await view.locator('li[data-day]').count()).toBe(7);
    const nextDay = new Date(at.getTime() + 86_400_000).toISOString();
    if (nextDay.slice(0, 10) <= (await view.locator('li[data-day]').last().getAttribute('data-day') ?? '')) {
      expect(await view.locator(`button[data-at="${nextDay}"]`).getAttribute('aria-label')).toBe(`${utcClock(nextDay)} UTC — paused`);
      await legend.getByText('Paused', { exact: true }).waitFor();
    }
    // The keyboard walks the marks: one tab stop, arrow keys between them.
    await mark.focus();
    await page.keyboard.press('End');
    const last = await page.evaluate('document.activeElement?.getAttribute("data-at")');
    expect(last).toBe((await view.locator('button[data-at]').last().getAttribute('data-at')) ?? '');
    expect(await view.locator('button[data-at][tabindex="0"]').count()).toBe(1);
    expect(await page.evaluate(NO_SIDEWAYS_SCROLL)).toBe(true);
    await screenshot(page, 'slots-week-desktop');

    // Live: a run started elsewhere appears on the manual row without a reload.
    const { executionId: third } = await h.api<{ executionId: string }>('POST', `/api/jobs/${DAILY}/run`, {});
    await view.locator(`.gj-slots__manual button[data-execution-id="${third}"]`).waitFor();
    expect(await view.getByRole('group', { name: /^Manual runs of / }).getByRole('button').count()).toBe(3);

    // A failed read says so, and Try again reads again.
    await page.route('**/api/jobs/*/slots?*', (route) => route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'The store is not answering' } }) }));
    await view.getByRole('button', { name: 'Next week' }).click();
    await view.getByRole('alert').getByText('Could not read the slots: The store is not answering').waitFor();
    await page.unroute('**/api/jobs/*/slots?*');
    await view.getByRole('alert').getByRole('button', { name: 'Try again' }).click();
    await view.getByRole('alert').waitFor({ state: 'detached' });
    await view.locator('li[data-day]').first().waitFor();
    expect(errors).toEqual([]);
    await page.context().close();
  }, TEST_TIMEOUT_MS);

  it('explains a slot on tap and opens its run on a phone, without sideways scroll', async () => {
    const day = slotAt.slice(0, 10);
    const { page, errors } = await openPhone(`/jobs/${DAILY}?tab=status`);
    const { panel, view } = await showSlots(page, day);
    const mark = view.locator(`button[data-at="${slotAt}"]`);
    await mark.tap();
    const details = view.locator('.gj-slots__details');
    await details.getByText(/^.*this slot ran at/i).waitFor();
    const executionId = await mark.getAttribute('data-execution-id');
    await panel.locator(`.gj-status__current dd[title="${executionId}"]`).waitFor();
    expect(await page.evaluate(NO_SIDEWAYS_SCROLL)).toBe(true);
    await screenshot(page, 'slots-day-phone');
    await view.getByRole('group', { name: 'Range' }).getByRole('button', { name: 'Week' }).tap();
    await view.locator('li[data-day]').nth(6).waitFor();
    expect(await page.evaluate(NO_SIDEWAYS_SCROLL)).toBe(true);
    await screenshot(page, 'slots-week-phone');
    expect(errors).toEqual([]);
    await page.context().close();
  }, TEST_TIMEOUT_MS);

  it('marks the daylight-saving days of a New York job and the slot the change moved, with empty days said so', async () => {
    // Sundays at 02:30: on 2026-03-08 that wall time does not exist, and the slot runs at 03:00 EDT.
    await h.api('POST', '/api/jobs', {
      meta: { id: DST, title: 'Slots DST' },
      payload: { jobType: 'http-request', schedule: { cronExpression: '30 2 * * 0', timezone: 'America/New_York', isEnabled: true }, retry: { maxAttempts: 1 }, parameters: { url: 'http://127.0.0.1:9/dst' } },
    });
    for (const size of [PHONE, DESKTOP]) {
      const { page, errors } = size === PHONE ? await openPhone(`/jobs/${DST}?tab=status`) : await openDesktop(`/jobs/${DST}?tab=status`);
      const { view } = await showSlots(page, '2026-03-08');
      expect(await view.getAttribute('data-from')).toBe('2026-03-08T05:00:00.000Z');
      // 23 hours long: the next day starts at 04:00 UTC.
      expect(await view.getAttribute('data-until')).toBe('2026-03-09T03:59:59.999Z');
      const sunday = view.locator('li[data-day="2026-03-08"]');
      await sunday.getByText('Clocks go forward: 02:00 → 03:00 (EST → EDT)').waitFor();
      const mark = sunday.locator('button[data-at="2026-03-08T07:00:00.000Z"]');
      const name = await mark.getAttribute('aria-label');
      expect(name).toMatch(/^03:00 EDT — (before the job existed|upcoming|missed|unclaimed); daylight saving: 02:30 does not exist that day$/);
      expect(await mark.getAttribute('class')).toContain('has-dst');
      await sunday.getByRole('list', { name: /^Daylight saving on / }).getByText(/02:30 does not exist that day/).waitFor();
      await view.getByRole('list', { name: 'Legend' }).getByText('Moved or doubled by daylight saving').waitFor();
      if (size === PHONE) await mark.tap();
      else await mark.focus();
      await view.locator('.gj-slots__details').getByText(/Daylight saving: 02:30 does not exist that day: runs once at the first instant after the gap/).waitFor();
      // The zone's wall clock, and UTC beside it.
      expect(await view.locator('.gj-slots__details').textContent()).toContain('Sun, Mar 8, 03:00 EDT (07:00 UTC)');

      // The week before: six days with no slot, each said so.
      await view.getByRole('group', { name: 'Range' }).getByRole('button', { name: 'Week' }).click();
      await view.locator('li[data-day="2026-03-02"]').waitFor();
      expect(await view.getByText('No slots on this day').count()).toBe(6);
      expect(await page.evaluate(NO_SIDEWAYS_SCROLL)).toBe(true);
      await screenshot(page, `slots-dst-${size.width}`);

      // The autumn change: clocks go back, and the 02:30 slot is not moved.
      await view.getByRole('group', { name: 'Range' }).getByRole('button', { name: 'Day' }).click();
      await view.getByLabel('Go to').fill('2026-11-01');
      const autumn = view.locator('li[data-day="2026-11-01"]');
      await autumn.getByText('Clocks go back: 02:00 → 01:00 (EDT → EST)').waitFor();
      expect(await autumn.locator('button[data-at="2026-11-01T07:30:00.000Z"]').getAttribute('aria-label')).toMatch(/^02:30 EST — [a-z ]+$/);
      expect(await page.evaluate(NO_SIDEWAYS_SCROLL)).toBe(true);
      expect(errors).toEqual([]);
      await page.context().close();
    }
  }, TEST_TIMEOUT_MS);

  it('shows both 01:00 slots of an hourly job on the day the clocks go back, and a week of them as small marks', async () => {
    await h.api('POST', '/api/jobs', {
      meta: { id: HOURLY, title: 'Slots hourly' },
      payload: { jobType: 'http-request', schedule: { cronExpression: '0 * * * *', timezone: 'America/New_York', isEnabled: true }, retry: { maxAttempts: 1 }, parameters: { url: 'http://127.0.0.1:9/hourly' } },
    });
    for (const size of [DESKTOP, PHONE]) {
      const { page, errors } = size === PHONE ? await openPhone(`/jobs/${HOURLY}?tab=status`) : await openDesktop(`/jobs/${HOURLY}?tab=status`);
      const { view } = await showSlots(page, '2026-11-01');
      const day = view.locator('li[data-day="2026-11-01"]');
      // 25 hours: 01:00 happens twice, and an interval schedule runs at both.
      expect(await day.locator('button[data-at]').count()).toBe(25);
      const names = await day.locator('button.has-dst').evaluateAll((marks) => marks.map((m) => m.getAttribute('aria-label')));
      expect(names).toEqual([
        '01:00 EDT — before the job existed; daylight saving: 01:00 happens twice, this is the first',
        '01:00 EST — before the job existed; daylight saving: 01:00 happens twice, this is the second',
      ]);
      expect(await day.locator('.gj-slots__marks--compact').count()).toBe(0);
      expect(await page.evaluate(NO_SIDEWAYS_SCROLL)).toBe(true);
      await screenshot(page, `slots-hourly-day-${size.width}`);

      // A week of hourly slots: small squares, named all the same.
      await view.getByRole('group', { name: 'Range' }).getByRole('button', { name: 'Week' }).click();
      await view.locator('li[data-day="2026-10-26"]').waitFor();
      expect(await view.locator('button[data-at]').count()).toBe(7 * 24 + 1);
      expect(await view.locator('.gj-slots__marks--compact').count()).toBe(7);
      expect(await view.locator('button[data-at="2026-10-26T04:00:00.000Z"]').getAttribute('aria-label')).toBe('00:00 EDT — before the job existed');
      expect(await page.evaluate(NO_SIDEWAYS_SCROLL)).toBe(true);
      await screenshot(page, `slots-hourly-week-${size.width}`);
      expect(errors).toEqual([]);
      await page.context().close();
    }
  }, TEST_TIMEOUT_MS);
});
