// Bundles the third-party runtime packages into dist/vendor/, so that an install of
// grove-jobs brings only pg (and the zod peer) from the registry: the bundled packages ship
// several builds, types and tests each, of which the library runs a few hundred kilobytes
// (docs/package.md, "What an install weighs").
//
// Runs after tsc. Our own modules keep tsc's layout, one file per module (paths relative to
// import.meta.url, such as the migrations folder and web/dist, stay right); only their bare
// imports of bundled packages are rewritten to dist/vendor/<package>.js. Each of those is an
// esbuild entry re-exporting exactly the names our modules import, so tree-shaking keeps
// only what they use; code shared between packages (hono under @hono/zod-openapi) lands
// once, in a shared chunk. The licence of every package with code in the bundle goes into
// dist/vendor/THIRD-PARTY-NOTICES.md.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, posix, relative, sep } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { build } from 'esbuild';
import ts from 'typescript';

const root = fileURLToPath(new URL('../', import.meta.url));
const dist = join(root, 'dist');
const vendor = join(dist, 'vendor');
/** The re-exporting entries, one per package; .mjs, so esbuild gives CommonJS packages Node's interop (default = module.exports). */
const entries = join(root, 'node_modules', '.cache', 'grove-jobs-vendor');
const NOTICES = 'THIRD-PARTY-NOTICES.md';

/**
 * Packages that stay imports, besides Node's modules: pg (the one dependency: a consumer
 * shares its types), zod (a peer: one instance with the consumer's schemas) and the optional
 * PGlite peers (loaded only when an embedded store is opened).
 */
const KEPT = ['pg', 'zod', '@electric-sql'];

function bundled(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier)) return false;
  return !KEPT.some((name) => specifier === name || specifier.startsWith(`${name}/`));
}

/** Our emitted modules: dist/**\/*.js but the vendor folder (dist/cjs holds declarations only). */
function ownModules(dir = dist) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && path !== vendor) found.push(...ownModules(path));
    if (entry.isFile() && entry.name.endsWith('.js')) found.push(path);
  }
  return found;
}

/**
 * The bare imports of one module: each with the range of its specifier string and the names
 * it takes. A form whose names cannot be known (a namespace import, a dynamic import that is
 * not destructured) is refused: the vendor entry could not re-export them from CommonJS.
 */
function bareImports(path) {
  const text = readFileSync(path, 'utf8');
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const found = [];
  const refuse = (node, why) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart());
    throw new Error(`${relative(root, path)}:${line + 1}: ${why}`);
  };
  /** The names taken by `const { a, b } = await import('x')`; a dynamic import used any other way is refused. */
  function destructured(call, specifier) {
    const declaration = ts.isAwaitExpression(call.parent) && ts.isVariableDeclaration(call.parent.parent) ? call.parent.parent : undefined;
    if (!declaration || !ts.isObjectBindingPattern(declaration.name)) refuse(call, `import('${specifier}') must be destructured at once (const { a } = await import(…))`);
    return declaration.name.elements.map((element) => {
      const name = element.propertyName ?? element.name;
      if (!ts.isIdentifier(name)) refuse(call, `import('${specifier}'): destructure plain names`);
      return name.text;
    });
  }
  /** The names an import or export declaration takes from its module. */
  function declared(node, specifier) {
    if (ts.isExportDeclaration(node)) {
      if (!node.exportClause || !ts.isNamedExports(node.exportClause)) refuse(node, `export * from '${specifier}': export the names used instead`);
      return node.exportClause.elements.map((element) => (element.propertyName ?? element.name).text);
    }
    const names = node.importClause?.name ? ['default'] : [];
    const bindings = node.importClause?.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) refuse(node, `import * from '${specifier}': import the names used instead`);
    if (bindings) names.push(...bindings.elements.map((element) => (element.propertyName ?? element.name).text));
    return names;
  }
  function visit(node) {
    const dynamic = ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword;
    const literal = dynamic ? node.arguments[0] : ts.isImportDeclaration(node) || ts.isExportDeclaration(node) ? node.moduleSpecifier : undefined;
    if (literal && ts.isStringLiteral(literal) && bundled(literal.text)) {
      const names = dynamic ? destructured(node, literal.text) : declared(node, literal.text);
      found.push({ specifier: literal.text, start: literal.getStart(source), end: literal.getEnd(), names });
    }
    ts.forEachChild(node, visit);
  }
  visit(source);
  return { text, found };
}

/** The vendor module's name for a package specifier: `@hono/zod-openapi` → `hono-zod-openapi`. */
function vendorName(specifier) {
  return specifier.replace(/^@/, '').replaceAll('/', '-');
}

/** The folder of the package an input file belongs to (`node_modules/@scope/name`). */
function packageDir(input) {
  const parts = input.split('/');
  const at = parts.lastIndexOf('node_modules');
  // node_modules/.cache holds the vendor entries themselves, which are no package.
  if (at < 0 || parts[at + 1]?.startsWith('.')) return undefined;
  const length = parts[at + 1]?.startsWith('@') ? 2 : 1;
  return parts.slice(0, at + 1 + length).join('/');
}

