import type { Sprout, SproutInput, UsageEvent } from '../../domain/grove/index.js';

/** A lifecycle model: its tiers, lowest first. */
export interface LifecycleModel {
  id: string;
  name: string;
  tiers: string[];
}

/** Sprouts and their usage events. */
export interface SproutStore {
  listLifecycleModels(): Promise<LifecycleModel[]>;
  /** Inserts sprouts (ids generated where missing) in one statement: all or none. Returns the ids in input order. */
  insertSprouts(sprouts: ReadonlyArray<SproutInput & { lifecycleModelId: string }>, now: Date): Promise<string[]>;
  /** The ids among `ids` that exist already. */
  existingSproutIds(ids: readonly string[]): Promise<string[]>;
  /** Inserts usage events in one statement per call: all or none. Returns how many. */
  insertUsageEvents(events: readonly UsageEvent[]): Promise<number>;
  /** Sprouts by id (keyset: those after `after`), optionally of one tier. */
  listSprouts(options: { tier?: string; after?: string; limit: number }): Promise<Sprout[]>;
  getSprout(id: string): Promise<Sprout | undefined>;
  countSprouts(): Promise<number>;
}

/** One-time facts about a store (e.g. that its defaults were installed). */
export interface StoreFlags {
  isSet(name: string): Promise<boolean>;
  /** Sets the flag; false when another process set it first. */
  set(name: string, at: Date): Promise<boolean>;
}
