import { describe, it, expect } from 'vitest';
import { nextSlots, parseSchedule } from './index.js';
import { utcOffsetMinutes } from '../../../test/support/brute-force-slots.js';

/**
 * SCHEDULING.md, "Time zones and daylight saving", pinned to exact UTC instants.
 *
 * Transition instants used below (checked with Intl in this file, see the first describe):
 *
 * | zone                | spring forward (first instant of new offset)   | fall back (first instant of new offset)        |
 * |---------------------|------------------------------------------------|------------------------------------------------|
 * | America/New_York    | 2026-03-08T07:00Z  02:00 EST -> 03:00 EDT       | 2026-11-01T06:00Z  02:00 EDT -> 01:00 EST       |
 * |                     | 2027-03-14T07:00Z                              |                                                |
 * | Europe/Berlin       | 2026-03-29T01:00Z  02:00 CET -> 03:00 CEST      | 2026-10-25T01:00Z  03:00 CEST -> 02:00 CET      |
 * |                     |                                                | 2025-10-26T01:00Z                              |
 * | Australia/Sydney    | 2026-10-03T16:00Z  02:00 AEST -> 03:00 AEDT     | 2026-04-04T16:00Z  03:00 AEDT -> 02:00 AEST     |
 * | Australia/Lord_Howe | 2026-10-03T15:30Z  02:00 +10:30 -> 02:30 +11    | 2026-04-04T15:00Z  02:00 +11 -> 01:30 +10:30    |
 * | Pacific/Chatham     | 2026-09-26T14:00Z  02:45 +12:45 -> 03:45 +13:45 | 2026-04-04T14:00Z  03:45 +13:45 -> 02:45 +12:45 |
 * | Asia/Kathmandu      | 1985-12-31T18:30Z  00:00 +05:30 -> 00:15 +05:45 | (none; +05:45 all year since 1986)             |
 */

interface Transition {
  zone: string;
  at: string;
  offsetBefore: number;
  offsetAfter: number;
}

const transitions: Transition[] = [
  { zone: 'America/New_York', at: '2026-03-08T07:00:00.000Z', offsetBefore: -300, offsetAfter: -240 },
  { zone: 'America/New_York', at: '2026-11-01T06:00:00.000Z', offsetBefore: -240, offsetAfter: -300 },
  { zone: 'America/New_York', at: '2027-03-14T07:00:00.000Z', offsetBefore: -300, offsetAfter: -240 },
  { zone: 'Europe/Berlin', at: '2026-03-29T01:00:00.000Z', offsetBefore: 60, offsetAfter: 120 },
  { zone: 'Europe/Berlin', at: '2026-10-25T01:00:00.000Z', offsetBefore: 120, offsetAfter: 60 },
  { zone: 'Europe/Berlin', at: '2025-10-26T01:00:00.000Z', offsetBefore: 120, offsetAfter: 60 },
  { zone: 'Australia/Sydney', at: '2026-04-04T16:00:00.000Z', offsetBefore: 660, offsetAfter: 600 },
  { zone: 'Australia/Sydney', at: '2026-10-03T16:00:00.000Z', offsetBefore: 600, offsetAfter: 660 },
  { zone: 'Australia/Lord_Howe', at: '2026-04-04T15:00:00.000Z', offsetBefore: 660, offsetAfter: 630 },
  { zone: 'Australia/Lord_Howe', at: '2026-10-03T15:30:00.000Z', offsetBefore: 630, offsetAfter: 660 },
  { zone: 'Pacific/Chatham', at: '2026-04-04T14:00:00.000Z', offsetBefore: 825, offsetAfter: 765 },
  { zone: 'Pacific/Chatham', at: '2026-09-26T14:00:00.000Z', offsetBefore: 765, offsetAfter: 825 },
  { zone: 'Asia/Kathmandu', at: '1985-12-31T18:30:00.000Z', offsetBefore: 330, offsetAfter: 345 },
];

