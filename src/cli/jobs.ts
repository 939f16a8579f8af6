import type { Command } from 'commander';
import { diffConfigs, type FieldOwners, type JobConfig, patchForPath, applyMergePatch, redactConfig, redactVersions } from '../domain/config/index.js';
import { describeSchedule, nextSlots } from '../domain/schedule/index.js';
import { misfireGraceSeconds } from '../domain/schedule/plan-slots.js';
import type { WriteOptions } from '../app.js';
import { cliActor, type CliContext, withSystem } from './context.js';
import { readJsonFile } from './input.js';
import { UsageError } from './errors.js';
import { formatPreview, previewSet } from './preview.js';
import { formatFromNow, formatInZone, formatUtc, json, table } from './output.js';

interface JsonOption {
  json?: boolean;
}

/** The next run of an enabled config; undefined when it is disabled or never fires again. */
export function nextRunAt(config: JobConfig, now: Date): Date | undefined {
  const { schedule } = config.payload;
  return schedule.isEnabled ? nextSlots(schedule.cronExpression, schedule.timezone, now, 1)[0] : undefined;
}

/** The next run of an enabled config, for listing. */
function nextRunText(config: JobConfig, now: Date): string {
  const { schedule } = config.payload;
  if (!schedule.isEnabled) return 'disabled';
  const next = nextRunAt(config, now);
  return next ? `${formatInZone(next, schedule.timezone)} (${formatFromNow(next, now)})` : 'no upcoming runs';
}

/** One row per config: what an operator scans for. */
export function configsTable(configs: readonly JobConfig[], now: Date): string {
  return table(
    ['ID', 'TYPE', 'ENABLED', 'SCHEDULE', 'NEXT RUN', 'VERSION'],
    configs.map((config) => [
      config.meta.id,
      config.payload.jobType,
      config.payload.schedule.isEnabled ? 'yes' : 'no',
      `${config.payload.schedule.cronExpression} (${config.payload.schedule.timezone})`,
      nextRunText(config, now),
      String(config.meta.version),
    ]),
  );
}

