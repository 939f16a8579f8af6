import type { Command } from 'commander';
import type { ApplyConflict, FieldOwner } from '../domain/config/index.js';
import type { ApplyOptions, ApplyResult } from '../app.js';
import { readConfigDocuments, resolveSecrets } from './config-files.js';
import { type CliContext, cliActor, withSystem } from './context.js';
import { CommandExit, ExitCode, UsageError } from './errors.js';
import { formatInZone, json } from './output.js';

/** Default manager of `grove-jobs apply`: the fields its files state become `apply:files`'. */
export const DEFAULT_FILES_MANAGER = 'files';


interface FilesOptions {
  manager: string;
  force?: boolean;
  prune?: boolean;
  message?: string;
  json?: boolean;
}

/** `grove-jobs diff <path>` and `grove-jobs apply <path>`: config files merged into the stored configs by field ownership. */
export function registerApply(program: Command, context: CliContext): void {
  const withFileOptions = (command: Command) =>
    command
      .argument('<path>', 'a .yaml, .yml or .json file, or a folder of them (read recursively, in name order)')
      .option('--manager <name>', 'whose files these are: their fields are owned by apply:<name>', DEFAULT_FILES_MANAGER)
      .option('--force', 'take back fields someone else changed since (the new version records it)')
      .option('--prune', 'also delete the configs owned wholly by this manager that no file names any more')
      .option('--json', 'print one JSON document: { applied, conflicts, results }');

  withFileOptions(program.command('diff'))
    .description('show what apply would change: create, update (field by field, with owners), unchanged, conflict; exit 0 nothing, 4 changes, 3 conflicts')
    .action((path: string, options: FilesOptions) => runFiles(context, path, options, true));

  withFileOptions(program.command('apply'))
    .description('apply config files in one transaction, all or nothing; exit 3 on conflicts (nothing applied)')
    .option('--dry-run', 'only show what would change (same as diff)')
    .option('--message <text>', 'a note kept with each version this apply stores')
    .action((path: string, options: FilesOptions & { dryRun?: boolean }) => runFiles(context, path, options, options.dryRun ?? false));
}

async function runFiles(context: CliContext, path: string, options: FilesOptions, dryRun: boolean): Promise<void> {
  if (!/^[a-z0-9][a-z0-9._-]{0,62}$/i.test(options.manager)) {
    throw new UsageError('--manager', `'${options.manager}' must be 1-63 letters, digits, '.', '_' or '-'`);
  }
  const documents = await readConfigDocuments(path);
  const exitCode = await withSystem(context, async (system) => {
    const declarations = resolveSecrets(documents, system.jobTypes, context.env);
    const applyOptions: ApplyOptions = {
      manager: options.manager,
      actor: `apply:${options.manager}`,
      onConflict: 'stop',
      enableNew: false,
      force: options.force ?? false,
      prune: options.prune ?? false,
      dryRun,
      sources: documents.map((document) => document.source),
      ...(options.message ? { message: options.message } : {}),
    };
    const results = await system.configs.apply(declarations, applyOptions);
    const conflicts = results.reduce((sum, result) => sum + result.conflicts.length, 0);
    const changes = results.filter((result) => result.outcome !== 'unchanged').length;
    const applied = !dryRun && conflicts === 0;
    if (options.json) {
      context.io.out(json({ applied, dryRun, manager: `apply:${options.manager}`, actor: cliActor(context.env), conflicts, changes, results }));
    } else {
      context.io.out(renderResults(results, { applied, dryRun, conflicts }));
    }
    if (conflicts > 0) return ExitCode.Conflict;
    return dryRun && changes > 0 ? ExitCode.Changes : ExitCode.Ok;
  });
  if (exitCode !== ExitCode.Ok) throw new CommandExit(exitCode);
}

const show = (value: unknown) => (value === undefined ? '(default)' : JSON.stringify(value));

function ownerText(owner: FieldOwner | undefined): string {
  if (!owner) return 'set before owners were recorded';
  return `set by ${owner.by} at ${owner.at.slice(0, 16).replace('T', ' ')} UTC, version ${owner.version}`;
}

function conflictLine(conflict: ApplyConflict): string {
  return `    ${conflict.path}: file ${show(conflict.declared)}, live ${show(conflict.live)} (${ownerText(conflict.owner)})`;
}

function runsLines(result: ApplyResult): string[] {
  const { nextRuns } = result;
  if (!nextRuns) return [];
  const zone = nextRuns.timezone;
  const list = (runs: string[] | undefined) => (runs && runs.length > 0 ? runs.map((run) => formatInZone(new Date(run), zone)).join(', ') : 'none (switched off)');
  return [
    `    next runs in ${zone}:`,
    ...(nextRuns.before ? [`      before: ${list(nextRuns.before)}`] : []),
    `      after:  ${list(nextRuns.after)}`,
  ];
}

const LABEL: Record<ApplyResult['outcome'], string> = { created: 'create', updated: 'update', unchanged: 'unchanged', deleted: 'delete' };

/** The plan or the outcome, config by config, then one summary line. */
export function renderResults(results: readonly ApplyResult[], state: { applied: boolean; dryRun: boolean; conflicts: number }): string {
  const lines: string[] = [];
  for (const result of results) {
    const from = result.source ? `  (${result.source})` : '';
    if (result.conflicts.length > 0) {
      lines.push(`! conflict  ${result.id}${from}`);
      lines.push(...result.conflicts.map(conflictLine));
    }
    if (result.outcome === 'unchanged') {
      if (result.conflicts.length === 0) lines.push(`= unchanged ${result.id}${from}`);
      continue;
    }
    const mark = result.outcome === 'created' ? '+' : result.outcome === 'deleted' ? '-' : '~';
    lines.push(`${mark} ${LABEL[result.outcome].padEnd(9)} ${result.id}${from}`);
    if (result.outcome === 'deleted') {
      lines.push('    owned wholly by these files, and no file names it any more');
      continue;
    }
    const stated = new Set(result.set);
    for (const change of result.changes) {
      if (result.outcome === 'created') {
        if (stated.has(change.path)) lines.push(`    ${change.path}: ${show(change.to)}`);
        continue;
      }
      const reverted = result.reverted.includes(change.path) ? ' [back to its default]' : '';
      lines.push(`    ${change.path}: ${show(change.from)} → ${show(change.to)}${reverted}${change.owner ? ` (was ${ownerText(change.owner)})` : ''}`);
    }
    lines.push(...runsLines(result));
  }
  const count = (outcome: ApplyResult['outcome']) => results.filter((result) => result.outcome === outcome).length;
  const summary = `${count('created')} to create, ${count('updated')} to update, ${count('deleted')} to delete, ${count('unchanged')} unchanged, ${state.conflicts} conflict${state.conflicts === 1 ? '' : 's'}.`;
  if (state.conflicts > 0) {
    lines.push('', `${summary} Nothing applied: change the files to match, or take the fields back with --force.`);
  } else if (state.dryRun) {
    lines.push('', `${summary} Nothing applied (a preview).`);
  } else {
    lines.push('', summary.replace('to create', 'created').replace('to update', 'updated').replace('to delete', 'deleted'));
  }
  return lines.join('\n');
}
