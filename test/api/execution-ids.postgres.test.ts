import { runExecutionIdSuite } from './execution-ids.suite.js';
import { postgresFactory } from '../support/test-store.js';

runExecutionIdSuite(postgresFactory());
