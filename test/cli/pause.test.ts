import { describe, expect, it } from 'vitest';
import { cli, useCliSchemas } from '../support/cli.js';

/** An end an hour from the moment the test runs (the CLI reads the system clock). */
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const ctx = useCliSchemas('cli_pause', { meta: { id: 'nightly-report' }, payload: { jobType: 'report', schedule: { isEnabled: true }, parameters: { format: 'pdf' } } }, { created: true });

describe('grove-jobs pause and resume', () => {
  it('pauses with a reason until resumed, recording who paused, and keeps the schedule switched on', async () => {
    const paused = await cli(['pause', 'nightly-report', '--reason', 'warehouse migration'], ctx.env);
    expect(paused).toMatchObject({ code: 0, stderr: '' });
    expect(paused.stdout).toBe('nightly-report is paused until resumed by cli:test: warehouse migration. Slots in the pause are not caught up.');

    const shown = await cli(['jobs', 'show', 'nightly-report', '--json'], ctx.env);
    expect(JSON.parse(shown.stdout)).toMatchObject({ meta: { version: 1 }, payload: { schedule: { isEnabled: true } } });

    const resumed = await cli(['resume', 'nightly-report'], ctx.env);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/^nightly-report is resumed\. Next run: \d{4}-\d\d-\d\d 02:00 UTC \(in /);
    expect((await cli(['resume', 'nightly-report'], ctx.env)).stdout).toBe('nightly-report was not paused; nothing changed.');
  });

  it('prints the pause and the resume as JSON with --json', async () => {
    const until = inAnHour();
    const paused = await cli(['pause', 'nightly-report', '--reason', ' supplier down ', '--until', until, '--json'], ctx.env);
    expect(paused.code).toBe(0);
    const body = JSON.parse(paused.stdout) as { paused: { at: string } };
    expect(body).toEqual({
      id: 'nightly-report',
      enabled: true,
      paused: { at: expect.any(String), reason: 'supplier down', until: new Date(until).toISOString(), by: 'cli:test' },
    });
    expect(Number.isNaN(Date.parse(body.paused.at))).toBe(false);

    const human = await cli(['pause', 'nightly-report', '--reason', 'longer', '--until', until], ctx.env);
    expect(human.stdout).toMatch(/^nightly-report is paused until \d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? UTC \(in (59m \d+s|1h 0m)\) by cli:test: longer\. Slots in the pause are not caught up\.$/);

    const resumed = await cli(['resume', 'nightly-report', '--json'], ctx.env);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toEqual({ id: 'nightly-report', enabled: true, paused: null, resumed: true });
    const again = await cli(['resume', 'nightly-report', '--json'], ctx.env);
    expect(JSON.parse(again.stdout)).toEqual({ id: 'nightly-report', enabled: true, paused: null, resumed: false });
  });

  it.each([
    { name: 'an empty reason', argv: ['--reason', '   '], field: 'reason', message: /reason: is required/ },
    { name: 'a reason over 500 characters', argv: ['--reason', 'x'.repeat(501)], field: 'reason', message: /reason: is 501 characters; at most 500/ },
    { name: 'an end that is not ISO 8601', argv: ['--reason', 'r', '--until', 'tomorrow 6am'], field: 'until', message: /until: must be an ISO 8601 date-time with a zone/ },
    { name: 'an end without a zone', argv: ['--reason', 'r', '--until', '2099-03-01T06:00:00'], field: 'until', message: /until: must be an ISO 8601/ },
    { name: 'an end in the past', argv: ['--reason', 'r', '--until', '2020-03-01T06:00:00Z'], field: 'until', message: /until: must be in the future/ },
  ])('refuses $name with exit code 2, naming the field, and pauses nothing', async ({ argv, field, message }) => {
    const refused = await cli(['pause', 'nightly-report', ...argv, '--json'], ctx.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(message);
    expect(JSON.parse(refused.stdout)).toEqual({ error: { code: 'CONFIG_INVALID', message: expect.stringMatching(message), field } });
    expect((await cli(['resume', 'nightly-report'], ctx.env)).stdout).toBe('nightly-report was not paused; nothing changed.');
  });

  it('refuses a pause without --reason with exit code 2', async () => {
    const refused = await cli(['pause', 'nightly-report'], ctx.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/required option '--reason <text>' not specified/);
  });

  it('answers an unknown config with exit code 2 for both commands', async () => {
    const paused = await cli(['pause', 'nowhere', '--reason', 'r', '--json'], ctx.env);
    expect(paused.code).toBe(2);
    expect(JSON.parse(paused.stdout)).toMatchObject({ error: { code: 'CONFIG_NOT_FOUND', field: 'meta.id' } });
    const resumed = await cli(['resume', 'nowhere'], ctx.env);
    expect(resumed.code).toBe(2);
    expect(resumed.stderr).toBe("grove-jobs: job config 'nowhere' does not exist");
  });
});
