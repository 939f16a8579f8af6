import type { SqlQuery } from '../sql.js';

/**
 * Execution ids from `lo` to `hi` (both included) in id order, at most `limit`: the ids a
 * prefix names, read as a range scan of the primary key (a prefix's ids are one contiguous
 * range of uuids, which compare as their bytes), never a text match over the table.
 */
export function executionIdsInRange(lo: string, hi: string, limit: number): SqlQuery {
  return {
    name: 'execution_ids_in_range',
    text: `select id::text as id from executions where id >= $1::uuid and id <= $2::uuid order by id limit $3`,
    values: [lo, hi, limit],
  };
}

/**
 * Each id with the ids just before and after it in id order (null at either end): the only
 * ids that can share more of its prefix than any other does. Two index probes per id.
 */
export function executionIdNeighbours(ids: readonly string[]): SqlQuery {
  return {
    name: 'execution_id_neighbours',
    text: `select x.id::text as id,
                  (select e.id::text from executions e where e.id < x.id order by e.id desc limit 1) as before,
                  (select e.id::text from executions e where e.id > x.id order by e.id limit 1) as after
             from unnest($1::uuid[]) as x(id)`,
    values: [ids],
  };
}
