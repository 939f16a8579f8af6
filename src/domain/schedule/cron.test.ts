import { describe, it, expect } from 'vitest';
import { describeSchedule, nextSlots, parseSchedule } from './index.js';
import { ScheduleError, type ScheduleErrorCode } from './schedule-error.js';

/**
 * SCHEDULING.md, "Expressions", pinned to exact UTC instants. Unless a row says otherwise
 * the schedules fire at 00:00 wall time; in Australia/Sydney that is 13:00Z the day before
 * (AEDT, +11, until 2026-04-05) or 14:00Z the day before (AEST, +10, from then until
 * 2026-10-04), so a wrong local date shows up as a wrong UTC instant.
 *
 * 2026 calendar used below: Jan 1 Thu, Feb 1 Sun, Mar 1 Sun, Apr 1 Wed, May 1 Fri,
 * Jun 1 Mon, Jul 1 Wed, Aug 1 Sat, Sep 1 Tue, Oct 1 Thu, Nov 1 Sun, Dec 1 Tue.
 */

interface SlotRow {
  behaviour: string;
  cron: string;
  zone: string;
  from: string;
  expected: string[];
}

function expectSlots({ cron, zone, from, expected }: SlotRow): void {
  const slots = nextSlots(cron, zone, new Date(from), expected.length);
  expect(slots.map((slot) => slot.toISOString())).toEqual(expected);
}

const UTC = 'UTC';
const SYDNEY = 'Australia/Sydney';

describe('day-of-month and day-of-week', () => {
  const rows: SlotRow[] = [
    {
      behaviour: 'fires on a day that matches either field when both are restricted',
      cron: '0 0 1 * MON',
      zone: UTC,
      from: '2026-05-31T00:00:00.000Z',
      expected: [
        '2026-06-01T00:00:00.000Z',
        '2026-06-08T00:00:00.000Z',
        '2026-06-15T00:00:00.000Z',
        '2026-06-22T00:00:00.000Z',
        '2026-06-29T00:00:00.000Z',
        '2026-07-01T00:00:00.000Z',
        '2026-07-06T00:00:00.000Z',
      ],
    },
    {
      behaviour: 'fires once on a day that matches both restricted fields',
      cron: '0 0 13 * FRI',
      zone: UTC,
      from: '2026-03-01T00:00:00.000Z',
      expected: [
        '2026-03-06T00:00:00.000Z',
        '2026-03-13T00:00:00.000Z',
        '2026-03-20T00:00:00.000Z',
        '2026-03-27T00:00:00.000Z',
        '2026-04-03T00:00:00.000Z',
        '2026-04-10T00:00:00.000Z',
        '2026-04-13T00:00:00.000Z',
        '2026-04-17T00:00:00.000Z',
      ],
    },
    {
      behaviour: 'needs both fields when day-of-month starts with * (odd days that are Mondays)',
      cron: '0 0 */2 * MON',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: [
        '2026-01-05T00:00:00.000Z',
        '2026-01-19T00:00:00.000Z',
        '2026-02-09T00:00:00.000Z',
        '2026-02-23T00:00:00.000Z',
        '2026-03-09T00:00:00.000Z',
      ],
    },
    {
      behaviour: 'needs both fields when day-of-week starts with * (13ths on Sun, Tue, Thu or Sat)',
      cron: '0 0 13 * */2',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-01-13T00:00:00.000Z', '2026-06-13T00:00:00.000Z', '2026-08-13T00:00:00.000Z'],
    },
    {
      behaviour: 'treats ? in day-of-month like * (Mondays only)',
      cron: '0 0 ? * MON',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-01-05T00:00:00.000Z', '2026-01-12T00:00:00.000Z', '2026-01-19T00:00:00.000Z'],
    },
    {
      behaviour: 'treats ? in day-of-week like * (the 1st only)',
      cron: '0 0 1 * ?',
      zone: UTC,
      from: '2026-01-15T00:00:00.000Z',
      expected: ['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'],
    },
    {
      behaviour: 'fires on a day that matches either field in local dates',
      cron: '0 0 1 * MON',
      zone: SYDNEY,
      from: '2026-05-31T00:00:00.000Z',
      expected: [
        '2026-05-31T14:00:00.000Z',
        '2026-06-07T14:00:00.000Z',
        '2026-06-14T14:00:00.000Z',
        '2026-06-21T14:00:00.000Z',
        '2026-06-28T14:00:00.000Z',
        '2026-06-30T14:00:00.000Z',
        '2026-07-05T14:00:00.000Z',
      ],
    },
    {
      behaviour: 'needs both fields in local dates when day-of-month starts with *',
      cron: '0 0 */2 * MON',
      zone: SYDNEY,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-01-04T13:00:00.000Z', '2026-01-18T13:00:00.000Z', '2026-02-08T13:00:00.000Z'],
    },
  ];
  it.each(rows)('$behaviour: $cron in $zone', expectSlots);
});

