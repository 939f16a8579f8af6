import type { JobTypeRegistry } from '../domain/config/index.js';
import type { ConfigService } from '../engine/config-service.js';
import type { EngineEvents } from '../engine/events.js';
import type { ExecutionService } from '../engine/execution-service.js';
import type { SlotService } from '../engine/slot-service.js';
import type { AdvancementService } from '../engine/grove/advancement-service.js';
import type { SproutService } from '../engine/grove/sprout-service.js';
import type { AggregationStore, Clock, Store, StoreFlags } from '../engine/ports.js';

/** The Grove domain as the API uses it. */
export interface ApiGrove {
  readonly flags: StoreFlags;
  readonly sprouts: SproutService;
  readonly signals: AggregationStore;
  readonly advancement: AdvancementService;
}

/**
 * What the HTTP API needs of the system. Declared here, on the API's side, so that api/ never
 * imports the composition root that builds it: app.ts's `GroveJobs` has all of it and more
 * (the loops, closing), and is passed in as one.
 */
export interface ApiSystem {
  readonly clock: Clock;
  readonly store: Store;
  readonly jobTypes: JobTypeRegistry;
  readonly configs: ConfigService;
  readonly executions: ExecutionService;
  readonly slots: SlotService;
  readonly events: EngineEvents;
  /** Throws when the system was built without the Grove stores. */
  readonly grove: ApiGrove;
}
