import { hostname } from 'node:os';
import type { Command } from 'commander';
import { type DestinationStream, type Logger, pino } from 'pino';
import type { CliContext } from './context.js';
import { CommandExit, reportError, UsageError } from './errors.js';

/**
 * What the long-running commands (`serve`, `worker`, `start`) write, on two streams:
 * - the log, on standard error: pino's JSON lines (`level` as a number, `time` in ms since the
 *   epoch, `pid`, `hostname`, `msg`, an `event` naming the entry, and its fields), or the same
 *   entries pretty on a terminal or with `--log-pretty`; `--log-level` filters it;
 * - the banner, on standard output: a few sentences for the person who started the command
 *   (where the store is, the console's address, "Press Ctrl-C to stop."), or with `--json` the
 *   same as JSON lines of the log's shape. The banner may show the console's admin token; the
 *   log never holds a token or secret.
 * See docs/observability.md.
 */
export interface CommandLog {
  /** The log (pino), on standard error. */
  readonly log: Logger;
  /** Whether the log is pretty (a person reads it on a terminal). */
  readonly pretty: boolean;
  /**
   * A banner line, and the same entry in the log at info (`logged`: other words or fields for
   * the log, e.g. without the token; false: the banner only). A pretty log leaves it out: the
   * banner has said it on the same terminal.
   */
  announce(event: string, text: string, fields?: Record<string, unknown>, logged?: { msg: string; fields?: Record<string, unknown> } | false): void;
  /** Reports the command's failure as the log's last entry (fatal) and ends the command with its exit code. */
  failed(error: unknown): never;
}

/** The levels `--log-level` takes, most to least verbose; `silent` logs nothing. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/**
 * Paths pino writes as `[redacted]` in any entry, whoever logs it: credentials and secret
 * values (a header object, a config's secret parameters). The log's own entries never carry
 * them; this stops one that would.
 */
const REDACT_PATHS = [
  'authorization',
  'cookie',
  'token',
  'secret',
  'password',
  'webhookSecret',
  'secretHeaders',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.authorization',
  '*.token',
  '*.secret',
  '*.password',
  '*.webhookSecret',
  '*.secretHeaders',
];

/** The options of the long-running commands' log. */
export interface LogOptions {
  logLevel: string;
  logPretty?: boolean;
  json?: boolean;
}

/** Adds `--log-level`, `--log-pretty` / `--no-log-pretty` and `--json` to a long-running command. */
export function addLogOptions(command: Command, env: Record<string, string | undefined>): Command {
  return command
    .option(
      '--log-level <level>',
      `log entries at this level and above: ${LOG_LEVELS.join(', ')} (when not given: GROVE_JOBS_LOG_LEVEL, else LOG_LEVEL)`,
      env['GROVE_JOBS_LOG_LEVEL'] || env['LOG_LEVEL'] || 'info',
    )
    .option('--log-pretty', 'write the log (standard error) for people, also when it is not a terminal')
    .option('--no-log-pretty', 'write the log as JSON lines, also on a terminal')
    .option('--json', 'print the banner (standard output) as JSON lines of the same shape as the log');
}

/** Other names LOG_LEVEL often holds in a shared environment. */
const LEVEL_ALIASES: Record<string, LogLevelName> = { warning: 'warn', critical: 'fatal', off: 'silent' };

export function parseLogLevel(text: string): LogLevelName {
  const given = text.trim().toLowerCase();
  const level = LEVEL_ALIASES[given] ?? given;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new UsageError('--log-level', `'${text}' must be one of ${LOG_LEVELS.join(', ')} (from --log-level, GROVE_JOBS_LOG_LEVEL or LOG_LEVEL)`);
  }
  return level as LogLevelName;
}

/** A pino destination writing each line through one of the command's outputs (tests collect them). */
function lineWriter(write: (text: string) => void): DestinationStream {
  return { write: (line: string) => write(line.endsWith('\n') ? line.slice(0, -1) : line) };
}

/** pino's options for both streams: numeric levels, ms times, pid and hostname, redaction. */
function loggerOptions(level: LogLevelName): pino.LoggerOptions {
  return {
    level,
    base: { pid: process.pid, hostname: hostname() },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
}

/**
 * The log and banner of a long-running command. Pretty when `--log-pretty` says so, else when
 * standard error is a terminal (`--no-log-pretty`: never). Writes are synchronous (through the
 * command's outputs): nothing is lost when the process exits right after.
 */
export async function openCommandLog(context: CliContext, options: LogOptions): Promise<CommandLog> {
  const level = parseLogLevel(options.logLevel);
  const terminal = process.stderr.isTTY === true;
  const pretty = options.logPretty ?? terminal;
  let destination = lineWriter(context.io.err);
  if (pretty) {
    const { prettyFactory } = await import('pino-pretty');
    const prettify = prettyFactory({
      colorize: terminal && !context.env['NO_COLOR'],
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      singleLine: true,
    });
    destination = { write: (line: string) => context.io.err(prettify(line).trimEnd()) };
  }
  const log = pino(loggerOptions(level), destination);
  const banner = options.json ? pino(loggerOptions('info'), lineWriter(context.io.out)) : undefined;
  return {
    log,
    pretty,
    announce(event, text, fields = {}, logged = { msg: text, fields }) {
      if (banner) banner.info({ event, ...fields }, text);
      else context.io.out(text);
      if (logged !== false && !pretty) log.info({ event, ...logged.fields }, logged.msg);
    },
    failed(error) {
      if (error instanceof CommandExit) throw error;
      const { exitCode, code, message, field } = reportError(error);
      const fields = { event: 'command:failed', code, exitCode, ...(field ? { field } : {}), ...(code === 'INTERNAL' ? { err: error } : {}) };
      // A silenced log still says why the command stopped.
      if (log.isLevelEnabled('fatal')) log.fatal(fields, message);
      else context.io.err(`grove-jobs: ${message}`);
      throw new CommandExit(exitCode);
    },
  };
}

/** Runs a long-running command's body with its log; a failure ends up in the log (see CommandLog.failed). */
export async function withCommandLog(context: CliContext, options: LogOptions, body: (out: CommandLog) => Promise<void>): Promise<void> {
  const out = await openCommandLog(context, options);
  try {
    await body(out);
  } catch (error) {
    out.failed(error);
  }
}
