import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, describe, expect, it } from 'vitest';
import { pgliteFactory } from '../support/test-store.js';
import { makeHarness } from './support.js';

const factory = pgliteFactory();
afterAll(() => factory.dispose());

describe('the OpenAPI document', () => {
  it('validates against the OpenAPI 3.1 schema', async () => {
    const harness = await makeHarness(await factory.make());
    const document = (await (await harness.app.request('/api/openapi.json')).json()) as { openapi: string; paths: Record<string, unknown> };
    const result = await new Validator().validate(document as unknown as Parameters<Validator["validate"]>[0]);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/api/jobs', '/api/sprout-events', '/api/events', '/api/advancement-events/rollback']));
  });
});
