import { runJobRoutesSuite } from './jobs.suite.js';
import { pgliteFactory } from '../support/test-store.js';

runJobRoutesSuite(pgliteFactory());
