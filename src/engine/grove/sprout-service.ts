import { z } from 'zod';
import {
  DEFAULT_LIFECYCLE_MODEL,
  GroveError,
  GroveErrorCode,
  groveInvalid,
  type Sprout,
  sproutInput,
  type UsageEvent,
  usageEventInput,
} from '../../domain/grove/index.js';
import type { Clock, LifecycleModel, SproutStore } from '../ports.js';

/** Most events one API request may carry; the CLI's file import has no such cap. */
export const MAX_EVENTS_PER_REQUEST = 10_000;
/** Sprouts listed per page; listing everything pages internally. */
export const SPROUT_PAGE = 1000;

/** Imports and reads sprouts and their usage events, refusing bad input before anything is written. */
export class SproutService {
  constructor(
    private readonly store: SproutStore,
    private readonly clock: Clock,
  ) {}

  lifecycleModels(): Promise<LifecycleModel[]> {
    return this.store.listLifecycleModels();
  }

  /**
   * Imports sprouts, all or none: each tier must belong to its lifecycle model (default
   * `botanical`), ids must be new. Returns the ids, generated where missing, in input order.
   */
  async importSprouts(input: unknown): Promise<string[]> {
    const parsed = z.array(sproutInput).min(1, 'at least one sprout').safeParse(input);
    if (!parsed.success) throw groveInvalid('sprouts', parsed.error);
    const models = new Map((await this.store.listLifecycleModels()).map((model) => [model.id, model]));
    const seen = new Set<string>();
    const sprouts = parsed.data.map((sprout, index) => {
      const lifecycleModelId = sprout.lifecycleModelId ?? DEFAULT_LIFECYCLE_MODEL;
      const model = models.get(lifecycleModelId);
      if (!model) throw new GroveError(GroveErrorCode.Invalid, `no lifecycle model '${lifecycleModelId}'`, `sprouts[${index}].lifecycleModelId`);
      if (!model.tiers.includes(sprout.tier)) {
        throw new GroveError(GroveErrorCode.Invalid, `'${sprout.tier}' is not a tier of ${model.id} (${model.tiers.join(', ')})`, `sprouts[${index}].tier`);
      }
      if (sprout.id !== undefined) {
        if (seen.has(sprout.id)) throw new GroveError(GroveErrorCode.Invalid, `'${sprout.id}' appears twice`, `sprouts[${index}].id`);
        seen.add(sprout.id);
      }
      return { ...sprout, lifecycleModelId };
    });
    const existing = await this.store.existingSproutIds([...seen]);
    if (existing.length > 0) {
      const index = sprouts.findIndex((s) => s.id === existing[0]);
      throw new GroveError(GroveErrorCode.Exists, `sprout '${existing[0]}' exists already`, `sprouts[${index}].id`);
    }
    return this.store.insertSprouts(sprouts, this.clock.now());
  }

  /**
   * Records usage events, all or none. `createdAt` may be in the past (imports) but not in
   * the future; every sprout must exist.
   */
  async importEvents(input: unknown, options: { maxEvents?: number } = {}): Promise<number> {
    const schema = z.array(usageEventInput).min(1, 'at least one event');
    const parsed = (options.maxEvents ? schema.max(options.maxEvents, `at most ${options.maxEvents} events per request`) : schema).safeParse(input);
    if (!parsed.success) throw groveInvalid('events', parsed.error);
    const events: UsageEvent[] = parsed.data;
    const now = this.clock.now().getTime();
    const future = events.findIndex((event) => event.createdAt.getTime() > now);
    if (future >= 0) {
      throw new GroveError(GroveErrorCode.Invalid, `${events[future]?.createdAt.toISOString()} is in the future`, `events[${future}].createdAt`);
    }
    const ids = [...new Set(events.map((event) => event.sproutId))];
    const known = new Set(await this.store.existingSproutIds(ids));
    const unknown = events.findIndex((event) => !known.has(event.sproutId));
    if (unknown >= 0) throw new GroveError(GroveErrorCode.Invalid, `no sprout '${events[unknown]?.sproutId}'`, `events[${unknown}].sproutId`);
    return this.store.insertUsageEvents(events);
  }

  async get(id: string): Promise<Sprout> {
    const sprout = await this.store.getSprout(id);
    if (!sprout) throw new GroveError(GroveErrorCode.NotFound, `no sprout '${id}'`, 'sproutId');
    return sprout;
  }

  /** One page of sprouts by id, after `after`. */
  page(options: { tier?: string; after?: string; limit?: number } = {}): Promise<Sprout[]> {
    return this.store.listSprouts({ ...options, limit: Math.min(Math.max(1, options.limit ?? SPROUT_PAGE), SPROUT_PAGE) });
  }

  /** Every sprout (optionally of one tier), read page by page. */
  async *all(options: { tier?: string } = {}): AsyncGenerator<Sprout[]> {
    let after: string | undefined;
    for (;;) {
      const page = await this.store.listSprouts({ ...options, ...(after ? { after } : {}), limit: SPROUT_PAGE });
      if (page.length === 0) return;
      yield page;
      after = page[page.length - 1]?.id;
      if (page.length < SPROUT_PAGE) return;
    }
  }

  count(): Promise<number> {
    return this.store.countSprouts();
  }
}
