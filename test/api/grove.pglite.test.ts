import { runGroveApiSuite } from './grove.suite.js';
import { pgliteFactory } from '../support/test-store.js';

runGroveApiSuite(pgliteFactory());
