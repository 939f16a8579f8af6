import { describe, expect, it } from 'vitest';
import { parsePgCronCommand, parsePgCronSchedule, pgCronEntries, type PgCronRow, readPgCronCommand } from './pg-cron.js';
import type { ImportedAction } from './types.js';

/** A 64-hex-digit shared secret, as the functions check in `x-cron-secret`. */
const CRON_SECRET = '4be0643f1d98573b97cdca98a65347dd5bd2b0a3f1c5e7d9b2a4c6e8f0a1b3c5';
const FUNCTIONS = 'https://project.supabase.co/functions/v1';

describe('parsePgCronSchedule', () => {
  const rows: Array<{ behaviour: string; schedule: string; expected: ReturnType<typeof parsePgCronSchedule> }> = [
    { behaviour: 'passes a five-field cron through', schedule: '*/15 * * * *', expected: { cron: '*/15 * * * *' } },
    { behaviour: 'normalises blanks between and around fields', schedule: '  0\t5  * *   * \n', expected: { cron: '0 5 * * *' } },
    { behaviour: 'keeps names and lists as pg_cron wrote them', schedule: '30 2 * jan,jul mon-fri', expected: { cron: '30 2 * jan,jul mon-fri' } },
    { behaviour: "turns '$' in day-of-month into L", schedule: '0 23 $ * *', expected: { cron: '0 23 L * *' } },
    { behaviour: "turns '$' inside a day-of-month list into L", schedule: '0 0 1,15,$ * *', expected: { cron: '0 0 1,15,L * *' } },
    { behaviour: "refuses '$' inside a range", schedule: '0 0 25-$ * *', expected: { error: "day-of-month item '25-$': '$' (last day of the month) is taken only on its own" } },
    { behaviour: "turns 'N seconds' into a six-field cron", schedule: '30 seconds', expected: { cron: '*/30 * * * * *' } },
    { behaviour: "reads '1 second' and any case", schedule: '1 Second', expected: { cron: '*/1 * * * * *' } },
    {
      behaviour: 'notes that an interval not dividing 60 fires unevenly',
      schedule: '59 seconds',
      expected: {
        cron: '*/59 * * * * *',
        note: "pg_cron ran this 59 seconds after each previous start; '*/59 * * * * *' fires at the seconds of each minute divisible by 59, so the gap across each full minute is 1 s instead of 59 s",
      },
    },
    { behaviour: 'refuses 0 seconds', schedule: '0 seconds', expected: { error: "'0 seconds': pg_cron interval schedules take 1 to 59 seconds" } },
    { behaviour: 'refuses 60 seconds', schedule: '60 seconds', expected: { error: "'60 seconds': pg_cron interval schedules take 1 to 59 seconds" } },
    { behaviour: 'expands @daily', schedule: '@daily', expected: { cron: '0 0 * * *' } },
    { behaviour: 'expands @hourly', schedule: '@hourly', expected: { cron: '0 * * * *' } },
    { behaviour: 'expands @weekly to Sunday midnight', schedule: '@weekly', expected: { cron: '0 0 * * 0' } },
    { behaviour: 'expands @monthly', schedule: '@monthly', expected: { cron: '0 0 1 * *' } },
    { behaviour: 'expands @yearly and @annually alike', schedule: '@ANNUALLY', expected: { cron: '0 0 1 1 *' } },
    { behaviour: 'refuses @reboot as not a schedule', schedule: '@reboot', expected: { error: "'@reboot' runs when pg_cron starts, which is not a schedule" } },
    { behaviour: 'refuses @restart, which pg_cron takes for @reboot', schedule: '@restart', expected: { error: "'@restart' runs when pg_cron starts, which is not a schedule" } },
    { behaviour: 'refuses an unknown macro', schedule: '@every 5m', expected: { error: "'@every 5m' is not a macro pg_cron knows" } },
    { behaviour: 'refuses six fields', schedule: '0 */5 * * * *', expected: { error: "'0 */5 * * * *' has 6 fields; pg_cron schedules have five fields, or take the form 'N seconds'" } },
    { behaviour: 'refuses an empty schedule', schedule: '   ', expected: { error: 'the schedule is empty' } },
  ];
  it.each(rows)('$behaviour', ({ schedule, expected }) => {
    expect(parsePgCronSchedule(schedule)).toEqual(expected);
  });

  it("returns parseSchedule's message for a cron it refuses", () => {
    const result = parsePgCronSchedule('61 * * * *');
    expect(result).toHaveProperty('error');
    expect('error' in result && result.error).toMatch(/minute/);
  });
});

