import { beforeAll } from 'vitest';
import { runSlotRoutesSuite } from './slots.suite.js';
import { assertPostgresReachable, postgresFactory } from '../support/test-store.js';

beforeAll(assertPostgresReachable);
runSlotRoutesSuite(postgresFactory());
