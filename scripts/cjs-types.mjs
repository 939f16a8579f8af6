// Declarations for CommonJS consumers. The package is ESM, and Node (>= 20.19) lets
// `require('grove-jobs')` load it; but TypeScript types a CommonJS file's `require` of an ESM
// declaration as an error (TS1479 under module node16). So the `require` condition gets the
// same declarations in dist/cjs/, whose package.json marks them as CommonJS. They describe the
// namespace `require` returns: named exports only, no default export, so both readings match.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, URL } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const cjs = join(dist, 'cjs');

/** Copies the .d.ts files under `from` to `to`, keeping the folders. */
function copyDeclarations(from, to) {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    if (entry.isDirectory() && source !== cjs) copyDeclarations(source, join(to, entry.name));
    if (entry.isFile() && entry.name.endsWith('.d.ts')) {
      mkdirSync(to, { recursive: true });
      copyFileSync(source, join(to, entry.name));
    }
  }
}

// `require` hands back the ESM namespace: a default export would sit under `.default`, which
// a CommonJS declaration's `export default` does not say. Refuse rather than mistype it.
if (/^export default |^export \{[^}]*\bdefault\b/m.test(readFileSync(join(dist, 'index.d.ts'), 'utf8'))) {
  throw new Error('dist/index.d.ts has a default export: its CommonJS declarations would not match what require() returns');
}

rmSync(cjs, { recursive: true, force: true });
copyDeclarations(dist, cjs);
writeFileSync(join(cjs, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
