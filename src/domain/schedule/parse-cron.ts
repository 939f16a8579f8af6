import { type CronFieldName, ScheduleError, ScheduleErrorCode } from './schedule-error.js';
import { ScheduleKind } from './types.js';

/** Allowed values of a plain field, indexed by value. */
export type ValueSet = readonly boolean[];

export interface DayOfMonthSpec {
  values: ValueSet;
  /** `L` */
  last: boolean;
  /** `LW` */
  lastWeekday: boolean;
  /** `nW`: the weekday nearest to each listed day, never leaving the month. */
  nearestWeekday: readonly number[];
}

export interface DayOfWeekSpec {
  /** 0 = Sunday … 6 = Saturday (7 is folded into 0). */
  values: ValueSet;
  /** `d#k`: the k-th weekday d of the month. */
  nth: ReadonlyArray<{ weekday: number; occurrence: number }>;
  /** `dL` (or `d#L`): the last weekday d of the month. */
  last: readonly number[];
}

/** A cron expression split into checked fields; zone-free. */
export interface CronSpec {
  second: ValueSet;
  minute: ValueSet;
  hour: ValueSet;
  month: ValueSet;
  dayOfMonth: DayOfMonthSpec;
  dayOfWeek: DayOfWeekSpec;
  /**
   * Classic cron: when both day fields are restricted (neither starts with `*` or `?`), a
   * day matches if either matches; otherwise both must match.
   */
  eitherDayField: boolean;
  hasSeconds: boolean;
  kind: ScheduleKind;
  /** Six fields, seconds first, macros expanded, names upper-cased: for describing. */
  normalized: string;
}

interface FieldInfo {
  name: CronFieldName;
  min: number;
  max: number;
  names?: readonly string[];
  fullNames?: readonly string[];
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const MONTH_FULL_NAMES = [
  'JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER',
];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const DAY_FULL_NAMES = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];

const SECOND: FieldInfo = { name: 'second', min: 0, max: 59 };
const MINUTE: FieldInfo = { name: 'minute', min: 0, max: 59 };
const HOUR: FieldInfo = { name: 'hour', min: 0, max: 23 };
const DAY_OF_MONTH: FieldInfo = { name: 'day-of-month', min: 1, max: 31 };
// Month names map to 1-12: index + 1.
const MONTH: FieldInfo = { name: 'month', min: 1, max: 12, names: ['', ...MONTH_NAMES], fullNames: ['', ...MONTH_FULL_NAMES] };
// 7 is Sunday as well as 0; it is folded into 0 after parsing.
const DAY_OF_WEEK: FieldInfo = { name: 'day-of-week', min: 0, max: 7, names: DAY_NAMES, fullNames: DAY_FULL_NAMES };

/** The `@` macros (Vixie cron's, which crontab(5) and pg_cron share) as five-field crons; `@reboot` is not a schedule. */
export const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

function fail(code: ScheduleErrorCode, field: FieldInfo | undefined, message: string): never {
  throw new ScheduleError(code, field ? `${field.name} ${message}` : message, field?.name ?? 'expression');
}

/**
 * Parses a five- or six-field cron expression (or a macro) by SCHEDULING.md's rules.
 * Throws `ScheduleError` naming the field and item. Does not check E_NEVER or the zone.
 */
export function parseCron(expression: string): CronSpec {
  const trimmed = expression.trim();
  if (trimmed === '') fail(ScheduleErrorCode.Empty, undefined, 'cron expression is empty');

  let fields = trimmed.split(/\s+/);
  if (trimmed.startsWith('@')) {
    const macro = (fields[0] ?? '').toLowerCase();
    if (macro === '@reboot') fail(ScheduleErrorCode.Unsupported, undefined, "macro '@reboot' is not supported: a schedule needs a time");
    const expanded = fields.length === 1 ? MACROS[macro] : undefined;
    if (expanded === undefined) {
      fail(
        ScheduleErrorCode.Macro,
        undefined,
        `unknown macro '${trimmed}': use one of ${Object.keys(MACROS).join(' ')} or five cron fields`,
      );
    }
    fields = expanded.split(' ');
  }
  if (fields.length !== 5 && fields.length !== 6) {
    fail(
      ScheduleErrorCode.Fields,
      undefined,
      `cron expression has ${fields.length} ${fields.length === 1 ? 'field' : 'fields'}; expected 5 (minute hour day-of-month month day-of-week) or 6 (with a leading second)`,
    );
  }
  const hasSeconds = fields.length === 6;
  const [secondText, minuteText, hourText, domText, monthText, dowText] = (hasSeconds ? fields : ['0', ...fields]) as [
    string, string, string, string, string, string,
  ];

  const second = parsePlainField(secondText, SECOND);
  const minute = parsePlainField(minuteText, MINUTE);
  const hour = parsePlainField(hourText, HOUR);
  const dayOfMonth = parseDayOfMonth(domText);
  const month = parsePlainField(monthText, MONTH);
  const dayOfWeek = parseDayOfWeek(dowText);

  const unrestricted = (text: string) => text.startsWith('*') || text.startsWith('?');
  return {
    second,
    minute,
    hour,
    month,
    dayOfMonth,
    dayOfWeek,
    eitherDayField: !unrestricted(domText) && !unrestricted(dowText),
    hasSeconds,
    kind: minuteText.startsWith('*') || hourText.startsWith('*') ? ScheduleKind.Interval : ScheduleKind.Fixed,
    normalized: [secondText, minuteText, hourText, domText, monthText, dowText].join(' ').toUpperCase(),
  };
}

