// Calendar days of a job's time zone, for the Slots view: where a day starts (not always at a
// fixed offset from UTC), which week it is in, and when its clocks change. Pure: every instant
// is passed in (milliseconds since the epoch); days are "YYYY-MM-DD" strings.

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const partFormats = new Map<string, Intl.DateTimeFormat>();
const nameFormats = new Map<string, Intl.DateTimeFormat>();

function parts(zone: string): Intl.DateTimeFormat {
  let format = partFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    partFormats.set(zone, format);
  }
  return format;
}

/** The zone's wall clock at an instant, read as if it were UTC (milliseconds, whole seconds). */
function naive(zone: string, at: number): number {
  const field: Record<string, number> = {};
  for (const p of parts(zone).formatToParts(new Date(at))) if (p.type !== 'literal') field[p.type] = Number(p.value);
  return Date.UTC(field['year'] ?? 1970, (field['month'] ?? 1) - 1, field['day'] ?? 1, field['hour'] ?? 0, field['minute'] ?? 0, field['second'] ?? 0);
}

/** The zone's offset from UTC at an instant, in milliseconds (New York in winter: -18,000,000). */
export function offsetMs(zone: string, at: number): number {
  return naive(zone, at) - Math.floor(at / 1000) * 1000;
}

/** The zone's calendar day at an instant. */
export function dayOf(zone: string, at: number): string {
  return new Date(naive(zone, at)).toISOString().slice(0, 10);
}

/** "14:05" (or "14:05:30" when the seconds are not zero) of an instant on the zone's wall clock. */
export function wallTimeOf(zone: string, at: number): string {
  const text = new Date(naive(zone, at)).toISOString().slice(11, 19);
  return text.endsWith(':00') ? text.slice(0, 5) : text;
}

/** "EDT", "CET", "UTC", or "GMT+5:45" where the browser knows no abbreviation. */
export function zoneName(zone: string, at: number): string {
  let format = nameFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'short' });
    nameFormats.set(zone, format);
  }
  return format.formatToParts(new Date(at)).find((p) => p.type === 'timeZoneName')?.value ?? zone;
}

/** The day `count` days after `day` (before, when negative): calendar arithmetic, no zone. */
export function addDays(day: string, count: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + count * DAY_MS).toISOString().slice(0, 10);
}

/** The Monday of the week `day` is in (ISO weeks). */
export function weekStart(day: string): string {
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
  return addDays(day, -((weekday + 6) % 7));
}

/**
 * The first instant of a day in the zone. Usually local midnight; where the clocks skip
 * midnight (Santiago, Havana, …) the day starts at the first minute after the gap.
 */
export function dayStart(zone: string, day: string): number {
  const midnight = Date.parse(`${day}T00:00:00Z`);
  // Two rounds settle the offset, unless midnight falls in a transition.
  let at = midnight - offsetMs(zone, midnight);
  at = midnight - offsetMs(zone, at);
  // A skipped midnight: step forward a minute at a time (a gap is at most an hour or two).
  for (let step = 0; step < 180 && dayOf(zone, at) < day; step++) at += MINUTE_MS;
  // Before the real start (an offset read on the wrong side of a change): step back while still in the day.
  while (dayOf(zone, at - MINUTE_MS) === day) at -= MINUTE_MS;
  return at;
}

/** A change of the zone's clocks: the instant, and the wall times just before and from then. */
export interface ClockChange {
  at: number;
  /** "02:00": the wall clock reached this and jumped. */
  before: string;
  /** "03:00" (forward) or "01:00" (back). */
  after: string;
  forward: boolean;
}

/** The clock change between two instants of one day, if any (zones change at most once a day). */
export function clockChange(zone: string, start: number, end: number): ClockChange | null {
  const first = offsetMs(zone, start);
  const last = offsetMs(zone, end);
  if (first === last) return null;
  // The change is at a whole minute: halve the interval down to one.
  let low = start;
  let high = end;
  while (high - low > MINUTE_MS) {
    const middle = low + Math.floor((high - low) / 2 / MINUTE_MS) * MINUTE_MS || low + MINUTE_MS;
    if (offsetMs(zone, middle) === first) low = middle;
    else high = middle;
  }
  const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  return { at: high, before: hhmm(high + first), after: hhmm(high + last), forward: last > first };
}
