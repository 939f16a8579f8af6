import { runAggregationSuite } from './aggregation.suite.js';
import { pgliteFactory } from '../support/test-store.js';

runAggregationSuite(pgliteFactory());
