import { runApplyRoutesSuite } from './apply.suite.js';
import { postgresFactory } from '../support/test-store.js';

runApplyRoutesSuite(postgresFactory());
