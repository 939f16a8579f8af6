import { runConfigContract } from './configs.contract.js';
import { pgliteFactory } from '../support/test-store.js';

runConfigContract(pgliteFactory());
