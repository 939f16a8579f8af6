import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { defineJobType, JobTypeRegistry } from './job-type.js';
import { payloadSchema } from './schema.js';
import { nearestPath, schemaPaths, validateJobConfig } from './validate.js';

const MANAGED = {
  version: 1,
  createdAt: '2026-12-07T00:00:00.000Z',
  updatedAt: '2026-12-07T00:00:00.000Z',
  createdBy: 'test',
  updatedBy: 'test',
};

const registry = new JobTypeRegistry([
  defineJobType({
    name: 'export',
    description: 'an export',
    parameters: z.strictObject({ format: z.enum(['csv', 'pdf']).default('csv'), target: z.object({ bucket: z.string().default('b') }).default({ bucket: 'b' }) }),
    execute: async () => undefined,
  }),
]);

function refusal(payload: Record<string, unknown>, meta: Record<string, unknown> = { id: 'nightly' }): ConfigError {
  try {
    const schedule = { cronExpression: '0 2 * * *', ...(payload['schedule'] as object | undefined) };
    validateJobConfig({ meta, payload: { jobType: 'export', ...payload, schedule } }, registry, MANAGED);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected the config to be refused');
}

describe('unknown fields', () => {
  it.each([
    { given: { batchSize: 0 }, path: 'payload.batchSize', meant: 'payload.limits.batchSize' },
    { given: { limits: { batchsize: 5 } }, path: 'payload.limits.batchsize', meant: 'payload.limits.batchSize' },
    { given: { limits: { batchSise: 5 } }, path: 'payload.limits.batchSise', meant: 'payload.limits.batchSize' },
    { given: { cronExpression: '0 3 * * *' }, path: 'payload.cronExpression', meant: 'payload.schedule.cronExpression' },
    { given: { schedule: { timeZone: 'UTC' } }, path: 'payload.schedule.timeZone', meant: 'payload.schedule.timezone' },
    { given: { retry: { maxAttempt: 3 } }, path: 'payload.retry.maxAttempt', meant: 'payload.retry.maxAttempts' },
    { given: { parameters: { fromat: 'pdf' } }, path: 'payload.parameters.fromat', meant: 'payload.parameters.format' },
    { given: { bucket: 'x' }, path: 'payload.bucket', meant: 'payload.parameters.target.bucket' },
  ])('names $path and suggests $meant', ({ given, path, meant }) => {
    const error = refusal(given);
    expect(error.issues).toContainEqual({ path, message: `is not a known field; did you mean ${meant}?` });
    expect(error.message).toContain(`${path}: is not a known field; did you mean ${meant}?`);
  });

  it('suggests a meta field for a misspelt one', () => {
    expect(refusal({}, { id: 'nightly', titel: 'Nightly' }).issues).toContainEqual({ path: 'meta.titel', message: 'is not a known field; did you mean meta.title?' });
  });

  it('suggests nothing when no known field is near', () => {
    expect(refusal({ limits: { colour: 'red' } }).issues).toContainEqual({ path: 'payload.limits.colour', message: 'is not a known field' });
  });
});

describe('nearestPath', () => {
  it.each([
    { path: 'payload.batchSize', known: ['payload.limits', 'payload.limits.batchSize'], nearest: 'payload.limits.batchSize' },
    { path: 'payload.limits.size', known: ['payload.limits.batchSize', 'payload.limits.timeoutSeconds'], nearest: undefined },
    { path: 'a.x.name', known: ['a.x.nam', 'a.y.name', 'b.z.w.name'], nearest: 'a.y.name' },
    { path: 'a.naem', known: ['a.name', 'a.same'], nearest: 'a.name' },
  ])('$path among $known: $nearest', ({ path, known, nearest }) => {
    expect(nearestPath(path, known)).toBe(nearest);
  });
});

describe('schemaPaths', () => {
  it('lists sections and leaves through optional and default wrappers, stopping at records', () => {
    const paths = schemaPaths(payloadSchema, 'payload');
    expect(paths).toEqual(expect.arrayContaining(['payload.limits', 'payload.limits.batchSize', 'payload.schedule.misfireGraceSeconds', 'payload.parameters']));
    expect(paths.some((p) => p.startsWith('payload.parameters.'))).toBe(false);
  });
});
