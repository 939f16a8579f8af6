import { runApplyRoutesSuite } from './apply.suite.js';
import { pgliteFactory } from '../support/test-store.js';

runApplyRoutesSuite(pgliteFactory());