type HttpAction = Extract<ImportedAction, { kind: 'http-request' }>;

const post = (url: string, overrides: Partial<HttpAction> = {}): HttpAction => ({
  kind: 'http-request',
  method: 'POST',
  url,
  headers: {},
  secretHeaders: {},
  body: {},
  ...overrides,
});

describe('parsePgCronCommand', () => {
  const rows: Array<{ behaviour: string; command: string; expected: ImportedAction }> = [
    {
      behaviour: 'reads named arguments, drops the JSON content type and keeps x-cron-secret secret',
      command: `select net.http_post(url:='${FUNCTIONS}/daily-batch-trigger', headers:='{"Content-Type":"application/json","x-cron-secret":"${CRON_SECRET}"}'::jsonb, body:='{}'::jsonb) as request_id;`,
      expected: post(`${FUNCTIONS}/daily-batch-trigger`, { secretHeaders: { 'x-cron-secret': CRON_SECRET } }),
    },
    {
      behaviour: "reads '=>' named arguments and uncast literals",
      command: `SELECT net.http_post(url => '${FUNCTIONS}/hook', body => '{"a":[1,2]}', headers => '{"x-client":"grove"}')`,
      expected: post(`${FUNCTIONS}/hook`, { headers: { 'x-client': 'grove' }, body: { a: [1, 2] } }),
    },
    {
      behaviour: "follows pg_net's positional order for http_post (url, body, params, headers, timeout)",
      command: `select net.http_post('${FUNCTIONS}/batch-reconciler', '{"mode":"cleanup"}'::jsonb, '{"limit":"50"}'::jsonb, '{"Content-Type":"application/json","x-cron-secret":"${CRON_SECRET}"}'::jsonb, 5000);`,
      expected: post(`${FUNCTIONS}/batch-reconciler?limit=50`, { secretHeaders: { 'x-cron-secret': CRON_SECRET }, body: { mode: 'cleanup' } }),
    },
    {
      behaviour: "follows pg_net's positional order for http_get (url, params, headers, timeout) and appends params to a query",
      command: `select net.http_get('https://api.example.com/v1/sync?full=1', '{"since":"2026-01-01 00:00","page":2}'::jsonb, '{"Accept":"application/json"}'::jsonb)`,
      expected: { kind: 'http-request', method: 'GET', url: 'https://api.example.com/v1/sync?full=1&since=2026-01-01+00%3A00&page=2', headers: { Accept: 'application/json' }, secretHeaders: {} },
    },
    {
      behaviour: 'mixes positional then named arguments',
      command: `select net.http_post('${FUNCTIONS}/a', headers := '{"apikey":"anon"}'::jsonb)`,
      expected: post(`${FUNCTIONS}/a`, { secretHeaders: { apikey: 'anon' } }),
    },
    {
      behaviour: 'builds the body from jsonb_build_object with strings, numbers, booleans, null and nesting',
      command: `SELECT net.http_post(url := '${FUNCTIONS}/daily-batch-trigger', headers := jsonb_build_object('Content-Type', 'application/json', 'x-cron-secret', '${CRON_SECRET}'), body := jsonb_build_object('source', 'cron', 'force', false, 'attempt', 1, 'ratio', -0.5, 'org', null, 'window', json_build_object('start', 3, 'end', 6), 'tags', jsonb_build_array('a', 'b')));`,
      expected: post(`${FUNCTIONS}/daily-batch-trigger`, {
        secretHeaders: { 'x-cron-secret': CRON_SECRET },
        body: { source: 'cron', force: false, attempt: 1, ratio: -0.5, org: null, window: { start: 3, end: 6 }, tags: ['a', 'b'] },
      }),
    },
    {
      behaviour: "reads '' inside a string literal as one quote",
      command: `select net.http_post(url:='${FUNCTIONS}/notes', body:='{"text":"it''s done"}'::jsonb)`,
      expected: post(`${FUNCTIONS}/notes`, { body: { text: "it's done" } }),
    },
    {
      behaviour: "reads E'…' escapes",
      command: String.raw`select net.http_post(url:=E'${FUNCTIONS}/notes', body:=E'{"text":"line\\none","q":"it\'s"}'::jsonb)`,
      expected: post(`${FUNCTIONS}/notes`, { body: { text: 'line\none', q: "it's" } }),
    },
    {
      behaviour: 'reads dollar-quoted strings, with and without a tag',
      command: `select net.http_post(url:=$$${FUNCTIONS}/batch-reconciler$$, body:=$body${'$'}{"note":"it's $$ fine"}$body${'$'}::jsonb)`,
      expected: post(`${FUNCTIONS}/batch-reconciler`, { body: { note: "it's $$ fine" } }),
    },
    {
      behaviour: 'reads a multi-line statement with comments, upper case and a quoted schema',
      command: `\n  -- reconcile stuck batches\n  SELECT\n    "net".HTTP_POST(\n      url := '${FUNCTIONS}/batch-reconciler' /* edge function */,\n      body := '{"mode":"reconcile"}'::json\n    ) AS request_id ;\n`,
      expected: post(`${FUNCTIONS}/batch-reconciler`, { body: { mode: 'reconcile' } }),
    },
    {
      behaviour: 'reads perform and an alias without as',
      command: `perform net.http_get(url := 'https://status.example.com/ping'::text) req`,
      expected: { kind: 'http-request', method: 'GET', url: 'https://status.example.com/ping', headers: {}, secretHeaders: {} },
    },
    {
      behaviour: 'sends no body for body := null',
      command: `select net.http_post(url := 'https://example.com/hook', body := null)`,
      expected: { kind: 'http-request', method: 'POST', url: 'https://example.com/hook', headers: {}, secretHeaders: {} },
    },
    {
      behaviour: 'keeps a non-JSON content type and puts authorization and random values in secretHeaders',
      command: `select net.http_post(url := 'https://example.com/hook', headers := '{"Content-Type":"text/plain","Authorization":"Bearer abc","x-signature-v":"Zx81kQ0pLm29vNa7TyB4cR6w","x-version":"2024-06-01"}'::jsonb)`,
      expected: post('https://example.com/hook', {
        headers: { 'Content-Type': 'text/plain', 'x-version': '2024-06-01' },
        secretHeaders: { Authorization: 'Bearer abc', 'x-signature-v': 'Zx81kQ0pLm29vNa7TyB4cR6w' },
      }),
    },
    {
      behaviour: 'keeps the content type of a GET, which has no JSON body',
      command: `select net.http_get(url := 'https://example.com/report', headers := '{"Content-Type":"application/json","cookie":"sid=1"}'::jsonb)`,
      expected: { kind: 'http-request', method: 'GET', url: 'https://example.com/report', headers: { 'Content-Type': 'application/json' }, secretHeaders: { cookie: 'sid=1' } },
    },
  ];
  it.each(rows)('$behaviour', ({ command, expected }) => {
    expect(parsePgCronCommand(command)).toEqual(expected);
  });

  const sqlRows: Array<{ behaviour: string; command: string }> = [
    { behaviour: 'keeps SQL that calls no pg_net function', command: 'CALL public.refresh_daily_totals()' },
    { behaviour: 'keeps a maintenance statement', command: "DELETE FROM cron.job_run_details WHERE end_time < now() - interval '7 days'" },
    { behaviour: 'keeps a value read from current_setting', command: `select net.http_post(url := current_setting('app.functions_url') || '/daily-batch-trigger', body := '{}'::jsonb)` },
    {
      behaviour: 'keeps a header built with || and a vault subquery',
      command: `select net.http_post(url:='${FUNCTIONS}/daily-batch-trigger', headers:=jsonb_build_object('Authorization', 'Bearer ' || (select decrypted_secret from vault.decrypted_secrets where name = 'service_role_key')), body:='{}'::jsonb);`,
    },
    { behaviour: 'keeps a body computed with now()', command: `select net.http_post(url:='${FUNCTIONS}/x', body:=jsonb_build_object('at', now()))` },
    { behaviour: 'keeps two statements', command: `select net.http_post(url:='${FUNCTIONS}/a'); select net.http_post(url:='${FUNCTIONS}/b');` },
    { behaviour: 'keeps a call with an unknown argument name', command: `select net.http_post(uri:='${FUNCTIONS}/a')` },
    { behaviour: 'keeps a positional argument after a named one', command: `select net.http_post(url:='${FUNCTIONS}/a', '{}'::jsonb)` },
    { behaviour: 'keeps a call with too many positional arguments', command: `select net.http_get('${FUNCTIONS}/a', '{}', '{}', 1000, 'x')` },
    { behaviour: 'keeps a body that is not JSON', command: `select net.http_post(url:='${FUNCTIONS}/a', body:='not json'::jsonb)` },
    { behaviour: 'keeps headers that are not an object', command: `select net.http_post(url:='${FUNCTIONS}/a', headers:='["x"]'::jsonb)` },
    { behaviour: 'keeps a URL that is not http(s)', command: `select net.http_get('ftp://files.example.com/x')` },
    { behaviour: 'keeps an unterminated string', command: `select net.http_get('${FUNCTIONS}/a)` },
    { behaviour: 'keeps a pg_net call in a FROM clause', command: `select net.http_get('${FUNCTIONS}/a') from generate_series(1, 3)` },
    { behaviour: 'keeps another function of net', command: `select net.http_delete('${FUNCTIONS}/a')` },
  ];
  it.each(sqlRows)('$behaviour', ({ command }) => {
    expect(parsePgCronCommand(`  ${command}\n`)).toEqual({ kind: 'sql', statement: command });
  });

  it('notes a timeout it does not carry over and that pg_net ignored the response', () => {
    expect(readPgCronCommand(`select net.http_get(url := 'https://example.com/a', timeout_milliseconds := 10000)`).notes).toEqual([
      "pg_net's timeout_milliseconds := 10000 is not carried over: the config's limits.timeoutSeconds applies",
      'pg_net only queued the request and never looked at the response; the http-request job fails a run on a status other than 2xx (set expectStatus to accept others)',
    ]);
  });
});

