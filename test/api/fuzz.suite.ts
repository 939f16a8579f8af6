import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdentifier, type Sql } from '../../src/store/sql.js';
import { aJobConfig } from '../support/builders.js';
import type { SqlFactory } from '../support/test-store.js';
import { type ApiHarness, makeHarness } from './support.js';

// The whole API under generated requests: every mutating route (and the read routes that take
// ids, filters and sort keys), with NUL characters, nesting up to 20,000 levels, numbers out
// of the safe range, wrong types, wrong media types, SQL injection and bodies at the size
// limit. Nothing may answer 5xx, take 4 s, or change a table while refusing.

/** The body limit createApi applies by default (10 MiB). */
const LIMIT = 10 * 1024 * 1024;
/** The deepest nesting the API accepts in a JSON body. */
const MAX_DEPTH = 64;
/** No request may take longer than this, whatever it carries. */
const MAX_REQUEST_MS = 4000;
/** Requests between two refills of the fixtures (a DELETE may have removed them). */
const REFILL_EVERY = 250;
/** Every table is digested after this many requests even when no transaction wrote (checking that shortcut). */
const FULL_DIGEST_EVERY = 20;

type Role = 'admin' | 'operator' | 'viewer' | 'none';
type Key = string | number;

/** A route as the OpenAPI document names it, how to fill its path, and a body close to valid. */
interface RouteSpec {
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'GET';
  template: string;
  /** A body it accepts (or nearly), where nasty values are planted. */
  body?: () => unknown;
  /** Paths inside the body worth planting at (besides the root). */
  slots?: ReadonlyArray<readonly Key[]>;
  /** Query parameters it reads. */
  query?: readonly string[];
}

const httpConfig = (id: string) => ({
  meta: { id, title: 'Fuzz http' },
  payload: {
    jobType: 'http-request',
    schedule: { cronExpression: '0 3 * * *', timezone: 'UTC', isEnabled: false },
    parameters: { method: 'POST', url: 'http://127.0.0.1:9/hook', headers: { 'X-A': '1' }, body: { a: { b: 1 } } },
  },
});

const rule = (id: string) => ({
  meta: { id, title: 'Fuzz rule' },
  payload: { fromTier: 'seed', toTier: 'sprout', criteria: [{ signal: 'retrievals', operator: '>=', threshold: 2 }], logicOperator: 'AND', isEnabled: false, order: 5 },
});

const CONFIG_SLOTS: ReadonlyArray<readonly Key[]> = [
  ['meta', 'id'],
  ['meta', 'title'],
  ['meta', 'description'],
  ['payload', 'jobType'],
  ['payload', 'schedule', 'cronExpression'],
  ['payload', 'schedule', 'timezone'],
  ['payload', 'retry', 'maxAttempts'],
  ['payload', 'limits', 'batchSize'],
  ['payload', 'parameters', 'body'],
  ['payload', 'parameters', 'body', 'a', 'b'],
  ['payload', 'parameters', 'headers', 'X-B'],
  ['payload', 'parameters', 'secretHeaders', 'Authorization'],
  ['payload', 'parameters', 'url'],
  ['payload', 'notifications', 'channels'],
  ['payload', 'unknown'],
];

