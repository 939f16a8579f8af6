import { runSproutSuite } from './sprouts.suite.js';
import { pgliteFactory } from '../support/test-store.js';

runSproutSuite(pgliteFactory());
