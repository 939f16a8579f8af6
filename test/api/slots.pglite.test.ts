import { runSlotRoutesSuite } from './slots.suite.js';
import { pgliteFactory } from '../support/test-store.js';

runSlotRoutesSuite(pgliteFactory());
