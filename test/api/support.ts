import { builtInJobTypes, createGroveJobs, createGroveStores, type GroveJobs } from '../../src/app.js';
import { createApi } from '../../src/api/app.js';
import { issueToken } from '../../src/api/auth.js';
import type { Sql } from '../../src/store/sql.js';
import { createSqlStore } from '../../src/store/sql-store.js';
import { createTokenStore } from '../../src/store/tokens.js';
import { testJobType } from '../support/builders.js';
import { FakeClock } from '../support/fake-clock.js';

export interface ApiHarness {
  sql: Sql;
  clock: FakeClock;
  system: GroveJobs;
  app: ReturnType<typeof createApi>;
  tokens: { admin: string; operator: string; viewer: string };
  /** Calls the API in-process (no port) as `as` (a role's token, or none). */
  call(method: string, path: string, options?: { as?: 'admin' | 'operator' | 'viewer' | 'none'; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<Response>;
  /** Row counts and a digest of every config: equal before and after means nothing changed. */
  snapshot(): Promise<string>;
}

/** A system on a fresh schema with the API around it and one token per role. */
export async function makeHarness(sql: Sql, clock = new FakeClock('2026-11-23T10:00:00Z')): Promise<ApiHarness> {
  const system = createGroveJobs({ clock, store: createSqlStore(sql), grove: createGroveStores(sql), jobTypes: [testJobType, ...builtInJobTypes] });
  const store = createTokenStore(sql);
  const now = clock.now();
  const tokens = {
    admin: (await issueToken(store, { role: 'admin', name: 'test-admin', now })).token,
    operator: (await issueToken(store, { role: 'operator', name: 'test-operator', now })).token,
    viewer: (await issueToken(store, { role: 'viewer', name: 'test-viewer', now })).token,
  };
  // Every test request comes from its own address so the failure limiter never interferes.
  let requests = 0;
  const app = createApi({ system, tokens: store, auth: { clientAddress: () => `test-${requests++}` } });
  return {
    sql,
    clock,
    system,
    app,
    tokens,
    call(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      const as = options.as ?? 'operator';
      if (as !== 'none') headers['authorization'] = `Bearer ${tokens[as]}`;
      let body: string | undefined = options.raw;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      if (body !== undefined) headers['content-length'] ??= String(Buffer.byteLength(body));
      return Promise.resolve(app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) }));
    },
    async snapshot() {
      const [row] = await sql.query<Record<string, unknown>>({
        name: 'api-test-snapshot',
        text: `select (select count(*)::int from job_configs) as configs,
                      (select count(*)::int from job_config_versions) as versions,
                      (select count(*)::int from executions) as executions,
                      (select count(*)::int from api_tokens) as tokens,
                      (select md5(coalesce(string_agg(config::text, ',' order by id), '')) from job_configs) as digest`,
      });
      return JSON.stringify(row);
    },
  };
}
