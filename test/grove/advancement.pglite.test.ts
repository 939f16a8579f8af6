import { runAdvancementSuite } from './advancement.suite.js';
import { pgliteFactory } from '../support/test-store.js';

runAdvancementSuite(pgliteFactory());
