import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { assertPostgresReachable, POSTGRES_URL, uniqueSchema } from '../support/test-store.js';

const schemas: string[] = [];
let env: Record<string, string>;
const dir = mkdtempSync(join(tmpdir(), 'grove-cli-'));

beforeAll(assertPostgresReachable);
beforeEach(() => {
  const schema = uniqueSchema('cligrove');
  schemas.push(schema);
  env = { DATABASE_URL: POSTGRES_URL, GROVE_JOBS_SCHEMA: schema, GROVE_JOBS_ACTOR: 'cli:test' };
});
afterAll(async () => {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  for (const schema of schemas) await client.query(`drop schema if exists "${schema}", "${schema}_grove" cascade`);
  await client.end();
});

const parse = <T>(text: string) => JSON.parse(text) as T;

async function ok(argv: string[], stdin = ''): Promise<string> {
  const result = await cli(argv, env, stdin);
  expect(result.code, `${argv.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

describe('grove-jobs sprouts, events, rules, tier and rollback', () => {
  it('imports sprouts and events from files and standard input, all or none, and shows a sprout with signals and advancements', async () => {
    const sproutsFile = join(dir, 'sprouts.json');
    writeFileSync(sproutsFile, JSON.stringify([{ id: 'moss', title: 'Moss notes', tier: 'seed' }, { title: 'Fern primer', tier: 'sprout' }]));
    const { ids } = parse<{ ids: string[] }>(await ok(['sprouts', 'import', '--file', sproutsFile, '--json']));
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe('moss');

    const bad = await cli(['sprouts', 'import', '--file', '-', '--json'], env, JSON.stringify([{ id: 'ivy', title: 'Ivy', tier: 'seed' }, { id: 'oak', title: 'Oak', tier: 'bush' }]));
    expect(bad.code).toBe(2);
    expect(parse<{ error: { field: string } }>(bad.stdout).error.field).toBe('sprouts[1].tier');

    // NDJSON, one event per line.
    const lines = [
      { eventType: 'retrieved', sproutId: 'moss', sessionId: 'a', createdAt: '2026-11-20T10:00:00Z', provenance: { lensId: 'l1', hubId: 'h1' } },
      { eventType: 'referenced', sproutId: 'moss', sessionId: 'b', createdAt: '2026-11-21T10:00:00Z' },
      { eventType: 'rated_up', sproutId: 'moss', sessionId: 'b', createdAt: '2026-11-22T10:00:00Z' },
    ]
      .map((e) => JSON.stringify(e))
      .join('\n');
    expect(parse<{ inserted: number }>(await ok(['events', 'import', '--file', '-', '--json'], lines))).toEqual({ inserted: 3 });
    const future = await cli(['events', 'import', '--file', '-', '--json'], env, JSON.stringify([{ eventType: 'viewed', sproutId: 'moss', sessionId: 'c', createdAt: '2999-01-01T00:00:00Z' }]));
    expect(future.code).toBe(2);
    expect(parse<{ error: { field: string } }>(future.stdout).error.field).toBe('events[0].createdAt');

    await ok(['run', 'signal-aggregation-all-time']);
    const listed = parse<{ items: Array<{ id: string; signals: Record<string, { retrievalCount: number }> }> }>(await ok(['sprouts', 'list', '--signals', '--json']));
    expect(listed.items.map((s) => s.id)).toContain('moss');
    expect(listed.items.find((s) => s.id === 'moss')?.signals['all_time']?.retrievalCount).toBe(1);

    const rule = {
      meta: { id: 'first-steps', title: 'Seed → Sprout on first retrieval' },
      payload: { lifecycleModelId: 'botanical', fromTier: 'seed', toTier: 'sprout', criteria: [{ signal: 'retrievals', operator: '>=', threshold: 1 }], logicOperator: 'AND', isEnabled: true, order: 1 },
    };
    expect(parse<{ meta: { version: number } }>(await ok(['rules', 'create', '--file', '-', '--json'], JSON.stringify(rule))).meta.version).toBe(1);
    const stale = await cli(['rules', 'update', '--file', '-', '--json'], env, JSON.stringify({ ...rule, meta: { ...rule.meta, version: 7 } }));
    expect(stale.code).toBe(3);
    expect(parse<{ items: Array<{ meta: { id: string } }> }>(await ok(['rules', 'list', '--json'])).items.map((r) => r.meta.id)).toEqual(['first-steps']);

    await ok(['run', 'advancement-batch', '--dry-run']);
    expect(parse<{ tier: string }>(await ok(['sprouts', 'show', 'moss', '--json'])).tier).toBe('seed');
    await ok(['run', 'advancement-batch']);
    const shown = parse<{ tier: string; signals: Record<string, unknown>; advancements: Array<{ eventType: string; ruleId: string; executionId: string }> }>(await ok(['sprouts', 'show', 'moss', '--json']));
    expect(shown.tier).toBe('sprout');
    expect(Object.keys(shown.signals)).toEqual(['all_time']);
    expect(shown.advancements).toMatchObject([{ eventType: 'auto-advancement', ruleId: 'first-steps' }]);
    const history = parse<{ items: Array<{ id: string; dryRun: boolean; status: string }> }>(await ok(['history', 'advancement-batch', '--json']));
    expect(history.items.map((e) => [e.dryRun, e.status])).toEqual([
      [false, 'success'],
      [true, 'success'],
    ]);
    expect(shown.advancements[0]?.executionId).toBe(history.items[0]?.id);

    const range = ['--since', '2026-01-01T00:00:00Z', '--until', '2999-01-01T00:00:00Z'];
    const preview = parse<{ reverts: number; items: Array<{ sproutId: string; action: string }> }>(await ok(['rollback', ...range, '--preview', '--json']));
    expect(preview).toMatchObject({ reverts: 1, items: [{ sproutId: 'moss', action: 'revert' }] });
    expect((await cli(['rollback', ...range], env)).code).toBe(2);
    const applied = parse<{ reverted: Array<{ sproutId: string }> }>(await ok(['rollback', ...range, '--reason', 'rule too eager', '--json']));
    expect(applied.reverted.map((r) => r.sproutId)).toEqual(['moss']);
    expect(parse<{ tier: string }>(await ok(['sprouts', 'show', 'moss', '--json'])).tier).toBe('seed');

    const override = parse<{ eventType: string; operatorId: string; reason: string; toTier: string }>(await ok(['tier', 'set', 'moss', 'tree', '--reason', 'curated', '--json']));
    expect(override).toMatchObject({ eventType: 'manual-override', operatorId: 'cli:test', reason: 'curated', toTier: 'tree' });
    const noReason = await cli(['tier', 'set', 'moss', 'grove'], env);
    expect(noReason.code).not.toBe(0);
    expect(await ok(['rules', 'delete', 'first-steps'])).toContain('Deleted');
  });

  it('refuses a rule that does not move a sprout to the next tier (exit 2, naming the field), and lists and skips one stored before', async () => {
    const rule = (id: string, fromTier: string, toTier: string, version?: number) =>
      JSON.stringify({ meta: { id, ...(version ? { version } : {}) }, payload: { fromTier, toTier, criteria: [{ signal: 'retrievals', operator: '>=', threshold: 0 }] } });
    for (const [from, to, field] of [
      ['seed', 'tree', 'payload.toTier'],
      ['tree', 'seed', 'payload.toTier'],
      ['grove', 'tree', 'payload.fromTier'],
    ] as const) {
      const refused = await cli(['rules', 'create', '--file', '-', '--json'], env, rule('bad', from, to));
      expect(refused.code, `${from} → ${to}`).toBe(2);
      expect(parse<{ error: { field: string } }>(refused.stdout).error.field).toBe(field);
    }
    const plain = await cli(['rules', 'create', '--file', '-'], env, rule('bad', 'seed', 'tree'));
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain("payload.toTier: 'tree' is not the tier after 'seed' in botanical: a rule moves a sprout to 'sprout' only");
    await ok(['rules', 'create', '--file', '-'], rule('good', 'seed', 'sprout'));
    const update = await cli(['rules', 'update', '--file', '-', '--json'], env, rule('good', 'seed', 'sapling', 1));
    expect(update.code).toBe(2);
    expect(parse<{ error: { field: string } }>(update.stdout).error.field).toBe('payload.toTier');

    // A rule stored before the check: listed as skipped, and the batch leaves it out.
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(
      `insert into "${env['GROVE_JOBS_SCHEMA']}_grove".advancement_rules (id, title, lifecycle_model_id, from_tier, to_tier, criteria, logic_operator, sort_order, created_at, updated_at)
       values ('old-jump', 'Old jump', 'botanical', 'seed', 'tree', '[{"signal":"retrievals","operator":">=","threshold":0}]', 'AND', 0, now(), now())`,
    );
    await client.end();
    const listed = await ok(['rules', 'list']);
    expect(listed).toMatch(/old-jump\s+botanical\s+seed → tree\s+skipped/);
    expect(listed).toContain("Rule old-jump is skipped by advancement-batch: payload.toTier: 'tree' is not the tier after 'seed' in botanical");
    expect(parse<{ items: Array<{ meta: { id: string }; problem?: { field: string } }> }>(await ok(['rules', 'list', '--json'])).items.find((r) => r.meta.id === 'old-jump')?.problem?.field).toBe(
      'payload.toTier',
    );
    await ok(['sprouts', 'import', '--file', '-'], JSON.stringify([{ id: 'fern', title: 'Fern', tier: 'seed' }]));
    await ok(['events', 'import', '--file', '-'], JSON.stringify([{ eventType: 'retrieved', sproutId: 'fern', sessionId: 'a', createdAt: '2026-11-20T10:00:00Z' }]));
    await ok(['run', 'signal-aggregation-all-time']);
    const run = parse<{ result: { skippedRules: Array<{ ruleId: string }>; byRule: Record<string, number> } }>(await ok(['run', 'advancement-batch', '--json']));
    expect(run.result.skippedRules.map((r) => r.ruleId)).toEqual(['old-jump']);
    expect(run.result.byRule).toEqual({ good: 1 });
    expect(parse<{ tier: string }>(await ok(['sprouts', 'show', 'fern', '--json'])).tier).toBe('sprout');
  });

  it('shows who and why for each tier change of a sprout: the rule and its criteria, the operator and the reason', async () => {
    await ok(['sprouts', 'import', '--file', '-'], JSON.stringify([{ id: 'moss', title: 'Moss notes', tier: 'seed' }]));
    await ok(['events', 'import', '--file', '-'], JSON.stringify([{ eventType: 'retrieved', sproutId: 'moss', sessionId: 'a', createdAt: '2026-11-20T10:00:00Z' }]));
    await ok(['run', 'signal-aggregation-all-time']);
    await ok(['rules', 'create', '--file', '-'], JSON.stringify({ meta: { id: 'first-steps' }, payload: { fromTier: 'seed', toTier: 'sprout', criteria: [{ signal: 'retrievals', operator: '>=', threshold: 1 }] } }));
    await ok(['run', 'advancement-batch']);
    await ok(['rollback', '--since', '2026-01-01T00:00:00Z', '--until', '2999-01-01T00:00:00Z', '--reason', 'rule too eager']);
    await ok(['tier', 'set', 'moss', 'tree', '--reason', 'curated by hand']);
    const shown = await ok(['sprouts', 'show', 'moss']);
    const rows = shown.split('\n').filter((line) => / → /.test(line));
    expect(rows[0]).toMatch(/seed → tree\s+manual-override\s+cli:test\s+curated by hand/);
    expect(rows[1]).toMatch(/sprout → seed\s+bulk-rollback\s+cli:test\s+rule too eager \(undoes [0-9a-f-]{36}\)/);
    expect(rows[2]).toMatch(/seed → sprout\s+auto-advancement\s+rule first-steps\s+retrievals 1 >= 1\s+yes/);
    expect(shown).toMatch(/BY\s+WHY/);
  });

  it('seeds the same demo data for the same seed and a first advancement run moves real sprouts', async () => {
    const report = parse<{ sprouts: number; events: number; rules: number }>(await ok(['seed', '--sprouts', '60', '--events', '6000', '--seed', '3', '--json']));
    expect(report).toEqual({ sprouts: 60, events: 6000, rules: 4 });
    expect((await cli(['seed', '--sprouts', '60', '--events', '6000', '--seed', '3'], env)).code).toBe(2);
    expect((await cli(['seed', '--sprouts', 'many'], env)).code).toBe(2);
    const run = parse<{ status: string; result: { advanced: number } }>(await ok(['run', 'advancement-batch', '--json']));
    expect(run.status).toBe('success');
    expect(run.result.advanced).toBeGreaterThan(0);
  });
});
