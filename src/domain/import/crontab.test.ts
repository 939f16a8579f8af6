import { describe, expect, it } from 'vitest';
import { parseCrontab } from './crontab.js';
import type { ImportedAction, ImportEntry, ImportSkip } from './types.js';

const TOKEN = 'Zx81kQ0pLm29vNa7TyB4cR6wHs5J';

/** A user crontab as `crontab -l` prints it, in the shape teams tend to grow one. */
const CRONTAB = `# m h  dom mon dow   command
MAILTO=ops@example.com
SHELL=/bin/bash
PATH=/usr/local/bin:/usr/bin:/bin

# Reports, in New York time
CRON_TZ=America/New_York
30 6 * * 1-5 /usr/local/bin/report --daily "sales summary" >/dev/null 2>&1
@weekly      /usr/local/bin/report --weekly

CRON_TZ=Europe/Berlin
*/10 * * * * curl -fsS -X POST -H 'Authorization: Bearer ${TOKEN}' https://api.example.com/v1/jobs/sync > /dev/null 2>&1
0 2 * * * cd /srv/app && npm run cleanup 2>&1 | logger -t cleanup
@reboot /usr/local/bin/warm-cache
0 3 * * * echo "done at $(date +\\%H:\\%M)"
0 4 * * * mysqldump shop | gzip > /backups/shop-%Y.sql.gz
CRON_TZ=Nowhere/Special
0 5 * * * /usr/local/bin/never
`;

describe('parseCrontab on a whole crontab', () => {
  const { entries, skipped } = parseCrontab(CRONTAB);
  const env = { MAILTO: 'ops@example.com', SHELL: '/bin/bash', PATH: '/usr/local/bin:/usr/bin:/bin' };

  const expectedEntries: ImportEntry[] = [
    {
      source: 'crontab',
      key: 'crontab:8',
      name: 'report',
      original: '30 6 * * 1-5',
      cron: '30 6 * * 1-5',
      timezone: 'America/New_York',
      active: true,
      action: { kind: 'command', executable: '/usr/local/bin/report', args: ['--daily', 'sales summary'], env },
    },
    {
      source: 'crontab',
      key: 'crontab:9',
      name: 'report',
      original: '@weekly',
      cron: '0 0 * * 0',
      timezone: 'America/New_York',
      active: true,
      action: { kind: 'command', executable: '/usr/local/bin/report', args: ['--weekly'], env },
    },
    {
      source: 'crontab',
      key: 'crontab:12',
      name: 'sync',
      original: '*/10 * * * *',
      cron: '*/10 * * * *',
      timezone: 'Europe/Berlin',
      active: true,
      action: { kind: 'http-request', method: 'POST', url: 'https://api.example.com/v1/jobs/sync', headers: {}, secretHeaders: { Authorization: `Bearer ${TOKEN}` } },
    },
    {
      source: 'crontab',
      key: 'crontab:13',
      name: 'npm',
      original: '0 2 * * *',
      cron: '0 2 * * *',
      timezone: 'Europe/Berlin',
      active: true,
      action: { kind: 'command', executable: '/bin/bash', args: ['-c', 'cd /srv/app && npm run cleanup 2>&1 | logger -t cleanup'], env },
      notes: ['runs through /bin/bash -c because the command uses shell syntax (& or &&): the worker needs that shell'],
    },
    {
      source: 'crontab',
      key: 'crontab:15',
      name: 'echo',
      original: '0 3 * * *',
      cron: '0 3 * * *',
      timezone: 'Europe/Berlin',
      active: true,
      action: { kind: 'command', executable: '/bin/bash', args: ['-c', 'echo "done at $(date +%H:%M)"'], env },
      notes: ['runs through /bin/bash -c because the command uses shell syntax (a variable or $(…) substitution): the worker needs that shell'],
    },
  ];
  it.each(expectedEntries)('imports $key', (expected) => {
    expect(entries.find((entry) => entry.key === expected.key)).toEqual(expected);
  });

  it('imports those five and nothing else', () => {
    expect(entries.map((entry) => entry.key)).toEqual(expectedEntries.map((entry) => entry.key));
  });

  const expectedSkips: ImportSkip[] = [
    { key: 'crontab:14', original: '@reboot /usr/local/bin/warm-cache', reason: "'@reboot' runs when cron starts, which is not a schedule" },
    {
      key: 'crontab:16',
      original: '0 4 * * * mysqldump shop | gzip > /backups/shop-%Y.sql.gz',
      reason: "the command has an unescaped '%', which crontab turns into a newline and the command's standard input; a job has no standard input: write '\\%' for a literal '%' or move the input into a script",
    },
    { key: 'crontab:17', original: 'CRON_TZ=Nowhere/Special', reason: "CRON_TZ on line 17: 'Nowhere/Special' is not a known IANA time zone" },
    { key: 'crontab:18', original: '0 5 * * * /usr/local/bin/never', reason: "CRON_TZ on line 17: 'Nowhere/Special' is not a known IANA time zone" },
  ];
  it('skips @reboot, an unescaped %, an unknown zone and the lines under it, with reasons', () => {
    expect(skipped).toEqual(expectedSkips);
  });
});