describe('day-of-month extensions', () => {
  const rows: SlotRow[] = [
    {
      behaviour: 'L fires on the last day of each month',
      cron: '0 0 L * *',
      zone: UTC,
      from: '2026-01-15T00:00:00.000Z',
      expected: [
        '2026-01-31T00:00:00.000Z',
        '2026-02-28T00:00:00.000Z',
        '2026-03-31T00:00:00.000Z',
        '2026-04-30T00:00:00.000Z',
      ],
    },
    {
      behaviour: 'L in February fires on the 29th of a leap year',
      cron: '0 0 L 2 *',
      zone: UTC,
      from: '2027-03-01T00:00:00.000Z',
      expected: ['2028-02-29T00:00:00.000Z', '2029-02-28T00:00:00.000Z'],
    },
    {
      behaviour: 'the 29th of February fires only in leap years',
      cron: '0 0 29 2 *',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2028-02-29T00:00:00.000Z', '2032-02-29T00:00:00.000Z'],
    },
    {
      behaviour: 'LW fires on the last weekday of each month',
      cron: '0 0 LW * *',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: [
        '2026-01-30T00:00:00.000Z',
        '2026-02-27T00:00:00.000Z',
        '2026-03-31T00:00:00.000Z',
        '2026-04-30T00:00:00.000Z',
        '2026-05-29T00:00:00.000Z',
      ],
    },
    {
      behaviour: 'nW fires on the weekday nearest day n (Sunday 15th moves to Monday 16th)',
      cron: '0 0 15W * *',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-01-15T00:00:00.000Z', '2026-02-16T00:00:00.000Z', '2026-03-16T00:00:00.000Z'],
    },
    {
      behaviour: 'nW moves a Saturday to the Friday before',
      cron: '0 0 15W 8 *',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-08-14T00:00:00.000Z'],
    },
    {
      behaviour: '1W on a Saturday moves forward to Monday the 3rd, never into the previous month',
      cron: '0 0 1W 8 *',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-08-03T00:00:00.000Z'],
    },
    {
      behaviour: '1W on a Sunday moves to Monday the 2nd',
      cron: '0 0 1W 11 *',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-11-02T00:00:00.000Z'],
    },
    {
      behaviour: '31W on a Sunday moves back to Friday the 29th, never into the next month',
      cron: '0 0 31W 5 *',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-05-29T00:00:00.000Z'],
    },
    {
      behaviour: '31W on a Saturday moves back to Friday the 30th',
      cron: '0 0 31W 1 *',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-01-30T00:00:00.000Z'],
    },
    {
      behaviour: '30W on the Sunday that ends a 30-day month moves back to Friday the 28th',
      cron: '0 0 30W 11 *',
      zone: UTC,
      from: '2025-01-01T00:00:00.000Z',
      expected: ['2025-11-28T00:00:00.000Z', '2026-11-30T00:00:00.000Z'],
    },
    {
      behaviour: '30W on a Saturday moves back to Friday the 29th',
      cron: '0 0 30W 5 *',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-05-29T00:00:00.000Z'],
    },
    {
      behaviour: 'L fires on the last local day of each month',
      cron: '0 0 L * *',
      zone: SYDNEY,
      from: '2026-01-15T00:00:00.000Z',
      expected: [
        '2026-01-30T13:00:00.000Z',
        '2026-02-27T13:00:00.000Z',
        '2026-03-30T13:00:00.000Z',
        '2026-04-29T14:00:00.000Z',
      ],
    },
    {
      behaviour: 'LW fires on the last local weekday of each month',
      cron: '0 9 LW * *',
      zone: SYDNEY,
      from: '2026-01-01T00:00:00.000Z',
      expected: [
        '2026-01-29T22:00:00.000Z',
        '2026-02-26T22:00:00.000Z',
        '2026-03-30T22:00:00.000Z',
        '2026-04-29T23:00:00.000Z',
        '2026-05-28T23:00:00.000Z',
      ],
    },
    {
      behaviour: '1W on a local Saturday moves to Monday the 3rd',
      cron: '0 9 1W 8 *',
      zone: SYDNEY,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-08-02T23:00:00.000Z'],
    },
    {
      behaviour: '31W on a local Sunday moves back to Friday the 29th',
      cron: '0 0 31W 5 *',
      zone: SYDNEY,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-05-28T14:00:00.000Z'],
    },
  ];
  it.each(rows)('$behaviour: $cron in $zone', expectSlots);
});