describe('the time-zone data the table below is built on', () => {
  it.each(transitions)(
    'changes $zone from UTC$offsetBefore min to UTC$offsetAfter min at $at',
    ({ zone, at, offsetBefore, offsetAfter }) => {
      const instant = Date.parse(at);
      expect(utcOffsetMinutes(zone, instant - 60_000)).toBe(offsetBefore);
      expect(utcOffsetMinutes(zone, instant)).toBe(offsetAfter);
    },
  );

  it('keeps Asia/Kathmandu at +05:45 all through 2025-2027', () => {
    for (const at of ['2025-01-01T00:00:00Z', '2026-03-29T01:00:00Z', '2026-10-25T01:00:00Z', '2027-12-31T23:59:00Z']) {
      expect(utcOffsetMinutes('Asia/Kathmandu', Date.parse(at))).toBe(345);
    }
  });
});

interface DstRow {
  zone: string;
  behaviour: string;
  cron: string;
  from: string;
  expected: string[];
  /** Slots asked for; defaults to expected.length. */
  count?: number;
}

const newYork: DstRow[] = [
  {
    zone: 'America/New_York',
    behaviour: 'a fixed-time schedule in the spring-forward gap fires once at the transition instant (03:00 EDT)',
    cron: '30 2 * * *',
    from: '2026-03-08T00:00:00.000Z',
    expected: ['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z'],
  },
  {
    zone: 'America/New_York',
    behaviour: 'several matches inside one gap fire once together at the transition instant',
    cron: '0,15,30,45 2 * * *',
    from: '2026-03-08T00:00:00.000Z',
    expected: [
      '2026-03-08T07:00:00.000Z',
      '2026-03-09T06:00:00.000Z',
      '2026-03-09T06:15:00.000Z',
      '2026-03-09T06:30:00.000Z',
    ],
  },
  {
    zone: 'America/New_York',
    behaviour: 'a gap match and a real match at the transition instant give one slot',
    cron: '0 2,3 * * *',
    from: '2026-03-08T00:00:00.000Z',
    expected: ['2026-03-08T07:00:00.000Z', '2026-03-09T06:00:00.000Z', '2026-03-09T07:00:00.000Z'],
  },
  {
    zone: 'America/New_York',
    behaviour: 'a gap slot does not swallow a later real match in the same hour',
    cron: '30 2,3 * * *',
    from: '2026-03-08T00:00:00.000Z',
    expected: [
      '2026-03-08T07:00:00.000Z',
      '2026-03-08T07:30:00.000Z',
      '2026-03-09T06:30:00.000Z',
      '2026-03-09T07:30:00.000Z',
    ],
  },
  {
    zone: 'America/New_York',
    behaviour: 'a six-field fixed-time schedule in the gap fires once at the transition instant',
    cron: '0 30 2 * * *',
    from: '2026-03-08T00:00:00.000Z',
    expected: ['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z'],
  },
  {
    zone: 'America/New_York',
    behaviour: 'a weekly fixed-time schedule whose day is the spring-forward Sunday fires at the transition instant',
    cron: '30 2 * * SUN',
    from: '2026-03-01T12:00:00.000Z',
    expected: ['2026-03-08T07:00:00.000Z', '2026-03-15T06:30:00.000Z'],
  },
  {
    zone: 'America/New_York',
    behaviour: 'the gap rule applies again in the next year (2027-03-14)',
    cron: '30 2 * * *',
    from: '2027-03-13T12:00:00.000Z',
    expected: ['2027-03-14T07:00:00.000Z', '2027-03-15T06:30:00.000Z'],
  },
  {
    zone: 'America/New_York',
    behaviour: 'a fixed-time schedule in the repeated hour fires once, at the first occurrence (01:00 EDT)',
    cron: '0 1 * * *',
    from: '2026-10-31T12:00:00.000Z',
    expected: ['2026-11-01T05:00:00.000Z', '2026-11-02T06:00:00.000Z'],
  },
  {
    zone: 'America/New_York',
    behaviour: 'a fixed-time schedule asked between the two occurrences does not fire at the second',
    cron: '0 1 * * *',
    from: '2026-11-01T05:00:00.000Z',
    expected: ['2026-11-02T06:00:00.000Z'],
  },
  {
    zone: 'America/New_York',
    behaviour: 'a fixed-time schedule asked half-way through the repeated hour does not fire at the second occurrence',
    cron: '0 1 * * *',
    from: '2026-11-01T05:30:00.000Z',
    expected: ['2026-11-02T06:00:00.000Z'],
  },
  {
    zone: 'America/New_York',
    behaviour: 'every match of a fixed-time schedule in the repeated hour fires only at its first occurrence',
    cron: '0,30 1 * * *',
    from: '2026-11-01T04:00:00.000Z',
    expected: [
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T05:30:00.000Z',
      '2026-11-02T06:00:00.000Z',
      '2026-11-02T06:30:00.000Z',
    ],
  },
  {
    zone: 'America/New_York',
    behaviour: 'a fixed-time schedule with a list of hours fires once in the repeated hour and normally after it',
    cron: '30 1,2 * * *',
    from: '2026-11-01T04:00:00.000Z',
    expected: ['2026-11-01T05:30:00.000Z', '2026-11-01T07:30:00.000Z', '2026-11-02T06:30:00.000Z'],
  },
  {
    zone: 'America/New_York',
    behaviour: 'an interval schedule skips the wall times in the spring-forward gap',
    cron: '*/30 1-3 * * *',
    from: '2026-03-08T05:00:00.000Z',
    expected: [
      '2026-03-08T06:00:00.000Z',
      '2026-03-08T06:30:00.000Z',
      '2026-03-08T07:00:00.000Z',
      '2026-03-08T07:30:00.000Z',
      '2026-03-09T05:00:00.000Z',
    ],
  },
  {
    zone: 'America/New_York',
    behaviour: 'an interval schedule confined to the gap hour skips that day entirely',
    cron: '*/15 2 * * *',
    from: '2026-03-08T00:00:00.000Z',
    expected: [
      '2026-03-09T06:00:00.000Z',
      '2026-03-09T06:15:00.000Z',
      '2026-03-09T06:30:00.000Z',
      '2026-03-09T06:45:00.000Z',
    ],
  },
  {
    zone: 'America/New_York',
    behaviour: 'an hourly interval schedule skips 02:30 and keeps real elapsed time',
    cron: '30 * * * *',
    from: '2026-03-08T05:00:00.000Z',
    expected: ['2026-03-08T05:30:00.000Z', '2026-03-08T06:30:00.000Z', '2026-03-08T07:30:00.000Z'],
  },
  {
    zone: 'America/New_York',
    behaviour: 'an interval schedule fires at 01:00-01:45 EDT and again at 01:00-01:45 EST',
    cron: '*/15 1-3 * * *',
    from: '2026-11-01T04:00:00.000Z',
    expected: [
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T05:15:00.000Z',
      '2026-11-01T05:30:00.000Z',
      '2026-11-01T05:45:00.000Z',
      '2026-11-01T06:00:00.000Z',
      '2026-11-01T06:15:00.000Z',
      '2026-11-01T06:30:00.000Z',
      '2026-11-01T06:45:00.000Z',
      '2026-11-01T07:00:00.000Z',
    ],
  },
  {
    zone: 'America/New_York',
    behaviour: 'an hourly interval schedule fires at both 01:30s of the repeated hour',
    cron: '30 * * * *',
    from: '2026-11-01T04:00:00.000Z',
    expected: [
      '2026-11-01T04:30:00.000Z',
      '2026-11-01T05:30:00.000Z',
      '2026-11-01T06:30:00.000Z',
      '2026-11-01T07:30:00.000Z',
    ],
  },
  {
    zone: 'America/New_York',
    behaviour: '@hourly is an interval schedule and fires at both 01:00s',
    cron: '@hourly',
    from: '2026-11-01T04:30:00.000Z',
    expected: ['2026-11-01T05:00:00.000Z', '2026-11-01T06:00:00.000Z', '2026-11-01T07:00:00.000Z'],
  },
  {
    zone: 'America/New_York',
    behaviour: 'an interval schedule whose every wall time lies in a gap never fires',
    cron: '*/15 2 * 3 SUN#2',
    from: '2026-01-01T00:00:00.000Z',
    expected: [],
    count: 3,
  },
  {
    zone: 'America/New_York',
    behaviour: 'the fixed-time counterpart of a gap-only schedule fires at each transition instant',
    cron: '15 2 * 3 SUN#2',
    from: '2026-01-01T00:00:00.000Z',
    expected: ['2026-03-08T07:00:00.000Z', '2027-03-14T07:00:00.000Z'],
  },
];

