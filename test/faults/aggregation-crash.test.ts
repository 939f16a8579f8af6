import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeSignals, SIGNAL_PERIODS, type SignalPeriod } from '../../src/domain/grove/index.js';
import { createAggregationStore } from '../../src/store/grove/aggregation.js';
import { createPostgresSql } from '../../src/store/drivers/postgres.js';
import { migrate } from '../../src/store/migrate.js';
import { searchPath } from '../../src/store/schemas.js';
import { clusterToolsAvailable, createTestCluster, type TestCluster } from '../support/pg-cluster.js';
import { addEvents, addSprouts, type TestEvent } from '../support/usage-events.js';

/**
 * The running state of incremental aggregation is unlogged (migration grove/0003): a crash
 * empties it. On a PostgreSQL cluster of its own, stopped in immediate mode, this checks that
 * the next refreshes notice, recompute from the events, build the state again, and agree with
 * the definition throughout.
 */

const hasClusterTools = await clusterToolsAvailable('The aggregation crash test');

const HOUR = 3_600_000;
const SPROUTS = ['a', 'b', 'c', 'd'];
const TYPES = ['viewed', 'retrieved', 'rated_up', 'rated_down', 'searched'] as const;

/** `count` events spread over the `spanHours` before `until`, deterministic. */
function eventsBefore(until: Date, count: number, spanHours: number, seed: number): TestEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const n = seed * 7919 + i * 104_729;
    return {
      sproutId: SPROUTS[n % SPROUTS.length] as string,
      eventType: TYPES[n % TYPES.length] as (typeof TYPES)[number],
      sessionId: `s${n % 13}`,
      userId: n % 3 === 0 ? null : `u${n % 5}`,
      lensId: n % 2 === 0 ? `l${n % 4}` : null,
      hubId: n % 5 === 0 ? null : `h${n % 3}`,
      createdAt: new Date(until.getTime() - ((n % (spanHours * 60)) + 1) * 60_000),
    };
  });
}

describe.skipIf(!hasClusterTools)('signal aggregation through a PostgreSQL crash', () => {
  let cluster: TestCluster | undefined;

  beforeAll(async () => {
    cluster = await createTestCluster('grove_aggcrash');
  }, 120_000);

  afterAll(async () => {
    await cluster?.drop();
  }, 60_000);

  it('recomputes from the events after a crash emptied the running state, builds it again, and agrees with the definition', async () => {
    const url = (cluster as TestCluster).url;
    const open = () => createPostgresSql({ connectionString: url, maxConnections: 2 });
    let sql = open();
    await migrate(sql);
    const written: TestEvent[] = [];
    const add = async (events: TestEvent[]) => {
      await addEvents(sql, events);
      written.push(...events);
    };
    const expectDefinition = async (now: Date, periods: readonly SignalPeriod[]) => {
      const rows = await createAggregationStore(sql).getSignals(SPROUTS);
      for (const period of periods) {
        for (const sproutId of SPROUTS) {
          expect(rows.find((r) => r.sproutId === sproutId && r.period === period), `${sproutId} ${period}`).toMatchObject(
            computeSignals(written.filter((e) => e.sproutId === sproutId), period, now),
          );
        }
      }
    };
    const stateRows = async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`set search_path = ${searchPath(sql.schema, sql.domainSchema)}`);
        const { rows } = await client.query<{ keys: number; marks: number; journal: number; state: number }>(
          `select (select count(*)::int from sprout_signal_keys) as keys, (select count(*)::int from sprout_signal_key_marks) as marks,
                  (select count(*)::int from sprout_signal_key_journal) as journal, (select count(*)::int from signal_key_state) as state`,
        );
        return rows[0];
      } finally {
        await client.end();
      }
    };

    let now = new Date('2026-03-10T00:00:00Z');
    await addSprouts(sql, SPROUTS, now);
    await add(eventsBefore(now, 200, 24 * 20, 1));
    let store = createAggregationStore(sql);
    await store.refreshSignals({ periods: SIGNAL_PERIODS, full: false, now });
    // One more fold, read by all_time only: last_7d and last_30d still need its journal.
    now = new Date(now.getTime() + HOUR);
    await add(eventsBefore(now, 40, 1, 2));
    await store.refreshSignals({ periods: ['all_time'], full: false, now });
    expect(await stateRows()).toMatchObject({ marks: 4, state: 1 });
    expect((await stateRows())?.journal).toBeGreaterThan(0);

    await sql.close();
    await (cluster as TestCluster).crash();
    await (cluster as TestCluster).ctl('start');
    sql = open();
    expect(await stateRows()).toEqual({ keys: 0, marks: 0, journal: 0, state: 0 });

    // After the crash: new events, and every period refreshed, the two behind ones first.
    now = new Date(now.getTime() + HOUR);
    await add(eventsBefore(now, 40, 1, 3));
    store = createAggregationStore(sql);
    const refreshed = await store.refreshSignals({ periods: ['last_7d', 'last_30d', 'all_time'], full: false, now });
    expect(refreshed.map((r) => [r.period, r.mode, r.sproutsRecomputed])).toEqual([
      ['last_7d', 'incremental', 4],
      ['last_30d', 'incremental', 4],
      ['all_time', 'incremental', 4],
    ]);
    await expectDefinition(now, SIGNAL_PERIODS);
    expect(await stateRows()).toMatchObject({ marks: 4, state: 1 });

    // The state is whole again: the next refresh recomputes only the sprouts with new events.
    now = new Date(now.getTime() + HOUR);
    await add(eventsBefore(now, 3, 1, 4).map((e) => ({ ...e, sproutId: 'b' })));
    const [next] = await store.refreshSignals({ periods: ['last_7d'], full: false, now });
    expect(next).toMatchObject({ mode: 'incremental', sproutsRecomputed: 1 });
    await expectDefinition(now, ['last_7d']);
    await sql.close();
  }, 120_000);
});
