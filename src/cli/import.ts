import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import pg from 'pg';
import { stringify } from 'yaml';
import { ConfigError, ConfigErrorCode, type JobConfig } from '../domain/config/index.js';
import {
  type ImportEntry,
  type ImportPlan,
  type ImportSkip,
  type ImportSource,
  type PlannedConfig,
  parseCrontab,
  parseWorkflows,
  pgCronEntries,
  planImport,
} from '../domain/import/index.js';
import { isKnownTimeZone, nextSlots } from '../domain/schedule/index.js';
import type { OpenedGroveJobs } from '../open.js';
import { type CliContext, withSystem } from './context.js';
import { UsageError } from './errors.js';
import { exportConfig } from './export.js';
import { formatInZone, json } from './output.js';

/** Runs shown per imported config. */
const PREVIEW_RUNS = 5;
/** The manager of imported configs' fields (`apply:import`), so that a later `grove-jobs apply` of the files `--out` wrote takes them over with --manager import. */
const IMPORT_MANAGER = 'import';

interface ImportOptions {
  zone?: string;
  out?: string;
  apply?: boolean;
  enable?: boolean;
  json?: boolean;
}

/** A config document as `apply` takes it, made from a planned config. */
export function configDocument(config: PlannedConfig, source: ImportSource, enable: boolean): Record<string, unknown> {
  const { action } = config;
  const from = { 'pg-cron': 'pg_cron', crontab: 'a crontab', 'github-actions': 'GitHub Actions' }[source];
  const meta = { id: config.id, title: config.name, description: `Imported from ${from}: ${config.entries.join(', ')}` };
  // Switched off unless --enable: stated only when on, so that an operator who switches it on
  // later does not make the next apply of these files report a conflict.
  const schedule = { cronExpression: config.cron, timezone: config.timezone, ...(enable && config.active ? { isEnabled: true } : {}) };
  switch (action.kind) {
    case 'http-request': {
      const parameters: Record<string, unknown> = { method: action.method, url: action.url };
      if (Object.keys(action.headers).length > 0) parameters['headers'] = action.headers;
      if (Object.keys(action.secretHeaders).length > 0) parameters['secretHeaders'] = action.secretHeaders;
      if (action.body !== undefined && action.method !== 'GET') parameters['body'] = action.body;
      return { meta, payload: { jobType: 'http-request', schedule, parameters } };
    }
    case 'sql':
      return { meta, payload: { jobType: 'sql', schedule, parameters: { statement: action.statement } } };
    case 'command':
      return {
        meta,
        payload: { jobType: 'command', schedule, parameters: { executable: action.executable, args: action.args, ...(action.env ? { env: action.env } : {}) } },
      };
  }
}

/** What stops a source's entries once the configs are on: pg_cron's unschedule calls, or the lines to remove. */
function unscheduleSteps(source: ImportSource, entries: readonly ImportEntry[]): string[] {
  if (source === 'pg-cron') {
    return entries.map((entry) => {
      const id = /^job (\d+)$/.exec(entry.key)?.[1];
      return id !== undefined ? `select cron.unschedule(${id});` : `select cron.unschedule('${entry.key.replaceAll("'", "''")}');`;
    });
  }
  if (source === 'crontab') return entries.map((entry) => `remove line ${entry.key.replace(/^crontab:/, '')} of the crontab: ${entry.original}`);
  return entries.filter((entry) => entry.active).map((entry) => `remove the schedule '${entry.original}' from ${entry.key.replace(/#\d+$/, '')} (keep workflow_dispatch)`);
}

interface Report {
  source: ImportSource;
  zone: string | null;
  entries: ImportPlan['entries'];
  skipped: ImportSkip[];
  configs: Array<{
    id: string;
    title: string;
    jobType: string;
    cronExpression: string;
    timezone: string;
    enabled: boolean;
    entries: string[];
    nextRuns: string[];
    notes: string[];
    /** Why creating it would be refused as it is (a `command` config where commands are off, say). */
    problem?: string;
    /** The config as it would be stored (secrets as `{ fromEnv }` placeholders). */
    config: Record<string, unknown>;
  }>;
  unschedule: string[];
  applied: boolean;
  files: string[];
  /** Environment variables the written files read their secrets from. */
  variables: string[];
}

