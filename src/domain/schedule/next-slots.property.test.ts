import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { nextSlots, parseSchedule } from './index.js';
import { bruteForceSlots, utcOffsetMinutes } from '../../../test/support/brute-force-slots.js';

/**
 * nextSlots against a minute-by-minute brute-force walk (test/support/brute-force-slots.ts)
 * that reads wall time with its own Intl code and applies SCHEDULING.md's daylight-saving
 * table through `CompiledSchedule.matches` and `.kind` only.
 *
 * Runs with fast-check's random seed; a failure prints the seed and path to replay it
 * (`fc.assert(..., { seed, path })`).
 */

/** How far the brute force walks; only slots inside this window are compared. */
const WINDOW_DAYS = 120;

/**
 * First instant of each new offset in 2025-2027, read with Intl (checked below). `after`
 * is drawn near these (within hours or days) three times in four.
 */
const transitionsByZone: Record<string, string[]> = {
  'America/New_York': [
    '2025-03-09T07:00:00Z', '2025-11-02T06:00:00Z', '2026-03-08T07:00:00Z',
    '2026-11-01T06:00:00Z', '2027-03-14T07:00:00Z', '2027-11-07T06:00:00Z',
  ],
  'Europe/Berlin': [
    '2025-03-30T01:00:00Z', '2025-10-26T01:00:00Z', '2026-03-29T01:00:00Z',
    '2026-10-25T01:00:00Z', '2027-03-28T01:00:00Z', '2027-10-31T01:00:00Z',
  ],
  'Australia/Sydney': [
    '2025-04-05T16:00:00Z', '2025-10-04T16:00:00Z', '2026-04-04T16:00:00Z',
    '2026-10-03T16:00:00Z', '2027-04-03T16:00:00Z', '2027-10-02T16:00:00Z',
  ],
  'Australia/Lord_Howe': [
    '2025-04-05T15:00:00Z', '2025-10-04T15:30:00Z', '2026-04-04T15:00:00Z',
    '2026-10-03T15:30:00Z', '2027-04-03T15:00:00Z', '2027-10-02T15:30:00Z',
  ],
  'Pacific/Chatham': [
    '2025-04-05T14:00:00Z', '2025-09-27T14:00:00Z', '2026-04-04T14:00:00Z',
    '2026-09-26T14:00:00Z', '2027-04-03T14:00:00Z', '2027-09-25T14:00:00Z',
  ],
};

const zones = [
  'UTC',
  'America/New_York',
  'Europe/Berlin',
  'Australia/Sydney',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Asia/Kathmandu',
  'Asia/Kolkata',
  'America/Sao_Paulo',
] as const;

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const RANGE_START = Date.parse('2025-01-01T00:00:00Z');
const RANGE_END = Date.parse('2027-12-31T00:00:00Z');

// ---------------------------------------------------------------------------------------
// Expression pieces. Every generated expression is valid by SCHEDULING.md, so a refusal by
// parseSchedule is itself a failure. Steps never exceed their range; day-of-month values
// stay within 1-28 so no month/day combination can be E_NEVER.
// ---------------------------------------------------------------------------------------

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** Random letter case for a name: "mon", "MON", "Mon", "mOn"… */
const anyCase = (name: string): fc.Arbitrary<string> =>
  fc
    .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
    .map((upper) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join(''));

/** a-b with a < b inside [min, max], optionally a-b/n with 1 <= n <= (b-a)/2. */
const rangeItem = (min: number, max: number, withStep: boolean): fc.Arbitrary<string> =>
  fc
    .tuple(fc.integer({ min, max: max - 1 }), fc.integer({ min: 1, max: max - min }))
    .chain(([a, width]) => {
      const b = Math.min(max, a + width);
      if (!withStep || b - a < 2) return fc.constant(`${a}-${b}`);
      return fc.integer({ min: 1, max: Math.floor((b - a) / 2) }).map((n) => `${a}-${b}/${n}`);
    });

/** a/n (= a-max/n) with n at most half of what is left. */
const startStepItem = (min: number, max: number): fc.Arbitrary<string> =>
  fc.integer({ min, max: max - 2 }).chain((a) =>
    fc.integer({ min: 1, max: Math.max(1, Math.floor((max - a) / 2)) }).map((n) => `${a}/${n}`),
  );

const listOf = (item: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.array(item, { minLength: 2, maxLength: 4 }).map((items) => items.join(','));

const minuteField: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constant('*'), weight: 2 },
  { arbitrary: fc.integer({ min: 1, max: 30 }).map((n) => `*/${n}`), weight: 3 },
  { arbitrary: fc.integer({ min: 0, max: 59 }).map(String), weight: 4 },
  { arbitrary: listOf(fc.integer({ min: 0, max: 59 }).map(String)), weight: 2 },
  { arbitrary: rangeItem(0, 59, true), weight: 2 },
  { arbitrary: startStepItem(0, 59), weight: 2 },
);

