import { beforeAll } from 'vitest';
import { runLedgerScenarios } from './ledger.scenarios.js';
import { assertPostgresReachable, postgresFactory } from '../support/test-store.js';

beforeAll(assertPostgresReachable);
runLedgerScenarios(postgresFactory());
