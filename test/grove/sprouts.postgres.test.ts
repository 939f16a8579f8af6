import { runSproutSuite } from './sprouts.suite.js';
import { postgresFactory } from '../support/test-store.js';

runSproutSuite(postgresFactory());
