// Copies what tsc does not emit (the SQL migrations) into dist/.
import { cpSync } from 'node:fs';
import { URL } from 'node:url';

cpSync(new URL('../src/store/migrations', import.meta.url), new URL('../dist/store/migrations', import.meta.url), { recursive: true });