/** Hours 0-4 hold every transition of the zones above, so they are drawn often. */
const smallHour = fc.integer({ min: 0, max: 4 });
const anyHour = fc.integer({ min: 0, max: 23 });
const hourField: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constant('*'), weight: 2 },
  { arbitrary: fc.integer({ min: 1, max: 12 }).map((n) => `*/${n}`), weight: 2 },
  { arbitrary: smallHour.map(String), weight: 4 },
  { arbitrary: anyHour.map(String), weight: 2 },
  { arbitrary: listOf(fc.oneof(smallHour, anyHour).map(String)), weight: 2 },
  { arbitrary: rangeItem(0, 5, false), weight: 2 },
  { arbitrary: rangeItem(0, 23, true), weight: 1 },
  { arbitrary: startStepItem(0, 23), weight: 1 },
);

const dayOfMonthField: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constant('*'), weight: 10 },
  { arbitrary: fc.constant('?'), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 28 }).map(String), weight: 2 },
  { arbitrary: listOf(fc.integer({ min: 1, max: 28 }).map(String)), weight: 1 },
  { arbitrary: rangeItem(1, 28, true), weight: 2 },
  { arbitrary: fc.integer({ min: 1, max: 15 }).map((n) => `*/${n}`), weight: 1 },
  { arbitrary: fc.constantFrom('L', 'LW'), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 28 }).map((n) => `${n}W`), weight: 1 },
);

const monthField: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constant('*'), weight: 12 },
  { arbitrary: fc.integer({ min: 1, max: 6 }).map((n) => `*/${n}`), weight: 1 },
  {
    arbitrary: fc
      .uniqueArray(fc.integer({ min: 0, max: 11 }), { minLength: 3, maxLength: 6 })
      .chain((months) => fc.tuple(...months.map((m) => anyCase(MONTH_NAMES[m] ?? 'JAN'))))
      .map((names) => names.join(',')),
    weight: 1,
  },
  { arbitrary: rangeItem(1, 12, false), weight: 1 },
);

const dayOfWeekValue = fc.integer({ min: 0, max: 6 });
const dayOfWeekField: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constant('*'), weight: 10 },
  { arbitrary: fc.integer({ min: 0, max: 7 }).map(String), weight: 2 },
  { arbitrary: dayOfWeekValue.chain((d) => anyCase(DAY_NAMES[d] ?? 'SUN')), weight: 2 },
  { arbitrary: fc.constantFrom('MON-FRI', 'FRI-SUN', 'sat-sun', '5-7', '1-5', '0-3'), weight: 2 },
  { arbitrary: listOf(fc.integer({ min: 0, max: 7 }).map(String)), weight: 1 },
  {
    arbitrary: fc
      .tuple(fc.oneof(dayOfWeekValue.map(String), fc.constantFrom(...DAY_NAMES)), fc.integer({ min: 1, max: 5 }))
      .map(([d, k]) => `${d}#${k}`),
    weight: 2,
  },
  { arbitrary: dayOfWeekValue.map((d) => `${d}L`), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 3 }).map((n) => `*/${n}`), weight: 1 },
);

const fiveFieldExpression: fc.Arbitrary<string> = fc
  .tuple(minuteField, hourField, dayOfMonthField, monthField, dayOfWeekField)
  .map(([minute, hour, dom, month, dow]) => {
    // `?` may stand for one day field; never both.
    const dayOfWeek = dom === '?' && dow === '?' ? '*' : dow;
    // A `*/n` day-of-month must match together with the day of week; with `d#k` or `dL`
    // that can match no real date (`*/10` and `0#4`), which is E_NEVER, so use `*` there.
    const dayOfMonth = dom.startsWith('*/') && /[#L]/.test(dayOfWeek) ? '*' : dom;
    return [minute, hour, dayOfMonth, month, dayOfWeek].join(' ');
  });

const expression: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fiveFieldExpression, weight: 20 },
  { arbitrary: fc.constantFrom('@hourly', '@daily', '@midnight', '@weekly', '@monthly'), weight: 1 },
);

