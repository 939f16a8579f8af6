import { describe, expect, it } from 'vitest';
import type { ImportedAction, ImportEntry } from './types.js';
import { configId, planImport, zoneOffsets } from './untangle.js';

const NOW = new Date('2026-12-07T00:00:00Z');

type HttpAction = Extract<ImportedAction, { kind: 'http-request' }>;

const call = (fn: string, body: unknown = {}): HttpAction => ({
  kind: 'http-request',
  method: 'POST',
  url: `https://project.example.test/functions/v1/${fn}`,
  headers: { 'content-type': 'application/json' },
  secretHeaders: { 'x-cron-secret': 'f'.repeat(64) },
  body,
});

function entry(key: string, cron: string, action: ImportedAction, overrides: Partial<ImportEntry> = {}): ImportEntry {
  return { source: 'pg-cron', key, name: key, original: cron, cron, timezone: 'UTC', active: true, action, ...overrides };
}

/** Seed 004's nine pg_cron entries: every daily-batch-trigger entry calls the same function with the same body. */
const seed004 = [
  entry('daily-batch-trigger-resilient', '*/15 * * * *', call('daily-batch-trigger')),
  entry('daily-batch-trigger-every-5min', '*/5 * * * *', call('daily-batch-trigger')),
  entry('batch-reconciler-cleanup', '*/30 * * * *', call('batch-reconciler')),
  entry('batch-reconciler-every-10min', '*/10 * * * *', call('batch-reconciler')),
  entry('daily-batch-midnight-edt', '0 5 * * *', call('daily-batch-trigger')),
  entry('daily-batch-midnight-est', '0 4 * * *', call('daily-batch-trigger')),
  entry('daily-batch-trigger-12am-est', '0 5 * * *', call('daily-batch-trigger')),
  entry('daily-scheduler-3am-edt', '0 7 * * *', call('daily-batch-trigger')),
  entry('daily-scheduler-3am-est', '0 8 * * *', call('daily-batch-trigger')),
];

const outcomes = (plan: ReturnType<typeof planImport>) => Object.fromEntries(plan.entries.map((e) => [e.key, [e.outcome, e.of ?? null, e.config]]));

