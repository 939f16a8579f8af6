import { beforeAll } from 'vitest';
import { runAggregationSuite } from './aggregation.suite.js';
import { assertPostgresReachable, postgresFactory } from '../support/test-store.js';

beforeAll(assertPostgresReachable);
runAggregationSuite(postgresFactory());
