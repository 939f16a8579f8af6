import { MACROS } from '../schedule/parse-cron.js';
import { isKnownTimeZone, parseSchedule } from '../schedule/index.js';
import { readCurl, requestName } from './curl.js';
import { lastPathSegment, shellWords } from './shell-words.js';
import type { ImportedAction, ImportEntry, ImportSkip } from './types.js';

/**
 * A user crontab (crontab(5): `crontab -l`), read into import entries. A system crontab
 * (/etc/crontab, /etc/cron.d/*) has a user column after the five time fields; it is not read
 * here: its user name would be taken for the command.
 */

const VARIABLE_LINE = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;
const MACRO_LINE = /^(@[A-Za-z]+)\s+(\S.*)$/;
const FIELDS_LINE = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S.*)$/;
/**
 * Discarding the output is the usual end of a crontab line and changes nothing a job does (its
 * output goes to the run's log instead of cron's mail), so it does not make a line need a shell.
 */
const DISCARD_OUTPUT = /\s+(?:1?>\s*\/dev\/null\s+2>&1|&>\s*\/dev\/null)\s*$/;

export interface CrontabOptions {
  /** Names the file in reasons that point at another line (`CRON_TZ on line 3 of deploy.crontab`). */
  file?: string;
  /**
   * The zone of the machine the crontab ran on: cron reads times in it until a CRON_TZ or TZ
   * line. The parser cannot know it; without it lines are read in UTC and a note says so.
   */
  timezone?: string;
}

interface Zone {
  name: string;
  /** Set when the zone line could not be read: lines under it are skipped with this reason. */
  invalid?: string;
}

/**
 * Entries for the lines of a user crontab. Read: five-field lines and the macros `@hourly`,
 * `@daily`, `@midnight`, `@weekly`, `@monthly`, `@yearly`, `@annually` (each validated in its
 * zone); `CRON_TZ=Zone` and `TZ=Zone` set the zone of the lines after them (CRON_TZ wins when
 * both are set, as in cronie; an unknown zone is a skip, and so is every line it would apply
 * to); every other `NAME=value` line (quotes around the value removed) is collected and passed
 * as `env` on the command actions after it, TZ included, since cron gives it to the command;
 * `SHELL=` also chooses the shell for commands that need one. Comments and blank lines are
 * ignored. Skipped with a reason: `@reboot`, an unescaped `%` (crontab(5) turns it into a
 * newline and sends the rest to the command's standard input, which a job does not have; `\%`
 * is a plain `%`), a line that is not five fields and a command, an invalid schedule.
 *
 * Commands: a plain `curl …` becomes an http-request (see readCurl); any other command without
 * shell syntax becomes `{ executable, args }`; a command with shell syntax (pipes, `&&`, `;`,
 * redirections, `$…`, globs, …) runs as `/bin/sh -c <command>` with a note. A trailing
 * `>/dev/null 2>&1` (or `&>/dev/null`) is dropped. key: `crontab:<line>` (1-based); name: the
 * request URL's last path segment, the program's basename, or for a shell command the program
 * of its first step that is not a `cd`, `export`, … or an assignment.
 */
