import { runPreviewRoutesSuite } from './preview.suite.js';
import { postgresFactory } from '../support/test-store.js';

runPreviewRoutesSuite(postgresFactory());