/** Every route the fuzz sends to; the test checks it against the OpenAPI document's writes. */
export const FUZZ_ROUTES: readonly RouteSpec[] = [
  { method: 'POST', template: '/api/jobs', body: () => httpConfig('fz-new'), slots: CONFIG_SLOTS },
  { method: 'PUT', template: '/api/jobs/{id}', body: () => httpConfig('fz-http'), slots: CONFIG_SLOTS },
  { method: 'PATCH', template: '/api/jobs/{id}', body: () => ({ meta: { title: 'Patched' }, payload: { parameters: { body: { a: 1 } } } }), slots: CONFIG_SLOTS },
  { method: 'POST', template: '/api/jobs/{id}/preview', body: () => ({ payload: { schedule: { cronExpression: '30 2 * * *', timezone: 'America/New_York', isEnabled: true } } }), slots: CONFIG_SLOTS },
  { method: 'DELETE', template: '/api/jobs/{id}' },
  { method: 'POST', template: '/api/jobs/{id}/duplicate', body: () => ({ id: 'fz-copy', title: 'Copy' }), slots: [['id'], ['title']] },
  { method: 'POST', template: '/api/jobs/{id}/versions/{version}/restore' },
  { method: 'POST', template: '/api/jobs/{id}/run', body: () => ({ dryRun: true, batchSize: 10 }), slots: [['dryRun'], ['batchSize']] },
  { method: 'POST', template: '/api/jobs/{id}/pause', body: () => ({ reason: 'fuzz', until: '2099-01-01T00:00:00Z' }), slots: [['reason'], ['until']] },
  { method: 'POST', template: '/api/jobs/{id}/resume' },
  { method: 'POST', template: '/api/jobs/{id}/backfill', body: () => ({ from: '2026-11-20T00:00:00Z', until: '2026-11-21T00:00:00Z', overlap: 'queue', dryRun: true }), slots: [['from'], ['until'], ['overlap'], ['dryRun']] },
  {
    method: 'POST',
    template: '/api/apply',
    body: () => ({ documents: [httpConfig('fz-applied')], dryRun: true, message: 'fuzz' }),
    slots: [['documents', 0, 'meta', 'id'], ['documents', 0, 'payload', 'schedule', 'cronExpression'], ['documents', 0, 'payload', 'parameters', 'secretHeaders', 'Authorization'], ['documents', 1], ['manager'], ['dryRun'], ['force'], ['message']],
  },
  { method: 'POST', template: '/api/executions/{execution}/retry' },
  { method: 'POST', template: '/api/executions/{execution}/cancel' },
  { method: 'POST', template: '/api/advancement-rules', body: () => rule('fz-rule-new'), slots: [['meta', 'id'], ['meta', 'title'], ['payload', 'criteria', 0, 'threshold'], ['payload', 'order'], ['payload', 'fromTier'], ['payload', 'criteria']] },
  { method: 'PUT', template: '/api/advancement-rules/{rule}', body: () => rule('fz-rule'), slots: [['meta', 'version'], ['meta', 'title'], ['payload', 'criteria', 0, 'threshold'], ['payload', 'toTier']] },
  { method: 'DELETE', template: '/api/advancement-rules/{rule}' },
  { method: 'POST', template: '/api/sprouts', body: () => ({ sprouts: [{ title: 'Fuzz sprout', tier: 'seed' }] }), slots: [['sprouts', 0, 'id'], ['sprouts', 0, 'title'], ['sprouts', 0, 'tier'], ['sprouts', 0, 'extra']] },
  { method: 'POST', template: '/api/sprouts/{sprout}/tier', body: () => ({ tier: 'sprout', reason: 'fuzz' }), slots: [['tier'], ['reason']] },
  {
    method: 'POST',
    template: '/api/sprout-events',
    body: () => ({ events: [{ eventType: 'retrieved', sproutId: 'fz-sprout', sessionId: 's-1', metadata: { k: 'v' }, createdAt: '2026-11-23T09:00:00Z' }] }),
    slots: [['events', 0, 'metadata'], ['events', 0, 'metadata', 'k'], ['events', 0, 'metadata', 'deep', 'er'], ['events', 0, 'sessionId'], ['events', 0, 'provenance', 'lensId'], ['events', 0, 'createdAt']],
  },
  {
    method: 'POST',
    template: '/api/advancement-events/rollback',
    body: () => ({ since: '2026-11-01T00:00:00Z', until: '2026-11-23T00:00:00Z', preview: true }),
    slots: [['since'], ['ruleId'], ['executionId'], ['reason'], ['preview']],
  },
  // Reads that take ids, filters and sort keys.
  { method: 'GET', template: '/api/jobs', query: ['type', 'enabled', 'q', 'sort', 'limit', 'offset'] },
  { method: 'GET', template: '/api/jobs/{id}' },
  { method: 'GET', template: '/api/jobs/{id}/versions' },
  { method: 'GET', template: '/api/jobs/{id}/slots', query: ['from', 'until', 'limit'] },
  { method: 'GET', template: '/api/jobs/{id}/explain', query: ['at'] },
  { method: 'GET', template: '/api/jobs/{id}/executions', query: ['limit', 'status'] },
  { method: 'GET', template: '/api/executions/{execution}/logs', query: ['after', 'limit'] },
  { method: 'GET', template: '/api/sprouts', query: ['tier', 'after', 'limit', 'signals'] },
  { method: 'GET', template: '/api/sprouts/{sprout}' },
  { method: 'GET', template: '/api/advancement-rules', query: ['lifecycleModelId', 'enabled'] },
  { method: 'GET', template: '/api/advancement-events', query: ['since', 'until', 'ruleId', 'executionId', 'sproutId', 'limit'] },
];