describe('day-of-week values and extensions', () => {
  const rows: SlotRow[] = [
    {
      behaviour: 'd#k fires on the k-th weekday d of the month (third Friday)',
      cron: '0 0 * * 5#3',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-01-16T00:00:00.000Z', '2026-02-20T00:00:00.000Z', '2026-03-20T00:00:00.000Z'],
    },
    {
      behaviour: 'd#5 fires only in months that have a fifth such weekday',
      cron: '0 0 * * SUN#5',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-03-29T00:00:00.000Z', '2026-05-31T00:00:00.000Z', '2026-08-30T00:00:00.000Z'],
    },
    {
      behaviour: 'd#1 with a name fires on the first Monday',
      cron: '0 0 * * MON#1',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-01-05T00:00:00.000Z', '2026-02-02T00:00:00.000Z', '2026-03-02T00:00:00.000Z'],
    },
    {
      behaviour: 'dL fires on the last weekday d of the month (last Friday)',
      cron: '0 0 * * 5L',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-01-30T00:00:00.000Z', '2026-02-27T00:00:00.000Z', '2026-03-27T00:00:00.000Z'],
    },
    {
      behaviour: 'd#L is dL: FRI#L fires on the last Friday of the month',
      cron: '0 0 * * FRI#L',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-01-30T00:00:00.000Z', '2026-02-27T00:00:00.000Z', '2026-03-27T00:00:00.000Z'],
    },
    {
      behaviour: 'd#L with a number: 5#l (any case) fires on the last Friday of the month',
      cron: '0 0 * * 5#l',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-01-30T00:00:00.000Z', '2026-02-27T00:00:00.000Z', '2026-03-27T00:00:00.000Z'],
    },
    {
      behaviour: 'd#L in a list with d#k: MON#1,MON#L fires on the first and the last Monday',
      cron: '0 0 * * MON#1,MON#L',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-01-05T00:00:00.000Z', '2026-01-26T00:00:00.000Z', '2026-02-02T00:00:00.000Z', '2026-02-23T00:00:00.000Z'],
    },
    {
      behaviour: '7#L is Sunday as 0L: the last Sunday of the month',
      cron: '0 0 * * 7#L',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-01-25T00:00:00.000Z', '2026-02-22T00:00:00.000Z', '2026-03-29T00:00:00.000Z'],
    },
    {
      behaviour: '0L fires on the last Sunday of the month',
      cron: '0 0 * * 0L',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-01-25T00:00:00.000Z', '2026-02-22T00:00:00.000Z', '2026-03-29T00:00:00.000Z'],
    },
    {
      behaviour: 'a wrapping name range FRI-SUN covers Friday, Saturday and Sunday',
      cron: '0 0 * * FRI-SUN',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: [
        '2026-01-02T00:00:00.000Z',
        '2026-01-03T00:00:00.000Z',
        '2026-01-04T00:00:00.000Z',
        '2026-01-09T00:00:00.000Z',
      ],
    },
    {
      behaviour: 'the numeric range 5-7 covers Friday, Saturday and Sunday',
      cron: '0 0 * * 5-7',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: [
        '2026-01-02T00:00:00.000Z',
        '2026-01-03T00:00:00.000Z',
        '2026-01-04T00:00:00.000Z',
        '2026-01-09T00:00:00.000Z',
      ],
    },
    {
      behaviour: 'day-of-week 0 is Sunday',
      cron: '0 0 * * 0',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-01-04T00:00:00.000Z', '2026-01-11T00:00:00.000Z'],
    },
    {
      behaviour: 'day-of-week 7 is Sunday',
      cron: '0 0 * * 7',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-01-04T00:00:00.000Z', '2026-01-11T00:00:00.000Z'],
    },
    {
      behaviour: 'day names are read in any case, in ranges too',
      cron: '0 12 * * mOn-wEd',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: [
        '2026-01-05T12:00:00.000Z',
        '2026-01-06T12:00:00.000Z',
        '2026-01-07T12:00:00.000Z',
        '2026-01-12T12:00:00.000Z',
      ],
    },
    {
      behaviour: 'month and day names are read in any case, in lists too',
      cron: '0 12 * jan,JUL,Dec sat',
      zone: UTC,
      from: '2026-01-25T00:00:00.000Z',
      expected: ['2026-01-31T12:00:00.000Z', '2026-07-04T12:00:00.000Z', '2026-07-11T12:00:00.000Z'],
    },
    {
      behaviour: 'a month-name range covers the months between',
      cron: '0 12 1 Mar-May *',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: [
        '2026-03-01T12:00:00.000Z',
        '2026-04-01T12:00:00.000Z',
        '2026-05-01T12:00:00.000Z',
        '2027-03-01T12:00:00.000Z',
      ],
    },
    {
      behaviour: 'd#k fires on the k-th local weekday d',
      cron: '0 9 * * 5#3',
      zone: SYDNEY,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-01-15T22:00:00.000Z', '2026-02-19T22:00:00.000Z', '2026-03-19T22:00:00.000Z'],
    },
    {
      behaviour: 'dL fires on the last local weekday d',
      cron: '0 9 * * 5L',
      zone: SYDNEY,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-01-29T22:00:00.000Z', '2026-02-26T22:00:00.000Z', '2026-03-26T22:00:00.000Z'],
    },
    {
      behaviour: 'day-of-week 0 is the local Sunday',
      cron: '0 0 * * 0',
      zone: SYDNEY,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-01-03T13:00:00.000Z', '2026-01-10T13:00:00.000Z'],
    },
    {
      behaviour: 'a wrapping name range FRI-SUN covers the local Friday to Sunday',
      cron: '0 0 * * FRI-SUN',
      zone: SYDNEY,
      from: '2026-06-01T00:00:00.000Z',
      expected: [
        '2026-06-04T14:00:00.000Z',
        '2026-06-05T14:00:00.000Z',
        '2026-06-06T14:00:00.000Z',
        '2026-06-11T14:00:00.000Z',
      ],
    },
  ];
  it.each(rows)('$behaviour: $cron in $zone', expectSlots);
});

