import type { SignalEvent } from '../../src/domain/grove/index.js';
import { createSproutStore } from '../../src/store/grove/sprouts.js';
import type { Sql } from '../../src/store/sql.js';

/** A usage event as the tests write it: SignalEvent plus its sprout. */
export interface TestEvent extends SignalEvent {
  sproutId: string;
}

/** Makes these sprouts (seed tier) unless they exist. */
export async function addSprouts(sql: Sql, ids: readonly string[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await sql.query({
    name: 'test-add-sprouts',
    text: `insert into sprouts (id, title, tier, created_at, updated_at)
           select id, 'Sprout ' || id, 'seed', $2::timestamptz, $2::timestamptz from unnest($1::text[]) as id
           on conflict (id) do nothing`,
    values: [ids, now],
  });
}

/** Inserts the events, in their order (ids follow it), as the product does. */
export async function addEvents(sql: Sql, events: readonly TestEvent[]): Promise<void> {
  if (events.length === 0) return;
  await createSproutStore(sql).insertUsageEvents(
    events.map((e) => ({
      eventType: e.eventType,
      sproutId: e.sproutId,
      sessionId: e.sessionId,
      ...(e.userId ? { userId: e.userId } : {}),
      provenance: { ...(e.lensId ? { lensId: e.lensId } : {}), ...(e.hubId ? { hubId: e.hubId } : {}) },
      createdAt: e.createdAt,
    })),
  );
}