const SQL_INJECTION = [
  "' OR '1'='1",
  "x'); drop table job_configs; --",
  '1; delete from api_tokens',
  "' union select hash, name, role from api_tokens --",
  'id desc; drop table sprouts',
  '$1',
  '\\',
  "%' and pg_sleep(5) is null --",
];

/** Ids as sent in the path (already encoded): real ones, missing ones, injections, NULs, odd encodings. */
const idSegment = (real: readonly string[]) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...real) },
    { weight: 2, arbitrary: fc.constantFrom(...SQL_INJECTION).map(encodeURIComponent) },
    { weight: 2, arbitrary: fc.constantFrom('%00', 'a%00b', `${real[0] ?? 'x'}%00`, '%E0%A4%A', '%ZZ', '..%2F..%2Fetc', 'x'.repeat(300), encodeURIComponent('é😀'), 'ghost') },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((s) => encodeURIComponent(s) || 'empty') },
  );

const queryValue = fc.oneof(
  fc.constantFrom(...SQL_INJECTION).map(encodeURIComponent),
  fc.constantFrom('%00', 'a%00', '1e999', '-1', '0', '99999999999999999999', '9007199254740993', 'id', '-nextRun', 'true', '', '2026-11-23T00:00:00Z', '%ZZ'),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
);

/** JSON texts that the input guard refuses wherever they appear. */
type Plant = { text: string; refused: 'nul' | 'number' | 'depth' | false; depth: number };

const deepText = (depth: number, kind: 'object' | 'array', leaf: string) =>
  kind === 'object' ? '{"a":'.repeat(depth) + leaf + '}'.repeat(depth) : '['.repeat(depth) + leaf + ']'.repeat(depth);

const plant: fc.Arbitrary<Plant> = fc.oneof(
  fc.constantFrom<Plant>(
    { text: '"a\\u0000b"', refused: 'nul', depth: 0 },
    { text: '{"k\\u0000":1}', refused: 'nul', depth: 1 },
    { text: '["ok","\\u0000"]', refused: 'nul', depth: 1 },
    { text: '1e999', refused: 'number', depth: 0 },
    { text: '-1e999', refused: 'number', depth: 0 },
    { text: '9007199254740993', refused: 'number', depth: 0 },
    { text: '-123456789012345678901234567890', refused: 'number', depth: 0 },
    { text: '1e300', refused: 'number', depth: 0 },
    { text: '9007199254740991', refused: false, depth: 0 },
    { text: '0.5e-400', refused: false, depth: 0 },
  ),
  fc
    .record({ depth: fc.constantFrom(2, 50, 58, 59, 60, 61, 62, 63, 64, 65, 66, 100, 1000, 2100, 5000, 20_000), kind: fc.constantFrom<'object' | 'array'>('object', 'array'), leaf: fc.constantFrom('1', '"x"', '"\\u0000"', '1e999', '{}', 'null') })
    .map(({ depth, kind, leaf }): Plant => ({
      text: deepText(depth, kind, leaf),
      refused: leaf === '"\\u0000"' ? 'nul' : leaf === '1e999' ? 'number' : 'depth',
      depth: depth + (leaf === '{}' ? 1 : 0),
    })),
  fc.constantFrom(...SQL_INJECTION).map((s): Plant => ({ text: JSON.stringify(s), refused: false, depth: 0 })),
  fc.jsonValue({ maxDepth: 3 }).map((v): Plant => ({ text: JSON.stringify(v) ?? 'null', refused: false, depth: 3 })),
);

