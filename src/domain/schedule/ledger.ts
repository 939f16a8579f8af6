import { compileSchedule, type CronSchedule } from './compile.js';
import { type DstAffectedRun, dstAffectedRuns, DstRule, naiveText } from './dst-affected.js';
import { slotsAfter } from './next-slots.js';
import { nextTransition, offsetAt, previousTransition } from './time-zone.js';

/**
 * The slot ledger: every slot a config's schedule defined in a range, past or future, with
 * what became of it, computed from the versions in force at each instant, the claimed slots,
 * the pauses and the executions. Pure: the store reads the inputs, this decides the fates.
 */

/** What became of one slot. */
export const SlotFate = {
  /** Claimed on time; its execution (its latest attempt) finished. */
  Ran: 'ran',
  Running: 'running',
  Queued: 'queued',
  /** Claimed while `maxConcurrent` executions were queued or running, overlap policy skip. */
  SkippedOverlap: 'skipped-overlap',
  /** Not run at its time (no scheduler running, or a later slot due), and the misfire policy ran nothing for it. */
  Missed: 'missed',
  /** Not run at its time; run late by the misfire policy. */
  CaughtUp: 'caught-up',
  /** Run afterwards by a backfill. */
  Backfilled: 'backfilled',
  /** The schedule was switched off at its time. */
  Disabled: 'disabled',
  /** The config was paused at its time. */
  Paused: 'paused',
  /** Before the config existed. */
  BeforeCreated: 'before-created',
  /** Past and not decided yet: the next scheduler pass decides it by the misfire policy. */
  Due: 'due',
  /** Past, and no scheduler will decide it: the schedule started after it (created or switched on while no scheduler ran). */
  Unclaimed: 'unclaimed',
  Upcoming: 'upcoming',
} as const;
export type SlotFate = (typeof SlotFate)[keyof typeof SlotFate];

/** A config version as the ledger reads it: when it took effect and its schedule. */
export interface LedgerVersion {
  version: number;
  changedAt: Date;
  changedBy: string;
  cronExpression: string;
  timezone: string;
  isEnabled: boolean;
  misfirePolicy: string;
  overlapPolicy: string;
}

/** An execution as the ledger shows it; for a run with retries, its latest attempt. */
export interface LedgerExecution {
  id: string;
  status: string;
  trigger: string;
  /** Attempts of the run so far (1 without retries). */
  attempts: number;
  queuedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  requestedBy: string | null;
  /** The first attempt's start: the run's lag is measured from it. */
  firstStartedAt: Date | null;
  /** For a missed-slots record: the last slot it stands for (several folded into one). */
  missedThrough?: Date | null;
  /** From its slot to the first attempt's start, when the reader knew the slot (otherwise planLedger works it out). */
  lagMs?: number | null;
}

/** A claimed slot (schedule_slots) with its executions. */
export interface LedgerClaim {
  slotAt: Date;
  decision: string;
  claimedAt: Date;
  claimedBy: string | null;
  execution: LedgerExecution | null;
  backfill: LedgerExecution | null;
  /** For a slot skipped for overlap: the executions queued or running when it was claimed. */
  activeAtClaim?: readonly string[];
}

export interface LedgerPause {
  pausedAt: Date;
  pausedUntil: Date | null;
  /** Null while it lasts. */
  endedAt: Date | null;
  reason: string | null;
  pausedBy: string | null;
}

export interface LedgerInput {
  configId: string;
  /** Inclusive bounds. */
  from: Date;
  until: Date;
  now: Date;
  /** Oldest first; the first is the config's creation. */
  versions: readonly LedgerVersion[];
  claims: readonly LedgerClaim[];
  pauses: readonly LedgerPause[];
  /** Where the schedulers stand (schedule_state.last_slot_at): slots after it are not decided yet. */
  cursor: Date | null;
  /** Runs in the range that no slot started (manual, API). */
  manual: readonly LedgerExecution[];
  /** Most slots listed; default MAX_LEDGER_SLOTS. */
  limit?: number;
}

