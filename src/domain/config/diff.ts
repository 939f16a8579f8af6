import type { JobConfig } from './schema.js';

/** One changed leaf between two versions; `from`/`to` are undefined when absent. */
export interface ConfigChange {
  path: string;
  from?: unknown;
  to?: unknown;
}

/** Meta fields that change on every write and say nothing about what was changed. */
const BOOKKEEPING = new Set(['meta.version', 'meta.updatedAt', 'meta.updatedBy', 'meta.createdAt', 'meta.createdBy']);

/** The leaves that differ between two configs, in a stable order; arrays compare whole. */
export function diffConfigs(before: JobConfig | undefined, after: JobConfig): ConfigChange[] {
  const changes: ConfigChange[] = [];
  walk(before ?? {}, after, '', changes);
  return changes.filter((change) => !BOOKKEEPING.has(change.path));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function walk(before: unknown, after: unknown, path: string, out: ConfigChange[]): void {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) walk(before[key], after[key], path === '' ? key : `${path}.${key}`, out);
    return;
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return;
  const change: ConfigChange = { path };
  if (before !== undefined) change.from = before;
  if (after !== undefined) change.to = after;
  out.push(change);
}