export function parseCrontab(text: string, options: CrontabOptions = {}): { entries: ImportEntry[]; skipped: ImportSkip[] } {
  const entries: ImportEntry[] = [];
  const skipped: ImportSkip[] = [];
  const env: Record<string, string> = {};
  const defaultZone: Zone = options.timezone === undefined ? { name: 'UTC' } : zoneOf(options.timezone, 'the timezone option');
  let cronTz: Zone | undefined;
  let tz: Zone | undefined;

  for (const [index, rawLine] of text.split(/\r?\n/).entries()) {
    const lineNumber = index + 1;
    const key = `crontab:${lineNumber}`;
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const skip = (reason: string, original = line) => skipped.push({ key, original, reason });

    const variable = VARIABLE_LINE.exec(line);
    if (variable) {
      const name = variable[1] ?? '';
      const value = unquote((variable[2] ?? '').trim());
      if (name === 'CRON_TZ' || name === 'TZ') {
        const zone = zoneOf(value, `${name} on line ${lineNumber}${options.file === undefined ? '' : ` of ${options.file}`}`);
        if (zone.invalid !== undefined) skip(zone.invalid);
        if (name === 'CRON_TZ') cronTz = zone;
        else tz = zone;
      }
      if (name !== 'CRON_TZ') env[name] = value;
      continue;
    }

    let schedule: string;
    let cron: string;
    let command: string;
    const macro = MACRO_LINE.exec(line);
    if (macro) {
      schedule = macro[1] ?? '';
      command = macro[2] ?? '';
      const known = MACROS[schedule.toLowerCase()];
      if (schedule.toLowerCase() === '@reboot') {
        skip("'@reboot' runs when cron starts, which is not a schedule");
        continue;
      }
      if (known === undefined) {
        skip(`'${schedule}' is not a crontab macro`);
        continue;
      }
      cron = known;
    } else {
      const fields = FIELDS_LINE.exec(line);
      if (!fields) {
        skip('not a crontab line: expected five time fields (or a macro such as @daily) and a command');
        continue;
      }
      cron = fields.slice(1, 6).join(' ');
      schedule = cron;
      command = fields[6] ?? '';
    }

    const zone = cronTz ?? tz ?? defaultZone;
    if (zone.invalid !== undefined) {
      skip(zone.invalid);
      continue;
    }
    try {
      parseSchedule(cron, zone.name);
    } catch (error) {
      skip((error as Error).message);
      continue;
    }

    const percent = /(?<!\\)%/.exec(command);
    if (percent) {
      skip("the command has an unescaped '%', which crontab turns into a newline and the command's standard input; a job has no standard input: write '\\%' for a literal '%' or move the input into a script");
      continue;
    }
    command = command.replace(/\\%/g, '%');

    const notes: string[] = [];
    if (cronTz === undefined && tz === undefined && options.timezone === undefined) {
      notes.push("read in UTC: cron used the machine's local zone, which the crontab does not name (add CRON_TZ= or give the zone)");
    }
    const { action, name, notes: actionNotes } = commandAction(command, env);
    entries.push({
      source: 'crontab',
      key,
      name,
      original: schedule,
      cron,
      timezone: zone.name,
      active: true,
      action,
      ...(notes.length + actionNotes.length > 0 ? { notes: [...notes, ...actionNotes] } : {}),
    });
  }
  return { entries, skipped };
}

function zoneOf(name: string, source: string): Zone {
  return isKnownTimeZone(name) ? { name } : { name, invalid: `${source}: '${name}' is not a known IANA time zone` };
}

/** crontab(5): a value may be put in matching quotes to keep blanks at its ends. */
function unquote(value: string): string {
  const quoted = /^(['"])(.*)\1$/s.exec(value);
  return quoted ? (quoted[2] ?? '') : value;
}

function commandAction(command: string, env: Readonly<Record<string, string>>): { action: ImportedAction; name: string; notes: string[] } {
  const withEnv = (action: Extract<ImportedAction, { kind: 'command' }>) => (Object.keys(env).length > 0 ? { ...action, env: { ...env } } : action);
  const split = shellWords(command.replace(DISCARD_OUTPUT, ''));
  if (split.kind === 'words') {
    const [program = '', ...args] = split.words;
    if (lastPathSegment(program) === 'curl') {
      const request = readCurl(split.words);
      if (request.kind === 'request') return { action: request.action, name: requestName(request.action.url), notes: request.notes };
      return { action: withEnv({ kind: 'command', executable: program, args }), name: lastPathSegment(program), notes: [`kept as a command: ${request.reason}`] };
    }
    return { action: withEnv({ kind: 'command', executable: program, args }), name: lastPathSegment(program), notes: [] };
  }
  const shell = env.SHELL ?? '/bin/sh';
  return {
    action: withEnv({ kind: 'command', executable: shell, args: ['-c', command] }),
    name: shellCommandName(command) ?? lastPathSegment(shell),
    notes: [`runs through ${shell} -c because the command uses shell syntax (${split.reason}): the worker needs that shell`],
  };
}

/** Steps that only prepare for the command that does the work (`cd /srv/app && npm run x`). */
const PREPARATION = new Set(['cd', 'export', 'set', 'source', '.', 'umask', 'sleep']);

/**
 * A name for a shell command line: the program of its first step that is not a preparation
 * or an assignment, e.g. `npm` for `cd /srv/app && NODE_ENV=production npm run cleanup`.
 */
function shellCommandName(command: string): string | undefined {
  for (const step of command.split(/&&|\|\||[;|&]/)) {
    const words = step.trim().split(/\s+/).filter((word) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(word));
    const program = words[0]?.replace(/^['"(]+|['")]+$/g, '');
    if (program && !PREPARATION.has(program)) return lastPathSegment(program);
  }
  return undefined;
}