/** The nine active jobs of the audited project (seed 004, section 2.1), with plausible commands. */
const triggerHeaders = `'{"Content-Type":"application/json","x-cron-secret":"${CRON_SECRET}"}'::jsonb`;
const seedRows: PgCronRow[] = [
  {
    jobid: 3,
    jobname: 'daily-batch-trigger-resilient',
    schedule: '*/15 * * * *',
    command: `select net.http_post(url:='${FUNCTIONS}/daily-batch-trigger', headers:=${triggerHeaders}, body:='{}'::jsonb) as request_id;`,
    active: true,
  },
  {
    jobid: 4,
    jobname: 'daily-batch-trigger-every-5min',
    schedule: '*/5 * * * *',
    command: `SELECT net.http_post(url := '${FUNCTIONS}/daily-batch-trigger', headers := jsonb_build_object('Content-Type', 'application/json', 'x-cron-secret', '${CRON_SECRET}'), body := jsonb_build_object('source', 'pg_cron'));`,
    active: true,
  },
  {
    jobid: 5,
    jobname: 'batch-reconciler-cleanup',
    schedule: '*/30 * * * *',
    command: `select net.http_post('${FUNCTIONS}/batch-reconciler', '{"mode":"cleanup"}'::jsonb, '{}'::jsonb, ${triggerHeaders}, 5000);`,
    active: true,
  },
  {
    jobid: 6,
    jobname: 'batch-reconciler-every-10min',
    schedule: '*/10 * * * *',
    command: `\n  select\n    net.http_post(\n        url:='${FUNCTIONS}/batch-reconciler',\n        headers:=${triggerHeaders},\n        body:='{}'::jsonb\n    ) as request_id;\n  `,
    active: true,
  },
  {
    jobid: 7,
    jobname: 'daily-batch-midnight-edt',
    schedule: '0 5 * * *',
    command: `select net.http_post(url:='${FUNCTIONS}/daily-batch-trigger', headers:=${triggerHeaders}, body:='{}'::jsonb) as request_id;`,
    active: true,
  },
  {
    jobid: 8,
    jobname: 'daily-batch-midnight-est',
    schedule: '0 4 * * *',
    command: `select net.http_post(url:='${FUNCTIONS}/daily-batch-trigger', headers:=jsonb_build_object('Content-Type','application/json','x-cron-secret',(select value from app_settings where key = 'cron_secret')), body:='{}'::jsonb) as request_id;`,
    active: true,
  },
  {
    jobid: 9,
    jobname: 'daily-batch-trigger-12am-est',
    schedule: '0 5 * * *',
    command: `select net.http_post(url:='${FUNCTIONS}/daily-batch-trigger', headers:=${triggerHeaders}, body:='{}'::jsonb) as request_id;`,
    active: true,
  },
  {
    jobid: 10,
    jobname: 'daily-scheduler-3am-edt',
    schedule: '0 7 * * *',
    command: `select net.http_post(url:='${FUNCTIONS}/daily-batch-trigger', headers:=${triggerHeaders}, body:=jsonb_build_object('window', 'edt')) as request_id;`,
    database: 'postgres',
    username: 'postgres',
    active: true,
  },
  {
    jobid: 11,
    jobname: 'daily-scheduler-3am-est',
    schedule: '0 8 * * *',
    command: "select public.try_mark_daily_run(to_char(now() at time zone 'America/New_York', 'YYYY-MM-DD'));",
    database: 'postgres',
    username: 'postgres',
    active: true,
  },
];

