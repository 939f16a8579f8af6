import { runLedgerScenarios } from './ledger.scenarios.js';
import { pgliteFactory } from '../support/test-store.js';

runLedgerScenarios(pgliteFactory());