/** `grove-jobs import pg-cron | crontab | github-actions`: another scheduler's entries as job configs, untangled, with a plan. */
export function registerImport(program: Command, context: CliContext): void {
  const command = program.command('import').description('bring schedules from pg_cron, a crontab or GitHub Actions in as job configs (created switched off)');
  const common = (sub: Command) =>
    sub
      .option('--zone <zone>', 'merge daylight-saving twins (an EDT and an EST entry for one wall-clock time) into one config in this zone')
      .option('--out <dir>', 'write the configs as files for grove-jobs apply (secrets as { fromEnv } placeholders)')
      .option('--apply', 'create the configs now, in one transaction')
      .option('--enable', 'create them switched on (only once the old scheduler no longer runs them)')
      .option('--json', 'print one JSON document: { entries, skipped, configs, unschedule, applied, files }');

  common(command.command('pg-cron'))
    .description("read pg_cron's cron.job from a database")
    .requiredOption('--database-url <url>', 'the database pg_cron runs in (cron.database_name)')
    .action((options: ImportOptions & { databaseUrl: string }) => runImport(context, 'pg-cron', options, () => readPgCron(options.databaseUrl)));

  common(command.command('crontab'))
    .description('read a crontab file (five-field lines, @ macros, CRON_TZ=)')
    .argument('<file>', "the crontab, or '-' for standard input")
    .option('--timezone <zone>', "the zone of the cron daemon, in which lines before any CRON_TZ= are read (default UTC)")
    .action((file: string, options: ImportOptions & { timezone?: string }) =>
      runImport(context, 'crontab', options, async () => {
        if (options.timezone !== undefined && !isKnownTimeZone(options.timezone)) throw new UsageError('--timezone', `'${options.timezone}' is not an IANA time zone such as Europe/Berlin`);
        const text = file === '-' ? await context.io.readStdin() : await readText('<file>', file);
        return parseCrontab(text, { file, ...(options.timezone ? { timezone: options.timezone } : {}) });
      }),
    );

  common(command.command('github-actions'))
    .description("read the schedule: crons of a repository's workflows; each becomes a call of GitHub's workflow_dispatch endpoint")
    .argument('<dir>', 'the workflows folder (.github/workflows)')
    .requiredOption('--repo <owner/name>', 'the repository the workflows belong to')
    .option('--ref <ref>', 'the branch or tag to dispatch', 'main')
    .option('--token-env <name>', 'the environment variable holding a GitHub token that may dispatch workflows', 'GITHUB_TOKEN')
    .option('--include-commented', 'also import commented-out cron lines (switched off)')
    .action((dir: string, options: ImportOptions & { repo: string; ref: string; tokenEnv: string; includeCommented?: boolean }) =>
      runImport(context, 'github-actions', options, async () => {
        if (!/^[\w.-]+\/[\w.-]+$/.test(options.repo)) throw new UsageError('--repo', `'${options.repo}' must be owner/name`);
        const names = (await readdir(dir).catch((error: Error) => {
          throw new UsageError('<dir>', `cannot read '${dir}': ${error.message}`);
        })).filter((name) => /\.ya?ml$/i.test(name)).sort();
        const files = await Promise.all(names.map(async (name) => ({ path: name, text: await readFile(join(dir, name), 'utf8') })));
        return parseWorkflows(files, { repo: options.repo, ref: options.ref, tokenVariable: options.tokenEnv, includeCommented: options.includeCommented ?? false });
      }),
    );
}

async function readText(field: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(field, `cannot read '${file}': ${(error as Error).message}`);
  }
}

