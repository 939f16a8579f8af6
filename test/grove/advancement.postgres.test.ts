import { beforeAll } from 'vitest';
import { runAdvancementSuite } from './advancement.suite.js';
import { assertPostgresReachable, postgresFactory } from '../support/test-store.js';

beforeAll(assertPostgresReachable);
runAdvancementSuite(postgresFactory());
