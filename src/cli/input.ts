import { readFileSync } from 'node:fs';
import type { CliContext } from './context.js';
import { UsageError } from './errors.js';

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
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError('--file', `'${file}' is not JSON: ${(error as Error).message}`);
  }
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
    return value;
  }
  const lines = text.split('\n');
  const values: unknown[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]?.trim();
    if (!line) continue;
    try {
      values.push(JSON.parse(line));
    } catch (error) {
      throw new UsageError('--file', `line ${i + 1} of '${file}' is not JSON: ${(error as Error).message}`);
    }
  }
  return values;
}
