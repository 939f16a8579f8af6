import { pgliteFactory } from '../support/test-store.js';
import { runApiFuzzSuite } from './fuzz.suite.js';

runApiFuzzSuite(pgliteFactory(), { runs: Number(process.env["FUZZ_RUNS"] ?? 10_400), seed: 19 });
