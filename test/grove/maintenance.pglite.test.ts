import { runMaintenanceSuite } from './maintenance.suite.js';
import { pgliteFactory } from '../support/test-store.js';

runMaintenanceSuite(pgliteFactory());