const berlin: DstRow[] = [
  {
    zone: 'Europe/Berlin',
    behaviour: 'a fixed-time schedule in the spring-forward gap fires once at the transition instant (03:00 CEST)',
    cron: '30 2 * * *',
    from: '2026-03-28T12:00:00.000Z',
    expected: ['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z'],
  },
  {
    zone: 'Europe/Berlin',
    behaviour: 'several matches inside one gap fire once together at the transition instant',
    cron: '0,20,40 2 * * *',
    from: '2026-03-28T12:00:00.000Z',
    expected: [
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:00:00.000Z',
      '2026-03-30T00:20:00.000Z',
      '2026-03-30T00:40:00.000Z',
    ],
  },
  {
    zone: 'Europe/Berlin',
    behaviour: 'a fixed-time schedule in the repeated hour fires once, at the first occurrence (02:30 CEST)',
    cron: '30 2 * * *',
    from: '2026-10-24T12:00:00.000Z',
    expected: ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z'],
  },
  {
    zone: 'Europe/Berlin',
    behaviour: 'the fall-back rule applies in 2025 too (2025-10-26)',
    cron: '30 2 * * *',
    from: '2025-10-25T12:00:00.000Z',
    expected: ['2025-10-26T00:30:00.000Z', '2025-10-27T01:30:00.000Z'],
  },
  {
    zone: 'Europe/Berlin',
    behaviour: 'an interval schedule skips the wall times in the spring-forward gap',
    cron: '*/30 1-3 * * *',
    from: '2026-03-28T23:00:00.000Z',
    expected: [
      '2026-03-29T00:00:00.000Z',
      '2026-03-29T00:30:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T01:30:00.000Z',
      '2026-03-29T23:00:00.000Z',
    ],
  },
  {
    zone: 'Europe/Berlin',
    behaviour: 'an interval schedule fires at both occurrences of the repeated hour',
    cron: '*/30 1-3 * * *',
    from: '2026-10-24T22:00:00.000Z',
    expected: [
      '2026-10-24T23:00:00.000Z',
      '2026-10-24T23:30:00.000Z',
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T01:00:00.000Z',
      '2026-10-25T01:30:00.000Z',
      '2026-10-25T02:00:00.000Z',
      '2026-10-25T02:30:00.000Z',
    ],
  },
];