export interface LedgerSlot {
  /** ISO 8601 UTC instant. */
  at: string;
  /** Wall clock with offset in the zone of the version in force, e.g. "2026-03-08T03:00:00-04:00". */
  wallClock: string;
  timezone: string;
  fate: SlotFate;
  /** The version in force at the slot; null before the config existed. */
  version: number | null;
  execution?: LedgerExecution & { lagMs: number | null };
  /** The slot's claim: when, and by which scheduler. */
  claim?: { at: string; by: string | null; decision: string };
  missed?: { misfirePolicy: string; recordId: string | null; folded: boolean };
  overlap?: { active: readonly string[] };
  /** For `disabled`: the version that switched it off. */
  switchedOff?: { version: number; by: string; at: string };
  pause?: { reason: string | null; by: string | null; since: string; until: string | null; endedAt: string | null };
  /** The wall time asked for and the rule that moved or doubled it. */
  dst?: { date: string; wallClock: string; rule: DstRule; occurrence?: 'first' | 'second' };
  /** What happened, as a clause after "The slot …" / "the 02:30 slot …". */
  phrase: string;
}

export interface SlotLedger {
  configId: string;
  from: string;
  until: string;
  now: string;
  slots: LedgerSlot[];
  /** Runs in the range that no slot started, newest last: `at` when queued, `wallClock` then in the config's zone. */
  manual: Array<LedgerExecution & { at: string; wallClock: string }>;
  /** Wall times in the range that daylight saving made vanish or happen twice, with the rule applied. */
  dst: Array<DstAffectedRun & { timezone: string }>;
  /** More slots than `limit` in the range: the ledger stops at the last one listed. */
  truncated: boolean;
}

/** A ledger lists at most this many slots (GET /api/jobs/{id}/slots, `grove-jobs explain`). */
export const MAX_LEDGER_SLOTS = 10_000;

const shortId = (id: string) => `${id.slice(0, 8)}…`;

/** "4.1 s", "350 ms", "2 min 5 s", "1 h 3 min". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));
const SPAN_SECONDS = 400 * 86_400;

/**
 * Wall clocks of one zone for many instants: the offset is read once per stretch between
 * transitions (not through Intl for every slot), and the abbreviation once per offset.
 */
class ZoneClock {
  #from = 0;
  #until = -1;
  #offset = 0;
  readonly #abbreviations = new Map<number, string>();
  #format: Intl.DateTimeFormat | undefined;

  constructor(readonly timeZone: string) {}

  /** Seconds east of UTC at an instant (seconds). */
  offset(instant: number): number {
    if (this.timeZone === 'UTC') return 0;
    if (instant < this.#from || instant >= this.#until) {
      this.#offset = offsetAt(this.timeZone, instant);
      this.#from = previousTransition(this.timeZone, instant)?.at ?? instant;
      this.#until = nextTransition(this.timeZone, instant, instant + SPAN_SECONDS)?.at ?? instant + SPAN_SECONDS;
    }
    return this.#offset;
  }

  /** "2026-03-08T03:00:00-04:00". */
  wall(instant: number): string {
    const offset = this.offset(instant);
    const minutes = Math.abs(offset) / 60;
    return `${naiveText(instant + offset)}${offset < 0 ? '-' : '+'}${pad2(Math.floor(minutes / 60))}:${pad2(minutes % 60)}`;
  }

  /** "EDT", "CET", or "GMT+5:45" where the platform has no abbreviation. */
  abbreviation(instant: number): string {
    const offset = this.offset(instant);
    let name = this.#abbreviations.get(offset);
    if (name === undefined) {
      this.#format ??= new Intl.DateTimeFormat('en-US', { timeZone: this.timeZone, timeZoneName: 'short' });
      name = this.#format.formatToParts(new Date(instant * 1000)).find((p) => p.type === 'timeZoneName')?.value ?? this.timeZone;
      this.#abbreviations.set(offset, name);
    }
    return name;
  }

