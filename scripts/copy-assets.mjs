// Copies what tsc does not emit (the SQL migrations) into dist/. The copy replaces the old one:
// a migration renamed or removed in src/ must not linger in dist/ and be applied from there.
import { cpSync, rmSync } from 'node:fs';
import { URL } from 'node:url';

const target = new URL('../dist/store/migrations', import.meta.url);
rmSync(target, { recursive: true, force: true });
cpSync(new URL('../src/store/migrations', import.meta.url), target, { recursive: true });