describe('pgCronEntries', () => {
  const trigger = post(`${FUNCTIONS}/daily-batch-trigger`, { secretHeaders: { 'x-cron-secret': CRON_SECRET } });
  const reconciler = post(`${FUNCTIONS}/batch-reconciler`, { secretHeaders: { 'x-cron-secret': CRON_SECRET } });
  const { entries, skipped } = pgCronEntries(seedRows);

  const rows: Array<{ key: string; cron: string; action: ImportedAction }> = [
    { key: 'daily-batch-trigger-resilient', cron: '*/15 * * * *', action: trigger },
    { key: 'daily-batch-trigger-every-5min', cron: '*/5 * * * *', action: { ...trigger, body: { source: 'pg_cron' } } },
    { key: 'batch-reconciler-cleanup', cron: '*/30 * * * *', action: { ...reconciler, body: { mode: 'cleanup' } } },
    { key: 'batch-reconciler-every-10min', cron: '*/10 * * * *', action: reconciler },
    { key: 'daily-batch-midnight-edt', cron: '0 5 * * *', action: trigger },
    {
      key: 'daily-batch-midnight-est',
      cron: '0 4 * * *',
      action: { kind: 'sql', statement: (seedRows[5]?.command ?? '').trim() },
    },
    { key: 'daily-batch-trigger-12am-est', cron: '0 5 * * *', action: trigger },
    { key: 'daily-scheduler-3am-edt', cron: '0 7 * * *', action: { ...trigger, body: { window: 'edt' } } },
    { key: 'daily-scheduler-3am-est', cron: '0 8 * * *', action: { kind: 'sql', statement: seedRows[8]?.command ?? '' } },
  ];
  it.each(rows)('imports the seed job $key', ({ key, cron, action }) => {
    const entry = entries.find((candidate) => candidate.key === key);
    expect(entry).toMatchObject({ source: 'pg-cron', key, name: key, original: cron, cron, timezone: 'UTC', active: true, action });
  });

  it('imports all nine and skips none', () => {
    expect(entries.map((entry) => entry.key)).toEqual(seedRows.map((row) => row.jobname));
    expect(skipped).toEqual([]);
  });

  it('notes where pg_cron ran a SQL command', () => {
    expect(entries[8]?.notes).toEqual(['pg_cron ran this SQL as postgres in database postgres']);
  });

  const rowCases: Array<{ behaviour: string; rows: PgCronRow[]; options?: { timezone?: string }; expected: ReturnType<typeof pgCronEntries> }> = [
    {
      behaviour: 'names an unnamed job by its id and imports an inactive one switched off',
      rows: [{ jobid: '42', jobname: null, schedule: '0 0 $ * *', command: 'VACUUM ANALYZE', active: false }],
      expected: {
        entries: [{ source: 'pg-cron', key: 'job 42', name: 'job-42', original: '0 0 $ * *', cron: '0 0 L * *', timezone: 'UTC', active: false, action: { kind: 'sql', statement: 'VACUUM ANALYZE' } }],
        skipped: [],
      },
    },
    {
      behaviour: 'reads the schedules in the cron.timezone given',
      rows: [{ jobid: 1, jobname: 'nightly', schedule: '0 3 * * *', command: 'select 1', active: true }],
      options: { timezone: 'America/New_York' },
      expected: {
        entries: [{ source: 'pg-cron', key: 'nightly', name: 'nightly', original: '0 3 * * *', cron: '0 3 * * *', timezone: 'America/New_York', active: true, action: { kind: 'sql', statement: 'select 1' } }],
        skipped: [],
      },
    },
    {
      behaviour: 'skips every job when the cron.timezone is unknown',
      rows: [{ jobid: 1, jobname: 'nightly', schedule: '0 3 * * *', command: 'select 1', active: true }],
      options: { timezone: 'Mars/Olympus' },
      expected: { entries: [], skipped: [{ key: 'nightly', original: '0 3 * * *', reason: "cron.timezone 'Mars/Olympus' is not a known IANA time zone" }] },
    },
    {
      behaviour: 'skips a schedule it cannot read, with the reason',
      rows: [{ jobid: 2, jobname: 'on-start', schedule: '@reboot', command: 'select 1', active: true }],
      expected: { entries: [], skipped: [{ key: 'on-start', original: '@reboot', reason: "'@reboot' runs when pg_cron starts, which is not a schedule" }] },
    },
    {
      behaviour: "carries the note of an uneven 'N seconds' interval",
      rows: [{ jobid: 3, jobname: 'poll', schedule: '45 seconds', command: 'select 1', active: true }],
      expected: {
        entries: [
          {
            source: 'pg-cron',
            key: 'poll',
            name: 'poll',
            original: '45 seconds',
            cron: '*/45 * * * * *',
            timezone: 'UTC',
            active: true,
            action: { kind: 'sql', statement: 'select 1' },
            notes: ["pg_cron ran this 45 seconds after each previous start; '*/45 * * * * *' fires at the seconds of each minute divisible by 45, so the gap across each full minute is 15 s instead of 45 s"],
          },
        ],
        skipped: [],
      },
    },
  ];
  it.each(rowCases)('$behaviour', ({ rows: input, options, expected }) => {
    expect(pgCronEntries(input, options)).toEqual(expected);
  });

  it('keeps keys unique when two users share a jobname', () => {
    const shared = { jobname: 'cleanup', schedule: '0 1 * * *', command: 'select 1', active: true };
    expect(pgCronEntries([{ jobid: 1, ...shared }, { jobid: 2, ...shared }]).entries.map((entry) => entry.key)).toEqual(['cleanup (job 1)', 'cleanup (job 2)']);
  });
});
