import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { type JobConfig, type JobTypeRegistry, secretPathsOf } from '../domain/config/index.js';
import { type CliContext, withSystem } from './context.js';
import { UsageError } from './errors.js';
import { json } from './output.js';

type Format = 'yaml' | 'json';

/** One exported config: the document `apply` takes back, and the variables its secrets are read from. */
export interface ExportedConfig {
  id: string;
  document: Record<string, unknown>;
  /** Environment variables the document's `{ fromEnv }` placeholders name. */
  variables: string[];
}

/**
 * The environment variable a secret field is exported as: config id and field, upper snake case
 * (`health-check` + `payload.parameters.secretHeaders.x-api-key` → HEALTH_CHECK_SECRET_HEADERS_X_API_KEY).
 */
export function secretVariable(configId: string, path: string): string {
  const field = path.replace(/^payload\.(parameters|notifications)\./, '');
  return `${configId}_${field}`
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
}

/** Fields the server keeps: never in a file (apply ignores them). */
const SERVER_FIELDS: Record<string, readonly string[]> = {
  meta: ['version', 'createdAt', 'updatedAt', 'createdBy', 'updatedBy'],
  payload: ['lastExecution'],
};

/**
 * A config as a file states it: every field but the server's, secrets as `{ fromEnv }`
 * placeholders (empty objects, such as a `{}` request body, kept as they are).
 */
export function exportConfig(config: JobConfig, registry: JobTypeRegistry): ExportedConfig {
  const id = config.meta.id;
  const secrets = secretPathsOf([config.payload.jobType], registry).map((path) => path.join('.'));
  const variables: string[] = [];
  const walk = (value: unknown, path: string): unknown => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const dropped = SERVER_FIELDS[path] ?? [];
      return Object.fromEntries(
        Object.entries(value)
          .filter(([key]) => !dropped.includes(key))
          .map(([key, child]) => [key, walk(child, path === '' ? key : `${path}.${key}`)]),
      );
    }
    if (typeof value !== 'string' || value === '' || !secrets.some((prefix) => path === prefix || path.startsWith(`${prefix}.`))) return value;
    const variable = secretVariable(id, path);
    variables.push(variable);
    return { fromEnv: variable };
  };
  return { id, document: ordered(walk(config, '')) as Record<string, unknown>, variables };
}

/** Field order in an exported file: what a reader looks for first; anything else after, by name. */
const ORDER: Record<string, readonly string[]> = {
  '': ['meta', 'payload'],
  meta: ['id', 'title', 'description'],
  payload: ['jobType', 'displayName', 'schedule', 'parameters', 'limits', 'retry', 'notifications'],
  'payload.schedule': ['cronExpression', 'timezone', 'isEnabled', 'misfirePolicy', 'misfireGraceSeconds', 'catchupWindowSeconds', 'overlapPolicy'],
};

/** The document with its keys in ORDER (the store keeps objects as jsonb, which forgets key order). */
function ordered(value: unknown, path = ''): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const first = ORDER[path] ?? [];
  const rank = (key: string) => (first.includes(key) ? first.indexOf(key) : first.length);
  const keys = Object.keys(value).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return Object.fromEntries(keys.map((key) => [key, ordered((value as Record<string, unknown>)[key], path === '' ? key : `${path}.${key}`)]));
}

function render(documents: readonly Record<string, unknown>[], format: Format, many: boolean): string {
  if (format === 'json') return `${json(many ? documents : documents[0])}\n`;
  return documents.map((document) => stringify(document, { lineWidth: 0 })).join('---\n');
}

/** `grove-jobs export [ids…] [--dir D] [--format yaml|json]`: configs as files `apply` takes back unchanged. */
export function registerExport(program: Command, context: CliContext): void {
  program
    .command('export')
    .description('write job configs as files that apply takes back unchanged (secrets as { fromEnv: NAME } placeholders)')
    .argument('[ids...]', 'config ids (default: every config)')
    .option('--dir <folder>', 'write one file per config into this folder (default: standard output)')
    .option('--format <format>', 'yaml or json', 'yaml')
    .option('--json', 'print one JSON document: { configs: [{ id, document, variables }], files }')
    .action((ids: string[], options: { dir?: string; format: string; json?: boolean }) =>
      withSystem(context, async (system) => {
        if (options.format !== 'yaml' && options.format !== 'json') throw new UsageError('--format', `'${options.format}' must be yaml or json`);
        const format: Format = options.format;
        const configs = ids.length > 0 ? await Promise.all(ids.map((id) => system.configs.get(id))) : await system.configs.list();
        const exported = configs.map((config) => exportConfig(system.configs.secrets.open(config), system.jobTypes));
        const variables = exported.flatMap((config) => config.variables);
        const needs = variables.length > 0 ? `Set ${variables.join(', ')} in the environment of grove-jobs apply (secrets are never written to files).` : '';
        const files = options.dir === undefined ? [] : exported.map((config) => join(options.dir as string, `${config.id}.${format}`));
        if (options.dir !== undefined) {
          await mkdir(options.dir, { recursive: true });
          for (const [i, config] of exported.entries()) await writeFile(files[i] as string, render([config.document], format, false));
        }
        if (options.json) return context.io.out(json({ configs: exported, files }));
        if (options.dir === undefined) {
          context.io.out(render(exported.map((config) => config.document), format, ids.length !== 1).trimEnd());
          if (needs) context.io.err(needs);
          return;
        }
        context.io.out(`Wrote ${exported.length} file${exported.length === 1 ? '' : 's'} to ${options.dir}.${needs ? ` ${needs}` : ''}`);
      }),
    );
}
