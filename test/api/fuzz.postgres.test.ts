import { beforeAll } from 'vitest';
import { assertPostgresReachable, postgresFactory } from '../support/test-store.js';
import { runApiFuzzSuite } from './fuzz.suite.js';

beforeAll(assertPostgresReachable);
runApiFuzzSuite(postgresFactory(), { runs: 3_000, seed: 5432 });