  /** "2026-03-08 03:00 EDT (07:00 UTC)": on the zone's wall clock and in UTC (seconds shown when not zero). */
  display(instant: number): string {
    const wall = naiveText(instant + this.offset(instant));
    const trim = (text: string) => (text.endsWith(':00') ? text.slice(0, -3) : text);
    const local = `${wall.slice(0, 10)} ${trim(wall.slice(11, 19))} ${this.abbreviation(instant)}`;
    return this.timeZone === 'UTC' ? local : `${local} (${trim(naiveText(instant).slice(11, 19))} UTC)`;
  }
}

const zoneClocks = new Map<string, ZoneClock>();
function zoneClock(timeZone: string): ZoneClock {
  let clock = zoneClocks.get(timeZone);
  if (!clock) {
    clock = new ZoneClock(timeZone);
    zoneClocks.set(timeZone, clock);
  }
  return clock;
}

/** "2026-03-08 03:00 EDT (07:00 UTC)": an instant on the zone's wall clock and in UTC. */
export function wallAndUtc(timeZone: string, at: Date): string {
  return zoneClock(timeZone).display(Math.floor(at.getTime() / 1000));
}

const outcome = (e: LedgerExecution) => `${e.status}${e.durationMs !== null ? `, ${formatDuration(e.durationMs)}` : ''}${e.attempts > 1 ? `, ${e.attempts} attempts` : ''}`;

/** The clause for a slot's fate ("ran at … as execution 01a2… (success, 4.1 s)"). */
function phraseFor(slot: Omit<LedgerSlot, 'phrase'>, timeZone: string): string {
  const at = new Date(slot.at);
  const e = slot.execution;
  switch (slot.fate) {
    case SlotFate.Ran:
      return `ran at ${wallAndUtc(timeZone, at)} as execution ${shortId(e?.id ?? '')} (${e ? outcome(e) : 'no record'})`;
    case SlotFate.Running:
      return `is running as execution ${shortId(e?.id ?? '')}${e?.lagMs != null ? `, started ${formatDuration(e.lagMs)} after the slot` : ''}`;
    case SlotFate.Queued:
      return `is queued as execution ${shortId(e?.id ?? '')}, waiting for room on a worker`;
    case SlotFate.CaughtUp:
      return `was missed at its time and caught up by the misfire policy as execution ${shortId(e?.id ?? '')} (${e ? outcome(e) : 'no record'}${e?.lagMs != null ? `, ${formatDuration(e.lagMs)} late` : ''})`;
    case SlotFate.Missed: {
      const record = slot.missed?.recordId ? ` (recorded in execution ${shortId(slot.missed.recordId)}${slot.missed.folded ? ' with the slots missed beside it' : ''})` : '';
      return `was missed: no scheduler claimed it in time, and the misfire policy ${slot.missed?.misfirePolicy ?? ''} ran nothing for it${record}`;
    }
    case SlotFate.SkippedOverlap: {
      const active = slot.overlap?.active ?? [];
      const which = active.length > 0 ? ` (${active.map(shortId).join(', ')})` : '';
      return `was skipped: the config already had executions queued or running${which} and its overlap policy is skip`;
    }
    case SlotFate.Backfilled:
      return `was run by a backfill${e?.requestedBy ? ` of ${e.requestedBy}` : ''} as execution ${shortId(e?.id ?? '')} (${e ? outcome(e) : 'no record'})`;
    case SlotFate.Disabled:
      return `did not run: the schedule was switched off (version ${slot.switchedOff?.version}, by ${slot.switchedOff?.by}, ${slot.switchedOff ? wallAndUtc(timeZone, new Date(slot.switchedOff.at)) : ''})`;
    case SlotFate.Paused: {
      const p = slot.pause;
      const reason = p?.reason ? ` ("${p.reason}")` : '';
      const end = p?.endedAt ? `, until ${wallAndUtc(timeZone, new Date(p.endedAt))}` : p?.until ? `, until ${wallAndUtc(timeZone, new Date(p.until))}` : ', until resumed';
      return `did not run: the config was paused by ${p?.by ?? 'someone'}${reason} from ${p ? wallAndUtc(timeZone, new Date(p.since)) : ''}${end}`;
    }
    case SlotFate.BeforeCreated:
      return 'came before the config was created';
    case SlotFate.Due:
      return 'is due and not decided yet: the next scheduler pass claims it, or records it as missed by the misfire policy';
    case SlotFate.Unclaimed:
      return 'passed with no scheduler deciding it: the schedule started after it (the config was created, changed or switched on while no scheduler ran)';
    case SlotFate.Upcoming:
      return 'is upcoming';
  }
}

