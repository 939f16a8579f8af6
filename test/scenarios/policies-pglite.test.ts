import { runPolicyScenarios } from './policies.scenarios.js';
import { pgliteFactory } from '../support/test-store.js';

runPolicyScenarios(pgliteFactory());
