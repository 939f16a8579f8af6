import { runEngineScenarios } from './engine.scenarios.js';
import { pgliteFactory } from '../support/test-store.js';

runEngineScenarios(pgliteFactory());
