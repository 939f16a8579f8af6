import type { SignalEvent } from '../../src/domain/grove/index.js';
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

/** Inserts the events, in their order (ids follow it), in one statement. */
export async function addEvents(sql: Sql, events: readonly TestEvent[]): Promise<void> {
  if (events.length === 0) return;
  await sql.query({
    name: 'test-add-events',
    text: `insert into sprout_usage_events (sprout_id, event_type, session_id, user_id, lens_id, hub_id, created_at)
           select sprout_id, event_type, session_id, user_id, lens_id, hub_id, created_at
             from jsonb_to_recordset($1::jsonb)
                  as x(sprout_id text, event_type text, session_id text, user_id text, lens_id text, hub_id text, created_at timestamptz)`,
    values: [
      JSON.stringify(
        events.map((e) => ({
          sprout_id: e.sproutId,
          event_type: e.eventType,
          session_id: e.sessionId,
          user_id: e.userId ?? null,
          lens_id: e.lensId ?? null,
          hub_id: e.hubId ?? null,
          created_at: e.createdAt.toISOString(),
        })),
      ),
    ],
  });
}
