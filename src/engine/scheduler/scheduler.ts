import type { JobConfig } from '../../domain/config/index.js';
import { storeRetryDelayMs } from '../../domain/execution/index.js';
import { nextSlots } from '../../domain/schedule/index.js';
import {
  BACKLOG_LOOKAHEAD,
  decideOverlap,
  jitterSeconds,
  MAX_MISSED_COUNTED,
  misfireGraceSeconds,
  type MisfirePlan,
  OverlapDecision,
  planMisfires,
  SlotDecision,
} from '../../domain/schedule/plan-slots.js';
import type { EngineEvents } from '../events.js';
import { asQueued, type Clock, type LocalRunner, type NewExecutionInput, type OnTimeSlot, type SchedulableConfig, type Store } from '../ports.js';

/**
 * Safety net only: the scheduler sleeps until the earliest due slot and is woken by config
 * changes, but a change made where no notification reaches it (through an embedded store's
 * socket) is still picked up within this long. Never the wait after a failed pass: that is
 * storeRetryDelayMs.
 */
export const MAX_SLEEP_MS = 60_000;
/**
 * How long before a slot the scheduler reads the enabled configs, so that at the slot only its
 * claim remains. A change made in between wakes it, and it reads them again.
 */
const PREREAD_MS = 25;
/**
 * Due slots inside the catch-up window decided per config and pass when more are due (a
 * backlog); the rest wait for the next pass, which comes at once.
 */
export const MAX_DUE_PER_PASS = 1000;
/** Configs claimed at once in one pass (each claim is one transaction on the pool). */
const CLAIM_LANES = 8;
/** On-time slots claimed in one round trip at most. */
const ON_TIME_PER_CLAIM = 500;
/** The reason the scheduler gives its own sleeps when it wakes or stops them (no DOMException per wake). */
const WAKE = Symbol('wake');

export interface SchedulerDeps {
  store: Store;
  clock: Clock;
  events: EngineEvents;
  /**
   * Workers of this process (a live list): a slot due now starts on one with a free place in
   * the statement that claims it, without a claim of the worker's own.
   */
  runners?: readonly LocalRunner[];
}

export interface SchedulerOptions {
  /** Recorded with each claimed slot. */
  id: string;
  /**
   * Longest sleep between passes (default MAX_SLEEP_MS). Simulations on a fake clock whose
   * store delivers every change notification pass Infinity: the safety net would otherwise
   * be a pass per simulated minute.
   */
  maxSleepMs?: number;
}

/**
 * Slots after `after` up to and including `until`, at most `limit`, oldest first. Computed a
 * few at a time: a config with nothing due costs one slot, not `limit`.
 */
function slotsBetween(cronExpression: string, timezone: string, after: Date, until: Date, limit: number): Date[] {
  const found: Date[] = [];
  let from = after;
  for (let batch = 1; found.length < limit; batch = Math.min(batch * 4, limit - found.length)) {
    const slots = nextSlots(cronExpression, timezone, from, batch);
    for (const slot of slots) {
      if (slot.getTime() > until.getTime()) return found;
      found.push(slot);
    }
    if (slots.length < batch) return found;
    from = slots[slots.length - 1] as Date;
  }
  return found;
}

/**
 * Turns slots into executions, exactly once each. Any number of schedulers may run against
 * one database: the (config, slot) primary key decides every race.
 */
export class Scheduler {
  #running: Promise<void> | undefined;
  #stop = new AbortController();
  #wake: AbortController | undefined;
  #unsubscribe: Array<() => unknown> = [];

  constructor(
    private readonly deps: SchedulerDeps,
    private readonly options: SchedulerOptions,
  ) {}

