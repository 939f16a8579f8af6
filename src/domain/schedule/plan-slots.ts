import type { MisfirePolicy, OverlapPolicy } from '../config/policies.js';

/** What the scheduler does with one due slot. Each ends up in the history. */
export const SlotDecision = {
  /** Due now: enqueue an execution. */
  Run: 'run',
  /** Missed during downtime and run late by the misfire policy. */
  CatchUp: 'catch-up',
  /** Missed during downtime and not run (policy, or outside the catch-up window). */
  Missed: 'missed',
} as const;
export type SlotDecision = (typeof SlotDecision)[keyof typeof SlotDecision];

/**
 * How late a slot may be claimed and still count as on time. A scheduler that slept until
 * the slot claims it within milliseconds; anything later means it was not running.
 */
export const ON_TIME_TOLERANCE_SECONDS = 60;
/** `run-all` catches up at most this many slots; older ones are recorded as missed. */
export const MAX_CATCH_UP_SLOTS = 100;

export interface MisfireInput {
  /** Due slots not yet claimed, oldest first. */
  due: readonly Date[];
  now: Date;
  policy: MisfirePolicy;
  catchupWindowSeconds: number;
}

/**
 * Decides each due slot. On-time slots run. Late ones follow the policy: `run-once` runs
 * the latest late slot inside the catch-up window, `run-all` each one inside it (at most
 * MAX_CATCH_UP_SLOTS), `skip` none; every other late slot is missed.
 *
 * @example
 * // run-once after a 3-hour outage of an hourly job, window 2 h:
 * planMisfires({ due: [09:00, 10:00, 11:00, 12:00], now: 12:00:30, policy: 'run-once', catchupWindowSeconds: 7200 })
 * // → 09:00 missed, 10:00 missed, 11:00 missed, 12:00 run (on time)
 */
export function planMisfires(input: MisfireInput): Array<{ slot: Date; decision: SlotDecision }> {
  const now = input.now.getTime();
  const late = (slot: Date) => now - slot.getTime() > ON_TIME_TOLERANCE_SECONDS * 1000;
  const inWindow = (slot: Date) => now - slot.getTime() <= input.catchupWindowSeconds * 1000;

  const lateInWindow = input.due.filter((slot) => late(slot) && inWindow(slot));
  const hasOnTime = input.due.some((slot) => !late(slot));
  let catchUp: Set<Date>;
  if (input.policy === 'run-all') catchUp = new Set(lateInWindow.slice(-MAX_CATCH_UP_SLOTS));
  // One catch-up run stands for the missed ones, unless a slot is due on time anyway.
  else if (input.policy === 'run-once') catchUp = new Set(hasOnTime ? [] : lateInWindow.slice(-1));
  else catchUp = new Set();

  return input.due.map((slot) => ({
    slot,
    decision: !late(slot) ? SlotDecision.Run : catchUp.has(slot) ? SlotDecision.CatchUp : SlotDecision.Missed,
  }));
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
