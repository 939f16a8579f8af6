// Runs the built CLI (dist/cli/main.js) with this script's arguments, compiling first only when
// dist/ is missing or older than src/: npm scripts then start in well under a second instead of
// rebuilding each time. Nothing of the build reaches standard output, so `--json` stays one
// document; tsc's messages, if any, go to standard error.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL, URL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');

/** Files under `dir` (recursively), skipping tests, which tsc does not emit. */
function* sources(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) yield path;
    else if (entry.name.endsWith('.sql') && relative(src, path).startsWith(join('store', 'migrations'))) yield path;
  }
}

function mtimeOf(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Where `source` is emitted or copied to in dist/. */
function outputOf(source) {
  const rel = relative(src, source);
  return join(dist, rel.endsWith('.ts') ? `${rel.slice(0, -3)}.js` : rel);
}

/**
 * The first reason dist/ is out of date, or undefined when every source (and tsconfig.json)
 * is older than what was built from it. Per file, so a build by `npm run build` counts too.
 */
function staleReason() {
  if (!existsSync(join(dist, 'cli', 'main.js'))) return 'dist/ has no build yet';
  const tsconfig = mtimeOf(join(root, 'tsconfig.json')) ?? 0;
  for (const source of sources(src)) {
    const built = mtimeOf(outputOf(source));
    if (built === undefined) return `${relative(root, source)} has no build output`;
    if (built < (mtimeOf(source) ?? 0) || built < tsconfig) return `${relative(root, source)} changed since the last build`;
  }
  return undefined;
}

const reason = staleReason();
if (reason) {
  process.stderr.write(`grove-jobs: building dist/ (${reason})…\n`);
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  // tsc prints its diagnostics on standard output; send them to standard error.
  for (const args of [[tsc, '-p', join(root, 'tsconfig.json')], [join(root, 'scripts', 'copy-assets.mjs')]]) {
    const built = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 2, 2] });
    if (built.status !== 0) {
      process.stderr.write('grove-jobs: the build failed; fix the errors above, or run npm run build\n');
      process.exit(1);
    }
  }
}

// The CLI reads process.argv from index 2: this script's arguments, as if it were main.js.
await import(pathToFileURL(join(dist, 'cli', 'main.js')).href);
