import type { Sprout, UsageEvent } from '../../domain/grove/index.js';
import type { SproutStore } from '../../engine/ports.js';
import type { Sql } from '../sql.js';

interface SproutRow {
  id: string;
  title: string;
  tier: string;
  lifecycle_model_id: string;
  created_at: Date;
  updated_at: Date;
}

const SPROUT_COLUMNS = 'id, title, tier, lifecycle_model_id, created_at, updated_at';

function toSprout(row: SproutRow): Sprout {
  return {
    id: row.id,
    title: row.title,
    tier: row.tier,
    lifecycleModelId: row.lifecycle_model_id,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** Events per statement; a larger import goes in as several statements in one transaction. */
const EVENTS_PER_STATEMENT = 5000;

async function insertEvents(sql: Sql, events: readonly UsageEvent[]): Promise<number> {
  const rows = await sql.query<{ inserted: number }>({
    name: 'grove-events-insert',
    text: `with inserted as (
             insert into sprout_usage_events (sprout_id, event_type, session_id, user_id, lens_id, hub_id, query_hash, metadata, created_at)
             select e.sprout_id, e.event_type, e.session_id, e.user_id, e.lens_id, e.hub_id, e.query_hash, e.metadata, e.created_at
               from jsonb_to_recordset($1::jsonb) as e(sprout_id text, event_type text, session_id text, user_id text,
                    lens_id text, hub_id text, query_hash text, metadata jsonb, created_at timestamptz)
             returning 1
           )
           select count(*)::int as inserted from inserted`,
    values: [
      JSON.stringify(
        events.map((e) => ({
          sprout_id: e.sproutId,
          event_type: e.eventType,
          session_id: e.sessionId,
          user_id: e.userId ?? null,
          lens_id: e.provenance?.lensId ?? null,
          hub_id: e.provenance?.hubId ?? null,
          query_hash: e.provenance?.queryHash ?? null,
          metadata: e.metadata ?? null,
          created_at: e.createdAt.toISOString(),
        })),
      ),
    ],
  });
  return rows[0]?.inserted ?? 0;
}

/** The sprout and usage-event tables in SQL. Batches go in as one JSON document per statement. */
export function createSproutStore(sql: Sql): SproutStore {
  return {
    listLifecycleModels: async () =>
      (await sql.query<{ id: string; name: string; tiers: string[] }>({ name: 'grove-models-list', text: 'select id, name, tiers from lifecycle_models order by id' })).map(
        (row) => ({ id: row.id, name: row.name, tiers: [...row.tiers] }),
      ),

    insertSprouts: async (sprouts, now) => {
      if (sprouts.length === 0) return [];
      const rows = await sql.query<{ id: string }>({
        name: 'grove-sprouts-insert',
        text: `insert into sprouts (id, title, tier, lifecycle_model_id, created_at, updated_at)
               select coalesce(s.doc ->> 'id', gen_random_uuid()::text), s.doc ->> 'title', s.doc ->> 'tier', s.doc ->> 'lifecycle_model_id',
                      $2::timestamptz, $2::timestamptz
                 from jsonb_array_elements($1::jsonb) with ordinality as s(doc, n)
                order by s.n
               returning id`,
        values: [JSON.stringify(sprouts.map((s) => ({ id: s.id ?? null, title: s.title, tier: s.tier, lifecycle_model_id: s.lifecycleModelId }))), now],
      });
      return rows.map((row) => row.id);
    },

    existingSproutIds: async (ids) =>
      ids.length === 0
        ? []
        : (await sql.query<{ id: string }>({ name: 'grove-sprouts-existing', text: 'select id from sprouts where id = any($1::text[])', values: [[...ids]] })).map(
            (row) => row.id,
          ),

    insertUsageEvents: (events) =>
      sql.transaction(async (tx) => {
        let inserted = 0;
        for (let from = 0; from < events.length; from += EVENTS_PER_STATEMENT) {
          inserted += await insertEvents(tx, events.slice(from, from + EVENTS_PER_STATEMENT));
        }
        return inserted;
      }),


    listSprouts: async ({ tier, after, limit }) =>
      (
        await sql.query<SproutRow>({
          name: 'grove-sprouts-list',
          text: `select ${SPROUT_COLUMNS} from sprouts
                  where ($1::text is null or tier = $1) and ($2::text is null or id > $2)
                  order by id limit $3`,
          values: [tier ?? null, after ?? null, limit],
        })
      ).map(toSprout),

    getSprout: async (id) => {
      const row = (await sql.query<SproutRow>({ name: 'grove-sprouts-get', text: `select ${SPROUT_COLUMNS} from sprouts where id = $1`, values: [id] }))[0];
      return row ? toSprout(row) : undefined;
    },

    countSprouts: async () =>
      (await sql.query<{ n: number }>({ name: 'grove-sprouts-count', text: 'select count(*)::int as n from sprouts' }))[0]?.n ?? 0,
  };
}
