import { MACROS } from '../schedule/parse-cron.js';
import { isKnownTimeZone, parseSchedule } from '../schedule/index.js';
import { isDefaultJsonContentType, sortHeaders } from './secret-headers.js';
import { asJson, type SqlArgument, SqlReader, type SqlValue, tokenizeSql } from './sql-values.js';
import type { ImportedAction, ImportEntry, ImportSkip } from './types.js';

/**
 * pg_cron (https://github.com/citusdata/pg_cron) rows, as `select * from cron.job` returns them,
 * read into import entries. pg_cron runs in UTC unless the `cron.timezone` setting says
 * otherwise; the caller passes that setting in, this module reads nothing.
 */

/** pg_cron's interval jobs: `[1-59] seconds`. */
const SECONDS_SCHEDULE = /^([0-9]+)\s+seconds?$/i;

export type PgCronSchedule = { cron: string; note?: string } | { error: string };

/**
 * A pg_cron schedule as a Grove Jobs cron (validated in UTC): five fields pass through with
 * their whitespace normalised; `$` (last day of the month) in day-of-month becomes `L`; the
 * macros become five fields; `N seconds` (1–59) becomes `*\/N * * * * *`.
 *
 * pg_cron starts an `N seconds` job when N seconds have passed since its previous start (an
 * interval, never two runs of one job at once); the six-field cron fires on the seconds of
 * each minute divisible by N. They agree when N divides 60; otherwise the last gap of each
 * minute is shorter (`59 seconds` fires at :00 and :59), and `note` says so.
 * @example parsePgCronSchedule('0 0 $ * *') → { cron: '0 0 L * *' }
 * @example parsePgCronSchedule('@reboot') → { error: "'@reboot' runs when pg_cron starts: …" }
 */
export function parsePgCronSchedule(schedule: string): PgCronSchedule {
  const text = schedule.trim().replace(/\s+/g, ' ');
  if (text === '') return { error: 'the schedule is empty' };

  const seconds = SECONDS_SCHEDULE.exec(text);
  if (seconds) {
    const n = Number(seconds[1]);
    if (n < 1 || n > 59) return { error: `'${text}': pg_cron interval schedules take 1 to 59 seconds` };
    const cron = `*/${n} * * * * *`;
    const invalid = validate(cron);
    if (invalid) return invalid;
    return 60 % n === 0
      ? { cron }
      : { cron, note: `pg_cron ran this ${n} seconds after each previous start; '${cron}' fires at the seconds of each minute divisible by ${n}, so the gap across each full minute is ${60 % n} s instead of ${n} s` };
  }

  if (text.startsWith('@')) {
    const macro = text.toLowerCase();
    // pg_cron takes @restart as another spelling of @reboot.
    if (macro === '@reboot' || macro === '@restart') return { error: `'${text}' runs when pg_cron starts, which is not a schedule` };
    const cron = MACROS[macro];
    if (cron === undefined) return { error: `'${text}' is not a macro pg_cron knows` };
    return validate(cron) ?? { cron };
  }

  const fields = text.split(' ');
  if (fields.length !== 5) return { error: `'${text}' has ${fields.length} fields; pg_cron schedules have five fields, or take the form 'N seconds'` };
  const dayOfMonth = fields[2] ?? '';
  if (dayOfMonth.includes('$')) {
    const items = dayOfMonth.split(',').map((item) => (item === '$' ? 'L' : item));
    if (items.some((item) => item.includes('$'))) return { error: `day-of-month item '${dayOfMonth}': '$' (last day of the month) is taken only on its own` };
    fields[2] = items.join(',');
  }
  const cron = fields.join(' ');
  return validate(cron) ?? { cron };
}

