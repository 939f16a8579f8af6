import { describe, expect, it } from 'vitest';
import { DstRule, planSchedulePreview, PreviewState, type SchedulePreview, type SchedulePreviewInput } from './index.js';

const on = (cronExpression: string, timezone: string): SchedulePreviewInput => ({ cronExpression, timezone, isEnabled: true });
const off = (cronExpression: string, timezone: string): SchedulePreviewInput => ({ cronExpression, timezone, isEnabled: false });
const instants = (runs: { at: string }[]) => runs.map((r) => r.at);

interface Row {
  behaviour: string;
  before: SchedulePreviewInput;
  after: SchedulePreviewInput;
  now: string;
  count: number;
  runsBefore: string[];
  runsAfter: string[];
  moved: [string, string][];
  vanished: string[];
  added: string[];
  firstRunUnderNewRule: string | null;
}

const rows: Row[] = [
  {
    behaviour: 'a zone change from New York to London moves every run five hours earlier',
    before: on('0 9 * * *', 'America/New_York'),
    after: on('0 9 * * *', 'Europe/London'),
    now: '2027-01-04T00:00:00.000Z',
    count: 3,
    runsBefore: ['2027-01-04T14:00:00.000Z', '2027-01-05T14:00:00.000Z', '2027-01-06T14:00:00.000Z'],
    runsAfter: ['2027-01-04T09:00:00.000Z', '2027-01-05T09:00:00.000Z', '2027-01-06T09:00:00.000Z'],
    moved: [
      ['2027-01-04T14:00:00.000Z', '2027-01-04T09:00:00.000Z'],
      ['2027-01-05T14:00:00.000Z', '2027-01-05T09:00:00.000Z'],
      ['2027-01-06T14:00:00.000Z', '2027-01-06T09:00:00.000Z'],
    ],
    vanished: [],
    added: [],
    firstRunUnderNewRule: '2027-01-04T09:00:00.000Z',
  },
  {
    behaviour: 'a cron change mid-day keeps the runs both rules share and adds the new ones',
    before: on('0 9,18 * * *', 'UTC'),
    after: on('0 9,12,18 * * *', 'UTC'),
    now: '2027-05-10T10:30:00.000Z',
    count: 4,
    runsBefore: ['2027-05-10T18:00:00.000Z', '2027-05-11T09:00:00.000Z', '2027-05-11T18:00:00.000Z', '2027-05-12T09:00:00.000Z'],
    runsAfter: ['2027-05-10T12:00:00.000Z', '2027-05-10T18:00:00.000Z', '2027-05-11T09:00:00.000Z', '2027-05-11T12:00:00.000Z'],
    moved: [],
    vanished: [],
    added: ['2027-05-10T12:00:00.000Z', '2027-05-11T12:00:00.000Z'],
    firstRunUnderNewRule: '2027-05-10T12:00:00.000Z',
  },
  {
    behaviour: 'a cron change mid-day from 14:00 to 16:00 moves today\'s run two hours later',
    before: on('0 14 * * *', 'UTC'),
    after: on('0 16 * * *', 'UTC'),
    now: '2027-05-10T12:00:00.000Z',
    count: 2,
    runsBefore: ['2027-05-10T14:00:00.000Z', '2027-05-11T14:00:00.000Z'],
    runsAfter: ['2027-05-10T16:00:00.000Z', '2027-05-11T16:00:00.000Z'],
    moved: [
      ['2027-05-10T14:00:00.000Z', '2027-05-10T16:00:00.000Z'],
      ['2027-05-11T14:00:00.000Z', '2027-05-11T16:00:00.000Z'],
    ],
    vanished: [],
    added: [],
    firstRunUnderNewRule: '2027-05-10T16:00:00.000Z',
  },
  {
    behaviour: 'switching off makes every run vanish and there is no first run under a new rule',
    before: on('0 9 * * *', 'UTC'),
    after: off('0 9 * * *', 'UTC'),
    now: '2027-05-10T12:00:00.000Z',
    count: 2,
    runsBefore: ['2027-05-11T09:00:00.000Z', '2027-05-12T09:00:00.000Z'],
    runsAfter: [],
    moved: [],
    vanished: ['2027-05-11T09:00:00.000Z', '2027-05-12T09:00:00.000Z'],
    added: [],
    firstRunUnderNewRule: null,
  },
  {
    behaviour: 'switching on adds every run',
    before: off('0 9 * * *', 'UTC'),
    after: on('0 9 * * *', 'UTC'),
    now: '2027-05-10T12:00:00.000Z',
    count: 2,
    runsBefore: [],
    runsAfter: ['2027-05-11T09:00:00.000Z', '2027-05-12T09:00:00.000Z'],
    moved: [],
    vanished: [],
    added: ['2027-05-11T09:00:00.000Z', '2027-05-12T09:00:00.000Z'],
    firstRunUnderNewRule: null,
  },
  {
    behaviour: 'a move into the spring-forward gap (02:30 America/New_York on 2027-03-14) runs at 03:00 EDT that day',
    before: on('30 1 * * *', 'America/New_York'),
    after: on('30 2 * * *', 'America/New_York'),
    now: '2027-03-13T12:00:00.000Z',
    count: 2,
    runsBefore: ['2027-03-14T06:30:00.000Z', '2027-03-15T05:30:00.000Z'],
    runsAfter: ['2027-03-14T07:00:00.000Z', '2027-03-15T06:30:00.000Z'],
    moved: [
      ['2027-03-14T06:30:00.000Z', '2027-03-14T07:00:00.000Z'],
      ['2027-03-15T05:30:00.000Z', '2027-03-15T06:30:00.000Z'],
    ],
    vanished: [],
    added: [],
    firstRunUnderNewRule: '2027-03-14T07:00:00.000Z',
  },
  {
    behaviour: 'a move into the doubled hour (01:30 America/New_York on 2027-11-07) runs once, at 01:30 EDT',
    before: on('30 0 * * *', 'America/New_York'),
    after: on('30 1 * * *', 'America/New_York'),
    now: '2027-11-06T12:00:00.000Z',
    count: 2,
    runsBefore: ['2027-11-07T04:30:00.000Z', '2027-11-08T05:30:00.000Z'],
    runsAfter: ['2027-11-07T05:30:00.000Z', '2027-11-08T06:30:00.000Z'],
    moved: [
      ['2027-11-07T04:30:00.000Z', '2027-11-07T05:30:00.000Z'],
      ['2027-11-08T05:30:00.000Z', '2027-11-08T06:30:00.000Z'],
    ],
    vanished: [],
    added: [],
    firstRunUnderNewRule: '2027-11-07T05:30:00.000Z',
  },
  {
    behaviour: 'a zone without daylight saving (Asia/Kolkata, +05:30) moves runs by its offset only',
    before: on('0 9 * * *', 'UTC'),
    after: on('0 9 * * *', 'Asia/Kolkata'),
    now: '2027-03-13T12:00:00.000Z',
    count: 2,
    runsBefore: ['2027-03-14T09:00:00.000Z', '2027-03-15T09:00:00.000Z'],
    runsAfter: ['2027-03-14T03:30:00.000Z', '2027-03-15T03:30:00.000Z'],
    moved: [
      ['2027-03-14T09:00:00.000Z', '2027-03-14T03:30:00.000Z'],
      ['2027-03-15T09:00:00.000Z', '2027-03-15T03:30:00.000Z'],
    ],
    vanished: [],
    added: [],
    firstRunUnderNewRule: '2027-03-14T03:30:00.000Z',
  },
  {
    behaviour: 'an unchanged rule has no first run under a new rule and nothing moves',
    before: on('0 9 * * *', 'UTC'),
    after: on('0 9 * * *', 'UTC'),
    now: '2027-05-10T12:00:00.000Z',
    count: 2,
    runsBefore: ['2027-05-11T09:00:00.000Z', '2027-05-12T09:00:00.000Z'],
    runsAfter: ['2027-05-11T09:00:00.000Z', '2027-05-12T09:00:00.000Z'],
    moved: [],
    vanished: [],
    added: [],
    firstRunUnderNewRule: null,
  },
  {
    behaviour: 'an hourly schedule made daily: the first hourly run moves to the daily one, the next vanishes',
    before: on('0 * * * *', 'UTC'),
    after: on('30 10 * * *', 'UTC'),
    now: '2027-05-10T08:10:00.000Z',
    count: 2,
    runsBefore: ['2027-05-10T09:00:00.000Z', '2027-05-10T10:00:00.000Z'],
    runsAfter: ['2027-05-10T10:30:00.000Z', '2027-05-11T10:30:00.000Z'],
    moved: [['2027-05-10T09:00:00.000Z', '2027-05-10T10:30:00.000Z']],
    vanished: ['2027-05-10T10:00:00.000Z'],
    added: [],
    firstRunUnderNewRule: '2027-05-10T10:30:00.000Z',
  },
];

