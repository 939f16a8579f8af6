import { runApplyContract } from './apply.contract.js';
import { postgresFactory } from '../support/test-store.js';

runApplyContract(postgresFactory());
