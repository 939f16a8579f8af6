import { beforeAll } from 'vitest';
import { runPauseScenarios } from './pause.scenarios.js';
import { assertPostgresReachable, postgresFactory } from '../support/test-store.js';

beforeAll(assertPostgresReachable);
runPauseScenarios(postgresFactory());
