import { beforeAll } from 'vitest';
import { runEngineScenarios } from './engine.scenarios.js';
import { assertPostgresReachable, postgresFactory } from '../support/test-store.js';

beforeAll(assertPostgresReachable);
runEngineScenarios(postgresFactory());
