import { beforeAll } from 'vitest';
import { runAdvancementSqlSuite } from './advancement-sql.suite.js';
import { assertPostgresReachable, postgresFactory } from '../support/test-store.js';

beforeAll(assertPostgresReachable);
runAdvancementSqlSuite(postgresFactory());