describe('planSchedulePreview: runs before and after', () => {
  it.each(rows)('$behaviour', (row) => {
    const preview = planSchedulePreview(row.before, row.after, new Date(row.now), { count: row.count });
    expect(instants(preview.runs.before)).toEqual(row.runsBefore);
    expect(instants(preview.runs.after)).toEqual(row.runsAfter);
    expect(preview.moved.map((m) => [m.from.at, m.to.at])).toEqual(row.moved);
    expect(instants(preview.vanished)).toEqual(row.vanished);
    expect(instants(preview.added)).toEqual(row.added);
    expect(preview.firstRunUnderNewRule?.at ?? null).toEqual(row.firstRunUnderNewRule);
  });
});

describe('planSchedulePreview: wall clocks and states', () => {
  it('shows each run on the wall clock of both zones', () => {
    const preview = planSchedulePreview(on('0 9 * * *', 'America/New_York'), on('0 9 * * *', 'Europe/London'), new Date('2027-01-04T00:00:00Z'), { count: 1 });
    expect(preview.runs.before[0]).toEqual({ at: '2027-01-04T14:00:00.000Z', wallBefore: '2027-01-04T09:00:00-05:00', wallAfter: '2027-01-04T14:00:00+00:00' });
    expect(preview.runs.after[0]).toEqual({ at: '2027-01-04T09:00:00.000Z', wallBefore: '2027-01-04T04:00:00-05:00', wallAfter: '2027-01-04T09:00:00+00:00' });
  });

  it('says a switched-off side has no runs', () => {
    const preview = planSchedulePreview(on('0 9 * * *', 'UTC'), off('0 9 * * *', 'UTC'), new Date('2027-05-10T12:00:00Z'));
    expect(preview.before.state).toBe(PreviewState.On);
    expect(preview.after).toMatchObject({ state: PreviewState.Off, note: 'switched off: no runs', description: 'At 09:00, every day (UTC)' });
    expect(preview.dstDates).toEqual([]);
  });

  it('says a schedule whose every wall time falls in a gap has no upcoming runs', () => {
    const preview = planSchedulePreview(on('0 9 * * *', 'UTC'), on('*/15 2 * 3 SUN#2', 'America/New_York'), new Date('2027-01-01T00:00:00Z'), { count: 2 });
    expect(preview.runs.after).toEqual([]);
    expect(preview.after.state).toBe(PreviewState.Never);
    expect(preview.after.note).toMatch(/no upcoming runs/);
  });

  it('lists ten runs a side by default', () => {
    const preview = planSchedulePreview(on('0 9 * * *', 'UTC'), on('0 10 * * *', 'UTC'), new Date('2027-05-10T12:00:00Z'));
    expect(preview.runs.before).toHaveLength(10);
    expect(preview.runs.after).toHaveLength(10);
  });
});

