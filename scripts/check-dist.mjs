// Before `npm pack` / `npm publish`: the package ships dist/ and web/dist/ as built, and
// building is left to `npm run build` (packing must stay quick), so refuse to pack without them.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const required = ['dist/index.js', 'dist/index.d.ts', 'dist/cjs/index.d.ts', 'dist/cjs/package.json', 'dist/cli/main.js', 'dist/store/migrations', 'dist/vendor/THIRD-PARTY-NOTICES.md', 'web/dist/index.html'];
const missing = required.filter((path) => !existsSync(new URL(`../${path}`, import.meta.url)));
if (missing.length > 0) {
  process.stderr.write(`grove-jobs: not built (missing ${missing.join(', ')}); run npm run build first\n`);
  process.exit(1);
}