describe('macros', () => {
  const from = '2026-03-15T10:20:00.000Z';
  const rows: SlotRow[] = [
    { behaviour: '@yearly fires at midnight on 1 January', cron: '@yearly', zone: UTC, from, expected: ['2027-01-01T00:00:00.000Z', '2028-01-01T00:00:00.000Z'] },
    { behaviour: '@annually is @yearly', cron: '@annually', zone: UTC, from, expected: ['2027-01-01T00:00:00.000Z', '2028-01-01T00:00:00.000Z'] },
    { behaviour: '@monthly fires at midnight on the 1st', cron: '@monthly', zone: UTC, from, expected: ['2026-04-01T00:00:00.000Z', '2026-05-01T00:00:00.000Z'] },
    { behaviour: '@weekly fires at midnight on Sunday', cron: '@weekly', zone: UTC, from, expected: ['2026-03-22T00:00:00.000Z', '2026-03-29T00:00:00.000Z'] },
    { behaviour: '@daily fires at midnight', cron: '@daily', zone: UTC, from, expected: ['2026-03-16T00:00:00.000Z', '2026-03-17T00:00:00.000Z'] },
    { behaviour: '@midnight is @daily', cron: '@midnight', zone: UTC, from, expected: ['2026-03-16T00:00:00.000Z', '2026-03-17T00:00:00.000Z'] },
    { behaviour: '@hourly fires at the top of each hour', cron: '@hourly', zone: UTC, from, expected: ['2026-03-15T11:00:00.000Z', '2026-03-15T12:00:00.000Z'] },
    { behaviour: '@yearly fires at local midnight on 1 January', cron: '@yearly', zone: SYDNEY, from: '2026-06-01T00:00:00.000Z', expected: ['2026-12-31T13:00:00.000Z'] },
    { behaviour: '@annually fires at local midnight on 1 January', cron: '@annually', zone: SYDNEY, from: '2026-06-01T00:00:00.000Z', expected: ['2026-12-31T13:00:00.000Z'] },
    { behaviour: '@monthly fires at local midnight on the 1st', cron: '@monthly', zone: SYDNEY, from: '2026-06-01T00:00:00.000Z', expected: ['2026-06-30T14:00:00.000Z', '2026-07-31T14:00:00.000Z'] },
    { behaviour: '@weekly fires at local midnight on Sunday', cron: '@weekly', zone: SYDNEY, from: '2026-06-01T00:00:00.000Z', expected: ['2026-06-06T14:00:00.000Z', '2026-06-13T14:00:00.000Z'] },
    { behaviour: '@daily fires at local midnight', cron: '@daily', zone: SYDNEY, from: '2026-06-01T00:00:00.000Z', expected: ['2026-06-01T14:00:00.000Z', '2026-06-02T14:00:00.000Z'] },
    { behaviour: '@midnight fires at local midnight', cron: '@midnight', zone: SYDNEY, from: '2026-06-01T00:00:00.000Z', expected: ['2026-06-01T14:00:00.000Z', '2026-06-02T14:00:00.000Z'] },
    { behaviour: '@hourly fires at the top of each hour', cron: '@hourly', zone: SYDNEY, from: '2026-06-01T00:10:00.000Z', expected: ['2026-06-01T01:00:00.000Z', '2026-06-01T02:00:00.000Z'] },
  ];
  it.each(rows)('$behaviour: $cron in $zone', expectSlots);
});

