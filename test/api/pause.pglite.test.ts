import { runPauseRoutesSuite } from './pause.suite.js';
import { pgliteFactory } from '../support/test-store.js';

runPauseRoutesSuite(pgliteFactory());
