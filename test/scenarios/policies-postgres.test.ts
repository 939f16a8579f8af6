import { beforeAll } from 'vitest';
import { runPolicyScenarios } from './policies.scenarios.js';
import { assertPostgresReachable, postgresFactory } from '../support/test-store.js';

beforeAll(assertPostgresReachable);
runPolicyScenarios(postgresFactory());