const sydney: DstRow[] = [
  {
    zone: 'Australia/Sydney',
    behaviour: 'a fixed-time schedule in the October spring-forward gap fires once at the transition instant (03:00 AEDT)',
    cron: '30 2 * * *',
    from: '2026-10-03T00:00:00.000Z',
    expected: ['2026-10-03T16:00:00.000Z', '2026-10-04T15:30:00.000Z'],
  },
  {
    zone: 'Australia/Sydney',
    behaviour: 'several matches inside one gap fire once together at the transition instant',
    cron: '0,15,30,45 2 * * *',
    from: '2026-10-03T00:00:00.000Z',
    expected: [
      '2026-10-03T16:00:00.000Z',
      '2026-10-04T15:00:00.000Z',
      '2026-10-04T15:15:00.000Z',
      '2026-10-04T15:30:00.000Z',
    ],
  },
  {
    zone: 'Australia/Sydney',
    behaviour: 'a fixed-time schedule in the April repeated hour fires once, at the first occurrence (02:30 AEDT)',
    cron: '30 2 * * *',
    from: '2026-04-04T00:00:00.000Z',
    expected: ['2026-04-04T15:30:00.000Z', '2026-04-05T16:30:00.000Z'],
  },
  {
    zone: 'Australia/Sydney',
    behaviour: 'an interval schedule skips the wall times in the October gap',
    cron: '*/30 1-3 * * *',
    from: '2026-10-03T14:00:00.000Z',
    expected: [
      '2026-10-03T15:00:00.000Z',
      '2026-10-03T15:30:00.000Z',
      '2026-10-03T16:00:00.000Z',
      '2026-10-03T16:30:00.000Z',
      '2026-10-04T14:00:00.000Z',
    ],
  },
  {
    zone: 'Australia/Sydney',
    behaviour: 'an interval schedule fires at both occurrences of the April repeated hour',
    cron: '*/30 1-3 * * *',
    from: '2026-04-04T13:00:00.000Z',
    expected: [
      '2026-04-04T14:00:00.000Z',
      '2026-04-04T14:30:00.000Z',
      '2026-04-04T15:00:00.000Z',
      '2026-04-04T15:30:00.000Z',
      '2026-04-04T16:00:00.000Z',
      '2026-04-04T16:30:00.000Z',
      '2026-04-04T17:00:00.000Z',
      '2026-04-04T17:30:00.000Z',
    ],
  },
];

