import type { MisfirePolicy, OverlapPolicy } from '../config/policies.js';
import { shortestSlotIntervalSeconds } from './slot-interval.js';

/** What the scheduler does with one due slot. Each ends up in the history. */
export const SlotDecision = {
  /** Claimed within its grace, and no later slot due yet: enqueue an execution. */
  Run: 'run',
  /** Missed, and run late by the misfire policy. */
  CatchUp: 'catch-up',
  /** Missed, and not run (policy, or outside the catch-up window). */
  Missed: 'missed',
} as const;
export type SlotDecision = (typeof SlotDecision)[keyof typeof SlotDecision];

/**
 * The grace, in seconds, of a config that does not set `misfireGraceSeconds` and whose slots
 * are at least two minutes apart. A scheduler that slept until a slot claims it within
 * milliseconds, and a slow pass delays it by a second or two; a minute later it was down.
 */
export const DEFAULT_MISFIRE_GRACE_SECONDS = 60;
/** The longest grace a config may set: a slot claimed a day late was not claimed on time. */
export const MAX_MISFIRE_GRACE_SECONDS = 86_400;
/** `run-all` catches up at most this many slots; older ones are recorded as missed. */
export const MAX_CATCH_UP_SLOTS = 100;
/**
 * Missed slots recorded one by one per config and pass (the latest ones); earlier missed
 * slots of the pass are folded into one summary record, so a long outage of a fast schedule
 * writes a bounded number of rows.
 */
export const MAX_MISSED_RECORDED = 100;
/**
 * Slots before the catch-up window are counted up to this many for their summary record;
 * beyond it the summary says "or more" (counting walks the slots one by one).
 */
export const MAX_MISSED_COUNTED = 10_000;
/**
 * A pass that finds more due slots than it takes decides the oldest ones alone, and only
 * when at least this many due slots follow them: then none of them can be run, caught up
 * or recorded one by one, whatever the policy, so the decision is the one a single pass
 * over all of them would make.
 */
export const BACKLOG_LOOKAHEAD = MAX_CATCH_UP_SLOTS + MAX_MISSED_RECORDED + 1;

/**
 * The misfire grace of a schedule: `misfireGraceSeconds` when set, otherwise 60 s or half
 * the shortest interval between its slots when that is shorter (rounded down, at least 1 s).
 *
 * @example
 * misfireGraceSeconds({ cronExpression: '*\/2 * * * * *' })  // 1
 * misfireGraceSeconds({ cronExpression: '*\/30 * * * * *' }) // 15
 * misfireGraceSeconds({ cronExpression: '0 * * * *' })       // 60
 * misfireGraceSeconds({ cronExpression: '0 * * * *', misfireGraceSeconds: 300 }) // 300
 * @throws ScheduleError for an invalid expression.
 */
export function misfireGraceSeconds(schedule: { cronExpression: string; misfireGraceSeconds?: number | undefined }): number {
  if (schedule.misfireGraceSeconds !== undefined) return schedule.misfireGraceSeconds;
  const half = Math.floor(shortestSlotIntervalSeconds(schedule.cronExpression) / 2);
  return Math.max(1, Math.min(DEFAULT_MISFIRE_GRACE_SECONDS, half));
}

export interface MisfireInput {
  /** Due slots not yet claimed (at or before `now`), oldest first. */
  due: readonly Date[];
  /**
   * At least BACKLOG_LOOKAHEAD more due slots follow `due` (a backlog larger than one pass
   * takes): every slot here is then missed, and none runs or is recorded one by one.
   */
  backlog?: boolean;
  /** The pass's instant: when the scheduler woke and read the clock, before its claims. */
  now: Date;
  policy: MisfirePolicy;
  catchupWindowSeconds: number;
  /** From `misfireGraceSeconds(schedule)`. */
  graceSeconds: number;
}

export interface MisfirePlan {
  /** Every due slot with its decision, oldest first. */
  slots: Array<{ slot: Date; decision: SlotDecision }>;
  /** The missed slots (not run) folded into one summary record, oldest first; the others are recorded one by one. */
  folded: Date[];
}

