import { compileSchedule, type CronSchedule } from '../schedule/compile.js';
import { slotsAfter } from '../schedule/next-slots.js';
import type { ImportedAction, ImportEntry } from './types.js';

/**
 * Untangling imported schedules: the entries a scheduler accumulated for one task (a
 * duplicate, an every-5 beside an every-15, an EDT/EST pair for one wall-clock time) become
 * one config each, and every entry says what became of it. The rules apply in order:
 *
 * 1. entries with the same command (method, URL, headers, body; or the SQL text; or the
 *    program and its arguments) form a group;
 * 2. in a group, entries with the same schedule are duplicates of the first;
 * 3. with a zone, two daily or weekly entries whose UTC times differ by the zone's
 *    daylight-saving shift and fall on the same wall-clock time there (one in daylight
 *    time, one in standard time) are twins: one entry at that wall-clock time in the zone;
 * 4. an entry each of whose slots over the next HORIZON_DAYS is also a slot of another entry
 *    of the group is subsumed by it.
 *
 * An entry that runs (active) is never dropped in favour of one that does not.
 */

/** How far ahead subsumption compares slots: over a year, so that both sides of every daylight-saving change are seen. */
export const HORIZON_DAYS = 400;
/** Slots enumerated per entry at most (every minute for 400 days is 576,000); beyond, slots are matched one by one. */
const MAX_ENUMERATED_SLOTS = 600_000;
const DAY_MS = 86_400_000;

export type EntryOutcome = 'config' | 'duplicate' | 'twin' | 'subsumed';

/** What became of one source entry. */
export interface PlannedEntry {
  key: string;
  original: string;
  outcome: EntryOutcome;
  /** The id of the config it became, or of the config that now covers it. */
  config: string;
  /** For duplicate, twin and subsumed: the entry it was merged into. */
  of?: string;
  /** In plain words, why. */
  detail: string;
}

/** A config to create: one per remaining (group, schedule). */
export interface PlannedConfig {
  id: string;
  /** The first entry's name: the config's title. */
  name: string;
  /** The keys of every entry it covers, its own first. */
  entries: string[];
  cron: string;
  timezone: string;
  active: boolean;
  action: ImportedAction;
  notes: string[];
}

export interface ImportPlan {
  configs: PlannedConfig[];
  /** Every source entry, in the order given. */
  entries: PlannedEntry[];
}

export interface UntangleOptions {
  /** The zone whose daylight-saving twins are merged (rule 3); without it, no twins. */
  zone?: string;
  /** Where the subsumption horizon starts. */
  now: Date;
  /** Ids already taken (configs stored): new ids avoid them. */
  takenIds?: ReadonlySet<string>;
}

interface Candidate {
  entry: ImportEntry;
  index: number;
  cron: string;
  timezone: string;
  /** Keys merged into this one (duplicates, twins). */
  covers: string[];
}

/** The plan for a set of imported entries (see the rules above). */
export function planImport(entries: readonly ImportEntry[], options: UntangleOptions): ImportPlan {
  const outcomes: Outcomes = new Map();
  const groups = new Map<string, Candidate[]>();
  entries.forEach((entry, index) => {
    const key = actionKey(entry.action);
    const candidate: Candidate = { entry, index, cron: normaliseCron(entry.cron), timezone: entry.timezone, covers: [] };
    groups.set(key, [...(groups.get(key) ?? []), candidate]);
  });

  const remaining: Candidate[] = [];
  for (const group of groups.values()) {
    const kept = dropDuplicates(group, outcomes);
    const merged = options.zone ? mergeTwins(kept, options.zone, options.now, outcomes) : kept;
    remaining.push(...dropSubsumed(merged, options.now, outcomes));
  }
  remaining.sort((a, b) => a.index - b.index);

  const taken = new Set(options.takenIds ?? []);
  const idOf = new Map<string, string>();
  const configs = remaining.map((candidate): PlannedConfig => {
    const id = uniqueId(configId(candidate.entry.name), taken);
    taken.add(id);
    idOf.set(candidate.entry.key, id);
    return {
      id,
      name: candidate.entry.name,
      entries: [candidate.entry.key, ...candidate.covers],
      cron: candidate.cron,
      timezone: candidate.timezone,
      active: candidate.entry.active,
      action: candidate.entry.action,
      notes: [...(candidate.entry.notes ?? [])],
    };
  });
  // A dropped entry's config is that of the entry it went into, followed to the end of the chain.
  const configFor = (key: string): string => {
    const own = idOf.get(key);
    if (own !== undefined) return own;
    const dropped = outcomes.get(key);
    return dropped ? configFor(dropped.target) : '';
  };
  for (const config of configs) {
    for (const key of [...outcomes.keys()]) if (configFor(key) === config.id && !config.entries.includes(key)) config.entries.push(key);
  }
  return {
    configs,
    entries: entries.map((entry): PlannedEntry => {
      const dropped = outcomes.get(entry.key);
      if (!dropped) return { key: entry.key, original: entry.original, outcome: 'config', config: configFor(entry.key), detail: `became config ${configFor(entry.key)}` };
      const { target, ...rest } = dropped;
      return { ...rest, config: configFor(target) };
    }),
  };
}

