import { runPreviewRoutesSuite } from './preview.suite.js';
import { pgliteFactory } from '../support/test-store.js';

runPreviewRoutesSuite(pgliteFactory());