interface DstRow {
  behaviour: string;
  after: SchedulePreviewInput;
  now: string;
  expected: SchedulePreview['dstDates'];
}

const dstRows: DstRow[] = [
  {
    behaviour: 'a fixed time in the spring-forward gap (02:30 on 2027-03-14) runs once at the first instant after it',
    after: on('30 2 * * *', 'America/New_York'),
    now: '2027-03-01T00:00:00.000Z',
    expected: [
      {
        date: '2027-03-14',
        wallClock: '02:30:00',
        rule: DstRule.GapRunsAfter,
        instants: ['2027-03-14T07:00:00.000Z'],
        explanation: '02:30 does not exist that day: runs once at the first instant after the gap (2027-03-14T03:00:00-04:00)',
      },
    ],
  },
  {
    behaviour: 'a fixed time in the doubled hour (01:30 on 2027-11-07) runs once, at its first occurrence (EDT)',
    after: on('30 1 * * *', 'America/New_York'),
    now: '2027-03-15T00:00:00.000Z',
    expected: [
      {
        date: '2027-11-07',
        wallClock: '01:30:00',
        rule: DstRule.DoubledRunsOnce,
        instants: ['2027-11-07T05:30:00.000Z'],
        explanation: '01:30 happens twice that day: runs once, at its first occurrence',
      },
    ],
  },
  {
    behaviour: 'an interval schedule skips the gap and runs twice in the doubled hour',
    after: on('0 */1 * * SUN', 'America/New_York'),
    now: '2027-03-01T00:00:00.000Z',
    expected: [
      {
        date: '2027-03-14',
        wallClock: '02:00:00',
        rule: DstRule.GapSkipped,
        instants: [],
        explanation: '02:00 does not exist that day: an interval schedule skips it',
      },
      {
        date: '2027-11-07',
        wallClock: '01:00:00',
        rule: DstRule.DoubledRunsTwice,
        instants: ['2027-11-07T05:00:00.000Z', '2027-11-07T06:00:00.000Z'],
        explanation: '01:00 happens twice that day: an interval schedule runs at both occurrences',
      },
    ],
  },
  {
    behaviour: 'a time outside the shifted hours has no daylight-saving dates',
    after: on('0 9 * * *', 'America/New_York'),
    now: '2027-01-01T00:00:00.000Z',
    expected: [],
  },
  {
    behaviour: 'a zone without daylight saving has no daylight-saving dates',
    after: on('30 2 * * *', 'Asia/Kolkata'),
    now: '2027-01-01T00:00:00.000Z',
    expected: [],
  },
];

describe('planSchedulePreview: daylight-saving dates of the after-schedule in the next 12 months', () => {
  it.each(dstRows)('$behaviour', ({ after, now, expected }) => {
    const preview = planSchedulePreview(on('0 0 * * *', 'UTC'), after, new Date(now), { count: 1 });
    expect(preview.dstDates).toEqual(expected);
  });

  it('looks no further than 12 months (the gap of 2027-03-14 is a day beyond them)', () => {
    const preview = planSchedulePreview(on('30 2 * * *', 'America/New_York'), on('30 2 * * *', 'America/New_York'), new Date('2026-03-13T12:00:00Z'), { count: 1 });
    expect(preview.dstDates).toEqual([]);
  });
});