/** Rule 2: one of each schedule; the representative is the first entry that runs (else the first). */
function dropDuplicates(group: Candidate[], outcomes: Outcomes): Candidate[] {
  const bySchedule = new Map<string, Candidate[]>();
  for (const candidate of group) {
    const key = `${candidate.cron}|${candidate.timezone}`;
    bySchedule.set(key, [...(bySchedule.get(key) ?? []), candidate]);
  }
  const kept: Candidate[] = [];
  for (const same of bySchedule.values()) {
    const representative = same.find((c) => c.entry.active) ?? (same[0] as Candidate);
    for (const other of same) {
      if (other === representative) continue;
      merge(outcomes, other, representative, 'duplicate', `the same command on the same schedule (${representative.cron}${zoneSuffix(representative.timezone)})`);
    }
    kept.push(representative);
  }
  return kept.sort((a, b) => a.index - b.index);
}

/** A daily or weekly UTC schedule: fixed second, minute and hour, every day of every month, some days of the week. */
interface DailyTime {
  second: number;
  /** Minutes after midnight, UTC. */
  minute: number;
  weekdays: string;
}

function dailyTime(candidate: Candidate): DailyTime | undefined {
  if (candidate.timezone !== 'UTC') return undefined;
  const fields = candidate.cron.split(' ');
  const [second, minute, hour, dayOfMonth, month, weekdays] = fields.length === 6 ? fields : ['0', ...fields];
  const whole = (text: string | undefined, max: number) => (text !== undefined && /^\d+$/.test(text) && Number(text) <= max ? Number(text) : undefined);
  const s = whole(second, 59);
  const m = whole(minute, 59);
  const h = whole(hour, 23);
  if (s === undefined || m === undefined || h === undefined || dayOfMonth !== '*' || month !== '*' || weekdays === undefined) return undefined;
  return { second: s, minute: h * 60 + m, weekdays };
}

/** The zone's offsets from UTC in minutes, standard and daylight (equal in a zone without daylight-saving time). */
export function zoneOffsets(zone: string, now: Date): { standard: number; daylight: number } {
  const year = now.getUTCFullYear();
  const offsets = [0, 3, 6, 9].map((month) => offsetMinutes(zone, new Date(Date.UTC(year, month, 1, 12))));
  return { standard: Math.min(...offsets), daylight: Math.max(...offsets) };
}

/** The zone's offset from UTC at an instant, in minutes (from Intl's "GMT+05:30"). */
function offsetMinutes(zone: string, at: Date): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }).formatToParts(at).find((part) => part.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  if (!match) return 0;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
}

const WEEKDAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** The weekday field moved by whole days (wall-clock time crossing midnight from UTC); undefined when it cannot be read. */
function shiftWeekdays(field: string, days: number): string | undefined {
  if (field === '*' || days === 0) return field;
  const list: number[] = [];
  for (const item of field.split(',')) {
    const range = /^(\w+)(?:-(\w+))?$/.exec(item);
    if (!range) return undefined;
    const day = (text: string) => (/^\d$/.test(text) ? Number(text) % 7 : WEEKDAY_NAMES.indexOf(text.toUpperCase()));
    const from = day(range[1] as string);
    const to = range[2] === undefined ? from : day(range[2]);
    if (from < 0 || to < 0) return undefined;
    for (let d = from; ; d = (d + 1) % 7) {
      list.push(d);
      if (d === to) break;
    }
  }
  return [...new Set(list.map((d) => (((d + days) % 7) + 7) % 7))].sort((a, b) => a - b).join(',');
}

const clock = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** Rule 3: pairs of daily/weekly UTC entries that are one wall-clock time in `zone`, across its daylight-saving shift. */
function mergeTwins(group: Candidate[], zone: string, now: Date, outcomes: Outcomes): Candidate[] {
  const { standard, daylight } = zoneOffsets(zone, now);
  if (standard === daylight) return group;
  const kept = [...group];
  for (let i = 0; i < kept.length; i++) {
    const a = kept[i] as Candidate;
    const at = dailyTime(a);
    if (!at) continue;
    for (let j = i + 1; j < kept.length; j++) {
      const b = kept[j] as Candidate;
      const bt = dailyTime(b);
      if (!bt || bt.second !== at.second || bt.weekdays !== at.weekdays || a.entry.active !== b.entry.active) continue;
      // Which of the two is the daylight-time one: its UTC time plus the daylight offset is the other's plus the standard offset.
      const pair = (at.minute + daylight - (bt.minute + standard)) % 1440 === 0 ? { day: a, std: b, dayAt: at } : (bt.minute + daylight - (at.minute + standard)) % 1440 === 0 ? { day: b, std: a, dayAt: bt } : undefined;
      if (!pair) continue;
      const wall = (((pair.dayAt.minute + daylight) % 1440) + 1440) % 1440;
      const dayShift = Math.floor((pair.dayAt.minute + daylight) / 1440);
      const weekdays = shiftWeekdays(pair.dayAt.weekdays, dayShift);
      if (weekdays === undefined) continue;
      const minute = wall % 60;
      const hour = Math.floor(wall / 60);
      const fields = [String(minute), String(hour), '*', '*', weekdays];
      const cron = (at.second === 0 ? fields : [String(at.second), ...fields]).join(' ');
      // The first of the two (in source order) carries on, at the wall-clock time in the zone.
      const [first, second] = a.index < b.index ? [a, b] : [b, a];
      const names = `${pair.day.entry.key} (${pair.day.cron} UTC) is ${clock(wall)} ${zone} in daylight time, ${pair.std.entry.key} (${pair.std.cron} UTC) the same time in standard time`;
      merge(outcomes, second, first, 'twin', `${names}; one config at ${cron} in ${zone}`);
      first.cron = cron;
      first.timezone = zone;
      kept.splice(j, 1);
      break;
    }
  }
  return kept;
}

/** Rule 4: densest first; an entry whose every slot over the horizon is a slot of one already kept (and that runs if it runs) is subsumed by it. */
function dropSubsumed(group: Candidate[], now: Date, outcomes: Outcomes): Candidate[] {
  if (group.length < 2) return group;
  const until = new Date(now.getTime() + HORIZON_DAYS * DAY_MS);
  const slots = new Map<Candidate, { compiled: CronSchedule; times: number[] | undefined }>();
  for (const candidate of group) {
    const compiled = compileSchedule(candidate.cron, candidate.timezone);
    slots.set(candidate, { compiled, times: enumerate(compiled, now, until) });
  }
  const count = (candidate: Candidate) => slots.get(candidate)?.times?.length ?? MAX_ENUMERATED_SLOTS + 1;
  const order = [...group].sort((a, b) => count(b) - count(a) || a.index - b.index);
  const kept: Candidate[] = [];
  const sets = new Map<Candidate, Set<number>>();
  for (const candidate of order) {
    const own = slots.get(candidate) as { compiled: CronSchedule; times: number[] | undefined };
    const by = kept.find((other) => (other.entry.active || !candidate.entry.active) && own.times !== undefined && covers(other, own.times));
    if (!by) {
      kept.push(candidate);
      continue;
    }
    merge(outcomes, candidate, by, 'subsumed', `every run of ${candidate.cron}${zoneSuffix(candidate.timezone)} in the next ${HORIZON_DAYS} days is also a run of ${by.cron}${zoneSuffix(by.timezone)}`);
  }
  return kept.sort((a, b) => a.index - b.index);

  function covers(other: Candidate, times: number[]): boolean {
    const theirs = slots.get(other) as { compiled: CronSchedule; times: number[] | undefined };
    if (theirs.times !== undefined) {
      let set = sets.get(other);
      if (!set) sets.set(other, (set = new Set(theirs.times)));
      return times.every((time) => (set as Set<number>).has(time));
    }
    // Too many to list: is each of ours the next slot of theirs from just before it?
    return times.every((time) => slotsAfter(theirs.compiled, new Date(time - 1000), 1)[0]?.getTime() === time);
  }
}