const lordHowe: DstRow[] = [
  {
    zone: 'Australia/Lord_Howe',
    behaviour: 'a fixed-time schedule in the 30-minute gap fires once at the transition instant (02:30 +11)',
    cron: '15 2 * * *',
    from: '2026-10-03T00:00:00.000Z',
    expected: ['2026-10-03T15:30:00.000Z', '2026-10-04T15:15:00.000Z'],
  },
  {
    zone: 'Australia/Lord_Howe',
    behaviour: 'several matches inside the 30-minute gap fire once together at the transition instant',
    cron: '0,10,20 2 * * *',
    from: '2026-10-03T00:00:00.000Z',
    expected: [
      '2026-10-03T15:30:00.000Z',
      '2026-10-04T15:00:00.000Z',
      '2026-10-04T15:10:00.000Z',
      '2026-10-04T15:20:00.000Z',
    ],
  },
  {
    zone: 'Australia/Lord_Howe',
    behaviour: 'a wall time just after the 30-minute gap exists and fires normally',
    cron: '30 2 * * *',
    from: '2026-10-03T00:00:00.000Z',
    expected: ['2026-10-03T15:30:00.000Z', '2026-10-04T15:30:00.000Z'],
  },
  {
    zone: 'Australia/Lord_Howe',
    behaviour: 'a fixed-time schedule in the repeated half hour fires once, at the first occurrence (01:45 +11)',
    cron: '45 1 * * *',
    from: '2026-04-04T00:00:00.000Z',
    expected: ['2026-04-04T14:45:00.000Z', '2026-04-05T15:15:00.000Z'],
  },
  {
    zone: 'Australia/Lord_Howe',
    behaviour: 'an interval schedule skips the wall times in the 30-minute gap',
    cron: '*/15 2 * * *',
    from: '2026-10-03T12:00:00.000Z',
    expected: [
      '2026-10-03T15:30:00.000Z',
      '2026-10-03T15:45:00.000Z',
      '2026-10-04T15:00:00.000Z',
      '2026-10-04T15:15:00.000Z',
    ],
  },
  {
    zone: 'Australia/Lord_Howe',
    behaviour: 'an interval schedule fires at both occurrences of the repeated half hour only',
    cron: '*/15 1 * * *',
    from: '2026-04-04T12:00:00.000Z',
    expected: [
      '2026-04-04T14:00:00.000Z',
      '2026-04-04T14:15:00.000Z',
      '2026-04-04T14:30:00.000Z',
      '2026-04-04T14:45:00.000Z',
      '2026-04-04T15:00:00.000Z',
      '2026-04-04T15:15:00.000Z',
      '2026-04-05T14:30:00.000Z',
    ],
  },
];