const MARK = '@@fuzz-slot@@';

/** `base` as JSON with `value` (JSON text) at `path`, intermediate objects created as needed. */
function plantAt(base: unknown, path: readonly Key[], value: string): string {
  if (path.length === 0) return value;
  const root = structuredClone(base) as Record<Key, unknown>;
  let at: Record<Key, unknown> = root;
  for (const key of path.slice(0, -1)) {
    if (typeof at[key] !== 'object' || at[key] === null) at[key] = {};
    at = at[key] as Record<Key, unknown>;
  }
  at[path.at(-1) as Key] = MARK;
  return JSON.stringify(root).replace(`"${MARK}"`, () => value);
}

type BodySpec =
  | { kind: 'none' }
  | { kind: 'valid' }
  | { kind: 'plant'; path: readonly Key[]; plant: Plant }
  | { kind: 'raw'; text: string }
  | { kind: 'sized'; size: number; fill: 'spaces' | 'nul-string' | 'deep' };

const bodySpec = (route: RouteSpec): fc.Arbitrary<BodySpec> =>
  fc.oneof(
    { weight: 20, arbitrary: fc.constant<BodySpec>({ kind: route.body ? 'valid' : 'none' }) },
    {
      weight: 100,
      arbitrary: fc.record({ path: fc.constantFrom<readonly Key[]>([], ...(route.slots ?? [])), plant }).map(({ path, plant }): BodySpec => ({ kind: 'plant', path, plant })),
    },
    {
      weight: 20,
      arbitrary: fc
        .oneof(
          fc.string({ maxLength: 40 }),
          fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? ''),
          fc.jsonValue({ maxDepth: 4 }).map((v) => (JSON.stringify(v) ?? '').slice(0, -1)),
          fc.constantFrom('', '{', 'null', '[]', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"x":1}}}', '"\\u0000"', '{"a":1,"a":2}', '\u0000', '{"a":"\u0000"}'),
        )
        .map((text): BodySpec => ({ kind: 'raw', text })),
    },
    {
      weight: 1,
      arbitrary: fc
        .record({ size: fc.constantFrom(LIMIT - 1, LIMIT, LIMIT + 1), fill: fc.constantFrom<'spaces' | 'nul-string' | 'deep'>('spaces', 'nul-string', 'deep') })
        .map((s): BodySpec => ({ kind: 'sized', ...s })),
    },
  );

/** One generated request, built lazily (bodies may be 10 MiB). */
export interface FuzzRequest {
  route: RouteSpec;
  path: string;
  role: Role;
  contentType: string | undefined;
  headers: Record<string, string>;
  body: BodySpec;
}

const CONTENT_TYPES = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'application/merge-patch+json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'APPLICATION/JSON',
      'application/jsonx',
      undefined,
    ),
  },
);

const headerArb = fc.record(
  {
    'if-match': fc.constantFrom('"1"', '"2"', '"999"', 'W/"1"', '*', 'nonsense', "\"1' or '1'='1\"", '"99999999999999999999"'),
    'idempotency-key': fc.constantFrom('k-1', 'k-2', "k'; drop table executions; --", 'x'.repeat(300), ''),
    'x-request-id': fc.constantFrom('req-1', 'client-abc_123', 'x'.repeat(500), 'has space', 'é', '<script>'),
  },
  { requiredKeys: [] },
);

