import { parseDocument } from 'yaml';
import { parseSchedule } from '../schedule/index.js';
import { lastPathSegment } from './shell-words.js';
import type { ImportedAction, ImportEntry, ImportSkip } from './types.js';

/**
 * GitHub Actions workflow files (.github/workflows/*.yml) whose `on.schedule` crons become
 * entries that start the workflow through the REST API's workflow_dispatch endpoint, so Grove
 * Jobs keeps the time and GitHub still runs the work.
 */

export interface WorkflowFile {
  /** The file's path in the repository, e.g. `.github/workflows/nightly.yml`. */
  path: string;
  text: string;
}

export interface WorkflowOptions {
  /** `owner/name` of the repository the workflows belong to. */
  repo: string;
  /** The branch or tag to run the workflow on; default `main`. */
  ref?: string;
  /** The environment variable `grove-jobs import` reads the API token from; default GITHUB_TOKEN. */
  tokenVariable?: string;
  /** Import commented-out `# - cron:` lines as switched-off entries instead of skipping them. */
  includeCommented?: boolean;
}

/** The REST API version the request is written for (GitHub's `X-GitHub-Api-Version`). */
const API_VERSION = '2022-11-28';
const REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/**
 * A commented-out list item with a cron: `# - cron: '0 3 * * *'`, `#  - cron: "…"` or unquoted,
 * with an optional trailing comment.
 */