const chatham: DstRow[] = [
  {
    zone: 'Pacific/Chatham',
    behaviour: 'a fixed-time schedule in the spring-forward gap fires once at the transition instant (03:45 +13:45)',
    cron: '0 3 * * *',
    from: '2026-09-26T00:00:00.000Z',
    expected: ['2026-09-26T14:00:00.000Z', '2026-09-27T13:15:00.000Z'],
  },
  {
    zone: 'Pacific/Chatham',
    behaviour: 'several matches inside one gap fire once together at the transition instant',
    cron: '0,30 3 * * *',
    from: '2026-09-26T00:00:00.000Z',
    expected: ['2026-09-26T14:00:00.000Z', '2026-09-27T13:15:00.000Z', '2026-09-27T13:45:00.000Z'],
  },
  {
    zone: 'Pacific/Chatham',
    behaviour: 'a fixed-time schedule in the repeated hour fires once, at the first occurrence (03:00 +13:45)',
    cron: '0 3 * * *',
    from: '2026-04-04T00:00:00.000Z',
    expected: ['2026-04-04T13:15:00.000Z', '2026-04-05T14:15:00.000Z'],
  },
  {
    zone: 'Pacific/Chatham',
    behaviour: 'an interval schedule skips the wall times in the gap',
    cron: '*/30 2-4 * * *',
    from: '2026-09-26T13:00:00.000Z',
    expected: [
      '2026-09-26T13:15:00.000Z',
      '2026-09-26T13:45:00.000Z',
      '2026-09-26T14:15:00.000Z',
      '2026-09-26T14:45:00.000Z',
    ],
  },
  {
    zone: 'Pacific/Chatham',
    behaviour: 'an interval schedule fires at both occurrences of the repeated hour',
    cron: '*/30 2-4 * * *',
    from: '2026-04-04T12:00:00.000Z',
    expected: [
      '2026-04-04T12:15:00.000Z',
      '2026-04-04T12:45:00.000Z',
      '2026-04-04T13:15:00.000Z',
      '2026-04-04T13:45:00.000Z',
      '2026-04-04T14:15:00.000Z',
      '2026-04-04T14:45:00.000Z',
      '2026-04-04T15:15:00.000Z',
      '2026-04-04T15:45:00.000Z',
    ],
  },
];

const kathmandu: DstRow[] = [
  {
    zone: 'Asia/Kathmandu',
    behaviour: 'a fixed-time schedule fires at its wall time on the +05:45 offset',
    cron: '0 2 * * *',
    from: '2026-03-08T00:00:00.000Z',
    expected: ['2026-03-08T20:15:00.000Z', '2026-03-09T20:15:00.000Z'],
  },
  {
    zone: 'Asia/Kathmandu',
    behaviour: 'a fixed-time schedule at 23:45 lands on a whole UTC hour',
    cron: '45 23 * * *',
    from: '2026-06-01T00:00:00.000Z',
    expected: ['2026-06-01T18:00:00.000Z', '2026-06-02T18:00:00.000Z'],
  },
  {
    zone: 'Asia/Kathmandu',
    behaviour: 'a monthly schedule fires at local midnight, the previous UTC day',
    cron: '0 0 1 * *',
    from: '2026-06-01T00:00:00.000Z',
    expected: ['2026-06-30T18:15:00.000Z', '2026-07-31T18:15:00.000Z'],
  },
  {
    zone: 'Asia/Kathmandu',
    behaviour: 'an interval schedule fires on the local :00/:20/:40, which are :15/:35/:55 UTC',
    cron: '*/20 * * * *',
    from: '2026-01-01T00:00:00.000Z',
    expected: ['2026-01-01T00:15:00.000Z', '2026-01-01T00:35:00.000Z', '2026-01-01T00:55:00.000Z'],
  },
  {
    zone: 'Asia/Kathmandu',
    behaviour: 'a fixed-time schedule in the 1986 15-minute gap fires once at the transition instant (00:15 +05:45)',
    cron: '5 0 * * *',
    from: '1985-12-31T00:00:00.000Z',
    expected: ['1985-12-31T18:30:00.000Z', '1986-01-01T18:20:00.000Z'],
  },
  {
    zone: 'Asia/Kathmandu',
    behaviour: 'several matches inside the 1986 gap fire once together at the transition instant',
    cron: '0,5,10 0 * * *',
    from: '1985-12-31T00:00:00.000Z',
    expected: [
      '1985-12-31T18:30:00.000Z',
      '1986-01-01T18:15:00.000Z',
      '1986-01-01T18:20:00.000Z',
      '1986-01-01T18:25:00.000Z',
    ],
  },
  {
    zone: 'Asia/Kathmandu',
    behaviour: 'an interval schedule skips the wall times in the 1986 gap',
    cron: '*/5 0 * * *',
    from: '1985-12-31T18:00:00.000Z',
    expected: ['1985-12-31T18:30:00.000Z', '1985-12-31T18:35:00.000Z', '1985-12-31T18:40:00.000Z'],
  },
];

