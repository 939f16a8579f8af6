import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ConfigError, ConfigErrorCode, type JobTypeRegistry, secretPathsOf } from '../domain/config/index.js';
import { findUnstorable, MAX_JSON_DEPTH } from '../domain/config/storable.js';
import { formatPath } from '../domain/config/validate.js';

/**
 * Config files as `grove-jobs diff`, `apply` and `export` read and write them: YAML or JSON, one
 * config or several per file (YAML documents, or a list), a folder read recursively in name
 * order. A secret field holds `{ fromEnv: NAME }`, read from the environment when applying;
 * secret values never sit in files.
 */

/** One config document and where it came from ("jobs/nightly.yaml", "jobs/all.yaml, document 2"). */
export interface ConfigDocument {
  source: string;
  document: unknown;
}

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** The config documents in a file, or in every *.yaml, *.yml and *.json under a folder. */
export async function readConfigDocuments(path: string): Promise<ConfigDocument[]> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(path)).isDirectory();
  } catch (error) {
    throw bad(path, `cannot read it: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (error as Error).message}`);
  }
  if (!isFolder) return parseConfigFile(path, await readFile(path, 'utf8'));
  const files = (await filesUnder(path)).sort();
  if (files.length === 0) throw bad(path, 'holds no .yaml, .yml or .json file');
  const documents: ConfigDocument[] = [];
  for (const file of files) documents.push(...parseConfigFile(join(path, file), await readFile(join(path, file), 'utf8')));
  return documents;
}

/** Paths of the config files under a folder, relative to it. */
async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && EXTENSIONS.has(extname(entry.name).toLowerCase()))
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)));
}

/** The documents of one file's text: JSON for *.json, YAML otherwise. */
export function parseConfigFile(file: string, text: string): ConfigDocument[] {
  const values: Array<{ value: unknown; where: string }> = [];
  if (extname(file).toLowerCase() === '.json') {
    try {
      values.push({ value: JSON.parse(text) as unknown, where: file });
    } catch (error) {
      throw bad(file, `is not JSON: ${(error as Error).message}`);
    }
  } else {
    const documents = parseAllDocuments(text);
    if (!Array.isArray(documents)) return [];
    const many = documents.length > 1;
    documents.forEach((document, index) => {
      const where = many ? `${file}, document ${index + 1}` : file;
      const [error] = document.errors;
      if (error) {
        // The parser gives up on very deep nesting with the engine's stack message: say what it means.
        const line = (error.message.split('\n')[0] ?? error.message).replace(/:$/, '');
        const deep = line.replace(/^Maximum call stack size exceeded/, `nests deeper than ${MAX_JSON_DEPTH} levels`);
        throw bad(where, deep === line ? `is not YAML: ${line}` : deep);
      }
      const value: unknown = document.toJS({ maxAliasCount: 100 });
      if (value !== null && value !== undefined) values.push({ value, where });
    });
  }
  return values.flatMap(({ value, where }) => {
    const items = Array.isArray(value) ? value.map((item: unknown, i) => ({ value: item, where: `${where}, item ${i + 1}` })) : [{ value, where }];
    return items.map((item) => {
      const found = findUnstorable(item.value, MAX_JSON_DEPTH);
      if (found) throw bad(item.where, `${formatPath(found.path) || 'the document'} ${found.message}`);
      return { source: item.where, document: item.value };
    });
  });
}

/** `{ fromEnv: NAME }`: exactly that one key, a variable name. */
function envReference(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== 'fromEnv') return undefined;
  const name = (value as { fromEnv: unknown }).fromEnv;
  return typeof name === 'string' ? name : '';
}

/**
 * Resolves `{ fromEnv: NAME }` in the secret fields of each document from `env`. A secret
 * written out in a file, a reference outside a secret field, and a variable that is not set are
 * bad input naming the document and the field; documents are not changed in place.
 */
export function resolveSecrets(documents: readonly ConfigDocument[], registry: JobTypeRegistry, env: Record<string, string | undefined>): unknown[] {
  return documents.map(({ source, document }) => {
    const jobType = (document as { payload?: { jobType?: unknown } } | null)?.payload?.jobType;
    const secrets = secretPathsOf(typeof jobType === 'string' ? [jobType] : [], registry).map((path) => path.join('.'));
    const secretAt = (path: string) => secrets.some((prefix) => path === prefix || path.startsWith(`${prefix}.`));
    const walk = (value: unknown, path: string): unknown => {
      const reference = envReference(value);
      if (reference !== undefined) {
        if (!secretAt(path)) throw bad(source, `${path}: { fromEnv } is for secret fields only; write the value itself`);
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(reference)) throw bad(source, `${path}: fromEnv must name an environment variable, such as NIGHTLY_TOKEN`);
        const resolved = env[reference];
        if (resolved === undefined || resolved === '') throw bad(source, `${path}: environment variable ${reference} is not set`);
        return resolved;
      }
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, walk(child, path === '' ? key : `${path}.${key}`)]));
      }
      if (secretAt(path) && value !== undefined && value !== null && value !== '') {
        throw bad(source, `${path}: is a secret, and secrets never sit in files: write { fromEnv: NAME } and set NAME in the environment`);
      }
      return value;
    };
    return walk(document, '');
  });
}

function bad(where: string, message: string): ConfigError {
  return new ConfigError(ConfigErrorCode.Invalid, `${where}: ${message}`, [{ path: where, message }]);
}