describe('six-field expressions (seconds first)', () => {
  const rows: SlotRow[] = [
    {
      behaviour: 'reads the first field as seconds',
      cron: '30 0 12 * * *',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-01-01T12:00:30.000Z', '2026-01-02T12:00:30.000Z'],
    },
    {
      behaviour: 'steps through seconds',
      cron: '*/20 * * * * *',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-01-01T00:00:20.000Z', '2026-01-01T00:00:40.000Z', '2026-01-01T00:01:00.000Z'],
    },
    {
      behaviour: 'reads a/n in seconds as a-59/n',
      cron: '0/15 30 9 * * MON',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: [
        '2026-01-05T09:30:00.000Z',
        '2026-01-05T09:30:15.000Z',
        '2026-01-05T09:30:30.000Z',
        '2026-01-05T09:30:45.000Z',
        '2026-01-12T09:30:00.000Z',
      ],
    },
    {
      behaviour: 'keeps the day-of-month extensions in their place',
      cron: '0 0 0 L * *',
      zone: UTC,
      from: '2026-01-15T00:00:00.000Z',
      expected: ['2026-01-31T00:00:00.000Z', '2026-02-28T00:00:00.000Z'],
    },
    {
      behaviour: 'returns whole seconds strictly after a fractional start',
      cron: '* * * * * *',
      zone: UTC,
      from: '2026-01-01T00:00:00.500Z',
      expected: ['2026-01-01T00:00:01.000Z', '2026-01-01T00:00:02.000Z'],
    },
    {
      behaviour: 'reads seconds in the local zone as well',
      cron: '30 15 10 * * *',
      zone: SYDNEY,
      from: '2026-06-01T00:00:00.000Z',
      expected: ['2026-06-01T00:15:30.000Z', '2026-06-02T00:15:30.000Z'],
    },
  ];
  it.each(rows)('$behaviour: $cron in $zone', expectSlots);

  it('marks six-field expressions as having seconds, and five-field ones as not', () => {
    expect(parseSchedule('30 0 12 * * *', UTC).hasSeconds).toBe(true);
    expect(parseSchedule('0 12 * * *', UTC).hasSeconds).toBe(false);
  });
});

describe('steps and a/n', () => {
  const rows: SlotRow[] = [
    {
      behaviour: '0/15 in minutes means 0,15,30,45',
      cron: '0/15 * * * *',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: [
        '2026-01-01T00:15:00.000Z',
        '2026-01-01T00:30:00.000Z',
        '2026-01-01T00:45:00.000Z',
        '2026-01-01T01:00:00.000Z',
      ],
    },
    {
      behaviour: '5/20 in minutes means 5,25,45',
      cron: '5/20 * * * *',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: [
        '2026-01-01T00:05:00.000Z',
        '2026-01-01T00:25:00.000Z',
        '2026-01-01T00:45:00.000Z',
        '2026-01-01T01:05:00.000Z',
      ],
    },
    {
      behaviour: '5/6 in hours means 5,11,17,23',
      cron: '0 5/6 * * *',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: [
        '2026-01-01T05:00:00.000Z',
        '2026-01-01T11:00:00.000Z',
        '2026-01-01T17:00:00.000Z',
        '2026-01-01T23:00:00.000Z',
        '2026-01-02T05:00:00.000Z',
      ],
    },
    {
      behaviour: 'a-b/n steps from a within the range',
      cron: '10-50/20 9-17/4 * * *',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: [
        '2026-01-01T09:10:00.000Z',
        '2026-01-01T09:30:00.000Z',
        '2026-01-01T09:50:00.000Z',
        '2026-01-01T13:10:00.000Z',
      ],
    },
    {
      behaviour: '*/10 in day-of-month means days 1, 11, 21 and 31',
      cron: '0 0 */10 * *',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: [
        '2026-01-11T00:00:00.000Z',
        '2026-01-21T00:00:00.000Z',
        '2026-01-31T00:00:00.000Z',
        '2026-02-01T00:00:00.000Z',
      ],
    },
    {
      behaviour: '*/5 in months means January, June and November',
      cron: '0 0 1 */5 *',
      zone: UTC,
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-06-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    },
    {
      behaviour: '1-5/2 in day-of-week means Monday, Wednesday and Friday',
      cron: '0 0 * * 1-5/2',
      zone: UTC,
      from: '2026-01-04T00:00:00.000Z',
      expected: ['2026-01-05T00:00:00.000Z', '2026-01-07T00:00:00.000Z', '2026-01-09T00:00:00.000Z'],
    },
    {
      behaviour: '0/15 in minutes follows the local clock on a +05:30 zone',
      cron: '0/15 * * * *',
      zone: 'Asia/Kolkata',
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2026-01-01T00:15:00.000Z', '2026-01-01T00:30:00.000Z'],
    },
    {
      behaviour: '5/6 in hours follows the local clock',
      cron: '0 5/6 * * *',
      zone: SYDNEY,
      from: '2026-06-01T00:00:00.000Z',
      expected: ['2026-06-01T01:00:00.000Z', '2026-06-01T07:00:00.000Z', '2026-06-01T13:00:00.000Z', '2026-06-01T19:00:00.000Z'],
    },
  ];
  it.each(rows)('$behaviour: $cron in $zone', expectSlots);
});