const UTC_NOTE = "read in UTC: cron used the machine's local zone, which the crontab does not name (add CRON_TZ= or give the zone)";

describe('parseCrontab, one line at a time', () => {
  const rows: Array<{ behaviour: string; text: string; cron?: string; timezone?: string; action?: ImportedAction; name?: string; notes?: string[]; skip?: string }> = [
    { behaviour: 'expands @hourly', text: '@hourly /opt/bin/poll', cron: '0 * * * *', action: { kind: 'command', executable: '/opt/bin/poll', args: [] }, name: 'poll' },
    { behaviour: 'expands @midnight like @daily', text: '@midnight /opt/bin/rotate', cron: '0 0 * * *' },
    { behaviour: 'expands @monthly', text: '@monthly /opt/bin/invoice', cron: '0 0 1 * *' },
    { behaviour: 'expands @yearly', text: '@yearly /opt/bin/archive', cron: '0 0 1 1 *' },
    { behaviour: 'expands @annually', text: '@annually /opt/bin/archive', cron: '0 0 1 1 *' },
    { behaviour: 'refuses an unknown macro', text: '@fortnightly /opt/bin/x', skip: "'@fortnightly' is not a crontab macro" },
    { behaviour: 'reads TZ= as the zone too', text: 'TZ=Asia/Kolkata\n15 9 * * * /opt/bin/x', timezone: 'Asia/Kolkata', action: { kind: 'command', executable: '/opt/bin/x', args: [], env: { TZ: 'Asia/Kolkata' } } },
    { behaviour: 'lets CRON_TZ win over TZ', text: 'CRON_TZ=Europe/Paris\nTZ=Asia/Tokyo\n15 9 * * * /opt/bin/x', timezone: 'Europe/Paris' },
    { behaviour: 'reads quoted variable values', text: 'GREETING=" hello world "\n0 1 * * * /opt/bin/x', action: { kind: 'command', executable: '/opt/bin/x', args: [], env: { GREETING: ' hello world ' } } },
    { behaviour: 'turns \\% into %', text: '0 1 * * * /opt/bin/report --format \\%Y', action: { kind: 'command', executable: '/opt/bin/report', args: ['--format', '%Y'] } },
    { behaviour: 'refuses a line with too few fields', text: '0 1 * * /opt/bin/x', skip: 'not a crontab line: expected five time fields (or a macro such as @daily) and a command' },
    { behaviour: "refuses a schedule parseSchedule refuses, with its message", text: '0 25 * * * /opt/bin/x', skip: "hour value 25 is out of range 0-23" },
    { behaviour: 'ignores comments and blank lines', text: '# 0 1 * * * /opt/bin/old\n\n   \n  # note\n0 1 * * * /opt/bin/x', cron: '0 1 * * *' },
    { behaviour: 'notes that a crontab without a zone is read in UTC', text: '0 1 * * * /opt/bin/x', timezone: 'UTC', notes: [UTC_NOTE] },
    { behaviour: 'splits quoted arguments', text: `0 1 * * * /opt/bin/x 'single quoted' "double \\"quoted\\"" back\\ slashed`, action: { kind: 'command', executable: '/opt/bin/x', args: ['single quoted', 'double "quoted"', 'back slashed'] } },
    {
      behaviour: 'runs a command with a redirection to a file through /bin/sh',
      text: '0 1 * * * /opt/bin/x >> /var/log/x.log 2>&1',
      action: { kind: 'command', executable: '/bin/sh', args: ['-c', '/opt/bin/x >> /var/log/x.log 2>&1'] },
      name: 'x',
      notes: [UTC_NOTE, 'runs through /bin/sh -c because the command uses shell syntax (a redirection): the worker needs that shell'],
    },
    {
      behaviour: 'runs a command with a glob through /bin/sh',
      text: '0 1 * * * rm /tmp/exports/*.csv',
      action: { kind: 'command', executable: '/bin/sh', args: ['-c', 'rm /tmp/exports/*.csv'] },
    },
    {
      behaviour: 'runs a command with a leading assignment through /bin/sh',
      text: '0 1 * * * NODE_ENV=production node /srv/app/job.js',
      action: { kind: 'command', executable: '/bin/sh', args: ['-c', 'NODE_ENV=production node /srv/app/job.js'] },
      name: 'node',
    },
  ];
  it.each(rows)('$behaviour', ({ text, cron, timezone, action, name, notes, skip }) => {
    const { entries, skipped } = parseCrontab(text);
    if (skip !== undefined) {
      expect(entries).toEqual([]);
      expect(skipped.map((s) => s.reason)).toEqual([skip]);
      return;
    }
    expect(skipped).toEqual([]);
    expect(entries).toHaveLength(1);
    const [entry] = entries;
    if (cron !== undefined) expect(entry?.cron).toBe(cron);
    if (timezone !== undefined) expect(entry?.timezone).toBe(timezone);
    if (action !== undefined) expect(entry?.action).toEqual(action);
    if (name !== undefined) expect(entry?.name).toBe(name);
    if (notes !== undefined) expect(entry?.notes).toEqual(notes);
  });

  it('reads times in the zone given, without a note', () => {
    const { entries } = parseCrontab('\n0 1 * * * /opt/bin/x', { timezone: 'Europe/London' });
    expect(entries.map(({ key, timezone, notes }) => ({ key, timezone, notes }))).toEqual([{ key: 'crontab:2', timezone: 'Europe/London', notes: undefined }]);
  });

  it('names the file in a reason that points at another line', () => {
    expect(parseCrontab('CRON_TZ=Nowhere/Special\n0 1 * * * /opt/bin/x', { file: 'deploy.crontab' }).skipped.map((skip) => skip.reason)).toEqual([
      "CRON_TZ on line 1 of deploy.crontab: 'Nowhere/Special' is not a known IANA time zone",
      "CRON_TZ on line 1 of deploy.crontab: 'Nowhere/Special' is not a known IANA time zone",
    ]);
  });

  it('skips every line when the zone given is unknown', () => {
    expect(parseCrontab('0 1 * * * /opt/bin/x', { timezone: 'Local/Time' }).skipped).toEqual([
      { key: 'crontab:1', original: '0 1 * * * /opt/bin/x', reason: "the timezone option: 'Local/Time' is not a known IANA time zone" },
    ]);
  });
});

