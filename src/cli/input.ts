import { readFileSync } from 'node:fs';
import { findUnstorable, MAX_JSON_DEPTH } from '../domain/config/storable.js';
import { formatPath } from '../domain/config/validate.js';
import type { CliContext } from './context.js';
import { UsageError } from './errors.js';

/**
 * The same bounds the API puts on a body: a NUL (which the database refuses with an error
 * naming no field) or nesting deeper than MAX_JSON_DEPTH is bad input, refused before anything
 * walks the value.
 */
function storable<T>(value: T, file: string, where = ''): T {
  const found = findUnstorable(value, MAX_JSON_DEPTH);
  if (found) throw new UsageError('--file', `'${file}'${where}: ${formatPath(found.path) || 'the document'} ${found.message}`);
  return value;
}

/** The text of `--file <path>`, or standard input for `-`. */
export async function readFileText(context: CliContext, file: string): Promise<string> {
  try {
    return file === '-' ? await context.io.readStdin() : readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError('--file', `cannot read '${file}': ${(error as Error).message}`);
  }
}

/** `--file` as one JSON document. */
export async function readJsonFile(context: CliContext, file: string): Promise<unknown> {
  const text = await readFileText(context, file);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError('--file', `'${file}' is not JSON: ${(error as Error).message}`);
  }
  return storable(value, file);
}

/** `--file` as a JSON array, or as NDJSON (one JSON value per line; blank lines ignored). */
export async function readJsonArrayOrLines(context: CliContext, file: string): Promise<unknown[]> {
  const text = await readFileText(context, file);
  if (text.trimStart().startsWith('[')) {
    const value = (() => {
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw new UsageError('--file', `'${file}' is not JSON: ${(error as Error).message}`);
      }
    })();
    if (!Array.isArray(value)) throw new UsageError('--file', `'${file}' must hold a JSON array or one JSON value per line`);
    return value.map((item: unknown, i) => storable(item, file, ` item ${i + 1}`));
  }
  const lines = text.split('\n');
  const values: unknown[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]?.trim();
    if (!line) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new UsageError('--file', `line ${i + 1} of '${file}' is not JSON: ${(error as Error).message}`);
    }
    values.push(storable(value, file, ` line ${i + 1}`));
  }
  return values;
}
