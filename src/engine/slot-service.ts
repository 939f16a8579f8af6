import { invalidConfig } from '../domain/config/index.js';
import { shortestSlotIntervalSeconds } from '../domain/schedule/index.js';
import { type LedgerSlot, MAX_LEDGER_SLOTS, planLedger, SlotFate, type SlotLedger } from '../domain/schedule/ledger.js';
import {
  explainPoint,
  explainWindow,
  MAX_BACKFILL_SLOTS,
  planBackfillRequest,
  planLedgerRange,
  readExplainPoint,
} from '../domain/schedule/slot-requests.js';
import type { ConfigService } from './config-service.js';
import type { EngineEvents } from './events.js';
import type { BackfillOverlap, Clock, Store } from './ports.js';

/** `grove-jobs explain --at`: one instant in words, and the slots it speaks of. */
export interface SlotExplanation {
  configId: string;
  /** What was asked, as given. */
  at: string;
  timezone: string;
  sentence: string;
  slots: LedgerSlot[];
}

export const BackfillSlotOutcome = {
  /** Queued now. */
  Queued: 'queued',
  /** Would be queued (dry run). */
  WouldQueue: 'would-queue',
  /** Run or backfilled by someone else between the plan and the write. */
  Taken: 'taken',
  /** Left open: the config had no room for it (overlap skip); a later backfill takes it. */
  NoRoom: 'no-room',
} as const;
export type BackfillSlotOutcome = (typeof BackfillSlotOutcome)[keyof typeof BackfillSlotOutcome];

export interface BackfillResult {
  configId: string;
  from: string;
  until: string;
  overlap: BackfillOverlap;
  dryRun: boolean;
  /** The open slots of the range, oldest first, with what the backfill did for each. */
  slots: Array<{ at: string; wallClock: string; fate: SlotFate; outcome: BackfillSlotOutcome; executionId: string | null }>;
  /** The range's other slots by fate: those it leaves alone (they ran, are running, are due, …). */
  passed: Partial<Record<SlotFate, number>>;
}

/** Fates a backfill runs: slots with no run that no scheduler will decide any more. */
const OPEN_FATES: ReadonlySet<SlotFate> = new Set<SlotFate>([SlotFate.Missed, SlotFate.Paused, SlotFate.Disabled, SlotFate.Unclaimed]);

/**
 * The slot ledger (every slot of a range and its fate), `explain` of one instant, and backfill
 * of past slots that did not run. Reads are the store's (readSlotLedger); the fates are the
 * domain's (planLedger).
 */
export class SlotService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly configs: ConfigService,
    private readonly events?: EngineEvents,
  ) {}

  /** The ledger of [from, until] (a day either side of now by default), at most `limit` slots. */
  async ledger(id: string, query: { from?: unknown; until?: unknown; limit?: number } = {}): Promise<SlotLedger> {
    const now = this.clock.now();
    const range = planLedgerRange(query, now);
    await this.configs.get(id);
    return this.#ledger(id, range.from, range.until, now, query.limit);
  }

  async #ledger(id: string, from: Date, until: Date, now: Date, limit = MAX_LEDGER_SLOTS): Promise<SlotLedger> {
    const bounded = Math.max(1, Math.min(limit, MAX_LEDGER_SLOTS));
    const reading = await this.store.readSlotLedger(id, from, until, bounded + 1);
    return planLedger({ configId: id, from, until, now, limit: bounded, ...reading });
  }

  /**
   * One instant in words: `at` with a zone is that instant; without one, a wall-clock time in
   * the config's zone (which may not exist, or exist twice, on a daylight-saving day).
   */
  async explain(id: string, at: unknown): Promise<SlotExplanation> {
    const config = await this.configs.get(id);
    const { cronExpression, timezone } = config.payload.schedule;
    const point = readExplainPoint(at, timezone);
    const around = point.kind === 'instant' ? point.at : (point.instants[0] ?? point.gap?.at);
    if (!around) throw invalidConfig([{ path: 'at', message: `does not name a time in ${timezone}` }]);
    let interval = 86_400;
    try {
      interval = shortestSlotIntervalSeconds(cronExpression);
    } catch {
      // A stored cron that no longer parses: the default window.
    }
    const window = explainWindow(around, interval);
    const ledger = await this.#ledger(id, window.from, window.until, this.clock.now());
    const { sentence, slots } = explainPoint(ledger, point, timezone);
    return { configId: id, at: String(at), timezone, sentence, slots };
  }

  /**
   * Queues one execution (trigger `backfill`) per past slot of [from, until] that has none
   * and that no scheduler will decide: missed, paused, switched off, or passed unclaimed; with
   * overlap `all`, also slots skipped for overlap. Running it twice adds nothing. `queue`
   * (default): they run in slot order as `maxConcurrent` allows; `skip`: only as many as the
   * config has room for now, the rest stay open. At most MAX_BACKFILL_SLOTS.
   */
  async backfill(id: string, input: { from?: unknown; until?: unknown; overlap?: unknown; dryRun?: boolean }, actor: string): Promise<BackfillResult> {
    const now = this.clock.now();
    const request = planBackfillRequest(input, now);
    const config = await this.configs.get(id);
    const ledger = await this.#ledger(id, request.from, request.until, now);
    if (ledger.truncated) {
      throw invalidConfig([{ path: 'until', message: `the range holds more than ${MAX_LEDGER_SLOTS.toLocaleString('en-US')} slots: backfill a shorter one` }]);
    }
    const wanted = (slot: LedgerSlot) => OPEN_FATES.has(slot.fate) || (request.overlap === 'all' && slot.fate === SlotFate.SkippedOverlap);
    const open = ledger.slots.filter(wanted);
    if (open.length > MAX_BACKFILL_SLOTS) {
      throw invalidConfig([{ path: 'until', message: `the range has ${open.length.toLocaleString('en-US')} slots to run; a backfill runs at most ${MAX_BACKFILL_SLOTS.toLocaleString('en-US')}: backfill a shorter range` }]);
    }
    const passed: Partial<Record<SlotFate, number>> = {};
    for (const slot of ledger.slots) if (!wanted(slot)) passed[slot.fate] = (passed[slot.fate] ?? 0) + 1;
    const base = { configId: id, from: request.from.toISOString(), until: request.until.toISOString(), overlap: request.overlap, passed };
    const entry = (slot: LedgerSlot, outcome: BackfillSlotOutcome, executionId: string | null = null) => ({
      at: slot.at,
      wallClock: slot.wallClock,
      fate: slot.fate,
      outcome,
      executionId,
    });
    if (input.dryRun) return { ...base, dryRun: true, slots: open.map((s) => entry(s, BackfillSlotOutcome.WouldQueue)) };

    const outcome = await this.store.backfillSlots({ config, slots: open.map((s) => new Date(s.at)), now, actor, overlap: request.overlap });
    const created = new Map(outcome.created.map((e) => [e.slot?.getTime(), e]));
    const noRoom = new Set(outcome.noRoom.map((d) => d.getTime()));
    for (const execution of outcome.created) this.events?.emit('execution:queued', execution);
    return {
      ...base,
      dryRun: false,
      slots: open.map((slot) => {
        const at = new Date(slot.at).getTime();
        const execution = created.get(at);
        if (execution) return entry(slot, BackfillSlotOutcome.Queued, execution.id);
        return entry(slot, noRoom.has(at) ? BackfillSlotOutcome.NoRoom : BackfillSlotOutcome.Taken);
      }),
    };
  }
}