/**
 * Decides each due slot. A slot is **missed** when a later slot of the config is due too, or
 * when it is claimed more than `graceSeconds` after its instant; otherwise it runs on time.
 * Missed slots follow the policy: `run-once` catches up the latest due slot when it is the
 * one missed and inside the catch-up window (so a pass runs at most one execution either
 * way), `run-all` each missed slot inside the window (the latest MAX_CATCH_UP_SLOTS), `skip`
 * none. Of the missed slots that do not run, the latest MAX_MISSED_RECORDED are recorded one
 * by one and the earlier ones folded into one summary.
 *
 * @example
 * // a config every 2 seconds ('*\/2 * * * * *'), scheduler down from 10:00:01 to 10:00:21.3, grace 1 s, run-once:
 * planMisfires({ due: [10:00:02, 10:00:04, …, 10:00:20], now: 10:00:21.3, policy: 'run-once', catchupWindowSeconds: 3600, graceSeconds: 1 })
 * // → 10:00:02 … 10:00:18 missed (a later slot is due), 10:00:20 catch-up (1.3 s late)
 * // back at 10:00:20.4 instead, 10:00:20 is 0.4 s late, within its grace: it runs on time
 * // and stands for the outage (no catch-up besides it).
 */
export function planMisfires(input: MisfireInput): MisfirePlan {
  const now = input.now.getTime();
  const last = input.due.length - 1;
  const missed = (slot: Date, index: number) => input.backlog === true || index < last || now - slot.getTime() > input.graceSeconds * 1000;
  const inWindow = (slot: Date) => now - slot.getTime() <= input.catchupWindowSeconds * 1000;

  const catchUp = new Set<number>();
  if (!input.backlog && input.policy === 'run-all') {
    const candidates = input.due.flatMap((slot, index) => (missed(slot, index) && inWindow(slot) ? [index] : []));
    for (const index of candidates.slice(-MAX_CATCH_UP_SLOTS)) catchUp.add(index);
  } else if (!input.backlog && input.policy === 'run-once') {
    // The latest due slot is the only candidate: when it runs on time, it stands for the outage.
    const latest = input.due[last];
    if (latest && missed(latest, last) && inWindow(latest)) catchUp.add(last);
  }

  const slots = input.due.map((slot, index) => ({
    slot,
    decision: !missed(slot, index) ? SlotDecision.Run : catchUp.has(index) ? SlotDecision.CatchUp : SlotDecision.Missed,
  }));
  const notRun = slots.filter((s) => s.decision === SlotDecision.Missed).map((s) => s.slot);
  const folded = input.backlog ? notRun : notRun.slice(0, Math.max(0, notRun.length - MAX_MISSED_RECORDED));
  return { slots, folded };
}

/** What to do with a slot that is to run, given the config's executions in flight. */
export const OverlapDecision = { Start: 'start', Skip: 'skip', Queue: 'queue' } as const;
export type OverlapDecision = (typeof OverlapDecision)[keyof typeof OverlapDecision];

/**
 * With `maxConcurrent` executions of the config already queued or running, `skip` records a
 * skipped execution and `queue` enqueues one that starts when room frees; otherwise start.
 */
export function decideOverlap(input: { active: number; maxConcurrent: number; policy: OverlapPolicy }): OverlapDecision {
  if (input.active < input.maxConcurrent) return OverlapDecision.Start;
  return input.policy === 'queue' ? OverlapDecision.Queue : OverlapDecision.Skip;
}

/**
 * A deterministic delay in [0, jitterSeconds] for one slot of one config, so that every
 * scheduler process computes the same start and configs due together spread out.
 */
export function jitterSeconds(configId: string, slot: Date, maxSeconds: number | undefined): number {
  if (!maxSeconds) return 0;
  // FNV-1a over the config id and the slot instant.
  let hash = 0x811c9dc5;
  for (const char of `${configId}@${slot.toISOString()}`) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % (maxSeconds + 1);
}