/**
 * The MIT licence's terms, for a package that declares MIT in its package.json but ships no
 * licence file (the @hono middleware packages keep theirs at their repository's root).
 */
const MIT_TERMS = `Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.`;

/** A package's licence text: its licence files, or the MIT terms with where its copyright notice is kept. */
function licenceText(dir, manifest) {
  const files = readdirSync(join(root, dir)).filter((name) => /^(licen[cs]e|copying|notice)([-.]|$)/i.test(name));
  if (files.length > 0) return files.map((name) => readFileSync(join(root, dir, name), 'utf8').trim());
  if (manifest.license !== 'MIT') throw new Error(`${manifest.name} ships no licence file and declares ${manifest.license}: add its notice before bundling it`);
  const repository = typeof manifest.repository === 'string' ? manifest.repository : manifest.repository?.url;
  const where = repository ? `Copyright: the authors of ${manifest.name}, ${repository.replace(/^git\+/, '')}` : `Copyright: the authors of ${manifest.name}`;
  return [`MIT License (no licence file in the package; declared in its package.json)\n\n${where}\n\n${MIT_TERMS}`];
}

/** One section per bundled package: name, version, licence and its licence text. */
function notices(packageDirs) {
  const sections = [...packageDirs]
    .map((dir) => {
      const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
      const texts = licenceText(dir, manifest);
      return { key: `${manifest.name} ${manifest.version}`, text: `## ${manifest.name} ${manifest.version} (${manifest.license})\n\n${texts.map((body) => `\`\`\`\n${body}\n\`\`\``).join('\n\n')}\n` };
    })
    .sort((a, b) => a.key.localeCompare(b.key, 'en'));
  const header = '# Third-party notices\n\nThe files in this folder bundle code from the packages below, under their licences.\n';
  return [header, ...sections.map((section) => section.text)].join('\n');
}

const modules = ownModules().map((path) => ({ path, ...bareImports(path) }));
const wanted = new Map();
for (const { found } of modules) {
  for (const { specifier, names } of found) {
    const set = wanted.get(specifier) ?? new Set();
    for (const name of names) set.add(name);
    wanted.set(specifier, set);
  }
}
if (wanted.size === 0) {
  process.stderr.write('grove-jobs bundle: dist/ imports no package to bundle (already bundled? run tsc first)\n');
  process.exit(1);
}
const byName = new Map();
for (const specifier of wanted.keys()) {
  const name = vendorName(specifier);
  if (byName.has(name)) throw new Error(`'${specifier}' and '${byName.get(name)}' would share dist/vendor/${name}.js`);
  byName.set(name, specifier);
}

rmSync(vendor, { recursive: true, force: true });
rmSync(entries, { recursive: true, force: true });
mkdirSync(entries, { recursive: true });
const entryPoints = {};
for (const [specifier, names] of wanted) {
  const file = join(entries, `${vendorName(specifier)}.mjs`);
  const list = [...names].sort();
  writeFileSync(file, list.length > 0 ? `export { ${list.join(', ')} } from '${specifier}';\n` : `import '${specifier}';\n`);
  entryPoints[vendorName(specifier)] = file;
}

try {
  const result = await build({
    entryPoints,
    absWorkingDir: root,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: vendor,
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
    external: KEPT.flatMap((name) => [name, `${name}/*`]),
    // Bundled CommonJS calls require() for Node's modules, which an ES module lacks.
    banner: { js: "import { createRequire as __groveCreateRequire } from 'node:module';\nconst require = __groveCreateRequire(import.meta.url);" },
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
  });
  // Every name a module imports must be one its vendor entry exports (a CommonJS package's
  // names are read from its code; one it builds at run time would go missing silently).
  for (const [specifier, names] of wanted) {
    const output = result.metafile.outputs[posix.join(relative(root, vendor).split(sep).join('/'), `${vendorName(specifier)}.js`)];
    const missing = [...names].filter((name) => !output?.exports.includes(name));
    if (missing.length > 0) throw new Error(`dist/vendor/${vendorName(specifier)}.js does not export ${missing.join(', ')} of '${specifier}'`);
  }
  const packages = new Set();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const dir = bytesInOutput > 0 ? packageDir(input) : undefined;
      if (dir) packages.add(dir);
    }
  }
  writeFileSync(join(vendor, NOTICES), notices(packages));
} finally {
  rmSync(entries, { recursive: true, force: true });
}

for (const { path, text, found } of modules) {
  if (found.length === 0) continue;
  let rewritten = text;
  for (const { specifier, start, end } of [...found].sort((a, b) => b.start - a.start)) {
    let target = relative(dirname(path), join(vendor, `${vendorName(specifier)}.js`)).split(sep).join('/');
    if (!target.startsWith('.')) target = `./${target}`;
    rewritten = `${rewritten.slice(0, start)}'${target}'${rewritten.slice(end)}`;
  }
  writeFileSync(path, rewritten);
}