function validate(cron: string, timezone = 'UTC'): { error: string } | undefined {
  try {
    parseSchedule(cron, timezone);
    return undefined;
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** pg_net's parameters, in order (pg_net's `net.http_post` and `net.http_get`). */
const SIGNATURES = {
  http_post: ['url', 'body', 'params', 'headers', 'timeout_milliseconds'],
  http_get: ['url', 'params', 'headers', 'timeout_milliseconds'],
} as const;
type PgNetFunction = keyof typeof SIGNATURES;

/** What a command is, with anything the person importing should know about it. */
export interface PgCronAction {
  action: ImportedAction;
  notes: string[];
}

/**
 * The action of a pg_cron command: one `net.http_post(…)` / `net.http_get(…)` call whose
 * arguments are all constants becomes an http-request; anything else stays SQL, trimmed.
 * See readPgCronCommand for the notes that go with it.
 */
export function parsePgCronCommand(command: string): ImportedAction {
  return readPgCronCommand(command).action;
}

/**
 * parsePgCronCommand with notes. Read: `[select|perform] net.http_post(…) [as name] [;]`, with
 * named (`url := …`, `url => …`) or positional arguments in pg_net's order —
 * http_post(url, body, params, headers, timeout_milliseconds), http_get(url, params, headers,
 * timeout_milliseconds). Values: string literals, `::json(b)` casts, json(b)_build_object/_array
 * of constants. `params` become the query string; a POST without `body` sends pg_net's default
 * `{}`; `Content-Type: application/json` is dropped for a JSON body (the http-request type sets
 * it); secret-looking headers go to `secretHeaders`; `timeout_milliseconds` is not carried over
 * (a note says so). Not read, so left as SQL: several statements, any other function, a value
 * that needs the database (`current_setting(…)`, a subquery, `||`, `now()`), a non-http(s) URL.
 */
export function readPgCronCommand(command: string): PgCronAction {
  const statement = command.trim();
  const sql: PgCronAction = { action: { kind: 'sql', statement }, notes: [] };
  const tokens = tokenizeSql(statement);
  if (!tokens) return sql;
  const reader = new SqlReader(tokens);
  if (!reader.accept('select')) reader.accept('perform');
  const schema = reader.identifier();
  if (schema !== 'net' || !reader.accept('.')) return sql;
  const fn = reader.identifier();
  if (fn !== 'http_post' && fn !== 'http_get') return sql;
  const args = reader.arguments();
  if (!args) return sql;
  // `as request_id`, or an alias without `as`.
  if (reader.accept('as')) {
    if (reader.identifier() === undefined) return sql;
  } else if (reader.peek()?.type === 'ident') reader.identifier();
  while (reader.accept(';'));
  if (!reader.done) return sql;
  return httpAction(fn, args) ?? sql;
}

function httpAction(fn: PgNetFunction, args: SqlArgument[]): PgCronAction | undefined {
  const signature: readonly string[] = SIGNATURES[fn];
  const byName = new Map<string, SqlValue>();
  let named = false;
  for (const [index, arg] of args.entries()) {
    // PostgreSQL takes positional arguments only before named ones.
    if (arg.name === undefined && named) return undefined;
    named ||= arg.name !== undefined;
    const name = arg.name ?? signature[index];
    if (name === undefined || !signature.includes(name) || byName.has(name)) return undefined;
    byName.set(name, arg.value);
  }

  const url = byName.get('url');
  if (url?.kind !== 'text' || !isHttpUrl(url.value)) return undefined;
  const params = jsonObject(byName.get('params'));
  const headerObject = jsonObject(byName.get('headers'));
  if (!params || !headerObject) return undefined;

  const query: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(params)) {
    const text = scalarText(value);
    if (text === undefined) return undefined;
    query.push([name, text]);
  }
  const headerPairs: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(headerObject)) {
    const text = scalarText(value);
    if (text === undefined) return undefined;
    headerPairs.push([name, text]);
  }

  let body: unknown;
  if (fn === 'http_post') {
    const given = byName.get('body');
    // pg_net's default body is '{}'::jsonb; an explicit null sends none.
    const json = given === undefined ? { value: {} } : asJson(given);
    if (!json) return undefined;
    body = json.value ?? undefined;
  }
  const jsonBody = body !== undefined && typeof body !== 'string';

  const notes: string[] = [];
  const timeout = byName.get('timeout_milliseconds');
  if (timeout !== undefined) {
    if (timeout.kind !== 'number') return undefined;
    notes.push(`pg_net's timeout_milliseconds := ${timeout.value} is not carried over: the config's limits.timeoutSeconds applies`);
  }
  notes.push("pg_net only queued the request and never looked at the response; the http-request job fails a run on a status other than 2xx (set expectStatus to accept others)");

  const { headers, secretHeaders } = sortHeaders(headerPairs.filter(([name, value]) => !(jsonBody && isDefaultJsonContentType(name, value))));
  const action: ImportedAction = {
    kind: 'http-request',
    method: fn === 'http_post' ? 'POST' : 'GET',
    url: withQuery(url.value, query),
    headers,
    secretHeaders,
  };
  if (body !== undefined) action.body = body;
  return { action, notes };
}

