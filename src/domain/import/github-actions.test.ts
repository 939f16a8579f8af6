import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commentedCrons, parseWorkflows, type WorkflowFile } from './github-actions.js';
import type { ImportedAction, ImportEntry } from './types.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/workflows/', import.meta.url));
const files: WorkflowFile[] = readdirSync(FIXTURES)
  .sort()
  .map((name) => ({ path: `.github/workflows/${name}`, text: readFileSync(`${FIXTURES}${name}`, 'utf8') }));

const dispatch = (file: string, ref = 'main'): ImportedAction => ({
  kind: 'http-request',
  method: 'POST',
  url: `https://api.github.com/repos/acme/shop/actions/workflows/${file}/dispatches`,
  headers: { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' },
  secretHeaders: {},
  body: { ref },
});

const TOKEN_NOTE = "authorization: 'Bearer <token>', the token read from GITHUB_TOKEN when importing and never shown; it needs permission to run workflows (actions: write) in acme/shop";
const REF_NOTE = "dispatched on ref 'main': GitHub ran scheduled workflows on the default branch; pass the ref if that is another branch";
const SCHEDULE_NOTE = 'GitHub keeps running the workflow on its own schedule too until the cron is removed from on.schedule';
const TOKEN = { authorization: { variable: 'GITHUB_TOKEN', prefix: 'Bearer ' } };

describe('parseWorkflows on the fixture workflows', () => {
  const { entries, skipped } = parseWorkflows(files, { repo: 'acme/shop' });

  const expected: ImportEntry[] = [
    {
      source: 'github-actions',
      key: '.github/workflows/db-backup.yaml#1',
      name: 'db-backup',
      original: '0 */6 * * *',
      cron: '0 */6 * * *',
      timezone: 'UTC',
      active: true,
      action: dispatch('db-backup.yaml'),
      notes: [TOKEN_NOTE, `workflow_dispatch requires the input 'target', which has no default: add it to the body's "inputs"`, REF_NOTE, SCHEDULE_NOTE],
      secretFromEnv: TOKEN,
    },
    {
      source: 'github-actions',
      key: '.github/workflows/db-backup.yaml#2',
      name: 'db-backup',
      original: '30 23 * * SUN',
      cron: '30 23 * * SUN',
      timezone: 'UTC',
      active: true,
      action: dispatch('db-backup.yaml'),
      notes: [TOKEN_NOTE, `workflow_dispatch requires the input 'target', which has no default: add it to the body's "inputs"`, REF_NOTE, SCHEDULE_NOTE],
      secretFromEnv: TOKEN,
    },
    {
      source: 'github-actions',
      key: '.github/workflows/dependency-audit.yml#1',
      name: 'Dependency audit',
      original: '0 6 * * MON',
      cron: '0 6 * * MON',
      timezone: 'UTC',
      active: true,
      action: dispatch('dependency-audit.yml'),
      notes: [TOKEN_NOTE, '.github/workflows/dependency-audit.yml has no workflow_dispatch trigger, and GitHub refuses to dispatch it (422) until it has; add under on:\n\non:\n  workflow_dispatch:', REF_NOTE, SCHEDULE_NOTE],
      secretFromEnv: TOKEN,
    },
    {
      source: 'github-actions',
      key: '.github/workflows/nightly-e2e.yml#1',
      name: 'Nightly end-to-end tests',
      original: '30 2 * * *',
      cron: '30 2 * * *',
      timezone: 'UTC',
      active: true,
      action: dispatch('nightly-e2e.yml'),
      notes: [TOKEN_NOTE, REF_NOTE, SCHEDULE_NOTE],
      secretFromEnv: TOKEN,
    },
    {
      source: 'github-actions',
      key: '.github/workflows/stale.yml#1',
      name: 'Close stale issues',
      original: '15 1 * * *',
      cron: '15 1 * * *',
      timezone: 'UTC',
      active: true,
      action: dispatch('stale.yml'),
      notes: [TOKEN_NOTE, REF_NOTE, SCHEDULE_NOTE],
      secretFromEnv: TOKEN,
    },
  ];
  it.each(expected)('imports $key', (entry) => {
    expect(entries.find((candidate) => candidate.key === entry.key)).toEqual(entry);
  });

  it('imports one entry per cron and none for the workflow without a schedule', () => {
    expect(entries.map((entry) => entry.key)).toEqual(expected.map((entry) => entry.key));
  });

  it('skips the commented-out cron, saying so', () => {
    expect(skipped).toEqual([{ key: '.github/workflows/stale.yml#commented-1', original: '45 13 * * 1-5', reason: 'commented out (line 7)' }]);
  });

  it('imports the commented-out cron switched off when asked to', () => {
    const withCommented = parseWorkflows(files, { repo: 'acme/shop', includeCommented: true });
    expect(withCommented.skipped).toEqual([]);
    expect(withCommented.entries.find((entry) => entry.commented)).toEqual({
      source: 'github-actions',
      key: '.github/workflows/stale.yml#commented-1',
      name: 'Close stale issues',
      original: '45 13 * * 1-5',
      cron: '45 13 * * 1-5',
      timezone: 'UTC',
      active: false,
      commented: true,
      action: dispatch('stale.yml'),
      notes: ['commented out on line 7: imported switched off', TOKEN_NOTE, REF_NOTE, SCHEDULE_NOTE],
      secretFromEnv: TOKEN,
    });
  });

  it('uses the ref and token variable given', () => {
    const [entry] = parseWorkflows(files.filter((file) => file.path.endsWith('stale.yml')), { repo: 'acme/shop', ref: 'release', tokenVariable: 'SHOP_ACTIONS_TOKEN' }).entries;
    expect(entry?.action).toEqual(dispatch('stale.yml', 'release'));
    expect(entry?.secretFromEnv).toEqual({ authorization: { variable: 'SHOP_ACTIONS_TOKEN', prefix: 'Bearer ' } });
    expect(entry?.notes).toEqual([
      "authorization: 'Bearer <token>', the token read from SHOP_ACTIONS_TOKEN when importing and never shown; it needs permission to run workflows (actions: write) in acme/shop",
      SCHEDULE_NOTE,
    ]);
  });
});

describe('parseWorkflows on single files', () => {
  const one = (text: string) => parseWorkflows([{ path: '.github/workflows/w.yml', text }], { repo: 'acme/shop' });

  const rows: Array<{ behaviour: string; text: string; crons: string[]; skips: string[] }> = [
    { behaviour: 'finds nothing in a workflow whose on is a string', text: 'on: push\njobs: {}\n', crons: [], skips: [] },
    { behaviour: 'finds nothing in a workflow whose on is a list', text: 'on: [push, workflow_dispatch]\njobs: {}\n', crons: [], skips: [] },
    { behaviour: 'reads a flow-style schedule', text: "on: { schedule: [{ cron: '*/30 * * * *' }], workflow_dispatch: {} }\n", crons: ['*/30 * * * *'], skips: [] },
    { behaviour: 'reads a schedule list level with its key', text: "on:\n  schedule:\n  - cron: '0 9 * * 1-5'\n  workflow_dispatch:\n", crons: ['0 9 * * 1-5'], skips: [] },
    { behaviour: 'reads on: in a YAML 1.1 file, where it is the key true', text: "%YAML 1.1\n---\non:\n  schedule:\n    - cron: '0 7 * * *'\n", crons: ['0 7 * * *'], skips: [] },
    { behaviour: 'normalises blanks in a cron', text: "on:\n  schedule:\n    - cron: '  0   9 * * *  '\n", crons: ['0 9 * * *'], skips: [] },
    { behaviour: 'skips a cron with six fields', text: "on:\n  schedule:\n    - cron: '0 0 9 * * *'\n", crons: [], skips: ["'0 0 9 * * *' has 6 fields; GitHub Actions crons have five"] },
    { behaviour: 'skips a cron with L, which GitHub does not take', text: "on:\n  schedule:\n    - cron: '0 23 L * *'\n", crons: [], skips: ["'0 23 L * *' uses a cron extension (L, W, # or ?) that GitHub Actions does not take"] },
    { behaviour: 'skips an invalid cron with the reason', text: "on:\n  schedule:\n    - cron: '0 24 * * *'\n", crons: [], skips: ['hour value 24 is out of range 0-23'] },
    { behaviour: 'skips a schedule item without a cron', text: 'on:\n  schedule:\n    - at: noon\n', crons: [], skips: ['the schedule item has no cron'] },
    { behaviour: 'skips a schedule that is not a list', text: "on:\n  schedule:\n    cron: '0 1 * * *'\n", crons: [], skips: ['on.schedule is not a list of { cron } items'] },
    { behaviour: 'skips a file that is not YAML', text: "on:\n  schedule:\n    - cron: '0 1 * * *\n", crons: [], skips: ['not valid YAML'] },
    { behaviour: 'skips a file that is not a mapping', text: '- just\n- a list\n', crons: [], skips: ['not a workflow: the file is not a YAML mapping'] },
    {
      behaviour: 'finds crons under a schedule key that is commented out as a whole',
      text: "on:\n  # schedule:\n  #   - cron: \"0 4 * * 0\"\n  #   - cron: 30 5 * * *  # later\n  workflow_dispatch:\n",
      crons: [],
      skips: ['commented out (line 3)', 'commented out (line 4)'],
    },
    { behaviour: 'ignores a commented cron outside any schedule', text: "# example: - cron: '0 1 * * *'\n# - cron: '0 2 * * *'\non: push\n", crons: [], skips: [] },
  ];
  it.each(rows)('$behaviour', ({ text, crons, skips }) => {
    const { entries, skipped } = one(text);
    expect(entries.map((entry) => entry.cron)).toEqual(crons);
    expect(skipped.map((skip) => skip.reason.startsWith('not valid YAML') ? 'not valid YAML' : skip.reason)).toEqual(skips);
  });

  it('names a workflow without name: after its file, and encodes the file name in the URL', () => {
    const { entries } = parseWorkflows([{ path: 'ops/nightly job.yaml', text: "on:\n  schedule:\n    - cron: '0 1 * * *'\n" }], { repo: 'acme/shop' });
    expect(entries.map(({ name, key, action }) => ({ name, key, url: action.kind === 'http-request' ? action.url : '' }))).toEqual([
      { name: 'nightly job', key: 'ops/nightly job.yaml#1', url: 'https://api.github.com/repos/acme/shop/actions/workflows/nightly%20job.yaml/dispatches' },
    ]);
  });

  it('refuses a repo that is not owner/name', () => {
    expect(() => parseWorkflows([], { repo: 'https://github.com/acme/shop' })).toThrow("repo 'https://github.com/acme/shop' must be written owner/name");
  });
});

describe('commentedCrons', () => {
  const rows: Array<{ behaviour: string; text: string; expected: Array<{ line: number; cron: string }> }> = [
    { behaviour: 'reads single-quoted, double-quoted and bare crons', text: "on:\n  schedule:\n    # - cron: '1 1 * * *'\n    #  - cron: \"2 2 * * *\"\n    #- cron: 3 3 * * *\n", expected: [{ line: 3, cron: '1 1 * * *' }, { line: 4, cron: '2 2 * * *' }, { line: 5, cron: '3 3 * * *' }] },
    { behaviour: 'stops at the next key of on', text: "on:\n  schedule:\n    - cron: '0 1 * * *'\n  push:\n    # - cron: '9 9 * * *'\n", expected: [] },
    { behaviour: 'ignores a commented line that is not a cron item', text: "on:\n  schedule:\n    # cron: '0 1 * * *' is the old time\n    - cron: '0 2 * * *'\n", expected: [] },
    { behaviour: 'reads Windows line endings', text: "on:\r\n  schedule:\r\n    # - cron: '5 5 * * *'\r\n", expected: [{ line: 3, cron: '5 5 * * *' }] },
  ];
  it.each(rows)('$behaviour', ({ text, expected }) => {
    expect(commentedCrons(text)).toEqual(expected);
  });
});
