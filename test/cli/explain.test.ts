import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { cli, useCliSchemas } from '../support/cli.js';
import { POSTGRES_URL } from '../support/test-store.js';

const DAY_MS = 86_400_000;
const isoSeconds = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');
const ctx = useCliSchemas('cli_explain', { meta: { id: 'nightly' }, payload: { jobType: 'report', schedule: { isEnabled: true, cronExpression: '30 2 * * *', timezone: 'America/New_York' }, parameters: { format: 'pdf' } } }, { created: true });

/** Makes the config three days old, first seen by a scheduler now: the slots in between passed unclaimed. */
async function ageConfig(): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`update "${ctx.schema}".job_config_versions set changed_at = changed_at - interval '3 days'`);
    await client.query(`update "${ctx.schema}".schedule_state set last_slot_at = now()`);
  } finally {
    await client.end();
  }
}

describe('grove-jobs explain and backfill', () => {
  it('explains a wall time that daylight saving skipped, in words', async () => {
    const explained = await cli(['explain', 'nightly', '--at', '2026-03-08T02:30'], ctx.env);
    expect(explained).toMatchObject({ code: 0, stderr: '' });
    expect(explained.stdout).toBe(
      'At 2026-03-08 02:30 America/New_York there was no slot: that wall-clock time does not exist (clocks went 02:00 → 03:00); the 02:30 slot came before the config was created.',
    );
    const json = JSON.parse((await cli(['explain', 'nightly', '--at', '2026-03-08T07:00:00Z', '--json'], ctx.env)).stdout) as { sentence: string; slots: Array<{ fate: string; dst: unknown }> };
    expect(json.slots).toMatchObject([{ fate: 'before-created', dst: { date: '2026-03-08', wallClock: '02:30:00', rule: 'gap-runs-after' } }]);
    expect(json.sentence).toMatch(/^At 2026-03-08 03:00 EDT \(07:00 UTC\) in America\/New_York there was a slot; it stands for the 02:30 wall time/);
  });

  it('lists the slots of a range as a table, with the daylight-saving days', async () => {
    const listed = await cli(['explain', 'nightly', '--from', '2026-03-07T00:00:00Z', '--until', '2026-03-10T00:00:00Z'], ctx.env);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.split('\n');
    expect(lines[0]).toBe('Slots of nightly from 2026-03-06 19:00 EST to 2026-03-09 20:00 EDT (3):');
    expect(lines[1]).toMatch(/^SLOT\s+UTC\s+FATE\s+EXECUTION\s+DETAIL$/);
    expect(lines.slice(2, 5).map((l) => l.replace(/\s+/g, ' '))).toEqual([
      '2026-03-07 02:30 EST 2026-03-07T07:30:00Z before-created',
      '2026-03-08 03:00 EDT 2026-03-08T07:00:00Z before-created daylight saving: 02:30 gap-runs-after',
      '2026-03-09 02:30 EDT 2026-03-09T06:30:00Z before-created',
    ]);
    expect(lines[5]).toBe('Daylight saving, 2026-03-08 02:30 America/New_York: 02:30 does not exist that day: runs once at the first instant after the gap (2026-03-08T03:00:00-04:00).');
    const json = JSON.parse((await cli(['explain', 'nightly', '--json'], ctx.env)).stdout) as { slots: Array<{ fate: string }>; truncated: boolean };
    expect(json.truncated).toBe(false);
    expect(json.slots.map((s) => s.fate)).toContain('upcoming');
  });

  it('backfills slots that passed unclaimed, once', async () => {
    await ageConfig();
    const now = new Date();
    const range = ['--from', isoSeconds(new Date(now.getTime() - 3 * DAY_MS + 60_000)), '--until', isoSeconds(now)];
    const dry = await cli(['backfill', 'nightly', ...range, '--dry-run'], ctx.env);
    expect(dry.code).toBe(0);
    expect(dry.stdout.split('\n').at(-1)).toBe('Would queue 3 backfill run(s) of nightly; nothing changed (dry run).');
    const done = await cli(['backfill', 'nightly', ...range], ctx.env);
    expect(done.code).toBe(0);
    expect(done.stdout.split('\n').filter((l) => / unclaimed\s+queued\s+[0-9a-f-]{36}$/.test(l))).toHaveLength(3);
    expect(done.stdout.split('\n').at(-1)).toBe('Queued 3 backfill run(s) of nightly.');
    const again = await cli(['backfill', 'nightly', ...range, '--json'], ctx.env);
    expect(JSON.parse(again.stdout)).toMatchObject({ slots: [], passed: { backfilled: 3 }, dryRun: false, overlap: 'queue' });
    const human = await cli(['backfill', 'nightly', ...range], ctx.env);
    expect(human.stdout).toBe('Nothing to backfill for nightly: no slot of the range is open (missed, paused, switched off or passed unclaimed). Left alone: 3 backfilled.');
    const history = await cli(['history', 'nightly', '--json'], ctx.env);
    expect((JSON.parse(history.stdout) as { items: Array<{ trigger: string; requestedBy: string }> }).items.map((e) => `${e.trigger} ${e.requestedBy}`)).toEqual([
      'backfill cli:test',
      'backfill cli:test',
      'backfill cli:test',
    ]);
  });

  it.each([
    { argv: ['explain', 'nightly', '--at', 'soon'], field: 'at', message: /at: must be an ISO 8601 date-time/ },
    { argv: ['explain', 'nightly', '--at', '2026-03-08T02:30', '--from', '2026-03-01T00:00:00Z'], field: '--at', message: /--at: explains one instant/ },
    { argv: ['explain', 'nightly', '--from', '2026-03-02T00:00:00Z', '--until', '2026-03-01T00:00:00Z'], field: 'until', message: /until: must be after from/ },
    { argv: ['backfill', 'nightly', '--from', 'yesterday', '--until', '2026-03-01T00:00:00Z'], field: 'from', message: /from: must be an ISO 8601/ },
    { argv: ['backfill', 'nightly', '--from', '2026-03-01T00:00:00Z', '--until', '2099-03-01T00:00:00Z'], field: 'until', message: /until: must not be in the future/ },
    { argv: ['backfill', 'nightly', '--from', '2026-03-01T00:00:00Z', '--until', '2026-03-02T00:00:00Z', '--overlap', 'sometimes'], field: '--overlap', message: /--overlap: 'sometimes' must be one of skip, queue, all/ },
    { argv: ['explain', 'nowhere'], field: 'meta.id', message: /job config 'nowhere' does not exist/ },
  ])('refuses $argv with exit code 2 naming $field, changing nothing', async ({ argv, field, message }) => {
    const refused = await cli([...argv, '--json'], ctx.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(message);
    expect(JSON.parse(refused.stdout)).toMatchObject({ error: { field } });
    expect(JSON.parse((await cli(['history', 'nightly', '--json'], ctx.env)).stdout)).toEqual({ items: [] });
  });
});
