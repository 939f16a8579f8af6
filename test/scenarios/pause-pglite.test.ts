import { runPauseScenarios } from './pause.scenarios.js';
import { pgliteFactory } from '../support/test-store.js';

runPauseScenarios(pgliteFactory());
