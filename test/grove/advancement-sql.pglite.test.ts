import { runAdvancementSqlSuite } from './advancement-sql.suite.js';
import { pgliteFactory } from '../support/test-store.js';

runAdvancementSqlSuite(pgliteFactory());