function showConfig(config: JobConfig, now: Date): string {
  const { meta, payload } = config;
  const { schedule, retry, limits, notifications } = payload;
  const runs = schedule.isEnabled ? nextSlots(schedule.cronExpression, schedule.timezone, now, 5) : [];
  const lines: Array<[string, string]> = [
    ['Config', `${meta.id} (${payload.jobType}, version ${meta.version})`],
    ['Name', payload.displayName],
    ...(meta.description ? [['Description', meta.description] as [string, string]] : []),
    ['Schedule', `${schedule.cronExpression} — ${describeSchedule(schedule.cronExpression, schedule.timezone)}`],
    ['Enabled', schedule.isEnabled ? 'yes' : 'no'],
    [
      'Misfires',
      `${schedule.misfirePolicy}, grace ${misfireGraceSeconds(schedule)} s${schedule.misfireGraceSeconds === undefined ? ' (default)' : ''}, catch-up window ${schedule.catchupWindowSeconds} s`,
    ],
    ['Overlap', `${schedule.overlapPolicy}${schedule.jitterSeconds ? `, jitter up to ${schedule.jitterSeconds} s` : ''}`],
    ['Retry', `${retry.maxAttempts} attempts, ${retry.backoffStrategy}, ${retry.initialDelaySeconds} s → ${retry.maxDelaySeconds} s`],
    ['Limits', `batch ${limits.batchSize}, timeout ${limits.timeoutSeconds} s, at most ${limits.maxConcurrent} at once`],
    ['Parameters', JSON.stringify(payload.parameters)],
    [
      'Notifications',
      `${[notifications.onSuccess && 'success', notifications.onFailure && 'failure'].filter(Boolean).join(' and ') || 'nothing'} via ${notifications.channels.join(', ') || 'no channel'}`,
    ],
    ['Updated', `${meta.updatedAt} by ${meta.updatedBy}`],
  ];
  const width = Math.max(...lines.map(([label]) => label.length)) + 2;
  const text = lines.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`);
  text.push(`${'Next runs:'.padEnd(width)}${runs.length === 0 ? (schedule.isEnabled ? 'no upcoming runs' : 'none (disabled)') : ''}`);
  for (const run of runs) text.push(`  ${formatInZone(run, schedule.timezone)}  (${formatUtc(run)})`);
  return text.join('\n');
}

function parseVersion(field: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(field, `'${text}' must be a version number (1, 2, …)`);
  return Number(text);
}

const ASSIGNMENT_PATH = /^(meta\.(title|description)|payload(\.[A-Za-z][A-Za-z0-9_]*)+)$/;

/**
 * `path=value` assignments as one merge patch. A value is read as JSON when it parses
 * (50, true, null, ["log"], "\"50\""), otherwise as a plain string (0 3 * * *).
 */
export function assignmentsToPatch(assignments: readonly string[]): Record<string, unknown> {
  if (assignments.length === 0) throw new UsageError('assignment', 'give at least one path=value, e.g. payload.limits.batchSize=50');
  let patch: unknown = {};
  for (const assignment of assignments) {
    const equals = assignment.indexOf('=');
    if (equals <= 0) throw new UsageError('assignment', `'${assignment}' is not path=value`);
    const path = assignment.slice(0, equals);
    if (!ASSIGNMENT_PATH.test(path)) {
      throw new UsageError(path, 'is not a settable path: use payload.<section>.<field>, meta.title or meta.description');
    }
    const text = assignment.slice(equals + 1);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
    patch = applyMergePatch(patch, patchForPath(path, value));
  }
  return patch as Record<string, unknown>;
}

/**
 * On standard error (so `--json` stays one document): the changed fields that config files
 * manage, whose next `grove-jobs apply` will stop on them.
 */
function warnOfFileFields(io: CliContext['io'], before: JobConfig, after: JobConfig, owners: FieldOwners): void {
  if (before.meta.version === after.meta.version) return;
  const changed = diffConfigs(before, after).map((change) => change.path);
  const fromFiles = changed.filter((path) => owners[path]?.manager.startsWith('apply:'));
  if (fromFiles.length === 0) return;
  const managers = [...new Set(fromFiles.map((path) => owners[path]?.manager))].join(', ');
  io.err(
    `${fromFiles.join(', ')} came from config files (${managers}): the next grove-jobs apply of them stops on ${fromFiles.length === 1 ? 'this field' : 'these fields'} (exit 3). Change the files too, or apply them with --force to take ${fromFiles.length === 1 ? 'it' : 'them'} back.`,
  );
}

/** `grove-jobs jobs …`: list, show, create, set, enable, disable, versions, restore. */
export function registerJobs(program: Command, context: CliContext): void {
  const jobs = program.command('jobs').description('list, inspect and change job configs (every change is a new version)');
  const { io } = context;
  /** Who is writing and, with --if-version, the version the change is based on. */
  const writeOptions = (ifVersion: string | undefined): WriteOptions => {
    const expectedVersion = parseVersion('--if-version', ifVersion);
    const actor = cliActor(context.env);
    // On standard error, so `--json` output stays one document.
    const onSecretsDropped = (paths: string[]) =>
      io.err(`Dropped ${paths.join(', ')}: the destination host changed. Set them again in the same change to keep sending them.`);
    return expectedVersion === undefined ? { actor, onSecretsDropped } : { actor, expectedVersion, onSecretsDropped };
  };

  jobs
    .command('list')
    .description('list job configs with their next run')
    .option('--json', 'print one JSON document: { items: [{ meta, payload }] }')
    .action((options: JsonOption) =>
      withSystem(context, async (system) => {
        const configs = (await system.configs.list()).map((config) => redactConfig(config, system.jobTypes));
        if (options.json) return io.out(json({ items: configs }));
        if (configs.length === 0) return io.out('No job configs yet. Create one with: grove-jobs jobs create --file config.json');
        io.out(configsTable(configs, system.clock.now()));
      }),
    );

  jobs
    .command('show')
    .description('show one job config, its plain-language schedule and next five runs')
    .argument('<id>', 'config id')
    .option('--json', 'print the config as { meta, payload }')
    .action((id: string, options: JsonOption) =>
      withSystem(context, async (system) => {
        const config = redactConfig(await system.configs.get(id), system.jobTypes);
        io.out(options.json ? json(config) : showConfig(config, system.clock.now()));
      }),
    );

  jobs
    .command('create')
    .description('create a job config from a { meta, payload } JSON document')
    .requiredOption('--file <path>', "the JSON document, or '-' for standard input")
    .option('--json', 'print the stored config')
    .action((options: JsonOption & { file: string }) =>
      withSystem(context, async (system) => {
        const input = await readJsonFile(context, options.file);
        const config = await system.configs.create(input, writeOptions(undefined));
        io.out(options.json ? json(redactConfig(config, system.jobTypes)) : `Created ${config.meta.id} (version 1). ${nextRunLine(config, system.clock.now())}`);
      }),
    );

  jobs
    .command('set')
    .description('change fields of a job config: jobs set nightly payload.schedule.cronExpression="0 3 * * *"')
    .argument('<id>', 'config id')
    .argument('<assignments...>', 'path=value pairs (values are JSON when they parse, text otherwise)')
    .option('--if-version <n>', 'refuse the change unless the config is still at this version')
    .option('--json', 'print the stored config (with --preview, the preview as the API answers it)')
    .option('--preview', 'print what the change would do to the next runs (moved runs, daylight-saving dates) and store nothing')
    .action((id: string, assignments: string[], options: JsonOption & { ifVersion?: string; preview?: boolean }) =>
      withSystem(context, async (system) => {
        const patch = assignmentsToPatch(assignments);
        const write = writeOptions(options.ifVersion);
        if (options.preview) return io.out(formatPreview(id, await previewSet(system, id, patch, write.actor, write.expectedVersion), options.json ?? false));
        const before = await system.configs.get(id);
        const owners = await system.configs.owners(id);
        const config = await system.configs.patch(id, patch, write);
        warnOfFileFields(io, before, config, owners);
        if (options.json) return io.out(json(redactConfig(config, system.jobTypes)));
        io.out(
          config.meta.version === before.meta.version
            ? `${id} already had those values (version ${config.meta.version}).`
            : `Updated ${id} to version ${config.meta.version}. ${nextRunLine(config, system.clock.now())}`,
        );
      }),
    );

  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    jobs
      .command(name)
      .description(`${name} the schedule of a job config`)
      .argument('<id>', 'config id')
      .option('--if-version <n>', 'refuse the change unless the config is still at this version')
      .option('--json', 'print the stored config')
      .action((id: string, options: JsonOption & { ifVersion?: string }) =>
        withSystem(context, async (system) => {
          const [before, owners] = [await system.configs.get(id), await system.configs.owners(id)];
          const config = await system.configs.setEnabled(id, enabled, writeOptions(options.ifVersion));
          warnOfFileFields(io, before, config, owners);
          if (options.json) return io.out(json(redactConfig(config, system.jobTypes)));
          io.out(`${id} is ${enabled ? 'enabled' : 'disabled'} (version ${config.meta.version}). ${nextRunLine(config, system.clock.now())}`);
        }),
      );
  }

  jobs
    .command('versions')
    .description('list the stored versions of a job config: who changed what, when')
    .argument('<id>', 'config id')
    .option('--json', 'print one JSON document: { items: [{ version, changedAt, changedBy, changes, restoredFrom?, config }] }')
    .action((id: string, options: JsonOption) =>
      withSystem(context, async (system) => {
        const versions = redactVersions(await system.configs.versions(id), system.jobTypes);
        if (options.json) return io.out(json({ items: versions }));
        io.out(
          table(
            ['VERSION', 'CHANGED AT', 'BY', 'CHANGES'],
            versions.map((v) => [
              String(v.version),
              formatUtc(v.changedAt),
              v.changedBy,
              (v.restoredFrom !== undefined ? `restored version ${v.restoredFrom}: ` : '') +
                (v.version === 1 && v.restoredFrom === undefined
                  ? 'created'
                  : v.changes.map((c) => `${c.path} ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`).join('; ') || 'no field changed') +
                (v.message ? ` (${v.message})` : ''),
            ]),
          ),
        );
      }),
    );

  jobs
    .command('restore')
    .description('store an earlier version of a job config as a new version')
    .argument('<id>', 'config id')
    .argument('<version>', 'the version to restore')
    .option('--if-version <n>', 'refuse unless the config is still at this version')
    .option('--json', 'print the stored config')
    .action((id: string, versionText: string, options: JsonOption & { ifVersion?: string }) =>
      withSystem(context, async (system) => {
        const version = parseVersion('version', versionText) as number;
        const config = await system.configs.restore(id, version, writeOptions(options.ifVersion));
        io.out(options.json ? json(redactConfig(config, system.jobTypes)) : `Restored ${id} version ${version} as version ${config.meta.version}. ${nextRunLine(config, system.clock.now())}`);
      }),
    );
}

function nextRunLine(config: JobConfig, now: Date): string {
  return `Next run: ${nextRunText(config, now)}.`;
}
