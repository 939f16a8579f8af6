import { runJobRoutesSuite } from './jobs.suite.js';
import { postgresFactory } from '../support/test-store.js';

runJobRoutesSuite(postgresFactory());