const ITEM_CHARACTERS = /^[0-9A-Za-z*?/#,-]*$/;

function splitItems(text: string, field: FieldInfo): string[] {
  const stray = [...text].find((c) => !ITEM_CHARACTERS.test(c));
  if (stray !== undefined) fail(ScheduleErrorCode.Syntax, field, `item '${text}' has an unexpected character '${stray}'`);
  const items = text.split(',');
  if (items.some((item) => item === '')) fail(ScheduleErrorCode.Syntax, field, `'${text}' has an empty list item`);
  if (items.length > 1 && items.includes('*')) {
    fail(ScheduleErrorCode.Syntax, field, `'${text}': '*' must stand alone in its field`);
  }
  if (text.includes('?')) {
    if (field !== DAY_OF_MONTH && field !== DAY_OF_WEEK) {
      fail(ScheduleErrorCode.Syntax, field, `'${text}': '?' is only allowed as the whole day-of-month or day-of-week field`);
    }
    if (text !== '?') fail(ScheduleErrorCode.Syntax, field, `'${text}': '?' must stand alone in its field`);
  }
  return items;
}

function emptySet(field: FieldInfo): boolean[] {
  return new Array<boolean>(field.max + 1).fill(false);
}

function parsePlainField(text: string, field: FieldInfo): boolean[] {
  const set = emptySet(field);
  for (const item of splitItems(text, field)) addItem(set, item, field);
  return set;
}

/** Adds one item to the set: `*`, `a`, `a-b`, a stepped star, `a-b/n` or `a/n`. */
function addItem(set: boolean[], item: string, field: FieldInfo): void {
  if (item === '?') {
    set.fill(true, field.min);
    return;
  }
  if (item.includes('#')) fail(ScheduleErrorCode.Syntax, field, `item '${item}': '#' is only allowed in day-of-week`);
  const slash = item.split('/');
  if (slash.length > 2) fail(ScheduleErrorCode.Syntax, field, `item '${item}' has more than one '/'`);
  const [base = '', stepText] = slash;
  let step = 1;
  if (stepText !== undefined) {
    if (stepText === '') fail(ScheduleErrorCode.Step, field, `item '${item}' is missing its step after '/'`);
    if (!/^\d+$/.test(stepText)) fail(ScheduleErrorCode.Syntax, field, `item '${item}' has a step '${stepText}' that is not a number`);
    step = Number(stepText);
    if (step === 0) fail(ScheduleErrorCode.Step, field, `item '${item}' has a step of 0`);
  }

  const rangeMax = field === DAY_OF_WEEK ? 6 : field.max;
  let low: number;
  let high: number;
  if (base === '*') {
    low = field.min;
    high = rangeMax;
  } else if (base.includes('*')) {
    fail(ScheduleErrorCode.Syntax, field, `item '${item}': '*' must stand alone or as '*/n'`);
  } else if (base.startsWith('-')) {
    fail(ScheduleErrorCode.Syntax, field, `item '${item}' is a negative number`);
  } else if (base.includes('-')) {
    const parts = base.split('-');
    if (parts.length !== 2 || parts[1] === '') fail(ScheduleErrorCode.Syntax, field, `item '${item}' is an incomplete range`);
    low = parseValue(parts[0] ?? '', field, item);
    high = parseValue(parts[1] ?? '', field, item);
    // A day-of-week range may wrap to Sunday (FRI-SUN, 5-0): read its end as 7.
    if (field === DAY_OF_WEEK && high === 0 && low > 0) high = 7;
    if (low > high) {
      fail(
        ScheduleErrorCode.Range,
        field,
        `range '${base}' is reversed: use a list such as '${wrappedRangeHint(low, high, field, rangeMax)}'`,
      );
    }
  } else {
    low = parseValue(base, field, item);
    // `a/n` means `a-max/n` (Quartz's `0/15`); a plain `a` is itself.
    high = stepText === undefined ? low : rangeMax;
  }

  if (stepText !== undefined && step > high - low) {
    const span = `${low}-${high}`;
    fail(
      ScheduleErrorCode.Step,
      field,
      `item '${item}' has a step of ${step}, larger than its range ${span}: it would select only ${low}; write '${low}' if that is meant`,
    );
  }
  for (let v = low; v <= high; v += step) set[v] = true;
}

/** The list an operator meant by a reversed range: `22-2` in hours → `22-23,0-2`. */
function wrappedRangeHint(low: number, high: number, field: FieldInfo, rangeMax: number): string {
  const span = (a: number, b: number) => (a === b ? `${a}` : `${a}-${b}`);
  // In day-of-week, 7 is Sunday again: `7-1` means `0-1`.
  const head = low > rangeMax ? [] : [span(low, rangeMax)];
  return [...head, span(field.min, high)].join(',');
}

function isName(text: string, field: FieldInfo): boolean {
  const upper = text.toUpperCase();
  return Boolean(field.names?.includes(upper) || field.fullNames?.includes(upper));
}

function parseValue(text: string, field: FieldInfo, item: string): number {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value < field.min || value > field.max) {
      fail(ScheduleErrorCode.Range, field, `value ${value} is out of range ${field.min}-${field.max}`);
    }
    return value;
  }
  if (/^[A-Za-z]+$/.test(text)) {
    const upper = text.toUpperCase();
    if (!field.names) fail(ScheduleErrorCode.Name, field, `does not accept names: '${text}' in '${item}'`);
    const index = field.names.indexOf(upper);
    if (index > 0 || (index === 0 && field.names[0] !== '')) return index;
    const full = field.fullNames?.indexOf(upper) ?? -1;
    if (full >= 0) {
      fail(ScheduleErrorCode.Name, field, `name '${text}' is a full name: use the three-letter '${field.names[full]}'`);
    }
    fail(ScheduleErrorCode.Name, field, `name '${text}' is unknown: use one of ${field.names.filter(Boolean).join(' ')}`);
  }
  if (text === '') fail(ScheduleErrorCode.Syntax, field, `item '${item}' is an incomplete range`);
  fail(ScheduleErrorCode.Syntax, field, `item '${item}' has a malformed value '${text}'`);
}

