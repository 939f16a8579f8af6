import type { StoreFlags } from '../engine/ports.js';
import type { Sql } from './sql.js';

/** The store_flags table (migration 0007). */
export function createStoreFlags(sql: Sql): StoreFlags {
  return {
    isSet: async (name) =>
      (await sql.query<{ name: string }>({ name: 'flags-get', text: 'select name from store_flags where name = $1', values: [name] })).length > 0,
    set: async (name, at) =>
      (
        await sql.query<{ name: string }>({
          name: 'flags-set',
          text: 'insert into store_flags (name, set_at) values ($1, $2::timestamptz) on conflict (name) do nothing returning name',
          values: [name, at],
        })
      ).length > 0,
  };
}