describe('parseCrontab on curl commands', () => {
  const get = (url: string, overrides: Partial<Extract<ImportedAction, { kind: 'http-request' }>> = {}): ImportedAction => ({ kind: 'http-request', method: 'GET', url, headers: {}, secretHeaders: {}, ...overrides });
  const rows: Array<{ behaviour: string; command: string; action: ImportedAction; name?: string; notes?: string[] }> = [
    { behaviour: 'reads a bare GET', command: 'curl https://status.example.com/ping', action: get('https://status.example.com/ping'), name: 'ping' },
    { behaviour: 'reads an unquoted URL with a query', command: 'curl -fsS https://example.com/cron/run?task=digest', action: get('https://example.com/cron/run?task=digest'), name: 'run' },
    { behaviour: 'names a request without a path by its host', command: 'curl -s https://hooks.example.com', action: get('https://hooks.example.com'), name: 'hooks.example.com' },
    { behaviour: 'reads curl by its full path, quiet flags bundled, URL first', command: `/usr/bin/curl 'https://example.com/a?x=1&y=2' -fsSL -o /dev/null`, action: get('https://example.com/a?x=1&y=2') },
    {
      behaviour: 'posts JSON data with its content type, dropping the default one',
      command: `curl -X POST -H "Content-Type: application/json" -H 'x-cron-secret: ${TOKEN}' -d '{"mode":"full"}' https://example.com/hooks/run`,
      action: get('https://example.com/hooks/run', { method: 'POST', secretHeaders: { 'x-cron-secret': TOKEN }, body: { mode: 'full' } }),
    },
    {
      behaviour: 'posts when data is given without -X, with form encoding as curl does',
      command: `curl --data 'a=1' --data-raw 'b=@2' https://example.com/form`,
      action: get('https://example.com/form', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=1&b=@2' }),
    },
    {
      behaviour: 'reads --json as a JSON body with an Accept header',
      command: `curl --json '{"ok":true}' --header 'X-Api-Key: k1' https://example.com/api/events`,
      action: get('https://example.com/api/events', { method: 'POST', headers: { Accept: 'application/json' }, secretHeaders: { 'X-Api-Key': 'k1' }, body: { ok: true } }),
    },
    {
      behaviour: 'reads -XPUT bundled and --request DELETE',
      command: 'curl -sSXPUT --data-binary "x" https://example.com/items/7',
      action: get('https://example.com/items/7', { method: 'PUT', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'x' }),
    },
    { behaviour: 'reads --request DELETE', command: 'curl --request delete https://example.com/items/7', action: get('https://example.com/items/7', { method: 'DELETE' }) },
    { behaviour: 'reads -G data as the query string', command: 'curl -G -d q=1 -d page=2 https://example.com/search', action: get('https://example.com/search?q=1&page=2') },
    {
      behaviour: 'turns -u into a Basic authorization header',
      command: 'curl -u admin:s3cret https://example.com/admin/flush',
      action: get('https://example.com/admin/flush', { secretHeaders: { Authorization: 'Basic YWRtaW46czNjcmV0' } }),
    },
    {
      behaviour: 'puts cookies and random-looking values in secretHeaders',
      command: `curl -H 'Cookie: session=abc' -H 'X-Trace: ${TOKEN}' -H 'Accept: text/csv' https://example.com/export`,
      action: get('https://example.com/export', { headers: { Accept: 'text/csv' }, secretHeaders: { Cookie: 'session=abc', 'X-Trace': TOKEN } }),
    },
    {
      behaviour: 'notes a timeout and retries it does not carry over, and drops >/dev/null 2>&1',
      command: 'curl -m 30 --retry 3 https://example.com/warm >/dev/null 2>&1',
      action: get('https://example.com/warm'),
      notes: [UTC_NOTE, "curl's -m 30 is not carried over: the config's limits.timeoutSeconds applies", "curl's --retry 3 is not carried over: set the config's retry policy"],
    },
  ];
  it.each(rows)('$behaviour', ({ command, action, name, notes }) => {
    const { entries, skipped } = parseCrontab(`*/5 * * * * ${command}`);
    expect(skipped).toEqual([]);
    expect(entries[0]?.action).toEqual(action);
    if (name !== undefined) expect(entries[0]?.name).toBe(name);
    if (notes !== undefined) expect(entries[0]?.notes).toEqual(notes);
  });

  const commandRows: Array<{ behaviour: string; command: string; action: ImportedAction; note: string }> = [
    {
      behaviour: 'keeps curl with a pipe as a shell command',
      command: 'curl -s https://example.com/feed | jq .items',
      action: { kind: 'command', executable: '/bin/sh', args: ['-c', 'curl -s https://example.com/feed | jq .items'] },
      note: 'runs through /bin/sh -c because the command uses shell syntax (a pipe or ||): the worker needs that shell',
    },
    {
      behaviour: 'keeps curl with && as a shell command',
      command: 'curl -fsS https://example.com/a && touch /tmp/ok',
      action: { kind: 'command', executable: '/bin/sh', args: ['-c', 'curl -fsS https://example.com/a && touch /tmp/ok'] },
      note: 'runs through /bin/sh -c because the command uses shell syntax (& or &&): the worker needs that shell',
    },
    {
      behaviour: 'keeps curl reading a variable as a shell command',
      command: 'curl -H "Authorization: Bearer $API_TOKEN" https://example.com/a',
      action: { kind: 'command', executable: '/bin/sh', args: ['-c', 'curl -H "Authorization: Bearer $API_TOKEN" https://example.com/a'] },
      note: 'runs through /bin/sh -c because the command uses shell syntax (a variable or $(…) substitution): the worker needs that shell',
    },
    {
      behaviour: 'keeps curl with a backtick substitution as a shell command',
      command: 'curl -d "at=`date`" https://example.com/a',
      action: { kind: 'command', executable: '/bin/sh', args: ['-c', 'curl -d "at=`date`" https://example.com/a'] },
      note: 'runs through /bin/sh -c because the command uses shell syntax (a `…` substitution): the worker needs that shell',
    },
    {
      behaviour: 'keeps curl with a redirection to a file as a shell command',
      command: 'curl https://example.com/a > /tmp/a.json',
      action: { kind: 'command', executable: '/bin/sh', args: ['-c', 'curl https://example.com/a > /tmp/a.json'] },
      note: 'runs through /bin/sh -c because the command uses shell syntax (a redirection): the worker needs that shell',
    },
    {
      behaviour: 'keeps curl with a ; as a shell command',
      command: 'curl https://example.com/a; echo done',
      action: { kind: 'command', executable: '/bin/sh', args: ['-c', 'curl https://example.com/a; echo done'] },
      note: 'runs through /bin/sh -c because the command uses shell syntax (a command list (;)): the worker needs that shell',
    },
    {
      behaviour: 'keeps curl uploading a file as a command, saying why',
      command: 'curl -d @/srv/payload.json https://example.com/a',
      action: { kind: 'command', executable: 'curl', args: ['-d', '@/srv/payload.json', 'https://example.com/a'] },
      note: "kept as a command: curl reads the request body from the file '/srv/payload.json'",
    },
    {
      behaviour: 'keeps curl -k as a command, saying why',
      command: 'curl -k https://self-signed.example.com/a',
      action: { kind: 'command', executable: 'curl', args: ['-k', 'https://self-signed.example.com/a'] },
      note: "kept as a command: curl option '-k' has no http-request equivalent",
    },
    {
      behaviour: 'keeps curl saving the response as a command',
      command: 'curl -o /tmp/rates.json https://example.com/rates',
      action: { kind: 'command', executable: 'curl', args: ['-o', '/tmp/rates.json', 'https://example.com/rates'] },
      note: "kept as a command: curl writes the response to '/tmp/rates.json'",
    },
    {
      behaviour: 'keeps curl with two URLs as a command',
      command: 'curl https://example.com/a https://example.com/b',
      action: { kind: 'command', executable: 'curl', args: ['https://example.com/a', 'https://example.com/b'] },
      note: 'kept as a command: curl is given 2 URLs',
    },
    {
      behaviour: 'keeps curl sending a body with GET as a command',
      command: 'curl -X GET -d x=1 https://example.com/a',
      action: { kind: 'command', executable: 'curl', args: ['-X', 'GET', '-d', 'x=1', 'https://example.com/a'] },
      note: 'kept as a command: curl sends a body with GET, which the http-request type refuses',
    },
  ];
  it.each(commandRows)('$behaviour', ({ command, action, note }) => {
    const { entries } = parseCrontab(`*/5 * * * * ${command}`);
    expect(entries[0]?.action).toEqual(action);
    expect(entries[0]?.notes).toEqual([UTC_NOTE, note]);
  });
});
