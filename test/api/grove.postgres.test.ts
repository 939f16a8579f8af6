import { runGroveApiSuite } from './grove.suite.js';
import { assertPostgresReachable, postgresFactory } from '../support/test-store.js';
import { beforeAll } from 'vitest';

beforeAll(assertPostgresReachable);
runGroveApiSuite(postgresFactory());