  /** Starts the loop; resolves once it listens for config changes. */
  async start(): Promise<void> {
    if (this.#running) return;
    const wake = () => this.#wake?.abort(WAKE);
    this.#unsubscribe.push(this.deps.events.on('config:changed', wake));
    this.#unsubscribe.push(await this.deps.store.onConfigChanged(wake));
    this.#running = this.#loop();
  }

  async stop(): Promise<void> {
    this.#stop.abort(WAKE);
    this.#wake?.abort(WAKE);
    for (const off of this.#unsubscribe.splice(0)) await off();
    await this.#running;
  }

  async #loop(): Promise<void> {
    const { clock, events } = this.deps;
    const from = { source: 'scheduler', id: this.options.id } as const;
    let prefetched: SchedulableConfig[] | undefined;
    /** Failed passes in a row: the next comes after a short backoff (storeRetryDelayMs), not at the next slot. */
    let failures = 0;
    while (!this.#stop.signal.aborted) {
      // A wake-up that arrives while a pass runs must not be lost: arm it before the pass.
      this.#wake = new AbortController();
      const began = clock.now();
      let next: Date | undefined;
      try {
        next = await this.tick(prefetched);
        if (failures > 0) {
          failures = 0;
          events.storeReached(from, clock.now());
        }
      } catch (error) {
        // The store out of reach (or a pass that failed): try again shortly. A config change
        // heard meanwhile (the store's listener back) wakes the loop sooner.
        failures++;
        events.storeFailed(from, error, began, clock.now());
        next = new Date(clock.now().getTime() + storeRetryDelayMs(failures, Math.random()));
      }
      prefetched = undefined;
      const now = clock.now().getTime();
      const wakeMs = Math.min(next?.getTime() ?? Number.POSITIVE_INFINITY, now + (this.options.maxSleepMs ?? MAX_SLEEP_MS));
      const wakeAt = new Date(Number.isFinite(wakeMs) ? wakeMs : 8.64e15);
      const signal = AbortSignal.any([this.#stop.signal, this.#wake.signal]);
      if (failures === 0 && wakeMs === next?.getTime() && wakeMs - now > PREREAD_MS) {
        // Read the configs just before the slot, so that claiming it is the one round trip
        // left when it is due. A change meanwhile wakes the loop, and the read is dropped.
        await clock.sleepUntil(new Date(wakeMs - PREREAD_MS), signal).catch(() => undefined);
        if (signal.aborted) continue;
        prefetched = await this.deps.store.listSchedulable().catch(() => undefined);
      }
      await clock.sleepUntil(wakeAt, signal).catch(() => undefined);
      if (this.#wake.signal.aborted) prefetched = undefined;
    }
  }

  /**
   * One pass: claims every due slot of every enabled config; returns the next slot instant.
   * `schedulable`: the enabled configs as read just before (otherwise read now).
   */
  async tick(schedulable?: SchedulableConfig[]): Promise<Date | undefined> {
    const { store, clock } = this.deps;
    const now = clock.now();
    let earliest: Date | undefined;
    schedulable ??= await store.listSchedulable();
    // The usual case, one slot due now, is collected and claimed for all configs at once;
    // catch-ups, misses and backlogs are claimed per config, several configs at a time.
    const onTime: OnTimeSlot[] = [];
    let index = 0;
    const lane = async () => {
      while (index < schedulable.length) {
        const item = schedulable[index++] as (typeof schedulable)[number];
        // Only a paused config takes the detour (the usual pass reads one field).
        const paused = item.pausedAt ? await this.#handlePaused(item, now) : undefined;
        const next = paused ? paused.next : await this.#handleConfig(item.config, item.lastSlotAt, now, onTime);
        if (next && (!earliest || next < earliest)) earliest = next;
      }
    };
    await Promise.all(Array.from({ length: Math.min(CLAIM_LANES, schedulable.length) }, lane));
    for (let from = 0; from < onTime.length; from += ON_TIME_PER_CLAIM) {
      await this.#claimOnTime(onTime.slice(from, from + ON_TIME_PER_CLAIM), now);
    }
    return earliest;
  }

  async #claimOnTime(items: OnTimeSlot[], now: Date): Promise<void> {
    const dueNow = items.reduce((n, item) => (item.runAfter.getTime() <= now.getTime() ? n + 1 : n), 0);
    const places = this.#reserve(dueNow);
    let adopted = 0;
    try {
      const here = places && { workerId: places.workerId, leaseUntil: places.leaseUntil, places: places.count };
      for (const execution of await this.deps.store.claimSlots(items, now, this.options.id, here)) {
        const slot = execution.slot ?? now;
        if (execution.status === 'skipped') {
          this.deps.events.emit('slot:skipped', { configId: execution.configId, slot, reason: 'overlap', executionId: execution.id });
          continue;
        }
        this.deps.events.emit('slot:claimed', {
          configId: execution.configId,
          slot,
          decision: SlotDecision.Run,
          executionId: execution.id,
          lateMs: now.getTime() - slot.getTime(),
        });
        const startsHere = places !== undefined && execution.status === 'running' && execution.workerId === places.workerId;
        this.deps.events.emit('execution:queued', startsHere ? asQueued(execution) : execution);
        if (startsHere) {
          adopted++;
          places.runner.adopt(execution);
        }
      }
    } finally {
      // The places no slot took go back to the worker.
      for (let i = adopted; i < (places?.count ?? 0); i++) places?.runner.adopt(undefined);
    }
  }

  /** Up to `wanted` free places of one worker of this process, held until adopted or given back. */
  #reserve(wanted: number): { runner: LocalRunner; workerId: string; leaseUntil: Date; count: number } | undefined {
    if (wanted === 0) return undefined;
    for (const runner of this.deps.runners ?? []) {
      const first = runner.reserve();
      if (!first) continue;
      let count = 1;
      while (count < wanted && runner.reserve()) count++;
      return { runner, ...first, count };
    }
    return undefined;
  }

  /**
   * A paused config: no slot of it runs. Returns when to look at it again (its pause's end,
   * or never: a config change wakes the loop), or undefined when it is not paused (any more).
   *
   * Slots that fall in a pause are passed, not misfires (docs/scheduling.md, "Pauses"): the
   * misfire policy stands for slots the scheduler could not start, while a pause is someone's
   * decision that they should not run, as switching the config off is. So at the pause's end
   * the cursor moves to just before it, and the first slot at or after the end runs as usual;
   * none from the pause is caught up, whatever `misfirePolicy` says. Ending it is the
   * store's conditional update: with several schedulers one ends it, and a pause set again
   * meanwhile (another end) stays. Race left open: a pause written between a pass's read of
   * the configs and its claim (a few milliseconds) does not stop a slot that pass claims; the
   * pause's change notification wakes the loop, so every later slot waits.
   */
  async #handlePaused(item: SchedulableConfig, now: Date): Promise<{ next: Date | undefined } | undefined> {
    const { pausedAt, pausedUntil } = item;
    if (!pausedAt) return undefined;
    if (!pausedUntil || pausedUntil.getTime() > now.getTime()) return { next: pausedUntil ?? undefined };
    // One millisecond before the end: a slot at the end itself is after the pause.
    const from = new Date(pausedUntil.getTime() - 1);
    const ended = await this.deps.store.endPause(item.config.meta.id, from, pausedUntil);
    if (!ended) return { next: now }; // someone paused or resumed it meanwhile: read it again at once
    this.deps.events.emit('config:resumed', { configId: item.config.meta.id, at: pausedUntil, by: null });
    // Lists and live views of this process show the pause gone (the store told other processes).
    this.deps.events.emit('config:changed', { configId: item.config.meta.id });
    item.lastSlotAt = item.lastSlotAt && item.lastSlotAt > from ? item.lastSlotAt : from;
    item.pausedAt = null;
    item.pausedUntil = null;
    return undefined;
  }

  /**
   * Claims a config's due slots; returns when it is next due (now, when a backlog remains).
   * Every due slot is decided by planMisfires (docs/scheduling.md, "Misfires"): on time, caught
   * up or missed. The usual case, one slot due within its grace, joins `onTime`.
   */
  async #handleConfig(config: JobConfig, lastSlotAt: Date | null, now: Date, onTime: OnTimeSlot[]): Promise<Date | undefined> {
    const { store } = this.deps;
    const { schedule } = config.payload;
    const { cronExpression, timezone } = schedule;
    // First sight of a config: its schedule starts now; nothing before counts as missed.
    const cursor = lastSlotAt ?? (await store.ensureScheduleState(config.meta.id, now));
    if (cursor.getTime() < now.getTime()) {
      const graceSeconds = misfireGraceSeconds(schedule);
      // Slots before the catch-up window (and the grace) are missed whatever the policy: they
      // are only walked to be counted, up to MAX_MISSED_COUNTED.
      const lookbackMs = Math.max(schedule.catchupWindowSeconds, graceSeconds) * 1000;
      const windowStart = new Date(Math.max(cursor.getTime(), now.getTime() - lookbackMs));
      const old = windowStart > cursor ? slotsBetween(cronExpression, timezone, cursor, windowStart, MAX_MISSED_COUNTED + 1) : [];
      const uncounted = old.length > MAX_MISSED_COUNTED;
      const recent = slotsBetween(cronExpression, timezone, windowStart, now, MAX_DUE_PER_PASS + BACKLOG_LOOKAHEAD);
      // More due slots than one pass takes: decide the oldest MAX_DUE_PER_PASS alone (all
      // missed, BACKLOG_LOOKAHEAD due slots follow them) and come straight back for the rest.
      const backlog = recent.length === MAX_DUE_PER_PASS + BACKLOG_LOOKAHEAD;
      const decided = backlog ? recent.slice(0, MAX_DUE_PER_PASS) : recent;
      const plan = planMisfires({
        due: uncounted ? decided : [...old, ...decided],
        backlog,
        now,
        policy: schedule.misfirePolicy,
        catchupWindowSeconds: schedule.catchupWindowSeconds,
        graceSeconds,
      });
      const [only] = plan.slots;
      if (plan.slots.length === 1 && !uncounted && only?.decision === SlotDecision.Run) {
        const jitterMs = jitterSeconds(config.meta.id, only.slot, schedule.jitterSeconds) * 1000;
        onTime.push({ configId: config.meta.id, version: config.meta.version, slot: only.slot, runAfter: new Date(only.slot.getTime() + jitterMs) });
      } else if (plan.slots.length > 0 || uncounted) {
        // Too many slots before the window to count: the summary stands for them all, up to the window.
        const folded = uncounted ? { slots: [...old, ...plan.folded], orMore: true, through: windowStart } : { slots: plan.folded, orMore: false };
        await this.#claimDue(config, plan, folded, now);
      }
      if (backlog) return now;
    }
    return nextSlots(cronExpression, timezone, now, 1)[0];
  }