describe('planImport', () => {
  it("untangles seed 004's nine entries into one config per task, accounting for every entry", () => {
    const plan = planImport(seed004, { zone: 'America/New_York', now: NOW });
    expect(plan.configs.map((c) => [c.id, c.cron, c.timezone, c.entries.length])).toEqual([
      ['daily-batch-trigger-every-5min', '*/5 * * * *', 'UTC', 7],
      ['batch-reconciler-every-10min', '*/10 * * * *', 'UTC', 2],
    ]);
    expect(outcomes(plan)).toEqual({
      'daily-batch-trigger-resilient': ['subsumed', 'daily-batch-trigger-every-5min', 'daily-batch-trigger-every-5min'],
      'daily-batch-trigger-every-5min': ['config', null, 'daily-batch-trigger-every-5min'],
      'batch-reconciler-cleanup': ['subsumed', 'batch-reconciler-every-10min', 'batch-reconciler-every-10min'],
      'batch-reconciler-every-10min': ['config', null, 'batch-reconciler-every-10min'],
      'daily-batch-midnight-edt': ['subsumed', 'daily-batch-trigger-every-5min', 'daily-batch-trigger-every-5min'],
      'daily-batch-midnight-est': ['twin', 'daily-batch-midnight-edt', 'daily-batch-trigger-every-5min'],
      'daily-batch-trigger-12am-est': ['duplicate', 'daily-batch-midnight-edt', 'daily-batch-trigger-every-5min'],
      'daily-scheduler-3am-edt': ['subsumed', 'daily-batch-trigger-every-5min', 'daily-batch-trigger-every-5min'],
      'daily-scheduler-3am-est': ['twin', 'daily-scheduler-3am-edt', 'daily-batch-trigger-every-5min'],
    });
    const detail = (key: string) => plan.entries.find((e) => e.key === key)?.detail;
    expect(detail('daily-scheduler-3am-est')).toBe(
      'twin of daily-scheduler-3am-edt: daily-scheduler-3am-edt (0 7 * * * UTC) is 03:00 America/New_York in daylight time, daily-scheduler-3am-est (0 8 * * * UTC) the same time in standard time; one config at 0 3 * * * in America/New_York',
    );
    expect(detail('daily-scheduler-3am-edt')).toBe(
      'subsumed by daily-batch-trigger-every-5min: every run of 0 3 * * * in America/New_York in the next 400 days is also a run of */5 * * * * UTC',
    );
    expect(detail('daily-batch-trigger-12am-est')).toBe('duplicate of daily-batch-midnight-edt: the same command on the same schedule (0 5 * * * UTC)');
  });

  it.each([
    ['America/New_York (north, 1 h)', 'America/New_York', ['0 7 * * *', '0 8 * * *'], '0 3 * * *'],
    ['the same pair listed the other way round', 'America/New_York', ['0 8 * * *', '0 7 * * *'], '0 3 * * *'],
    ['Europe/Berlin, a weekly pair', 'Europe/Berlin', ['30 1 * * MON', '30 2 * * MON'], '30 3 * * MON'],
    ['Australia/Sydney (south): daylight time in January, the wall-clock day after the UTC one', 'Australia/Sydney', ['0 16 * * 1', '0 17 * * 1'], '0 3 * * 2'],
    ['Australia/Lord_Howe (a 30-minute shift)', 'Australia/Lord_Howe', ['0 16 * * *', '30 16 * * *'], '0 3 * * *'],
    ['America/Sao_Paulo has no daylight time', 'America/Sao_Paulo', ['0 6 * * *', '0 7 * * *'], undefined],
    ['a two-hour difference is not New York’s shift', 'America/New_York', ['0 7 * * *', '0 9 * * *'], undefined],
    ['hourly entries are not daily', 'America/New_York', ['0 * * * *', '0 */2 * * *'], undefined],
  ])('merges daylight-saving twins: %s', (_name, zone, crons, merged) => {
    const plan = planImport(
      crons.map((cron, i) => entry(`job-${i}`, cron, call('nightly'))),
      { zone, now: NOW },
    );
    if (merged === undefined) {
      expect(plan.entries.filter((e) => e.outcome === 'twin')).toEqual([]);
      return;
    }
    expect(plan.configs).toHaveLength(1);
    expect(plan.configs[0]).toMatchObject({ id: 'job-0', cron: merged, timezone: zone, entries: ['job-0', 'job-1'] });
    expect(plan.entries[1]).toMatchObject({ outcome: 'twin', of: 'job-0', config: 'job-0' });
  });

  it('merges no twins without a zone', () => {
    const plan = planImport([entry('a', '0 7 * * *', call('x')), entry('b', '0 8 * * *', call('x'))], { now: NOW });
    expect(plan.configs.map((c) => c.cron)).toEqual(['0 7 * * *', '0 8 * * *']);
  });

  it('keeps apart entries that only look alike: another body, another header, another method, other SQL', () => {
    const plan = planImport(
      [
        entry('a', '*/5 * * * *', call('x', { force: true })),
        entry('b', '*/15 * * * *', call('x', { force: false })),
        entry('c', '*/15 * * * *', { ...call('x', { force: true }), headers: { 'content-type': 'application/json', 'x-manual-call': 'true' } }),
        entry('d', '*/15 * * * *', { ...call('x', { force: true }), method: 'PUT' }),
        entry('e', '*/15 * * * *', { kind: 'sql', statement: 'select 1' }),
        entry('f', '*/5 * * * *', { kind: 'sql', statement: 'select  2;' }),
      ],
      { now: NOW },
    );
    expect(plan.configs.map((c) => c.id)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('groups equal commands whatever their header case, key order or SQL whitespace', () => {
    const plan = planImport(
      [
        entry('a', '0 3 * * *', { ...call('x', { a: 1, b: 2 }), headers: { 'Content-Type': 'application/json' } }),
        entry('b', '0 3 * * *', call('x', { b: 2, a: 1 })),
        entry('c', '0 4 * * *', { kind: 'sql', statement: 'select\n  cleanup();' }),
        entry('d', '0   4 * * *', { kind: 'sql', statement: 'select cleanup()' }),
      ],
      { now: NOW },
    );
    expect(outcomes(plan)).toMatchObject({ b: ['duplicate', 'a', 'a'], d: ['duplicate', 'c', 'c'] });
  });

  it('subsumes by slots over the horizon, never by an entry that does not run', () => {
    const plan = planImport(
      [
        entry('every-5', '*/5 * * * *', call('x')),
        entry('every-7', '*/7 * * * *', call('x')),
        entry('daily', '0 3 * * *', call('y')),
        entry('mondays', '0 3 * * 1', call('y')),
        entry('off', '* * * * *', call('z'), { active: false }),
        entry('on', '*/2 * * * *', call('z')),
      ],
      { now: NOW },
    );
    expect(outcomes(plan)).toEqual({
      'every-5': ['config', null, 'every-5'],
      'every-7': ['config', null, 'every-7'],
      daily: ['config', null, 'daily'],
      mondays: ['subsumed', 'daily', 'daily'],
      off: ['config', null, 'off'],
      on: ['config', null, 'on'],
    });
    expect(plan.configs.find((c) => c.id === 'off')?.active).toBe(false);
  });

  it('keeps the entry that runs when duplicates differ in being active', () => {
    const plan = planImport([entry('old', '0 3 * * *', call('x'), { active: false }), entry('new', '0 3 * * *', call('x'))], { now: NOW });
    expect(plan.configs).toEqual([expect.objectContaining({ id: 'new', active: true, entries: ['new', 'old'] })]);
    expect(plan.entries[0]).toMatchObject({ outcome: 'duplicate', of: 'new' });
  });

  it('makes ids from names, unique among themselves and the ids taken', () => {
    const plan = planImport(
      [entry('Nightly Report!', '0 3 * * *', call('a')), entry('nightly_report', '0 4 * * *', call('b')), entry('***', '0 5 * * *', call('c'))],
      { now: NOW, takenIds: new Set(['nightly-report']) },
    );
    expect(plan.configs.map((c) => c.id)).toEqual(['nightly-report-2', 'nightly-report-3', 'imported']);
    expect(configId('a'.repeat(70))).toHaveLength(60);
  });

  it('reads a zone’s standard and daylight offsets in either hemisphere', () => {
    expect(zoneOffsets('America/New_York', NOW)).toEqual({ standard: -300, daylight: -240 });
    expect(zoneOffsets('Australia/Sydney', NOW)).toEqual({ standard: 600, daylight: 660 });
    expect(zoneOffsets('Asia/Kolkata', NOW)).toEqual({ standard: 330, daylight: 330 });
  });
});