/** The version in force at an instant: the last one made strictly before it (a change applies to slots after it). */
function versionAt(versions: readonly LedgerVersion[], at: number): LedgerVersion | undefined {
  let found: LedgerVersion | undefined;
  for (const v of versions) {
    if (v.changedAt.getTime() < at) found = v;
    else break;
  }
  return found;
}

const sameSchedule = (a: LedgerVersion, b: LedgerVersion) => a.cronExpression === b.cronExpression && a.timezone === b.timezone;

/**
 * The slots each stretch of same-schedule versions defined in [from, until], each with the
 * version in force, at most `limit`. A cron that no longer parses defines none.
 */
function definedSlots(input: LedgerInput, limit: number): { slots: Array<{ at: number; version: LedgerVersion; schedule: CronSchedule }>; truncated: boolean; stretches: Array<{ schedule: CronSchedule; from: number; until: number }> } {
  const { versions } = input;
  const from = input.from.getTime();
  const until = input.until.getTime();
  const slots: Array<{ at: number; version: LedgerVersion; schedule: CronSchedule }> = [];
  const stretches: Array<{ schedule: CronSchedule; from: number; until: number }> = [];
  for (let i = 0; i < versions.length; ) {
    const first = versions[i] as LedgerVersion;
    let j = i + 1;
    while (j < versions.length && sameSchedule(first, versions[j] as LedgerVersion)) j++;
    // This stretch defines the slots in (first.changedAt, next stretch's changedAt].
    // The first version's schedule also stands for the slots before the config existed (before-created).
    const start = i === 0 ? from - 1 : Math.max(first.changedAt.getTime(), from - 1);
    const end = Math.min(j < versions.length ? (versions[j] as LedgerVersion).changedAt.getTime() : Infinity, until);
    i = j;
    if (end <= start) continue;
    let schedule: CronSchedule;
    try {
      schedule = compileSchedule(first.cronExpression, first.timezone);
    } catch {
      continue;
    }
    stretches.push({ schedule, from: start, until: end });
    let after = new Date(start);
    while (slots.length <= limit) {
      const batch = slotsAfter(schedule, after, Math.min(1000, limit + 1 - slots.length));
      let done = batch.length === 0;
      for (const slot of batch) {
        const at = slot.getTime();
        if (at > end) {
          done = true;
          break;
        }
        slots.push({ at, version: versionAt(versions, at) ?? first, schedule });
      }
      if (done || slots.length > limit) break;
      after = batch[batch.length - 1] as Date;
    }
    if (slots.length > limit) break;
  }
  return { slots: slots.slice(0, limit), truncated: slots.length > limit, stretches };
}

/** Executions that ran for a claimed slot: by their status, running, queued or ran. */
function ranFate(e: LedgerExecution | null): SlotFate {
  if (e?.status === 'running') return SlotFate.Running;
  if (e?.status === 'queued') return SlotFate.Queued;
  return SlotFate.Ran;
}

/** The execution with its lag from the slot: as read when the store set it (no copy per slot), else worked out. */
const withLag = (e: LedgerExecution, slotAt: number): LedgerExecution & { lagMs: number | null } =>
  e.lagMs !== undefined ? (e as LedgerExecution & { lagMs: number | null }) : { ...e, lagMs: e.firstStartedAt ? e.firstStartedAt.getTime() - slotAt : null };

