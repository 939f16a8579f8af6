import { describe, expect, it } from 'vitest';
import { type LedgerExecution, type LedgerInput, type LedgerVersion, MAX_LEDGER_SLOTS, planLedger } from './ledger.js';
import { planLedgerRange, readExplainPoint } from './slot-requests.js';

const T = (time: string) => new Date(`2026-11-23T${time}Z`);
const version = (n: number, at: string, cron = '*/5 * * * *', more: Partial<LedgerVersion> = {}): LedgerVersion => ({
  version: n,
  changedAt: T(at),
  changedBy: 'cli:test',
  cronExpression: cron,
  timezone: 'UTC',
  isEnabled: true,
  misfirePolicy: 'skip',
  overlapPolicy: 'skip',
  ...more,
});
const execution = (id: string, more: Partial<LedgerExecution> = {}): LedgerExecution => ({
  id,
  status: 'success',
  trigger: 'schedule',
  attempts: 1,
  queuedAt: T('10:00'),
  startedAt: null,
  finishedAt: null,
  durationMs: 1200,
  requestedBy: null,
  firstStartedAt: null,
  ...more,
});
const base = (more: Partial<LedgerInput>): LedgerInput => ({
  configId: 'five',
  from: T('10:00'),
  until: T('10:30'),
  now: T('12:00'),
  versions: [version(1, '09:00')],
  claims: [],
  pauses: [],
  cursor: T('12:00'),
  manual: [],
  ...more,
});
const fates = (input: LedgerInput) => planLedger(input).slots.map((s) => `${s.at.slice(11, 16)} ${s.fate}`);

describe('planLedger', () => {
  it('marks every slot a folded missed-slots record stands for as missed, with the record', () => {
    const record = execution('0190aaaa-0000-7000-8000-000000000001', { status: 'skipped', missedThrough: T('10:20') });
    const ledger = planLedger(base({ claims: [{ slotAt: T('10:05'), decision: 'missed', claimedAt: T('10:22'), claimedBy: 's1', execution: record, backfill: null }] }));
    expect(ledger.slots.map((s) => `${s.at.slice(11, 16)} ${s.fate} ${s.missed?.recordId?.slice(0, 8) ?? ''} ${s.missed?.folded ?? ''}`)).toEqual([
      '10:00 unclaimed  ',
      '10:05 missed 0190aaaa true',
      '10:10 missed 0190aaaa true',
      '10:15 missed 0190aaaa true',
      '10:20 missed 0190aaaa true',
      '10:25 unclaimed  ',
      '10:30 unclaimed  ',
    ]);
  });

  it('lists a slot claimed under a schedule since changed, and judges the rest by the version in force', () => {
    const claims = [{ slotAt: T('10:07'), decision: 'run', claimedAt: T('10:07'), claimedBy: 's1', execution: execution('0190bbbb-0000-7000-8000-000000000002'), backfill: null }];
    expect(fates(base({ claims, versions: [version(1, '09:00', '*/5 * * * *'), version(2, '10:12', '0 * * * *')], until: T('11:00') }))).toEqual([
      '10:00 unclaimed',
      '10:05 unclaimed',
      '10:07 ran',
      '10:10 unclaimed',
      '11:00 unclaimed',
    ]);
  });

  it('reads a pause that ended by resuming as covering its end, one with an end as not', () => {
    const pauses = [
      { pausedAt: T('10:02'), pausedUntil: null, endedAt: T('10:10'), reason: 'resumed by hand', pausedBy: 'a' },
      { pausedAt: T('10:12'), pausedUntil: T('10:20'), endedAt: null, reason: 'ends itself', pausedBy: 'b' },
    ];
    expect(fates(base({ pauses, cursor: T('10:30') }))).toEqual([
      '10:00 unclaimed',
      '10:05 paused',
      '10:10 paused',
      '10:15 paused',
      '10:20 unclaimed',
      '10:25 unclaimed',
      '10:30 unclaimed',
    ]);
  });

  it('says due for past slots after the cursor, upcoming after now, disabled with the version that switched off', () => {
    const versions = [version(1, '09:00'), version(2, '10:11', '*/5 * * * *', { isEnabled: false, changedBy: 'cli:alice' }), version(3, '10:16', '*/5 * * * *', { isEnabled: false })];
    const ledger = planLedger(base({ versions, now: T('10:22'), cursor: T('10:05') }));
    expect(ledger.slots.map((s) => `${s.at.slice(11, 16)} ${s.fate}`)).toEqual(['10:00 unclaimed', '10:05 unclaimed', '10:10 due', '10:15 disabled', '10:20 disabled', '10:25 disabled', '10:30 disabled']);
    expect(ledger.slots[4]?.switchedOff).toEqual({ version: 2, by: 'cli:alice', at: T('10:11').toISOString() });
  });

  it('stops at the limit and says so', () => {
    const ledger = planLedger(base({ versions: [version(1, '00:00', '* * * * * *')], from: T('00:00'), until: T('23:59') }));
    expect(ledger.slots).toHaveLength(MAX_LEDGER_SLOTS);
    expect(ledger.truncated).toBe(true);
    expect(ledger.until).toBe(ledger.slots[MAX_LEDGER_SLOTS - 1]?.at);
  });
});

