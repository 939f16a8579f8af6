// The package's declarations: those dist/index.d.ts reaches, naming only packages a consumer's
// install has. Runs after tsc, before cjs-types.mjs copies them for CommonJS.
//
// - They may name zod (the peer), pg (the one dependency), Node's modules (@types/node) and the
//   optional PGlite peers. The other runtime packages are bundled into dist/vendor/
//   (bundle-deps.mjs) and not installed, so a declaration importing one would fail a
//   consumer's type check (skipLibCheck false) or degrade its types to any. Fails naming each
//   file that imports another package.
// - tsc declares every module; `exports` lets a consumer import only the package's root, so
//   the declarations it does not reach (the CLI's, the routes') are deleted: over half of
//   them, twice over with the CommonJS copy.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../', import.meta.url));
const ALLOWED = ['zod', 'pg', '@electric-sql/pglite', '@electric-sql/pglite-socket'];

function allowed(specifier) {
  return specifier.startsWith('node:') || ALLOWED.some((name) => specifier === name || specifier.startsWith(`${name}/`));
}

/** The declaration file a relative specifier names (`./x.js` → x.d.ts, `./dir` → dir/index.d.ts). */
function declarationOf(from, specifier) {
  const base = join(dirname(from), specifier);
  const candidates = [base.replace(/\.js$/, '.d.ts'), `${base}.d.ts`, join(base, 'index.d.ts')];
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`${relative(root, from)}: '${specifier}' names no declaration file`);
  return found;
}

const problems = [];
const seen = new Set();
const queue = [join(root, 'dist', 'index.d.ts')];
while (queue.length > 0) {
  const file = queue.pop();
  if (seen.has(file)) continue;
  seen.add(file);
  // preProcessFile lists every module a file names: imports, exports, import() types, and
  // triple-slash references.
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  for (const { fileName } of info.importedFiles) {
    if (fileName.startsWith('.')) queue.push(declarationOf(file, fileName));
    else if (!allowed(fileName)) problems.push(`${relative(root, file)} imports '${fileName}'`);
  }
  for (const { fileName } of info.typeReferenceDirectives) {
    if (fileName !== 'node') problems.push(`${relative(root, file)} references the types of '${fileName}'`);
  }
  for (const { fileName } of info.referencedFiles) queue.push(join(dirname(file), fileName));
}

if (problems.length > 0) {
  process.stderr.write(
    `grove-jobs: the public declarations name packages a consumer does not install (only ${ALLOWED.join(', ')} and node:*):\n${problems.map((line) => `  ${line}\n`).join('')}` +
      'Move the type into a module without those imports, or describe it structurally.\n',
  );
  process.exit(1);
}

/** Every .d.ts under dist/ but dist/cjs (cjs-types.mjs makes that afresh from these). */
function declarations(dir = join(root, 'dist')) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'cjs' && dir === join(root, 'dist') ? [] : declarations(path);
    return entry.isFile() && entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

for (const file of declarations()) if (!seen.has(file)) rmSync(file);