export interface FuzzIds {
  jobs: string[];
  executions: string[];
  rules: string[];
  sprouts: string[];
}

function requestArb(ids: FuzzIds): fc.Arbitrary<FuzzRequest> {
  const segments: Record<string, fc.Arbitrary<string>> = {
    id: idSegment(ids.jobs),
    version: fc.constantFrom('1', '2', '3', '0', '999999999', '1e3', '-1', '%00', encodeURIComponent("1' or '1'='1")),
    execution: idSegment(ids.executions),
    rule: idSegment(ids.rules),
    sprout: idSegment(ids.sprouts),
  };
  return fc.constantFrom(...FUZZ_ROUTES).chain((route) => {
    const names = [...route.template.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
    const query = route.query ?? [];
    return fc
      .record({
        segments: fc.tuple(...names.map((name) => segments[name] as fc.Arbitrary<string>)),
        query: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...(query.length > 0 ? query : ['x'])), fc.constantFrom('x', 'sort', '%00', 'a%00b', "'")), queryValue), { maxLength: query.length > 0 ? 4 : 1 }),
        role: fc.constantFrom<Role>('admin', 'admin', 'admin', 'admin', 'operator', 'operator', 'viewer', 'none'),
        contentType: CONTENT_TYPES,
        headers: headerArb,
        body: route.method === 'GET' ? fc.constant<BodySpec>({ kind: 'none' }) : bodySpec(route),
      })
      .map(({ segments: values, query: pairs, role, contentType, headers, body }) => {
        let i = 0;
        let path = route.template.replace(/\{\w+\}/g, () => values[i++] as string);
        if (pairs.length > 0) path += `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`;
        return { route, path, role, contentType, headers, body };
      });
  });
}

const MATRIX_PLANTS: readonly Plant[] = [
  { text: '"a\\u0000b"', refused: 'nul', depth: 0 },
  { text: '{"k\\u0000":1}', refused: 'nul', depth: 1 },
  { text: deepText(20_000, 'object', '1'), refused: 'depth', depth: 20_000 },
  { text: deepText(MAX_DEPTH + 1, 'array', '1'), refused: 'depth', depth: MAX_DEPTH + 1 },
  { text: '1e999', refused: 'number', depth: 0 },
  { text: '9007199254740993', refused: 'number', depth: 0 },
];

/**
 * Every route with every kind of refused input at least once, whatever the sample holds: each
 * plant at the body's root and deepest slot, bodies at the limit and one byte either side, and
 * a NUL in each path id.
 */
function matrixRequests(ids: FuzzIds): FuzzRequest[] {
  const real: Record<string, string> = { id: ids.jobs[0] ?? 'x', version: '1', execution: ids.executions[1] ?? 'x', rule: ids.rules[0] ?? 'x', sprout: ids.sprouts[0] ?? 'x' };
  const requests: FuzzRequest[] = [];
  for (const route of FUZZ_ROUTES) {
    const path = route.template.replace(/\{(\w+)\}/g, (_, name: string) => real[name] ?? 'x');
    const base = { route, path, role: 'admin' as const, contentType: 'application/json', headers: {} };
    for (const name of route.template.matchAll(/\{(\w+)\}/g)) {
      requests.push({ ...base, path: path.replace(real[name[1] as string] ?? '', (id) => `${id}%00`), body: { kind: 'none' } });
    }
    if (route.query) requests.push({ ...base, path: `${path}?${route.query[0]}=a%00b`, body: { kind: 'none' } });
    if (route.method === 'GET') continue;
    const deepest = [...(route.slots ?? [])].sort((a, b) => b.length - a.length)[0] ?? [];
    for (const plant of MATRIX_PLANTS) {
      requests.push({ ...base, body: { kind: 'plant', path: [], plant } });
      if (deepest.length > 0) requests.push({ ...base, body: { kind: 'plant', path: deepest, plant } });
    }
    for (const size of [LIMIT - 1, LIMIT, LIMIT + 1]) requests.push({ ...base, body: { kind: 'sized', size, fill: size === LIMIT ? 'nul-string' : 'spaces' } });
    requests.push({ ...base, body: { kind: 'sized', size: LIMIT, fill: 'deep' } });
  }
  return requests;
}

