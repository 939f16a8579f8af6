import { beforeAll } from 'vitest';
import { runPauseRoutesSuite } from './pause.suite.js';
import { assertPostgresReachable, postgresFactory } from '../support/test-store.js';

beforeAll(assertPostgresReachable);
runPauseRoutesSuite(postgresFactory());