describe('slots', () => {
  it('starts strictly after the given instant, even when it is itself a slot', () => {
    expect(nextSlots('0 * * * *', UTC, new Date('2026-01-01T10:00:00.000Z'), 1).map((s) => s.toISOString())).toEqual([
      '2026-01-01T11:00:00.000Z',
    ]);
  });

  it.each([
    {
      cron: '0 0 29 2 */6',
      note: '29 February on a weekend: 2032, 2048, 2060',
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2032-02-29T00:00:00.000Z', '2048-02-29T00:00:00.000Z', '2060-02-29T00:00:00.000Z'],
    },
    {
      cron: '0 0 29 2 */6',
      note: 'sixteen years from one slot to the next',
      from: '2032-02-29T00:00:00.000Z',
      expected: ['2048-02-29T00:00:00.000Z'],
    },
    {
      cron: '0 0 */28 2 MON#5',
      note: '29 February on a Monday: 2044, 2072, 2112',
      from: '2026-01-01T00:00:00.000Z',
      expected: ['2044-02-29T00:00:00.000Z', '2072-02-29T00:00:00.000Z', '2112-02-29T00:00:00.000Z'],
    },
  ])('finds slots of rare dates however many years apart ($note)', ({ cron, from, expected }) => {
    expect(nextSlots(cron, UTC, new Date(from), expected.length).map((s) => s.toISOString())).toEqual(expected);
  });

  it('returns no slots when asked for none', () => {
    expect(nextSlots('* * * * *', UTC, new Date('2026-01-01T00:00:00.000Z'), 0)).toEqual([]);
  });
});

interface RefusalRow {
  expression: string;
  code: ScheduleErrorCode;
  zone?: string;
}