/** A json(b) argument that must be an object; an absent one is pg_net's default `{}`. */
function jsonObject(value: SqlValue | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return {};
  const json = asJson(value);
  if (!json) return undefined;
  if (json.value === null) return {};
  return typeof json.value === 'object' && !Array.isArray(json.value) ? (json.value as Record<string, unknown>) : undefined;
}

/** A header or query value as pg_net sends it: strings as they are, numbers and booleans as text. */
function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Appends query parameters, before any fragment, leaving the rest of the URL as written. */
function withQuery(url: string, query: ReadonlyArray<[string, string]>): string {
  if (query.length === 0) return url;
  const hash = url.indexOf('#');
  const base = hash === -1 ? url : url.slice(0, hash);
  const fragment = hash === -1 ? '' : url.slice(hash);
  const separator = base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?';
  return `${base}${separator}${new URLSearchParams(query).toString()}${fragment}`;
}

/** A row of `cron.job`. */
export interface PgCronRow {
  jobid: number | string;
  jobname: string | null;
  schedule: string;
  command: string;
  nodename?: string;
  database?: string;
  username?: string;
  active: boolean;
}

/**
 * Import entries for pg_cron's jobs. key: the jobname, or `job <jobid>` for an unnamed job
 * (a jobname used by two users' jobs gets ` (job <jobid>)` after it to stay unique); name:
 * the jobname or `job-<jobid>`; zone: `timezone` (pg_cron's `cron.timezone`, default UTC);
 * active as pg_cron has it. A schedule that cannot be read is skipped with the reason.
 */
export function pgCronEntries(rows: readonly PgCronRow[], options: { timezone?: string } = {}): { entries: ImportEntry[]; skipped: ImportSkip[] } {
  const timezone = options.timezone ?? 'UTC';
  const entries: ImportEntry[] = [];
  const skipped: ImportSkip[] = [];
  const nameCounts = new Map<string, number>();
  for (const row of rows) if (row.jobname) nameCounts.set(row.jobname, (nameCounts.get(row.jobname) ?? 0) + 1);

  for (const row of rows) {
    const key = !row.jobname ? `job ${row.jobid}` : (nameCounts.get(row.jobname) ?? 0) > 1 ? `${row.jobname} (job ${row.jobid})` : row.jobname;
    const original = row.schedule;
    if (!isKnownTimeZone(timezone)) {
      skipped.push({ key, original, reason: `cron.timezone '${timezone}' is not a known IANA time zone` });
      continue;
    }
    const schedule = parsePgCronSchedule(row.schedule);
    if ('error' in schedule) {
      skipped.push({ key, original, reason: schedule.error });
      continue;
    }
    const zoned = timezone === 'UTC' ? undefined : validate(schedule.cron, timezone);
    if (zoned) {
      skipped.push({ key, original, reason: zoned.error });
      continue;
    }
    const { action, notes } = readPgCronCommand(row.command);
    if (schedule.note !== undefined) notes.unshift(schedule.note);
    if (action.kind === 'sql' && (row.database !== undefined || row.username !== undefined)) {
      const where = [row.username !== undefined ? `as ${row.username}` : '', row.database !== undefined ? `in database ${row.database}` : ''].filter(Boolean).join(' ');
      notes.push(`pg_cron ran this SQL ${where}${row.nodename !== undefined ? ` on ${row.nodename}` : ''}`);
    }
    const entry: ImportEntry = {
      source: 'pg-cron',
      key,
      name: row.jobname || `job-${row.jobid}`,
      original,
      cron: schedule.cron,
      timezone,
      active: row.active,
      action,
    };
    if (notes.length > 0) entry.notes = notes;
    entries.push(entry);
  }
  return { entries, skipped };
}
