import { readFileSync } from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import { dumpSchema } from '../../scripts/dump-schema.js';
import { assertPostgresReachable } from '../support/test-store.js';

beforeAll(assertPostgresReachable);

it('the committed schema dump matches what the migrations produce', async () => {
  const committed = readFileSync(new URL('../../src/store/schema.sql', import.meta.url), 'utf8');
  expect(await dumpSchema(), 'run npm run schema:dump and commit src/store/schema.sql').toBe(committed);
});