/** An instant as toISOString writes it, from the cached day texts (years 0000-9999). */
function isoText(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const rest = ms - seconds * 1000;
  return `${naiveText(seconds)}.${rest < 10 ? '00' : rest < 100 ? '0' : ''}${rest}Z`;
}

/**
 * Every slot of the range with its fate, oldest first, plus the manual runs and the
 * daylight-saving wall times of the range. A claimed slot's fate comes from its claim (a slot
 * claimed under a schedule since edited is listed too); an unclaimed one's from the versions
 * and pauses in force at its instant and where the schedulers stand.
 *
 * @example
 * // '0 * * * *', created 09:30, paused 11:10–12:10 ("deploy"), now 12:30, range 09:00–14:00:
 * // 09:00 before-created · 10:00 ran · 11:00 ran · 12:00 paused · 13:00 upcoming · 14:00 upcoming
 */
export function planLedger(input: LedgerInput): SlotLedger {
  const limit = Math.max(1, Math.min(input.limit ?? MAX_LEDGER_SLOTS, MAX_LEDGER_SLOTS));
  const now = input.now.getTime();
  const created = input.versions[0]?.changedAt.getTime() ?? Infinity;
  const latest = input.versions[input.versions.length - 1];
  const { slots: defined, truncated, stretches } = definedSlots(input, limit);
  const lastListed = truncated ? (defined[defined.length - 1]?.at ?? input.until.getTime()) : input.until.getTime();

  const claims = new Map<number, LedgerClaim>();
  for (const c of input.claims) claims.set(c.slotAt.getTime(), c);
  // Missed-slot records that stand for several slots: [first, through].
  const folds = input.claims
    .filter((c) => c.decision === 'missed' && c.execution?.missedThrough && c.execution.missedThrough.getTime() > c.slotAt.getTime())
    .map((c) => ({ from: c.slotAt.getTime(), through: (c.execution?.missedThrough as Date).getTime(), claim: c }));

  // Daylight saving: wall times of the range that vanished or doubled, and the slots they moved.
  const dst: SlotLedger['dst'] = [];
  const moved = new Map<number, NonNullable<LedgerSlot['dst']>>();
  for (const stretch of stretches) {
    const affected = dstAffectedRuns(stretch.schedule, Math.floor(stretch.from / 1000), Math.floor(stretch.until / 1000));
    for (const run of affected) {
      dst.push({ ...run, timezone: stretch.schedule.timeZone });
      run.instants.forEach((instant, index) => {
        const occurrence = run.rule === DstRule.DoubledRunsTwice ? (run.instants.length === 2 ? (index === 0 ? 'first' : 'second') : undefined) : undefined;
        const at = new Date(instant).getTime();
        if (!moved.has(at)) moved.set(at, { date: run.date, wallClock: run.wallClock, rule: run.rule, ...(occurrence ? { occurrence } : {}) });
      });
    }
  }

  const pauseAt = (at: number) =>
    input.pauses.find((p) => p.pausedAt.getTime() <= at && (p.endedAt ? at <= p.endedAt.getTime() : p.pausedUntil ? at < p.pausedUntil.getTime() : true));

  const listed = new Map<number, { at: number; version: LedgerVersion | undefined; timeZone: string }>();
  for (const d of defined) listed.set(d.at, { at: d.at, version: d.version, timeZone: d.schedule.timeZone });
  // Claimed slots the current versions do not define (claimed under a schedule since edited, a restore).
  for (const c of input.claims) {
    const at = c.slotAt.getTime();
    if (at < input.from.getTime() || at > lastListed || listed.has(at)) continue;
    const version = versionAt(input.versions, at) ?? input.versions[0];
    listed.set(at, { at, version, timeZone: version?.timezone ?? latest?.timezone ?? 'UTC' });
  }

  const slots: LedgerSlot[] = [...listed.values()]
    .sort((a, b) => a.at - b.at)
    .map(({ at, version, timeZone }) => {
      const clock = zoneClock(timeZone);
      const seconds = Math.floor(at / 1000);
      const slot: LedgerSlot = {
        at: isoText(at),
        wallClock: clock.wall(seconds),
        timezone: timeZone,
        fate: SlotFate.Upcoming,
        version: at > created ? (version?.version ?? null) : null,
        phrase: '',
      };
      const dst = moved.get(at);
      if (dst) slot.dst = dst;
      decide(slot, at, version);
      slot.phrase = phraseFor(slot, timeZone);
      return slot;
    });

  /** Sets a slot's fate and what goes with it. */
  function decide(slot: LedgerSlot, at: number, version: LedgerVersion | undefined): void {
    const claim = claims.get(at);
    if (claim) {
      slot.claim = { at: isoText(claim.claimedAt.getTime()), by: claim.claimedBy, decision: claim.decision };
      const e = claim.backfill ?? claim.execution;
      if (e && (claim.backfill || claim.decision !== 'missed')) slot.execution = withLag(e, at);
      if (claim.backfill) slot.fate = SlotFate.Backfilled;
      else if (claim.decision === 'catch-up') slot.fate = SlotFate.CaughtUp;
      else if (claim.decision === 'missed') {
        slot.fate = SlotFate.Missed;
        slot.missed = { misfirePolicy: version?.misfirePolicy ?? '', recordId: e?.id ?? null, folded: folds.some((f) => f.claim === claim) };
      } else if (claim.decision === 'skipped-overlap') {
        slot.fate = SlotFate.SkippedOverlap;
        slot.overlap = { active: claim.activeAtClaim ?? [] };
      } else slot.fate = ranFate(e);
      return;
    }
    const fold = folds.length > 0 ? folds.find((f) => f.from < at && at <= f.through) : undefined;
    if (fold) {
      slot.fate = SlotFate.Missed;
      slot.missed = { misfirePolicy: version?.misfirePolicy ?? '', recordId: fold.claim.execution?.id ?? null, folded: true };
      return;
    }
    if (at <= created || !version) {
      slot.fate = SlotFate.BeforeCreated;
      return;
    }
    const pause = input.pauses.length > 0 ? pauseAt(at) : undefined;
    if (pause) {
      slot.fate = SlotFate.Paused;
      slot.pause = {
        reason: pause.reason,
        by: pause.pausedBy,
        since: pause.pausedAt.toISOString(),
        until: pause.pausedUntil?.toISOString() ?? null,
        endedAt: pause.endedAt?.toISOString() ?? null,
      };
    } else if (!version.isEnabled) {
      slot.fate = SlotFate.Disabled;
      slot.switchedOff = switchedOffBy(version);
    } else if (at > now) slot.fate = SlotFate.Upcoming;
    else if (input.cursor === null || at > input.cursor.getTime()) slot.fate = SlotFate.Due;
    else slot.fate = SlotFate.Unclaimed;
  }

  /** The version that switched the schedule off, of those in force up to `version`. */
  function switchedOffBy(version: LedgerVersion): NonNullable<LedgerSlot['switchedOff']> {
    let off = version;
    for (let i = input.versions.indexOf(version) - 1; i >= 0; i--) {
      const v = input.versions[i] as LedgerVersion;
      if (v.isEnabled) break;
      off = v;
    }
    return { version: off.version, by: off.changedBy, at: off.changedAt.toISOString() };
  }

  const from = input.from.getTime();
  return {
    configId: input.configId,
    from: input.from.toISOString(),
    until: new Date(lastListed).toISOString(),
    now: input.now.toISOString(),
    slots,
    manual: input.manual
      .filter((e) => e.queuedAt.getTime() >= from && e.queuedAt.getTime() <= lastListed)
      .map((e) => ({ ...e, at: e.queuedAt.toISOString(), wallClock: zoneClock(latest?.timezone ?? 'UTC').wall(Math.floor(e.queuedAt.getTime() / 1000)) }))
      .sort((a, b) => a.at.localeCompare(b.at)),
    dst: dst.filter((d) => d.instants.length === 0 || d.instants.some((i) => new Date(i).getTime() <= lastListed)),
    truncated,
  };
}
