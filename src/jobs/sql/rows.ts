/**
 * What of a statement's rows is kept in the result and the log: enough to see what it
 * returned, never a whole table. A value is cut to VALUE_MAX_CHARACTERS, and rows stop at
 * ROW_LIMIT or once the kept values reach ROWS_MAX_BYTES, whichever comes first.
 */
export const ROW_LIMIT = 20;
export const VALUE_MAX_CHARACTERS = 200;
export const ROWS_MAX_BYTES = 16 * 1024;

/** A kept value: JSON-safe, strings cut with a trailing '…'. */
export type ShownValue = string | number | boolean | null;

export interface ShownRows {
  columns: string[];
  rows: ShownValue[][];
  /** Rows returned beyond those kept (by the limits above). */
  rowsOmitted: number;
  /** Whether any kept value was cut. */
  valuesCut: boolean;
}

function cut(text: string): { value: string; cut: boolean } {
  if (text.length <= VALUE_MAX_CHARACTERS) return { value: text, cut: false };
  // Not in the middle of a surrogate pair.
  let end = VALUE_MAX_CHARACTERS;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return { value: `${text.slice(0, end)}…`, cut: true };
}

/**
 * A value as pg parses it (numbers, strings, booleans, Dates, Buffers for bytea, objects and
 * arrays for json and array types) as a short JSON-safe value.
 */
export function showValue(value: unknown): { value: ShownValue; cut: boolean } {
  if (value === null || value === undefined) return { value: null, cut: false };
  if (typeof value === 'boolean') return { value, cut: false };
  if (typeof value === 'number') return Number.isFinite(value) ? { value, cut: false } : { value: String(value), cut: false };
  if (typeof value === 'string') return cut(value);
  if (typeof value === 'bigint') return cut(value.toString());
  if (value instanceof Date) return { value: Number.isNaN(value.getTime()) ? String(value) : value.toISOString(), cut: false };
  if (Buffer.isBuffer(value)) {
    // PostgreSQL's own text form of bytea; each byte is two characters, so cut the bytes first.
    const bytes = value.subarray(0, VALUE_MAX_CHARACTERS);
    const shown = cut(`\\x${bytes.toString('hex')}`);
    return { value: shown.value, cut: shown.cut || bytes.length < value.length };
  }
  try {
    return cut(JSON.stringify(value) ?? String(value));
  } catch {
    return cut(String(value));
  }
}

/** Collects the first rows of a result as they arrive, within the limits; counts the rest. */
export class RowCollector {
  readonly #rows: ShownValue[][] = [];
  #bytes = 0;
  #omitted = 0;
  #valuesCut = false;
  #full = false;

  add(row: readonly unknown[]): void {
    if (this.#full) {
      this.#omitted++;
      return;
    }
    const shown = row.map((value) => {
      const one = showValue(value);
      if (one.cut) this.#valuesCut = true;
      return one.value;
    });
    const bytes = Buffer.byteLength(JSON.stringify(shown));
    if (this.#bytes + bytes > ROWS_MAX_BYTES) {
      this.#full = true;
      this.#omitted++;
      return;
    }
    this.#rows.push(shown);
    this.#bytes += bytes;
    if (this.#rows.length >= ROW_LIMIT) this.#full = true;
  }

  shown(columns: string[]): ShownRows {
    return { columns, rows: this.#rows, rowsOmitted: this.#omitted, valuesCut: this.#valuesCut };
  }
}