describe('nextSlots across daylight-saving transitions', () => {
  describe.each([
    ['America/New_York (north, 1 hour)', newYork],
    ['Europe/Berlin (north, 1 hour)', berlin],
    ['Australia/Sydney (south, 1 hour, April/October)', sydney],
    ['Australia/Lord_Howe (south, 30 minutes)', lordHowe],
    ['Pacific/Chatham (south, +12:45/+13:45)', chatham],
    ['Asia/Kathmandu (+05:45, 1986 offset change)', kathmandu],
  ] as const)('%s', (_title, rows) => {
    it.each(rows)('$behaviour: $cron after $from', ({ zone, cron, from, expected, count }) => {
      const slots = nextSlots(cron, zone, new Date(from), count ?? expected.length);
      expect(slots.map((slot) => slot.toISOString())).toEqual(expected);
    });
  });
});

describe('schedules that can never fire in a zone', () => {
  it('accepts an interval schedule whose wall times all lie in a spring-forward gap', () => {
    const schedule = parseSchedule('*/15 2 * 3 SUN#2', 'America/New_York');
    expect(schedule.kind).toBe('interval');
  });

  it('returns no slots for it, even when asked for one', () => {
    expect(nextSlots('*/15 2 * 3 SUN#2', 'America/New_York', new Date('2026-01-01T00:00:00.000Z'), 1)).toEqual([]);
  });

  it('fires the same schedule in a zone without daylight saving', () => {
    expect(
      nextSlots('*/15 2 * 3 SUN#2', 'UTC', new Date('2026-01-01T00:00:00.000Z'), 2).map((slot) => slot.toISOString()),
    ).toEqual(['2026-03-08T02:00:00.000Z', '2026-03-08T02:15:00.000Z']);
  });
});

describe('schedule kinds used by the daylight-saving rules', () => {
  it.each([
    { cron: '30 2 * * *', kind: 'fixed' },
    { cron: '0,15,30,45 2 * * *', kind: 'fixed' },
    { cron: '0/15 2 * * *', kind: 'fixed' },
    { cron: '30 1,2 * * *', kind: 'fixed' },
    { cron: '0 30 2 * * *', kind: 'fixed' },
    { cron: '@daily', kind: 'fixed' },
    { cron: '*/15 1-3 * * *', kind: 'interval' },
    { cron: '30 * * * *', kind: 'interval' },
    { cron: '0 */2 * * *', kind: 'interval' },
    { cron: '* 2 * * *', kind: 'interval' },
    { cron: '@hourly', kind: 'interval' },
  ])('classifies $cron as a $kind schedule', ({ cron, kind }) => {
    expect(parseSchedule(cron, 'America/New_York').kind).toBe(kind);
  });
});