/** The text of a body spec. */
function bodyText(request: FuzzRequest): string | undefined {
  const { body, route } = request;
  const base = route.body?.() ?? {};
  switch (body.kind) {
    case 'none':
      return undefined;
    case 'valid':
      return JSON.stringify(base);
    case 'plant':
      return plantAt(base, body.path, body.plant.text);
    case 'raw':
      return body.text;
    case 'sized': {
      const text = JSON.stringify(base);
      if (body.fill === 'spaces') return text + ' '.repeat(Math.max(0, body.size - Buffer.byteLength(text)));
      if (body.fill === 'deep') return '{"a":'.repeat(Math.ceil(body.size / 5)).slice(0, body.size);
      // A long string ending in a NUL, at the first slot (or as the whole body).
      const withMark = plantAt(base, route.slots?.[0] ?? [], `"${MARK}"`);
      const room = body.size - Buffer.byteLength(withMark) + MARK.length - '\\u0000'.length;
      return withMark.replace(MARK, `${'x'.repeat(Math.max(0, room))}\\u0000`);
    }
  }
}

/** What the guard must refuse in this request, when it reaches the guard at all. */
function plantedViolation(request: FuzzRequest): string | undefined {
  const { body } = request;
  if (body.kind === 'plant') {
    if (body.plant.refused === 'nul' || body.plant.refused === 'number') return body.plant.refused;
    if (body.plant.refused === 'depth' && body.path.length + body.plant.depth > MAX_DEPTH) return 'depth';
  }
  if (body.kind === 'sized' && body.size <= LIMIT && body.fill !== 'spaces') return body.fill;
  return undefined;
}

function isJsonType(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/(json|[\w.-]+\+json)\s*(;|$)/i.test(contentType);
}

/**
 * The first transaction id not yet completed. No row of any table changes without a
 * transaction id, so while this stays the same (requests run one at a time, no engine loop
 * runs) every table is as it was; any write, even one rolled back, moves it.
 */
async function nextTransactionId(sql: Sql): Promise<string> {
  const [row] = await sql.query<{ xmax: string }>({ name: 'fuzz-xmax', text: 'select pg_snapshot_xmax(pg_current_snapshot())::text as xmax' });
  return row?.xmax ?? '';
}

/** One digest per table of the schema (every row, as text, in a stable order). */
async function tableDigests(sql: Sql, schema: string): Promise<() => Promise<Record<string, string>>> {
  const tables = await sql.query<{ table_name: string }>({
    name: 'fuzz-tables',
    text: `select table_name from information_schema.tables where table_schema = $1 and table_type = 'BASE TABLE' order by table_name`,
    values: [schema],
  });
  const columns = tables.map(({ table_name: name }) => {
    const table = quoteIdentifier(name);
    return `(select md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) from ${quoteIdentifier(schema)}.${table} t) as ${table}`;
  });
  const text = `select ${columns.join(', ')}`;
  return async () => {
    const [row] = await sql.query<Record<string, string>>({ name: `fuzz-digest-${schema}`, text });
    return row ?? {};
  };
}

interface Outcome {
  request: FuzzRequest;
  status: number;
  ms: number;
  text: string;
}