const refusals: RefusalRow[] = [
  // E_EMPTY
  { expression: '', code: 'E_EMPTY' },
  { expression: '   ', code: 'E_EMPTY' },
  // E_FIELDS
  { expression: '* * * *', code: 'E_FIELDS' },
  { expression: '* * * * * * *', code: 'E_FIELDS' },
  { expression: '0 0 1 1 * 2027 *', code: 'E_FIELDS' },
  { expression: '*', code: 'E_FIELDS' },
  // E_SYNTAX
  { expression: '1- * * * *', code: 'E_SYNTAX' },
  { expression: '1,,2 * * * *', code: 'E_SYNTAX' },
  { expression: '. * * * *', code: 'E_SYNTAX' },
  { expression: '$ * * * *', code: 'E_SYNTAX' },
  { expression: '** * * * *', code: 'E_SYNTAX' },
  { expression: '*,5 * * * *', code: 'E_SYNTAX' },
  { expression: '? * * * *', code: 'E_SYNTAX' },
  { expression: '0 ? * * *', code: 'E_SYNTAX' },
  { expression: '0 0 * ? *', code: 'E_SYNTAX' },
  { expression: '0 0 * * MON-FRI#1', code: 'E_SYNTAX' },
  { expression: '0 0 * * 1-5L', code: 'E_SYNTAX' },
  { expression: '0 0 15W,20 * *', code: 'E_SYNTAX' },
  { expression: '0 0 * * L', code: 'E_SYNTAX' },
  { expression: '0 0 * * #L', code: 'E_SYNTAX' },
  { expression: '0 0 * * MON-FRI#L', code: 'E_SYNTAX' },
  { expression: '0 0 * * 5#L#L', code: 'E_SYNTAX' },
  { expression: '0 0 * * 5#LW', code: 'E_SYNTAX' },
  { expression: '0 0 * * */2#L', code: 'E_SYNTAX' },
  { expression: '-5 * * * *', code: 'E_SYNTAX' },
  // E_RANGE
  { expression: '61 * * * *', code: 'E_RANGE' },
  { expression: '0 24 * * *', code: 'E_RANGE' },
  { expression: '0 0 0 * *', code: 'E_RANGE' },
  { expression: '0 0 32 * *', code: 'E_RANGE' },
  { expression: '0 0 * 0 *', code: 'E_RANGE' },
  { expression: '0 0 * 13 *', code: 'E_RANGE' },
  { expression: '0 0 * * 8', code: 'E_RANGE' },
  { expression: '60 0 0 * * *', code: 'E_RANGE' },
  { expression: '5-1 * * * *', code: 'E_RANGE' },
  { expression: '0 22-2 * * *', code: 'E_RANGE' },
  { expression: '0 0 * * FRI-MON', code: 'E_RANGE' },
  { expression: '0 0 * * 6#6', code: 'E_RANGE' },
  { expression: '0 0 * * 8#L', code: 'E_RANGE' },
  { expression: '0 0 * * 1#0', code: 'E_RANGE' },
  { expression: '0 0 32W * *', code: 'E_RANGE' },
  { expression: '0 0 0W * *', code: 'E_RANGE' },
  { expression: '0 0 1 1 * 2027', code: 'E_RANGE' },
  // E_STEP
  { expression: '*/0 * * * *', code: 'E_STEP' },
  { expression: '*/ * * * *', code: 'E_STEP' },
  { expression: '0 */24 * * *', code: 'E_STEP' },
  { expression: '0-10/15 * * * *', code: 'E_STEP' },
  { expression: '*/60 * * * *', code: 'E_STEP' },
  { expression: '0 0 1 */12 *', code: 'E_STEP' },
  { expression: '0 5/20 * * *', code: 'E_STEP' },
  // E_NAME
  { expression: '0 0 * JANUARY *', code: 'E_NAME' },
  { expression: '0 0 * * MONDAY', code: 'E_NAME' },
  { expression: 'MON * * * *', code: 'E_NAME' },
  { expression: '0 JAN * * *', code: 'E_NAME' },
  { expression: '0 0 * FOO *', code: 'E_NAME' },
  { expression: '0 0 * * XYZ', code: 'E_NAME' },
  { expression: '0 0 * * FRIDAY#L', code: 'E_NAME' },
  // E_MACRO
  { expression: '@every 5m', code: 'E_MACRO' },
  { expression: '@fortnightly', code: 'E_MACRO' },
  { expression: '@minutely', code: 'E_MACRO' },
  // E_UNSUPPORTED
  { expression: '@reboot', code: 'E_UNSUPPORTED' },
  { expression: '0 0 L-2 * *', code: 'E_UNSUPPORTED' },
  // E_NEVER
  { expression: '0 0 31 2 *', code: 'E_NEVER' },
  { expression: '0 0 30 2 *', code: 'E_NEVER' },
  { expression: '0 0 31 4,6,9,11 *', code: 'E_NEVER' },
  { expression: '0 0 30,31 2 *', code: 'E_NEVER' },
  { expression: '0 0 0 31 2 *', code: 'E_NEVER' },
  // Both day fields must match here (day-of-month starts with *): days 1, 11, 21, 31 are
  // never the fourth Sunday (22nd-28th), so no real date matches.
  { expression: '0 0 */10 * SUN#4', code: 'E_NEVER' },
  // E_TZ
  { expression: '0 0 * * *', zone: 'Mars/Olympus_Mons', code: 'E_TZ' },
  { expression: '0 0 * * *', zone: 'Not a zone', code: 'E_TZ' },
];