const zoneAndAfter: fc.Arbitrary<{ zone: string; after: Date }> = fc.constantFrom(...zones).chain((zone) => {
  const transitions = transitionsByZone[zone] ?? [];
  const anywhere = fc.integer({ min: RANGE_START, max: RANGE_END });
  const nearTransition =
    transitions.length === 0
      ? anywhere
      : fc
          .tuple(
            fc.constantFrom(...transitions),
            fc.oneof(
              fc.integer({ min: -3 * HOUR_MS, max: HOUR_MS }),
              fc.integer({ min: -3 * DAY_MS, max: DAY_MS }),
            ),
          )
          .map(([at, delta]) => Date.parse(at) + delta);
  // Whole minutes most of the time (then `after` may itself be a slot), else any millisecond.
  const instant = fc
    .tuple(
      fc.oneof({ arbitrary: anywhere, weight: 1 }, { arbitrary: nearTransition, weight: 3 }),
      fc.boolean(),
    )
    .map(([ms, wholeMinute]) => (wholeMinute ? Math.floor(ms / MINUTE_MS) * MINUTE_MS : ms));
  return instant.map((ms) => ({ zone, after: new Date(ms) }));
});

const scenario = fc.record({
  cron: expression,
  where: zoneAndAfter,
  count: fc.integer({ min: 1, max: 20 }),
});

describe('nextSlots (property)', () => {
  it('returns increasing whole-second slots strictly after the start that equal a minute-by-minute walk', () => {
    fc.assert(
      fc.property(scenario, ({ cron, where: { zone, after }, count }) => {
        const schedule = parseSchedule(cron, zone);
        const slots = nextSlots(cron, zone, after, count);

        expect(slots.length).toBeLessThanOrEqual(count);
        let previous = after.getTime();
        for (const slot of slots) {
          expect(slot.getTime()).toBeGreaterThan(previous);
          expect(slot.getTime() % 1000).toBe(0);
          previous = slot.getTime();
        }

        const walked = bruteForceSlots(schedule, zone, after, count, WINDOW_DAYS);
        const inWindow = slots.filter((slot) => slot < walked.windowEnd);
        expect(inWindow.map((slot) => slot.toISOString())).toEqual(
          walked.slots.map((slot) => slot.toISOString()),
        );
        // When the walk found fewer than `count` slots, any further slots of nextSlots lie
        // beyond the walked window and are not compared.
      }),
      { numRuns: 400 },
    );
  }, 60_000);

  it('gives the same slots when asked again from the last slot it returned', () => {
    fc.assert(
      fc.property(scenario, ({ cron, where: { zone, after }, count }) => {
        const all = nextSlots(cron, zone, after, count + 5);
        const first = nextSlots(cron, zone, after, count);
        const last = first.at(-1);
        if (last === undefined) return;
        const rest = nextSlots(cron, zone, last, 5);
        expect([...first, ...rest].map((s) => s.toISOString())).toEqual(all.map((s) => s.toISOString()));
      }),
      { numRuns: 200 },
    );
  }, 60_000);
});

const transitionRows = Object.entries(transitionsByZone).flatMap(([zone, instants]) =>
  instants.map((at) => ({ zone, at })),
);

describe('the transition instants the generator leans on', () => {
  it.each(transitionRows)('changes the offset of $zone at $at', ({ zone, at }) => {
    const instant = Date.parse(at);
    expect(utcOffsetMinutes(zone, instant - MINUTE_MS)).not.toBe(utcOffsetMinutes(zone, instant));
    expect(utcOffsetMinutes(zone, instant - 2 * MINUTE_MS)).toBe(utcOffsetMinutes(zone, instant - MINUTE_MS));
  });
});

/** Starts at and around each transition instant, where off-by-one mistakes live. */
const edgeDeltasMs = [-HOUR_MS, -30 * MINUTE_MS, -MINUTE_MS - 1000, -MINUTE_MS, -1000, -1, 0, 1, 1000, MINUTE_MS];
const edgeCrons = [
  '0 1 * * *',
  '30 1 * * *',
  '0 2 * * *',
  '30 2 * * *',
  '0 3 * * *',
  '45 2 * * *',
  '0,30 0-4 * * *',
  '*/15 0-4 * * *',
  '30 * * * *',
  '* 2 * * *',
];

describe('nextSlots right at the edges of each 2025-2027 transition', () => {
  it.each(transitionRows)('matches the minute-by-minute walk for starts around $at in $zone', ({ zone, at }) => {
    const mismatches: string[] = [];
    for (const cron of edgeCrons) {
      const schedule = parseSchedule(cron, zone);
      for (const delta of edgeDeltasMs) {
        const after = new Date(Date.parse(at) + delta);
        const walked = bruteForceSlots(schedule, zone, after, 4, 2);
        const got = nextSlots(cron, zone, after, 4)
          .filter((slot) => slot < walked.windowEnd)
          .map((slot) => slot.toISOString());
        const expected = walked.slots.map((slot) => slot.toISOString());
        if (got.join() !== expected.join()) {
          mismatches.push(`'${cron}' after ${after.toISOString()}: expected [${expected.join(' ')}], got [${got.join(' ')}]`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });
});