/** pg_cron's jobs, read from its table in the database it runs in. */
async function readPgCron(url: string): Promise<{ entries: ImportEntry[]; skipped: ImportSkip[] }> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    throw new UsageError('--database-url', `cannot connect: ${(error as Error).message}`);
  }
  try {
    const { rows } = await client.query<{ jobid: string; jobname: string | null; schedule: string; command: string; nodename: string; database: string; username: string; active: boolean }>(
      'select jobid, jobname, schedule, command, nodename, database, username, active from cron.job order by jobid',
    );
    // pg_cron reads schedules in cron.timezone (pg_cron 1.5 and later; GMT before, and by default).
    const zone = (await client.query<{ zone: string | null }>("select current_setting('cron.timezone', true) as zone")).rows[0]?.zone;
    return pgCronEntries(rows, zone && zone !== 'GMT' ? { timezone: zone } : {});
  } catch (error) {
    if ((error as { code?: string }).code === '42P01' || (error as { code?: string }).code === '3F000') {
      throw new UsageError('--database-url', 'has no cron.job table: pg_cron is not installed in this database (its jobs live in the database named by cron.database_name)');
    }
    throw error;
  } finally {
    await client.end();
  }
}

async function runImport(
  context: CliContext,
  source: ImportSource,
  options: ImportOptions,
  read: () => Promise<{ entries: ImportEntry[]; skipped: ImportSkip[] }>,
): Promise<void> {
  if (options.zone !== undefined && !isKnownTimeZone(options.zone)) throw new UsageError('--zone', `'${options.zone}' is not an IANA time zone such as America/New_York`);
  if (options.out !== undefined && options.apply) throw new UsageError('--out', 'give --out or --apply, not both');
  const found = await read();
  const entries = withSecretsFromEnv(context, found.entries, options.apply ?? false);
  const { skipped } = found;
  await withSystem(context, async (system) => {
    const now = system.clock.now();
    const taken = new Set((await system.configs.list()).map((config) => config.meta.id));
    const plan = planImport(entries, { ...(options.zone ? { zone: options.zone } : {}), now, takenIds: taken });
    const enable = options.enable ?? false;
    const documents = plan.configs.map((config) => configDocument(config, source, enable));
    // Every config checked as a write would check it: --apply creates none unless all pass; a
    // plan (or files) says what would be refused, and why.
    const problems = documents.map((document) => {
      try {
        system.configs.validate(document);
        return undefined;
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        const message = `${String((document['meta'] as { id: string }).id)}: ${error.message}`;
        if (options.apply) throw new ConfigError(ConfigErrorCode.Invalid, message, error.issues);
        return message;
      }
    });
    const exported = documents.map((document) => exportConfig(document as unknown as JobConfig, system.jobTypes));
    const report: Report = {
      source,
      zone: options.zone ?? null,
      entries: plan.entries,
      skipped,
      configs: plan.configs.map((config, i) => ({
        id: config.id,
        title: config.name,
        jobType: String((documents[i]?.['payload'] as { jobType: string }).jobType),
        cronExpression: config.cron,
        timezone: config.timezone,
        enabled: enable && config.active,
        entries: config.entries,
        nextRuns: nextSlots(config.cron, config.timezone, now, PREVIEW_RUNS).map((slot) => slot.toISOString()),
        notes: config.notes,
        ...(problems[i] ? { problem: problems[i] } : {}),
        config: exported[i]?.document ?? {},
      })),
      unschedule: unscheduleSteps(source, entries),
      applied: false,
      files: [],
      variables: exported.flatMap((config) => config.variables),
    };
    if (options.out !== undefined) {
      await mkdir(options.out, { recursive: true });
      for (const config of exported) {
        const file = join(options.out, `${config.id}.yaml`);
        await writeFile(file, stringify(config.document, { lineWidth: 0 }));
        report.files.push(file);
      }
    }
    if (options.apply) await applyImported(system, documents);
    report.applied = options.apply ?? false;
    context.io.out(options.json ? json(report) : renderPlan(report));
  });
}

/**
 * Fills the secret headers a source names only by variable (a GitHub token) from this
 * process's environment. Creating configs needs the value; a plan or files do not (they show
 * placeholders): there a missing variable is told once on standard error.
 */