function refusalOf(expression: string, zone: string): ScheduleError {
  try {
    parseSchedule(expression, zone);
  } catch (error) {
    if (error instanceof ScheduleError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(expression)} in ${zone} to be refused`);
}

describe('refused expressions', () => {
  it.each(refusals)('refuses $expression with $code', ({ expression, code, zone }) => {
    expect(refusalOf(expression, zone ?? UTC).code).toBe(code);
  });

  it('refuses with a ScheduleError whose name says so', () => {
    const error = refusalOf('61 * * * *', UTC);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ScheduleError');
  });

  it.each([
    { expression: '0 0 31 2 MON', why: 'both day fields restricted, so any Monday in February' },
    { expression: '0 0 L 2 *', why: 'the last day exists in every month' },
    { expression: '0 0 29 2 *', why: 'the 29th of February exists in leap years' },
    { expression: '0 0 31 1-3 *', why: 'the 31st exists in January and March' },
    { expression: '*/15 2 * 3 SUN#2', why: 'it is valid even if it never fires in some zones' },
    { expression: '0 0 */7 * 1L', why: 'the 22nd or 29th is sometimes the last Monday' },
  ])('accepts $expression ($why)', ({ expression }) => {
    expect(() => parseSchedule(expression, 'America/New_York')).not.toThrow();
  });
});

describe('refusal messages', () => {
  it.each([
    { expression: '61 * * * *', field: 'minute', item: '61' },
    { expression: '0 24 * * *', field: 'hour', item: '24' },
    { expression: '0 0 32 * *', field: 'day-of-month', item: '32' },
    { expression: '0 0 * 13 *', field: 'month', item: '13' },
    { expression: '0 0 * * 8', field: 'day-of-week', item: '8' },
    { expression: '60 0 0 * * *', field: 'second', item: '60' },
    { expression: '0 0 * JANUARY *', field: 'month', item: 'JANUARY' },
    { expression: 'MON * * * *', field: 'minute', item: 'MON' },
    { expression: '0 */24 * * *', field: 'hour', item: '*/24' },
    { expression: '0 22-2 * * *', field: 'hour', item: '22-2' },
  ])('names the $field field and the item $item for $expression', ({ expression, field, item }) => {
    const error = refusalOf(expression, UTC);
    expect(error.message).toContain(field);
    expect(error.message).toContain(item);
    expect(error.field).toBe(field);
  });

  it('says which range a value is outside of', () => {
    expect(refusalOf('61 * * * *', UTC).message).toContain('0-59');
  });

  it.each([
    { cron: '0 22-2 * * *', hint: "'22-23,0-2'" },
    { cron: '0 0 * * SAT-MON', hint: "'6,0-1'" },
    { cron: '0 0 * * 7-1', hint: "'0-1'" },
    { cron: '0 0 20-5 * *', hint: "'20-31,1-5'" },
  ])('suggests the list a wrapping range $cron meant: $hint', ({ cron, hint }) => {
    const message = refusalOf(cron, UTC).message;
    expect(message).toContain(`use a list such as ${hint}`);
    const suggested = hint.slice(1, -1);
    const fields = cron.split(' ');
    const index = fields.findIndex((f) => f.includes('-'));
    fields[index] = suggested;
    expect(() => parseSchedule(fields.join(' '), UTC)).not.toThrow();
  });

  it('names the zone for an unknown time zone', () => {
    const error = refusalOf('0 0 * * *', 'Mars/Olympus_Mons');
    expect(error.message).toContain('Mars/Olympus_Mons');
    expect(error.field).toBe('timezone');
  });
});

describe('describeSchedule', () => {
  it('describes a daily fixed time in plain words with the zone', () => {
    expect(describeSchedule('0 2 * * *', UTC)).toBe('At 02:00, every day (UTC)');
  });

  it.each([
    { cron: '0 2 * * *', zone: 'Europe/Berlin' },
    { cron: '*/15 * * * *', zone: 'America/New_York' },
    { cron: '@weekly', zone: 'Australia/Lord_Howe' },
  ])('mentions the zone $zone for $cron', ({ cron, zone }) => {
    expect(describeSchedule(cron, zone)).toContain(zone);
  });

  it.each([
    { cron: '0 0 * * FRI#L', same: '0 0 * * 5L' },
    { cron: '0 0 * * 5#L', same: '0 0 * * 5L' },
    { cron: '0 9 * * MON#1,MON#L', same: '0 9 * * MON#1,MONL' },
  ])('describes $cron as it describes $same', ({ cron, same }) => {
    expect(describeSchedule(cron, UTC)).toBe(describeSchedule(same, UTC));
  });

  it('words d#L as the last weekday of the month', () => {
    expect(describeSchedule('0 0 * * FRI#L', UTC)).toBe('At 00:00, on the last Friday of the month (UTC)');
  });

  it('reads a day-of-week range covering the whole week as every day', () => {
    expect(describeSchedule('0 0 * * 0-7', UTC)).toBe('At 00:00, every day (UTC)');
  });

  it('says "only" when a stepped day-of-month must also be the given weekday', () => {
    expect(describeSchedule('0 0 */2 * MON', UTC)).toBe('At 00:00, every 2 days in a month, but only on Monday (UTC)');
    expect(describeSchedule('0 0 13 * FRI', UTC)).toBe('At 00:00, on day 13 of the month, and on Friday (UTC)');
  });
});