function parseDayOfMonth(text: string): DayOfMonthSpec {
  const field = DAY_OF_MONTH;
  const items = splitItems(text, field);
  const values = emptySet(field);
  let last = false;
  let lastWeekday = false;
  const nearestWeekday: number[] = [];
  for (const item of items) {
    const upper = item.toUpperCase();
    if (/^L-/.test(upper)) fail(ScheduleErrorCode.Unsupported, field, `item '${item}': 'L-n' offsets are not supported`);
    if (upper === 'L') {
      last = true;
    } else if (upper.endsWith('W')) {
      if (items.length > 1) fail(ScheduleErrorCode.Syntax, field, `item '${item}': 'W' is not allowed inside a list`);
      if (upper === 'LW') {
        lastWeekday = true;
      } else {
        const day = upper.slice(0, -1);
        if (!/^\d+$/.test(day)) fail(ScheduleErrorCode.Syntax, field, `item '${item}': 'W' applies to a single day such as '15W'`);
        const n = Number(day);
        if (n < 1 || n > 31) fail(ScheduleErrorCode.Range, field, `item '${item}': day ${n} is out of range 1-31`);
        nearestWeekday.push(n);
      }
    } else if (upper.includes('L') || upper.includes('W')) {
      fail(ScheduleErrorCode.Syntax, field, `item '${item}': 'L' and 'W' stand alone ('L', 'LW', '15W')`);
    } else {
      addItem(values, item, field);
    }
  }
  return { values, last, lastWeekday, nearestWeekday };
}

function parseDayOfWeek(text: string): DayOfWeekSpec {
  const field = DAY_OF_WEEK;
  const values = emptySet(field);
  const nth: Array<{ weekday: number; occurrence: number }> = [];
  const last: number[] = [];
  for (const item of splitItems(text, field)) {
    let upper = item.toUpperCase();
    // `d#L` is another spelling of `dL` (croner and Quartz-style tools write it).
    if (/^[^#]+#L$/.test(upper)) upper = `${upper.slice(0, -2)}L`;
    if (upper.includes('#')) {
      const [day = '', occurrence = '', ...rest] = upper.split('#');
      if (rest.length > 0 || occurrence === '' || !/^\d+$/.test(occurrence)) {
        fail(ScheduleErrorCode.Syntax, field, `item '${item}' is malformed: write 'd#k' such as 'MON#2', or 'd#L' such as 'FRI#L'`);
      }
      if (day.includes('-') || day.includes('/') || day.includes('*') || day === '') {
        fail(ScheduleErrorCode.Syntax, field, `item '${item}': '#' applies to a single day, not a range`);
      }
      const weekday = parseValue(day, field, item) % 7;
      const k = Number(occurrence);
      if (k < 1 || k > 5) fail(ScheduleErrorCode.Range, field, `item '${item}': occurrence ${k} is out of range 1-5`);
      nth.push({ weekday, occurrence: k });
    } else if (upper.endsWith('L') && !isName(upper, field)) {
      const day = upper.slice(0, -1);
      if (day === '') fail(ScheduleErrorCode.Syntax, field, `item '${item}': 'L' alone is not allowed here; write 'dL' such as '5L' (last Friday)`);
      if (day.startsWith('-') || day.includes('/') || day.includes('*') || day.includes('-')) {
        fail(ScheduleErrorCode.Syntax, field, `item '${item}': 'L' applies to a single day, not a range`);
      }
      last.push(parseValue(day, field, item) % 7);
    } else {
      addItem(values, item, field);
    }
  }
  // Sunday is both 0 and 7.
  if (values[7]) values[0] = true;
  return { values: values.slice(0, 7), nth, last };
}
