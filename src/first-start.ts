// What a new store gets once: the default configs, the demo data, the first admin token.
import { ConfigError, ConfigErrorCode, SYSTEM_MANAGER } from './domain/config/index.js';
import { DEMO_RULES, demoEvents, demoSprouts, SIGNAL_PERIODS } from './domain/grove/index.js';
import { randomBytes } from 'node:crypto';
import { DEFAULT_CONFIGS } from './jobs/defaults.js';
import { issueToken, isRole } from './api/auth.js';
import type { Role } from './api/http.js';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GroveJobs } from './app.js';
import type { OpenedGroveJobs } from './open.js';

/** Demo data sizes for a new store's first start (`grove-jobs seed` takes any). */
export const FIRST_START_DEMO = { sprouts: 150, events: 15_000, seed: 42 } as const;

export interface DemoReport {
  sprouts: number;
  events: number;
  /** Demo advancement rules created (those whose id was free). */
  rules: number;
}

/**
 * Loads deterministic demo data (`grove-jobs seed`): sprouts, usage events over the last 90
 * days of the system's clock, advancement rules a first run acts on, and the signals of
 * every period. Refused when the demo sprouts exist already.
 */
export async function seedDemoData(system: GroveJobs, options: { sprouts: number; events: number; seed: number }): Promise<DemoReport> {
  const { sprouts, advancement, signals } = system.grove;
  const ids = await sprouts.importSprouts(demoSprouts(options));
  let events = 0;
  for (const chunk of demoEvents({ ...options, now: system.clock.now() })) {
    events += await sprouts.importEvents(chunk.map((event) => ({ ...event, createdAt: event.createdAt.toISOString() })));
  }
  const existing = new Set((await advancement.rules()).map((rule) => rule.meta.id));
  let rules = 0;
  for (const rule of DEMO_RULES.filter((r) => !existing.has(r.meta.id))) {
    await advancement.createRule(rule);
    rules++;
  }
  await signals.refreshSignals({ periods: SIGNAL_PERIODS, full: false, now: system.clock.now() });
  return { sprouts: ids.length, events, rules };
}

export interface InitialiseReport {
  /** False when the store was initialised before: nothing was done. */
  first: boolean;
  demo?: DemoReport;
}

/**
 * Installs the default configs on a store that never had them (never again afterwards, so
 * an operator's edits and deletions stand). Skipped, to be done by a later open, when this
 * process lacks one of their job types. Returns the ids installed.
 */
export async function installDefaultConfigs(system: GroveJobs, actor = 'grove-jobs (defaults)'): Promise<string[]> {
  const { flags } = system.grove;
  if (await flags.isSet(DEFAULTS_INSTALLED)) return [];
  if (DEFAULT_CONFIGS.some((config) => !system.jobTypes.get(config.payload.jobType))) return [];
  const installed: string[] = [];
  for (const config of DEFAULT_CONFIGS) {
    try {
      // What Grove Jobs installs itself is the system's: any declaration may take those fields.
      await system.configs.create(config, { actor, manager: SYSTEM_MANAGER });
      installed.push(config.meta.id);
    } catch (error) {
      if (!(error instanceof ConfigError && error.code === ConfigErrorCode.Exists)) throw error;
    }
  }
  await flags.set(DEFAULTS_INSTALLED, system.clock.now());
  return installed;
}

/** A store's first start (`start`, `serve`): demo data unless `demo` is false. Never again afterwards. */
export async function initialiseStore(system: GroveJobs, options: { demo: boolean }): Promise<InitialiseReport> {
  const { flags } = system.grove;
  if (await flags.isSet(INITIALISED)) return { first: false };
  let demo: DemoReport | undefined;
  if (options.demo && (await system.grove.sprouts.count()) === 0) demo = await seedDemoData(system, FIRST_START_DEMO);
  await flags.set(INITIALISED, system.clock.now());
  return demo ? { first: true, demo } : { first: true };
}

const DEFAULTS_INSTALLED = 'default-configs';
const INITIALISED = 'initialised';


/** Creates an API token with a role; returns it in clear (the only time it exists outside the caller). */
export async function createApiToken(system: OpenedGroveJobs, input: { role: string; name?: string }): Promise<{ token: string; name: string; role: Role }> {
  if (!isRole(input.role)) throw new ConfigError(ConfigErrorCode.Invalid, `role: '${input.role}' must be viewer, operator or admin`, [{ path: 'role', message: 'must be viewer, operator or admin' }]);
  const name = input.name?.trim() || `${input.role}-${randomBytes(3).toString('hex')}`;
  if (name.length > 100) throw new ConfigError(ConfigErrorCode.Invalid, 'name: must be at most 100 characters', [{ path: 'name', message: 'must be at most 100 characters' }]);
  const { token } = await issueToken(system.tokens, { role: input.role, name, now: system.clock.now() });
  return { token, name, role: input.role };
}

/** The console's first-start token: created when no token exists at all, kept in `<data dir>/admin-token`. */
export interface AdminTokenReport {
  /** The token to put in the console address, when this process may show it. */
  token?: string;
  /** Where it is kept (embedded store). */
  file?: string;
  created: boolean;
}

const ADMIN_TOKEN_FILE = 'admin-token';
const ADMIN_TOKEN_FLAG = 'admin-token';

/**
 * On a first start with no token at all (none stored, no GROVE_JOBS_ADMIN_TOKEN), creates an
 * admin token; on the embedded store it is written to `<data dir>/admin-token` (mode 0600).
 * A store flag makes exactly one of several processes starting at once create it. Later
 * starts read the file back, so the console address keeps working.
 */
export async function ensureAdminToken(system: OpenedGroveJobs, env: Record<string, string | undefined>): Promise<AdminTokenReport> {
  const file = system.location.kind === 'embedded' ? join(system.location.where, ADMIN_TOKEN_FILE) : undefined;
  if (env['GROVE_JOBS_ADMIN_TOKEN']) return { created: false };
  if ((await system.tokens.countTokens()) === 0 && (await system.flags.set(ADMIN_TOKEN_FLAG, system.clock.now()))) {
    const { token } = await createApiToken(system, { role: 'admin', name: 'console (first start)' });
    if (file) {
      await writeFile(file, `${token}\n`, { mode: 0o600 });
      await chmod(file, 0o600);
    }
    return file ? { token, file, created: true } : { token, created: true };
  }
  if (!file) return { created: false };
  try {
    const token = (await readFile(file, 'utf8')).trim();
    return token ? { token, file, created: false } : { created: false };
  } catch {
    return { created: false };
  }
}
