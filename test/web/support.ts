// Starts `grove-jobs serve` (built: dist/cli/main.js, with web/dist) on a fresh data folder and
// Debian's Chromium through playwright-core. Builds nothing: run `npm run build` first.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { cliProcess, exited, startCliProcess } from '../support/cli.js';

export const CHROMIUM = '/usr/bin/chromium';
const READY = 'Press Ctrl-C to stop.';
/** Longest wait on one piece of page state (a run of the demo data's advancement batch included). */
export const STATE_TIMEOUT_MS = 60_000;

/**
 * Whether the browser tests can run. Under CI a missing Chromium fails loudly (.ci/run installs
 * it); elsewhere the tests are skipped with the reason.
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env['CI'] === 'true') throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  return false;
}

/** The committed screenshots (README): rewritten only with GROVE_JOBS_REFRESH_SCREENSHOTS=1. */
const COMMITTED_SCREENSHOTS = 'docs/screenshots';

export interface ScreenshotFolder {
  dir: string;
  /** Removes a temporary folder (leaves docs/screenshots/ alone). */
  remove(): void;
}

/**
 * Where a test run saves its screenshots: docs/screenshots/ with GROVE_JOBS_REFRESH_SCREENSHOTS=1,
 * otherwise a temporary folder, so that a plain run leaves the work tree as it was.
 */
export function screenshotFolder(): ScreenshotFolder {
  if (process.env['GROVE_JOBS_REFRESH_SCREENSHOTS'] === '1') {
    mkdirSync(COMMITTED_SCREENSHOTS, { recursive: true });
    return { dir: COMMITTED_SCREENSHOTS, remove: () => undefined };
  }
  const dir = mkdtempSync(join(tmpdir(), 'grove-screenshots-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ConsolePage {
  page: Page;
  /** Errors the page reported (uncaught exceptions, console.error), failed resource loads left out. */
  errors: string[];
}

export interface ConsoleHarness {
  base: string;
  token: string;
  env: Record<string, string | undefined>;
  /** A new browser context (its own storage) at `path`, signed in with `token` through the address fragment ('' : not signed in). */
  open(path?: string, token?: string): Promise<ConsolePage>;
  /** A call to the API as the admin. */
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  /**
   * Stops `serve` (open pages lose their event stream), runs `whileDown` (the CLI has the data
   * folder to itself then), and starts it again on the same port: the pages' EventSource reconnects.
   */
  restart(whileDown: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/**
 * The console for the tests of one describe block: started (with Chromium) before them and
 * closed after them. The harness returned forwards to it once it runs.
 */
export function useConsole(): ConsoleHarness {
  let started: ConsoleHarness | undefined;
  beforeAll(async () => {
    started = await startConsole();
  }, 120_000);
  afterAll(async () => {
    await started?.close();
  }, 60_000);
  const running = (): ConsoleHarness => {
    if (!started) throw new Error('the console is not running (its start failed: see the first error)');
    return started;
  };
  return {
    get base() {
      return running().base;
    },
    get token() {
      return running().token;
    },
    get env() {
      return running().env;
    },
    open: (path, token) => running().open(path, token),
    api: (method, path, body) => running().api(method, path, body),
    restart: (whileDown) => running().restart(whileDown),
    close: () => running().close(),
  };
}

export async function startConsole(): Promise<ConsoleHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'grove-web-'));
  const env = { DATABASE_URL: undefined, GROVE_JOBS_DATA_DIR: dataDir, GROVE_JOBS_ADMIN_TOKEN: undefined, GROVE_JOBS_PORT: undefined };
  let server = await startCliProcess(['serve', '--port', '0', '--concurrency', '4'], env, READY);
  let browser: Browser | undefined;
  try {
    const match = /Console: (http:\/\/127\.0\.0\.1:\d+)\/#token=(\S+)/.exec(server.output());
    if (!match?.[1] || !match[2]) throw new Error(`no console address in:\n${server.output()}`);
    const base = match[1];
    const token = match[2];
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    const opened = browser;
    return {
      base,
      token,
      env,
      async open(path = '/', as = token) {
        const context = await opened.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
        const page = await context.newPage();
        page.setDefaultTimeout(STATE_TIMEOUT_MS);
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
        page.on('console', (message) => {
          // A refused request (409, 400) is logged by the browser itself; the page shows it.
          if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(`console: ${message.text()}`);
        });
        await page.goto(as === '' ? `${base}${path}` : `${base}${path}#token=${as}`);
        return { page, errors };
      },
      async api<T>(method: string, path: string, body?: unknown): Promise<T> {
        const headers: Record<string, string> = { authorization: `Bearer ${token}` };
        if (body !== undefined) headers['content-type'] = 'application/json';
        const response = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
        if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
        return (await response.json()) as T;
      },
      async restart(whileDown) {
        server.child.kill('SIGTERM');
        await exited(server.child);
        await whileDown();
        server = await startCliProcess(['serve', '--port', new URL(base).port, '--concurrency', '4'], env, READY);
      },
      async close() {
        await opened.close();
        server.child.kill('SIGTERM');
        await exited(server.child);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await browser?.close();
    server.child.kill('SIGTERM');
    await exited(server.child);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** A token of another role, made with the CLI against the serving process's store. */
export async function createToken(env: Record<string, string | undefined>, role: 'viewer' | 'operator'): Promise<string> {
  const created = await cliProcess(['token', 'create', '--role', role, '--name', `console-test-${role}`], env);
  if (created.code !== 0) throw new Error(`token create failed: ${created.stderr}`);
  return created.stdout.trim();
}

const FINAL_STATUSES = ['success', 'partial', 'failed', 'timeout', 'cancelled', 'skipped'];

/** Polls the API (each request waits for the last) until the execution has ended. */
export async function finishedExecution<T extends { status: string }>(h: ConsoleHarness, executionId: string): Promise<T> {
  for (let polls = 0; polls < 2000; polls++) {
    const execution = await h.api<T>('GET', `/api/executions/${executionId}`);
    if (FINAL_STATUSES.includes(execution.status)) return execution;
    await fetch(`${h.base}/healthz`);
  }
  throw new Error(`execution ${executionId} did not finish`);
}

/**
 * Waits until `expression` (page code as text) is true. The console's CSP forbids eval, which
 * waitForFunction's polling needs (it fails once the first check is false), so the expression
 * is evaluated afresh at each poll.
 */
export async function until(page: Page, expression: string): Promise<void> {
  await expect.poll(() => page.evaluate(expression), { timeout: STATE_TIMEOUT_MS }).toBe(true);
}

/** Page code: whether the input of the form field at `path` (its data-path) holds `value`. */
export const inputValueIs = (path: string, value: string) => `document.querySelector('[data-path="${path}"] input')?.value === ${JSON.stringify(value)}`;
