import { describe, expect, it } from 'vitest';
import { fieldMessage, fieldName, humanError, plural } from '../../web/src/format.js';
import { JOB_COLOURS, jobColour } from '../../web/src/job-colour.js';

describe('plural', () => {
  it.each([
    [0, 'run', undefined, '0 runs'],
    [1, 'run', undefined, '1 run'],
    [2, 'run', undefined, '2 runs'],
    [1, 'entry', 'entries', '1 entry'],
    [3, 'entry', 'entries', '3 entries'],
    [1200, 'event', undefined, '1,200 events'],
  ])('%d %s → %s', (count, singular, pluralForm, expected) => {
    expect(plural(count, singular, pluralForm)).toBe(expected);
  });
});

describe('error wording', () => {
  it.each([
    ['meta.id', 'Id'],
    ['payload.limits.batchSize', 'Batch size'],
    ['payload.schedule.cronExpression', 'Cron expression'],
    ['payload.schedule.timezone', 'Time zone'],
    ['payload.parameters.fromTiers.0', 'From tiers'],
  ])('names %s as %s', (path, name) => {
    expect(fieldName(path)).toBe(name);
  });

  it('puts a schema message about a field in words, naming the field once', () => {
    expect(humanError({ code: 'CONFIG_INVALID', field: 'meta.id', message: 'meta.id: Too small: expected string to have >=1 characters' })).toBe('Id is required');
    expect(
      humanError({
        code: 'CONFIG_INVALID',
        field: 'payload.schedule.cronExpression',
        message: 'payload.schedule.cronExpression: payload.schedule.cronExpression: Invalid input: expected string, received undefined',
      }),
    ).toBe('Cron expression is required');
    expect(humanError({ code: 'CONFIG_INVALID', field: 'meta.title', message: 'Too big: expected string to have <=200 characters' })).toBe('Title must be at most 200 characters');
    expect(humanError({ code: 'CONFIG_INVALID', field: 'payload.limits.batchSize', message: 'Too small: expected number to be >=1' })).toBe('Batch size must be at least 1');
  });

  it('keeps a message already in words, after the field name', () => {
    expect(humanError({ code: 'CONFIG_INVALID', field: 'payload.notifications.webhookSecret', message: 'must be at least 16 characters' })).toBe('Webhook secret must be at least 16 characters');
    expect(fieldMessage('payload.notifications.webhookSecret: must be at least 16 characters', 'payload.notifications.webhookSecret')).toBe('must be at least 16 characters');
  });

  it('words a not-found code instead of showing it', () => {
    const text = humanError({ code: 'CONFIG_NOT_FOUND', message: "config 'nope' not found" });
    expect(text).toBe('There is no job with this id: it may have been deleted or renamed.');
    expect(text).not.toMatch(/[A-Z]+_[A-Z]+/);
  });
});

describe('jobColour', () => {
  it('gives a job the same colour whatever other jobs exist, from the palette', () => {
    const ids = ['advancement-batch', 'signal-aggregation-7d', 'signal-aggregation-30d', 'health-check', 'orphan-cleanup'];
    const alone = ids.map((id) => jobColour(id));
    expect([...ids].reverse().map((id) => jobColour(id))).toEqual([...alone].reverse());
    for (const colour of alone) expect(JOB_COLOURS).toContain(colour);
  });

  it('spreads ids over the palette', () => {
    const used = new Set(Array.from({ length: 200 }, (_, i) => jobColour(`job-${i}`)));
    expect(used.size).toBe(JOB_COLOURS.length);
  });
});
