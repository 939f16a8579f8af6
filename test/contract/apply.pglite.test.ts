import { runApplyContract } from './apply.contract.js';
import { pgliteFactory } from '../support/test-store.js';

runApplyContract(pgliteFactory());