  /**
   * Claims a config's planned slots, oldest first: the folded missed slots as one summary
   * record (claimed at the first of them, moving the cursor past the last, or to `through`),
   * then each other slot. The cursor only moves forward.
   */
  async #claimDue(config: JobConfig, plan: MisfirePlan, folded: { slots: readonly Date[]; orMore: boolean; through?: Date }, now: Date): Promise<void> {
    const { schedule, limits } = config.payload;
    const skipped = new Set(folded.slots);
    // Catch-ups stand for an outage: each queues whatever is queued or running (another
    // scheduler may have queued the ones before it), and the pass's on-time slot queues behind
    // this pass's catch-ups instead of counting them as overlapping runs. maxConcurrent still
    // holds when workers claim them.
    let caughtUpThisPass = 0;
    const baseFor = (slot: Date): Omit<NewExecutionInput, 'status' | 'summary' | 'result' | 'runAfter'> => ({
      config,
      trigger: 'schedule',
      slot,
      attempt: 1,
      runId: null,
      retryOf: null,
      requestedBy: null,
      idempotencyKey: null,
      dryRun: false,
      batchSize: null,
      queuedAt: now,
    });
    const recordMissed = async (slot: Date, through: Date, missedSlots: number, summary: string, result: Record<string, unknown>) => {
      const decision = SlotDecision.Missed;
      const claim = await this.deps.store.claimSlot({
        configId: config.meta.id,
        slot,
        through,
        now,
        claimedBy: this.options.id,
        decision,
        build: () => ({
          decision,
          execution: { ...baseFor(slot), status: 'skipped', runAfter: now, summary, result: { reason: 'missed', misfirePolicy: schedule.misfirePolicy, ...result } },
        }),
      });
      if (!claim.claimed) return;
      const executionId = claim.execution?.id ?? null;
      this.deps.events.emit('slot:missed', { configId: config.meta.id, slot, executionId, ...(missedSlots > 1 ? { missedSlots } : {}) });
    };

