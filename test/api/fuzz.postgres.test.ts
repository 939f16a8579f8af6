import { beforeAll } from 'vitest';
import { assertPostgresReachable, postgresFactory } from '../support/test-store.js';
import { runApiFuzzSuite } from './fuzz.suite.js';

beforeAll(assertPostgresReachable);
runApiFuzzSuite(postgresFactory(), { runs: 1_500, seed: 5432 });
