import { describe, expect, it } from 'vitest';
import { cli, useCliSchemas } from '../support/cli.js';

const ctx = useCliSchemas('cli', {
  meta: { id: 'nightly-report', title: 'Nightly report' },
  // Switched on by the file: a new config is created off unless it says otherwise.
  payload: { jobType: 'report', schedule: { isEnabled: true }, parameters: { format: 'pdf' } },
});

function parseOne(stdout: string): unknown {
  return JSON.parse(stdout);
}

describe('grove-jobs jobs', () => {
  it('creates a config from a file and shows it as { meta, payload }', async () => {
    const created = await cli(['jobs', 'create', '--file', ctx.configFile], ctx.env);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toMatch(/^Created nightly-report \(version 1\)\. Next run: \d{4}-\d\d-\d\d 02:00 UTC/);

    const shown = await cli(['jobs', 'show', 'nightly-report', '--json'], ctx.env);
    expect(shown.code).toBe(0);
    const config = parseOne(shown.stdout) as { meta: Record<string, unknown>; payload: Record<string, unknown> };
    expect(Object.keys(config)).toEqual(['meta', 'payload']);
    expect(config.meta).toMatchObject({ id: 'nightly-report', version: 1, createdBy: 'cli:test' });
    expect(config.payload).toMatchObject({ jobType: 'report', parameters: { format: 'pdf', dryRun: false } });
  });

  it('shows the misfire grace: the default computed from the cron, or the one set', async () => {
    expect((await cli(['jobs', 'create', '--file', ctx.configFile], ctx.env)).code).toBe(0);
    expect((await cli(['jobs', 'show', 'nightly-report'], ctx.env)).stdout).toMatch(/^Misfires: +run-once, grace 60 s \(default\), catch-up window 3600 s$/m);
    expect((await cli(['jobs', 'set', 'nightly-report', 'payload.schedule.cronExpression=*/2 * * * * *'], ctx.env)).code).toBe(0);
    expect((await cli(['jobs', 'show', 'nightly-report'], ctx.env)).stdout).toMatch(/^Misfires: +run-once, grace 1 s \(default\),/m);
    const set = await cli(['jobs', 'set', 'nightly-report', 'payload.schedule.misfireGraceSeconds=5'], ctx.env);
    expect(set.code, set.stderr).toBe(0);
    expect((await cli(['jobs', 'show', 'nightly-report'], ctx.env)).stdout).toMatch(/^Misfires: +run-once, grace 5 s,/m);
    const refused = await cli(['jobs', 'set', 'nightly-report', 'payload.schedule.misfireGraceSeconds=0'], ctx.env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('payload.schedule.misfireGraceSeconds: must be at least 1 second');
  });

  it('reads a config from standard input with --file -', async () => {
    const stdin = JSON.stringify({ meta: { id: 'from-stdin' }, payload: { jobType: 'report' } });
    expect((await cli(['jobs', 'create', '--file', '-'], ctx.env, stdin)).code).toBe(0);
    const listed = parseOne((await cli(['jobs', 'list', '--json'], ctx.env)).stdout) as { items: Array<{ meta: { id: string } }> };
    expect(listed.items.map((c) => c.meta.id)).toContain('from-stdin');
  });

  it('sets fields by path as one new version, reading values as JSON or text', async () => {
    await cli(['jobs', 'create', '--file', ctx.configFile], ctx.env);
    const set = await cli(
      ['jobs', 'set', 'nightly-report', 'payload.schedule.cronExpression=0 3 * * *', 'payload.limits.batchSize=50', 'payload.schedule.timezone=America/New_York', '--json'],
      ctx.env,
    );
    expect(set.code).toBe(0);
    const config = parseOne(set.stdout) as { meta: { version: number }; payload: { schedule: Record<string, unknown>; limits: Record<string, unknown> } };
    expect(config.meta.version).toBe(2);
    expect(config.payload.schedule).toMatchObject({ cronExpression: '0 3 * * *', timezone: 'America/New_York' });
    expect(config.payload.limits['batchSize']).toBe(50);

    const human = await cli(['jobs', 'list'], ctx.env);
    expect(human.stdout).toMatch(/nightly-report\s+report\s+yes\s+0 3 \* \* \* \(America\/New_York\)\s+\d{4}-\d\d-\d\d 03:00 E[SD]T/);
  });

  it('refuses a bad value with a one-line error naming the field, exit 2, nothing changed', async () => {
    await cli(['jobs', 'create', '--file', ctx.configFile], ctx.env);
    const cases: Array<[string[], string]> = [
      [['payload.schedule.cronExpression=61 3 * * *'], 'payload.schedule.cronExpression: minute value 61 is out of range 0-59'],
      [['payload.schedule.timezone=Mars/Olympus'], 'payload.schedule.timezone:'],
      [['payload.limits.batchSize=0'], 'payload.limits.batchSize:'],
      [['payload.parameters.format=docx'], 'payload.parameters.format:'],
      [['meta.version=9'], 'meta.version:'],
      [['batchSize'], 'assignment:'],
    ];
    for (const [assignments, message] of cases) {
      const result = await cli(['jobs', 'set', 'nightly-report', ...assignments], ctx.env);
      expect(result.code, assignments.join(' ')).toBe(2);
      expect(result.stderr.split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(message);
    }
    const config = parseOne((await cli(['jobs', 'show', 'nightly-report', '--json'], ctx.env)).stdout) as { meta: { version: number } };
    expect(config.meta.version).toBe(1);
  });

  it('refuses a stale --if-version with exit 3 and changes nothing', async () => {
    await cli(['jobs', 'create', '--file', ctx.configFile], ctx.env);
    expect((await cli(['jobs', 'disable', 'nightly-report', '--if-version', '1'], ctx.env)).code).toBe(0);
    const stale = await cli(['jobs', 'set', 'nightly-report', 'payload.limits.batchSize=5', '--if-version', '1', '--json'], ctx.env);
    expect(stale.code).toBe(3);
    expect(stale.stderr).toContain('version 2, not 1');
    expect(parseOne(stale.stdout)).toMatchObject({ error: { code: 'CONFIG_VERSION_CONFLICT' } });
    const config = parseOne((await cli(['jobs', 'show', 'nightly-report', '--json'], ctx.env)).stdout) as {
      meta: { version: number };
      payload: { limits: { batchSize: number }; schedule: { isEnabled: boolean } };
    };
    expect(config.meta.version).toBe(2);
    expect(config.payload.limits.batchSize).toBe(100);
    expect(config.payload.schedule.isEnabled).toBe(false);
  });

  it('enables, disables, lists versions and restores one', async () => {
    await cli(['jobs', 'create', '--file', ctx.configFile], ctx.env);
    expect((await cli(['jobs', 'disable', 'nightly-report'], ctx.env)).stdout).toContain('nightly-report is disabled (version 2)');
    expect((await cli(['jobs', 'list'], ctx.env)).stdout).toMatch(/nightly-report\s+report\s+no\s+.*disabled/);
    expect((await cli(['jobs', 'enable', 'nightly-report'], ctx.env)).stdout).toContain('enabled (version 3)');

    const versions = parseOne((await cli(['jobs', 'versions', 'nightly-report', '--json'], ctx.env)).stdout) as {
      items: Array<{ version: number; changedBy: string; changes: Array<{ path: string }> }>;
    };
    expect(versions.items.map((v) => v.version)).toEqual([3, 2, 1]);
    expect(versions.items[1]).toMatchObject({ changedBy: 'cli:test', changes: [{ path: 'payload.schedule.isEnabled', from: true, to: false }] });

    const restored = await cli(['jobs', 'restore', 'nightly-report', '2'], ctx.env);
    expect(restored).toMatchObject({ code: 0 });
    expect(restored.stdout).toContain('Restored nightly-report version 2 as version 4');
    const table = (await cli(['jobs', 'versions', 'nightly-report'], ctx.env)).stdout;
    expect(table.split('\n')[0]).toMatch(/^VERSION\s+CHANGED AT\s+BY\s+CHANGES$/);
    expect(table).toContain('restored version 2: payload.schedule.isEnabled true → false');
  });

  it('reports unknown configs and commands with exit 2', async () => {
    const missing = await cli(['jobs', 'show', 'ghost'], ctx.env);
    expect(missing).toMatchObject({ code: 2, stderr: "grove-jobs: job config 'ghost' does not exist" });
    expect((await cli(['jobs', 'frobnicate'], ctx.env)).code).toBe(2);
    expect((await cli(['jobs', 'create'], ctx.env)).code).toBe(2);
    expect((await cli(['jobs', 'create', '--file', '/nonexistent.json'], ctx.env)).stderr).toContain('--file:');
  });
});

describe('grove-jobs next', () => {
  it('prints one JSON document with the description and the next runs', async () => {
    const result = await cli(['next', '30 2 * * *', '--tz', 'America/New_York', '--from', '2026-03-07T12:00:00Z', '--count', '2', '--json'], {});
    expect(result.code).toBe(0);
    expect(parseOne(result.stdout)).toEqual({
      description: 'At 02:30, every day (America/New_York)',
      timezone: 'America/New_York',
      nextRuns: ['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z'],
    });
  });

  it('prints slots in UTC and in the zone with the plain-language reading', async () => {
    const result = await cli(['next', '0 1 * * *', '--tz', 'America/New_York', '--from', '2026-10-31T12:00:00Z', '--count', '2'], {});
    expect(result.stdout.split('\n')).toEqual([
      'At 01:00, every day (America/New_York)',
      '#  UTC                   America/New_York',
      '1  2026-11-01T05:00:00Z  2026-11-01 01:00 EDT',
      '2  2026-11-02T06:00:00Z  2026-11-02 01:00 EST',
    ]);
  });

  it('says so when a schedule has no upcoming runs in its zone', async () => {
    const result = await cli(['next', '*/15 2 * 3 SUN#2', '--tz', 'America/New_York', '--from', '2026-01-01T00:00:00Z'], {});
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('No upcoming runs');
  });

  it('refuses bad input with exit 2 and a one-line error naming the field', async () => {
    const cases: Array<[string[], string]> = [
      [['61 3 * * *'], 'minute value 61 is out of range 0-59'],
      [['0 3 * * *', '--tz', 'Mars/Olympus'], "timezone 'Mars/Olympus'"],
      [['0 3 * * *', '--count', '0'], '--count:'],
      [['0 3 * * *', '--from', 'yesterday'], '--from:'],
      [['0 0 31 2 *'], 'could never fire'],
    ];
    for (const [argv, message] of cases) {
      const result = await cli(['next', ...argv], {});
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr.split('\n')).toHaveLength(1);
    }
  });
});
