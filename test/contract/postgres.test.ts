import { beforeAll } from 'vitest';
import { runConfigContract } from './configs.contract.js';
import { assertPostgresReachable, postgresFactory } from '../support/test-store.js';

beforeAll(assertPostgresReachable);
runConfigContract(postgresFactory());