describe('readExplainPoint', () => {
  it('reads a wall time in a spring-forward gap as no instant, with the transition', () => {
    expect(readExplainPoint('2026-03-08T02:30', 'America/New_York')).toEqual({
      kind: 'wall',
      date: '2026-03-08',
      time: '02:30',
      instants: [],
      gap: { before: -18_000, after: -14_400, at: new Date('2026-03-08T07:00:00Z') },
    });
  });

  it('reads a doubled wall time as both instants, and one with a zone as that instant', () => {
    expect(readExplainPoint('2026-11-01 01:30', 'America/New_York')).toMatchObject({ instants: [new Date('2026-11-01T05:30:00Z'), new Date('2026-11-01T06:30:00Z')] });
    expect(readExplainPoint('2026-11-01T01:30:00-05:00', 'America/New_York')).toEqual({ kind: 'instant', at: new Date('2026-11-01T06:30:00Z') });
  });

  it.each(['', 'tomorrow', '2026-02-30T10:00', '2026-11-01T24:00', '2026-11-01T10:00:00+99:00', '2026-11-01\u000010:00'])('refuses %j naming at', (value) => {
    expect(() => readExplainPoint(value, 'UTC')).toThrow(expect.objectContaining({ field: 'at' }));
  });
});

describe('planLedgerRange', () => {
  it('defaults to a day either side of now, or a day from the end given', () => {
    expect(planLedgerRange({}, T('12:00'))).toEqual({ from: new Date('2026-11-22T12:00:00Z'), until: new Date('2026-11-24T12:00:00Z') });
    expect(planLedgerRange({ from: '2026-11-23T00:00:00Z' }, T('12:00'))).toEqual({ from: T('00:00'), until: new Date('2026-11-24T00:00:00Z') });
  });

  it.each([
    [{ from: 'x' }, 'from'],
    [{ until: '2026-11-23T00:00' }, 'until'],
    [{ from: '2026-11-23T10:00:00Z', until: '2026-11-23T09:00:00Z' }, 'until'],
    [{ from: '2000-01-01T00:00:00Z', until: '2026-11-23T09:00:00Z' }, 'until'],
  ])('refuses %j naming %s', (input, field) => {
    expect(() => planLedgerRange(input, T('12:00'))).toThrow(expect.objectContaining({ field }));
  });
});

describe('naiveText', () => {
  it('writes a naive second count as Date would, for every kind of day', async () => {
    const { naiveText } = await import('./dst-affected.js');
    for (const seconds of [0, 59, 86_399, 951_782_400, 1_772_931_600, -1, -86_401, 253_402_300_799, 253_402_300_800, -62_167_219_201]) {
      expect(naiveText(seconds)).toBe(new Date(seconds * 1000).toISOString().slice(0, 19));
    }
  });
});
