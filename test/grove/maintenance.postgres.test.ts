import { beforeAll } from 'vitest';
import { runMaintenanceSuite } from './maintenance.suite.js';
import { assertPostgresReachable, postgresFactory } from '../support/test-store.js';

beforeAll(assertPostgresReachable);
runMaintenanceSuite(postgresFactory());