    const [first] = folded.slots;
    if (first) {
      const last = folded.slots[folded.slots.length - 1] as Date;
      const through = folded.through && folded.through > last ? folded.through : last;
      const count = `${folded.orMore ? 'more than ' : ''}${(folded.slots.length - (folded.orMore ? 1 : 0)).toLocaleString('en-US')}`;
      await recordMissed(
        first,
        through,
        folded.slots.length,
        `Missed ${count} slots from ${first.toISOString()} to ${through.toISOString()}: the scheduler was not running (misfire policy ${schedule.misfirePolicy})`,
        { missedSlots: folded.slots.length, through: through.toISOString(), ...(folded.orMore ? { orMore: true } : {}) },
      );
    }

    for (const { slot, decision } of plan.slots) {
      if (skipped.has(slot)) continue;
      const base = baseFor(slot);
      if (decision === SlotDecision.Missed) {
        await recordMissed(slot, slot, 1, `Missed: the scheduler was not running at ${slot.toISOString()} (misfire policy ${schedule.misfirePolicy})`, {});
        continue;
      }

      const claim = await this.deps.store.claimSlot({
        configId: config.meta.id,
        slot,
        now,
        claimedBy: this.options.id,
        decision,
        build: (active) => {
          const others = decision === SlotDecision.CatchUp ? 0 : active - caughtUpThisPass;
          const overlap = decideOverlap({ active: others, maxConcurrent: limits.maxConcurrent, policy: schedule.overlapPolicy });
          if (overlap === OverlapDecision.Skip) {
            return {
              decision: 'skipped-overlap',
              execution: {
                ...base,
                status: 'skipped',
                runAfter: now,
                summary: `Skipped: ${active} execution(s) of this config already queued or running (overlap policy skip, at most ${limits.maxConcurrent})`,
                result: { reason: 'overlap', active, maxConcurrent: limits.maxConcurrent },
              },
            };
          }
          // On time: the slot plus its deterministic jitter. Caught up: now.
          const start = decision === SlotDecision.Run ? slot : now;
          return {
            decision,
            execution: {
              ...base,
              status: 'queued',
              runAfter: new Date(start.getTime() + jitterSeconds(config.meta.id, slot, schedule.jitterSeconds) * 1000),
              summary: decision === SlotDecision.CatchUp ? `Catch-up run for the missed slot ${slot.toISOString()}` : null,
              result: null,
            },
          };
        },
      });
      if (!claim.claimed) continue;
      const execution = claim.execution;
      if (decision === SlotDecision.CatchUp && execution?.status === 'queued') caughtUpThisPass++;
      if (execution?.status === 'skipped') {
        this.deps.events.emit('slot:skipped', { configId: config.meta.id, slot, reason: 'overlap', executionId: execution?.id ?? null });
        continue;
      }
      this.deps.events.emit('slot:claimed', {
        configId: config.meta.id,
        slot,
        decision,
        executionId: execution?.id ?? null,
        lateMs: now.getTime() - slot.getTime(),
      });
      if (execution) this.deps.events.emit('execution:queued', execution);
    }
  }
}
