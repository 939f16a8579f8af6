import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/app.js';
import { builtInJobTypes, createGroveJobs, createGroveStores, groveJobTypes } from '../../src/app.js';
import type { AnyNotification, Notifier } from '../../src/engine/ports.js';
import { createSqlStore } from '../../src/store/sql-store.js';
import { createTokenStore } from '../../src/store/tokens.js';
import { FakeClock } from '../support/fake-clock.js';
import { pgliteFactory } from '../support/test-store.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);
/** Each linter takes 1-3 s; a minute means it hangs. */
const LINT_TIMEOUT_MS = 60_000;

const factory = pgliteFactory();
const silent: Notifier<AnyNotification> = { notify: () => undefined, flush: async () => undefined };
let dir: string;
let documentPath: string;

/** The document as `serve` gives it: the built-in and Grove job types. */
async function servedDocument(): Promise<unknown> {
  const sql = await factory.make();
  const grove = createGroveStores(sql);
  const system = createGroveJobs({ clock: new FakeClock('2026-11-23T10:00:00Z'), store: createSqlStore(sql), grove, jobTypes: [...builtInJobTypes, ...groveJobTypes(grove, silent)] });
  const app = createApi({ system, tokens: createTokenStore(sql) });
  return (await app.request('/api/openapi.json')).json();
}

/** A linter's problems by severity, from its JSON report; it exits non-zero when it finds errors, so the exit code is not the verdict. */
async function lint(command: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(command, args, { cwd: ROOT, timeout: LINT_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    if (stdout) return stdout;
    throw new Error(`${command} failed: ${stderr ?? String(error)}`, { cause: error });
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grove-openapi-lint-'));
  documentPath = join(dir, 'openapi.json');
  await writeFile(documentPath, JSON.stringify(await servedDocument(), null, 2));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await factory.dispose();
});

describe('the OpenAPI document under the linters', () => {
  it('has no Redocly errors (recommended rules)', { timeout: LINT_TIMEOUT_MS }, async () => {
    const report = JSON.parse(await lint(bin('redocly'), ['lint', documentPath, '--config', join(ROOT, 'redocly.yaml'), '--format', 'json'])) as {
      problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer?: string }> }>;
    };
    const errors = report.problems.filter((problem) => problem.severity === 'error');
    expect(errors.map((e) => `${e.ruleId} ${e.location[0]?.pointer ?? ''}: ${e.message}`)).toEqual([]);
  });

  it('has no Spectral errors (spectral:oas)', { timeout: LINT_TIMEOUT_MS }, async () => {
    const report = JSON.parse(await lint(bin('spectral'), ['lint', documentPath, '--ruleset', join(ROOT, '.spectral.yaml'), '--format', 'json', '--quiet'])) as Array<{
      code: string;
      severity: number;
      message: string;
      path: string[];
    }>;
    // Spectral's severities: 0 error, 1 warning, 2 information, 3 hint.
    const errors = report.filter((problem) => problem.severity === 0);
    expect(errors.map((e) => `${e.code} ${e.path.join('.')}: ${e.message}`)).toEqual([]);
  });
});