function withSecretsFromEnv(context: CliContext, entries: ImportEntry[], applying: boolean): ImportEntry[] {
  const missing = new Set<string>();
  const filled = entries.map((entry) => {
    if (!entry.secretFromEnv || entry.action.kind !== 'http-request') return entry;
    const secretHeaders = { ...entry.action.secretHeaders };
    for (const [header, { variable, prefix = '' }] of Object.entries(entry.secretFromEnv)) {
      const value = context.env[variable];
      if (value === undefined || value === '') missing.add(variable);
      secretHeaders[header] = `${prefix}${value || `${variable.toLowerCase()}-not-set`}`;
    }
    return { ...entry, action: { ...entry.action, secretHeaders } };
  });
  if (missing.size > 0) {
    const names = [...missing].join(', ');
    if (applying) throw new UsageError('--token-env', `environment variable ${names} is not set: the configs need it to call GitHub`);
    context.io.err(`${names} is not set: the plan shows where it goes; set it before --apply.`);
  }
  return filled;
}

async function applyImported(system: OpenedGroveJobs, documents: Array<Record<string, unknown>>): Promise<void> {
  // New ids only (the plan avoided the taken ones): a config created since is a conflict, and nothing is applied.
  const results = await system.configs.apply(documents, { manager: IMPORT_MANAGER, onConflict: 'stop', enableNew: false });
  const existing = results.filter((result) => result.outcome !== 'created');
  if (existing.length > 0) {
    throw new ConfigError(ConfigErrorCode.Exists, `${existing.map((r) => r.id).join(', ')} exist already: nothing imported; run the import again`, [
      { path: 'meta.id', message: 'exists' },
    ]);
  }
}

function renderPlan(report: Report): string {
  const lines: string[] = [];
  lines.push(`${report.entries.length} ${report.source} entr${report.entries.length === 1 ? 'y' : 'ies'} → ${report.configs.length} config${report.configs.length === 1 ? '' : 's'}${report.zone ? ` (daylight-saving twins merged in ${report.zone})` : ''}`);
  lines.push('');
  for (const entry of report.entries) {
    const mark = entry.outcome === 'config' ? '+' : '·';
    lines.push(`${mark} ${entry.key}  ${entry.original}`);
    lines.push(`    ${entry.outcome === 'config' ? `→ config ${entry.config}` : entry.detail}`);
  }
  for (const skip of report.skipped) lines.push(`✗ ${skip.key}  ${skip.original}`, `    not imported: ${skip.reason}`);
  for (const config of report.configs) {
    lines.push('', `config ${config.id} (${config.jobType}): ${config.cronExpression} in ${config.timezone}, ${config.enabled ? 'switched on' : 'switched off'}`);
    lines.push(`    covers: ${config.entries.join(', ')}`);
    lines.push(`    next runs: ${config.nextRuns.map((run) => formatInZone(new Date(run), config.timezone)).join(', ')}`);
    for (const note of config.notes) lines.push(`    note: ${note.replaceAll('\n', '\n          ')}`);
    if (config.problem) lines.push(`    ✗ would be refused: ${config.problem}`);
  }
  lines.push('', 'Once the configs are switched on, stop the old entries:');
  lines.push(...report.unschedule.map((step) => `    ${step}`));
  if (report.files.length > 0) {
    lines.push('', `Wrote ${report.files.length} file${report.files.length === 1 ? '' : 's'} for grove-jobs apply --manager ${IMPORT_MANAGER}: ${report.files.join(', ')}`);
    if (report.variables.length > 0) lines.push(`Secrets stay out of the files: set ${report.variables.join(', ')} when applying them.`);
  }
  lines.push(
    '',
    report.applied
      ? `Created ${report.configs.length} config${report.configs.length === 1 ? '' : 's'}${report.configs.some((c) => c.enabled) ? '' : ', switched off: switch each on once its old entries are unscheduled'}.`
      : report.files.length > 0
        ? 'Nothing created in the store.'
        : 'Nothing created: run again with --apply to create them, or --out DIR to write them as files.',
  );
  return lines.join('\n');
}
