/** A wall-clock reading in some zone; month 1-12, day 1-31, dayOfWeek 0 (Sunday)-6. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/**
 * Fixed-time schedules fire once per wall-clock match even across daylight-saving
 * transitions; interval schedules (minute or hour field starting with `*`) follow real
 * elapsed time. See SCHEDULING.md, "Time zones and daylight saving".
 */
export const ScheduleKind = { Fixed: 'fixed', Interval: 'interval' } as const;
export type ScheduleKind = (typeof ScheduleKind)[keyof typeof ScheduleKind];

/** A parsed cron expression plus its zone, ready for computing slots. */
export interface CompiledSchedule {
  readonly cronExpression: string;
  readonly timeZone: string;
  readonly kind: ScheduleKind;
  /** True when the expression had a leading seconds field. */
  readonly hasSeconds: boolean;
  /** Whether a wall-clock reading matches every field (date rules included). Zone-free. */
  matches(wall: WallTime): boolean;
  /** Whether any time of this calendar date matches the date fields. Zone-free. */
  matchesDate(year: number, month: number, day: number): boolean;
}