/** Every slot in [now, until), or undefined when there are more than MAX_ENUMERATED_SLOTS. */
function enumerate(compiled: CronSchedule, now: Date, until: Date): number[] | undefined {
  const times: number[] = [];
  let after = new Date(now.getTime() - 1000);
  for (;;) {
    const batch = slotsAfter(compiled, after, 5000);
    for (const slot of batch) {
      if (slot >= until) return times;
      times.push(slot.getTime());
      if (times.length > MAX_ENUMERATED_SLOTS) return undefined;
    }
    if (batch.length < 5000) return times;
    after = batch[batch.length - 1] as Date;
  }
}

type Outcomes = Map<string, Omit<PlannedEntry, 'config'> & { target: string }>;

const LEAD: Record<Exclude<EntryOutcome, 'config'>, string> = { duplicate: 'duplicate of', twin: 'twin of', subsumed: 'subsumed by' };

/** Records that `dropped` goes into `into` (which then covers it and whatever it covered), and why. */
function merge(outcomes: Outcomes, dropped: Candidate, into: Candidate, outcome: Exclude<EntryOutcome, 'config'>, why: string): void {
  into.covers.push(dropped.entry.key, ...dropped.covers);
  const { key, original } = dropped.entry;
  outcomes.set(key, { key, original, outcome, of: into.entry.key, target: into.entry.key, detail: `${LEAD[outcome]} ${into.entry.key}: ${why}` });
}

const zoneSuffix = (zone: string) => (zone === 'UTC' ? ' UTC' : ` in ${zone}`);

function normaliseCron(cron: string): string {
  return cron.trim().split(/\s+/).join(' ');
}

/** The command an entry runs, as a key: entries with equal keys do the same thing. */
export function actionKey(action: ImportedAction): string {
  switch (action.kind) {
    case 'http-request': {
      const lower = (headers: Record<string, string>) =>
        Object.fromEntries(
          Object.entries(headers)
            .map(([name, value]): [string, string] => [name.toLowerCase(), value])
            .sort(([a], [b]) => (a < b ? -1 : 1)),
        );
      return JSON.stringify(['http', action.method, action.url, lower(action.headers), lower(action.secretHeaders), canonical(action.body)]);
    }
    case 'sql':
      return JSON.stringify(['sql', action.statement.trim().replace(/;\s*$/, '').replace(/\s+/g, ' ')]);
    case 'command':
      return JSON.stringify(['command', action.executable, action.args, canonical(action.env ?? {})]);
  }
}

/** JSON with object keys sorted, so that key order does not tell two bodies apart. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]));
  }
  return value;
}

/** A valid config id from a name: lower case, letters, digits and hyphens. */
export function configId(name: string): string {
  const id = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return id === '' ? 'imported' : id;
}

function uniqueId(id: string, taken: ReadonlySet<string>): string {
  if (!taken.has(id)) return id;
  for (let n = 2; ; n++) if (!taken.has(`${id}-${n}`)) return `${id}-${n}`;
}
