import { runExecutionIdSuite } from './execution-ids.suite.js';
import { pgliteFactory } from '../support/test-store.js';

runExecutionIdSuite(pgliteFactory());