const COMMENTED_CRON = /^\s*#+\s*-\s*cron\s*:\s*(?:'([^']*)'|"([^"]*)"|([^#'"]*?))\s*(?:#.*)?$/;
/** A `schedule:` key, itself commented out or not. */
const SCHEDULE_KEY = /^(\s*)(#+\s*)?schedule\s*:\s*(?:#.*)?$/;

/**
 * Entries for the scheduled workflows among `files`. Each `on.schedule[].cron` (five fields,
 * UTC) becomes an http-request POST to
 * `https://api.github.com/repos/{owner}/{repo}/actions/workflows/{file}/dispatches` with body
 * `{ ref }` and the headers GitHub asks for; the token is not part of it: `secretFromEnv` names
 * the variable `grove-jobs import` reads it from (`authorization: Bearer <token>`). Notes say
 * when the workflow lacks `workflow_dispatch` (with the lines to add), when it has required
 * inputs without defaults, and that the workflow's own schedule runs until removed.
 * Commented-out crons under a `schedule:` key are found in the text (YAML drops comments) and
 * become switched-off entries (`commented: true`) with `includeCommented`, skips otherwise.
 * key: `<path>#<n>` (n counts the schedule's items from 1), `<path>#commented-<n>` for commented
 * ones; name: the workflow's `name:`, or the file name without its extension. A file that is
 * not valid YAML is skipped; a file without a schedule gives nothing.
 * @throws Error when `repo` is not `owner/name`.
 */
export function parseWorkflows(files: readonly WorkflowFile[], options: WorkflowOptions): { entries: ImportEntry[]; skipped: ImportSkip[] } {
  if (!REPO.test(options.repo)) throw new Error(`repo '${options.repo}' must be written owner/name`);
  const entries: ImportEntry[] = [];
  const skipped: ImportSkip[] = [];

  for (const file of files) {
    const document = parseDocument(file.text);
    const error = document.errors[0];
    if (error) {
      skipped.push({ key: file.path, original: file.path, reason: `not valid YAML: ${error.message.split('\n')[0] ?? ''}` });
      continue;
    }
    const workflow = asRecord(document.toJS());
    if (!workflow) {
      skipped.push({ key: file.path, original: file.path, reason: 'not a workflow: the file is not a YAML mapping' });
      continue;
    }
    // A file that asks for YAML 1.1 (`%YAML 1.1`) reads the key `on` as the boolean true.
    const on = workflow.on ?? workflow.true;
    const triggers = asRecord(on);
    const fileName = lastPathSegment(file.path);
    const name = typeof workflow.name === 'string' && workflow.name.trim() !== '' ? workflow.name.trim() : fileName.replace(/\.ya?ml$/i, '');
    const action = dispatchAction(options, fileName);
    const notes = workflowNotes(options, triggers, file.path);
    const entry = (key: string, original: string, cron: string, extra: Partial<ImportEntry>): ImportEntry => ({
      source: 'github-actions',
      key,
      name,
      original,
      cron,
      timezone: 'UTC',
      active: true,
      action: structuredClone(action),
      notes: [...notes],
      secretFromEnv: { authorization: { variable: options.tokenVariable ?? 'GITHUB_TOKEN', prefix: 'Bearer ' } },
      ...extra,
    });

    const schedule = triggers?.schedule;
    const items = Array.isArray(schedule) ? schedule : schedule === undefined || schedule === null ? [] : undefined;
    if (!items) skipped.push({ key: file.path, original: 'on.schedule', reason: 'on.schedule is not a list of { cron } items' });
    for (const [index, item] of (items ?? []).entries()) {
      const key = `${file.path}#${index + 1}`;
      const cron = asRecord(item)?.cron;
      if (typeof cron !== 'string') {
        skipped.push({ key, original: JSON.stringify(item) ?? '', reason: 'the schedule item has no cron' });
        continue;
      }
      const checked = checkCron(cron);
      if ('error' in checked) {
        skipped.push({ key, original: cron, reason: checked.error });
        continue;
      }
      entries.push(entry(key, cron, checked.cron, {}));
    }

    for (const [index, commented] of commentedCrons(file.text).entries()) {
      const key = `${file.path}#commented-${index + 1}`;
      const checked = checkCron(commented.cron);
      if (!options.includeCommented || 'error' in checked) {
        const reason = 'error' in checked ? `commented out (line ${commented.line}), and ${checked.error}` : `commented out (line ${commented.line})`;
        skipped.push({ key, original: commented.cron, reason });
        continue;
      }
      entries.push(entry(key, commented.cron, checked.cron, { active: false, commented: true, notes: [`commented out on line ${commented.line}: imported switched off`, ...notes] }));
    }
  }
  return { entries, skipped };
}

function dispatchAction(options: WorkflowOptions, fileName: string): ImportedAction {
  const [owner = '', repo = ''] = options.repo.split('/');
  return {
    kind: 'http-request',
    method: 'POST',
    url: `https://api.github.com/repos/${owner}/${repo}/actions/workflows/${encodeURIComponent(fileName)}/dispatches`,
    headers: { accept: 'application/vnd.github+json', 'x-github-api-version': API_VERSION },
    // The token is read by `grove-jobs import` from the variable in `secretFromEnv`.
    secretHeaders: {},
    body: { ref: options.ref ?? 'main' },
  };
}

function workflowNotes(options: WorkflowOptions, triggers: Record<string, unknown> | undefined, path: string): string[] {
  const notes: string[] = [];
  const variable = options.tokenVariable ?? 'GITHUB_TOKEN';
  notes.push(`authorization: 'Bearer <token>', the token read from ${variable} when importing and never shown; it needs permission to run workflows (actions: write) in ${options.repo}`);
  if (!triggers || !('workflow_dispatch' in triggers)) {
    notes.push(`${path} has no workflow_dispatch trigger, and GitHub refuses to dispatch it (422) until it has; add under on:\n\non:\n  workflow_dispatch:`);
  } else {
    const inputs = asRecord(asRecord(triggers.workflow_dispatch)?.inputs) ?? {};
    const required = Object.entries(inputs)
      .filter(([, input]) => asRecord(input)?.required === true && asRecord(input)?.default === undefined)
      .map(([inputName]) => inputName);
    if (required.length > 0) {
      const names = required.map((inputName) => `'${inputName}'`).join(', ');
      notes.push(`workflow_dispatch requires ${required.length === 1 ? `the input ${names}, which has` : `the inputs ${names}, which have`} no default: add ${required.length === 1 ? 'it' : 'them'} to the body's "inputs"`);
    }
  }
  if (options.ref === undefined) notes.push("dispatched on ref 'main': GitHub ran scheduled workflows on the default branch; pass the ref if that is another branch");
  notes.push('GitHub keeps running the workflow on its own schedule too until the cron is removed from on.schedule');
  return notes;
}

/**
 * A GitHub Actions cron: five fields of numbers, names, `*`, `,`, `-` and `/`, read in UTC.
 * GitHub refuses the extensions (`L`, `W`, `#`, `?`) that Grove Jobs would take, so a cron
 * with one never ran there and is not imported as if it had.
 */
function checkCron(cron: string): { cron: string } | { error: string } {
  const text = cron.trim().replace(/\s+/g, ' ');
  const fields = text === '' ? [] : text.split(' ');
  if (fields.length !== 5) return { error: `'${text}' has ${fields.length} fields; GitHub Actions crons have five` };
  const [, , dayOfMonth = '', , dayOfWeek = ''] = fields;
  if (/[?#]/.test(text) || /[LW]/i.test(dayOfMonth) || /[0-9]L/i.test(dayOfWeek)) {
    return { error: `'${text}' uses a cron extension (L, W, # or ?) that GitHub Actions does not take` };
  }
  try {
    parseSchedule(text, 'UTC');
    return { cron: text };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/**
 * Crons on commented-out lines inside a `schedule:` block (the key itself may be commented out
 * too), with their 1-based line numbers. The block ends at the first uncommented line indented
 * less than the key, or as much and not a list item (YAML allows `- cron:` level with its key).
 */
export function commentedCrons(text: string): Array<{ line: number; cron: string }> {
  const found: Array<{ line: number; cron: string }> = [];
  let scheduleIndent: number | undefined;
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    const indent = line.length - line.trimStart().length;
    const key = SCHEDULE_KEY.exec(line);
    if (key) {
      // A commented key is measured where its text starts, after the '#'.
      scheduleIndent = (key[1] ?? '').length + (key[2] ?? '').length;
      continue;
    }
    if (trimmed.startsWith('#')) {
      if (scheduleIndent === undefined) continue;
      const cron = COMMENTED_CRON.exec(line);
      const value = cron?.[1] ?? cron?.[2] ?? cron?.[3];
      if (value !== undefined && value.trim() !== '') found.push({ line: index + 1, cron: value.trim() });
      continue;
    }
    if (scheduleIndent !== undefined && (indent < scheduleIndent || (indent === scheduleIndent && !trimmed.startsWith('-')))) scheduleIndent = undefined;
  }
  return found;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