function describeRequest(request: FuzzRequest): string {
  const { body } = request;
  const what =
    body.kind === 'plant'
      ? `plant ${body.plant.text.length > 80 ? `${body.plant.text.slice(0, 40)}…(${body.plant.text.length} chars)` : body.plant.text} at ${body.path.join('.') || '(root)'}`
      : body.kind === 'raw'
        ? `raw ${JSON.stringify(body.text.slice(0, 60))}`
        : body.kind === 'sized'
          ? `sized ${body.size} ${body.fill}`
          : body.kind;
  return `${request.route.method} ${request.path.slice(0, 120)} as ${request.role} [${request.contentType ?? 'no content-type'}] ${what}`;
}

export interface FuzzOptions {
  runs: number;
  seed: number;
}

/** The fuzz over the whole API on one driver. */
export function runApiFuzzSuite(factory: SqlFactory, options: FuzzOptions): void {
  describe(`the API under ${options.runs.toLocaleString('en')} generated requests (${factory.name})`, () => {
    let h: ApiHarness;
    let digest: () => Promise<Record<string, string>>;
    const ids: FuzzIds = { jobs: ['fz-http', 'fz-test'], executions: [], rules: ['fz-rule'], sprouts: ['fz-sprout'] };

    /** The configs, rule and sprout the requests name, made again when a request deleted them. */
    async function refill(): Promise<void> {
      const actor = { actor: 'test' };
      await h.system.configs.get('fz-http').catch(() => h.system.configs.create(httpConfig('fz-http'), actor));
      await h.system.configs.get('fz-test').catch(async () => {
        await h.system.configs.create(aJobConfig({ id: 'fz-test' }), actor);
        await h.system.configs.update('fz-test', aJobConfig({ id: 'fz-test', displayName: 'Second version' }), actor);
      });
      if (!(await h.system.grove.advancement.rules({})).some((r) => r.meta.id === 'fz-rule')) await h.system.grove.advancement.createRule(rule('fz-rule'));
      await h.system.grove.sprouts.get('fz-sprout').catch(() => h.system.grove.sprouts.importSprouts([{ id: 'fz-sprout', title: 'Fuzz sprout', tier: 'seed' }]));
    }

    beforeAll(async () => {
      const sql = await factory.make();
      h = await makeHarness(sql);
      await refill();
      for (let i = 0; i < 4; i++) ids.executions.push((await h.system.executions.trigger('fz-test', { requestedBy: 'test', trigger: 'api' })).execution.id);
      // One finished execution, which retry accepts.
      await h.system.executions.cancel(ids.executions[0] as string, 'test');
      ids.executions.push('00000000-0000-4000-8000-000000000000', 'not-a-uuid');
      digest = await tableDigests(sql, sql.schema);
    });
    afterAll(() => factory.dispose());

    it('covers every write route of the OpenAPI document', async () => {
      const response = await h.call('GET', '/api/openapi.json', { as: 'none' });
      const document = (await response.json()) as { paths: Record<string, Record<string, unknown>> };
      const writes = Object.entries(document.paths).flatMap(([path, operations]) =>
        Object.keys(operations)
          .filter((method) => method !== 'get')
          .map((method) => `${method.toUpperCase()} ${path.replace(/\{\w+\}/g, '{}')}`),
      );
      const covered = new Set(FUZZ_ROUTES.map((r) => `${r.method} ${r.template.replace(/\{\w+\}/g, '{}')}`));
      expect(writes.filter((w) => !covered.has(w))).toEqual([]);
    });

    it(
      'answers no 5xx, takes under 4 s, refuses NUL, deep nesting and unsafe numbers with 400 naming the field, and changes no table while refusing',
      { timeout: 300_000 },
      async () => {
        const matrix = matrixRequests(ids);
        const requests = [...matrix, ...fc.sample(requestArb(ids), { numRuns: options.runs, seed: options.seed })];
        const failures: string[] = [];
        const statuses = new Map<number, number>();
        let slowest = 0;
        let refused = 0;
        let requestMs = 0;
        let digests = 0;
        let before = await digest();
        let xmax = await nextTransactionId(h.sql);
        const started = performance.now();
        for (const [n, request] of requests.entries()) {
          if (n > 0 && n % REFILL_EVERY === 0) {
            await refill();
            before = await digest();
            xmax = await nextTransactionId(h.sql);
          }
          const body = bodyText(request);
          const headers: Record<string, string> = { ...request.headers };
          if (request.role !== 'none') headers['authorization'] = `Bearer ${h.tokens[request.role]}`;
          if (request.contentType !== undefined) headers['content-type'] = request.contentType;
          if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
          const t0 = performance.now();
          const response = await h.app.request(request.path, { method: request.route.method, headers, ...(body !== undefined ? { body } : {}) });
          const text = await response.text();
          const ms = performance.now() - t0;
          slowest = Math.max(slowest, ms);
          requestMs += ms;
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          const outcome: Outcome = { request, status: response.status, ms, text };
          const fail = (why: string) => failures.push(`${why}: ${describeRequest(request)} → ${outcome.status} ${text.slice(0, 200)}`);
          if (response.status >= 500) fail('5xx');
          if (ms > MAX_REQUEST_MS) fail(`took ${Math.round(ms)} ms`);
          const xmaxAfter = await nextTransactionId(h.sql);
          const wrote = xmaxAfter !== xmax;
          xmax = xmaxAfter;
          const after = wrote || n % FULL_DIGEST_EVERY === 0 ? await digest() : before;
          if (after !== before) digests++;
          if (!wrote && after !== before && JSON.stringify(after) !== JSON.stringify(before)) fail('a table changed without a transaction id');
          if (response.status >= 400) {
            refused++;
            let error: { code?: unknown; field?: unknown } | undefined;
            try {
              error = (JSON.parse(text) as { error?: { code?: unknown; field?: unknown } }).error;
            } catch {
              error = undefined;
            }
            if (typeof error?.code !== 'string') fail('error without a code');
            const changed = Object.keys(after).filter((table) => after[table] !== before[table]);
            if (changed.length > 0) fail(`${response.status} changed ${changed.join(', ')}`);
            const violation = plantedViolation(request);
            // A violation in a body the API reads (authenticated, JSON, within the limit) is the guard's: 400 naming the field.
            if (violation && request.role !== 'none' && isJsonType(request.contentType) && (response.status !== 400 || typeof error?.field !== 'string')) {
              fail(`${violation} not refused with 400 and a field`);
            }
            if (request.role !== 'none' && request.path.includes('%00') && (body === undefined || isJsonType(request.contentType)) && Buffer.byteLength(body ?? '') <= LIMIT && response.status !== 400) {
              fail('a NUL in the path or query not refused with 400');
            }
            if (request.role !== 'none' && isJsonType(request.contentType) && Buffer.byteLength(body ?? '') > LIMIT && response.status !== 413) fail('over the limit, not 413');
          } else if ((plantedViolation(request) && isJsonType(request.contentType)) || request.path.includes('%00')) {
            fail(`${plantedViolation(request) ?? 'a NUL in the path or query'} accepted`);
          }
          before = after;
        }
        const seconds = (performance.now() - started) / 1000;
        // Figures for the record: how many, how fast, what they got.
        console.log(
          `[fuzz ${factory.name}] ${requests.length} requests (${matrix.length} of the fixed matrix) in ${seconds.toFixed(1)} s (${(requestMs / 1000).toFixed(1)} s in the API); every table digested ${digests} times (after each write, and every ${FULL_DIGEST_EVERY}th request); slowest ${Math.round(slowest)} ms; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`,
        );
        expect(failures.slice(0, 25), `${failures.length} failures`).toEqual([]);
        expect(refused).toBeGreaterThan(requests.length / 2);
        expect([...statuses.keys()].some((s) => s < 300)).toBe(true);
      },
    );
  });
}
